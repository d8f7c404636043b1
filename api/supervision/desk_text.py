"""What the regulator's desk says in Chinese: rules, severities, states, outcomes, refusals.

The stored alert keeps its explanation as the rule wrote it (some carry the
ledger's English refusal, A24); the desk shows a Chinese sentence instead, made
from the alert's evidence. Refusals of a desk action are told in Chinese too.
"""

from __future__ import annotations

import re

from ledger.errors import LedgerError
from ledger.money import grouped
from projections.supervision.catalog import RULES
from projections.supervision.queries import AlertRow

SEVERITY_ZH = {"critical": "严重", "high": "高", "warning": "警告", "info": "提示"}
STATUS_ZH = {"open": "待处理", "acknowledged": "已受理", "closed": "已关闭", "snoozed": "暂缓"}
OUTCOME_ZH = {"confirmed": "属实", "explained": "说明已采纳", "false_positive": "误报"}
SUBJECT_ZH = {
    "account": "账户", "committee": "业委会", "complex": "小区", "fund": "维修资金",
    "project": "维修项目", "unit": "分户", "payee": "收款方",
}  # fmt: skip
KIND_ZH = {
    "income": "收入", "expenditure": "支出", "reversal": "冲正", "transfer_in": "转入",
    "transfer_out": "转出", "interest": "利息",
}  # fmt: skip
STEP_ZH = {
    "raised": "产生", "acknowledged": "受理", "explained": "业委会说明", "closed": "关闭",
}  # fmt: skip
ROLE_ZH = {"regulator": "监管部门", "committee": "业委会", "operator": "平台运维", "system": "系统"}


def step_told(step: str, principal: str, detail: dict[str, object]) -> str:
    """One step of an alert's history in a sentence: who (by role), what, why."""
    who = ROLE_ZH.get(principal.partition(":")[0], "")
    what = STEP_ZH.get(step, step)
    if step == "closed":
        outcome = OUTCOME_ZH.get(str(detail.get("outcome")), "")
        said = "；".join(str(detail[k]) for k in ("reason", "action") if detail.get(k))
        return f"{who}{what}，结论：{outcome}" + (f"。{said}" if said else "")
    said = str(detail.get("note") or detail.get("text") or "")
    return f"{who}{what}" + (f"：{said}" if said else "")


HARD_RULES_ZH = {  # what the refusing hard rule (spec/domain.md) protects, for A24
    "H02": "业委会任期届满、解散或交接中，或账户已暂停付款、已销户时不得付款",
    "H05": "超出业委会权限的支出须有覆盖它的业主大会决议，权限内的须有业委会过半数决定",
    "H07": "单笔现金支付超过限额",
}
H02_CAUSES = (  # the refusal's own words, read into Chinese
    ("term of committee", "业委会任期已届满"),
    ("suspended", "账户已被监管部门暂停付款"),
    ("dissolved", "业委会已解散"),
    ("handover", "业委会正在交接"),
    ("closed", "账户已销户"),
)


def rule_name(rule: str) -> str:
    """``A08`` as its Chinese title in the catalog; an unknown id as itself."""
    known = RULES.get(rule)
    return known.title_zh if known else rule


def explanation(row: AlertRow) -> str:
    """The alert's explanation as the desk shows it: Chinese only, amounts with separators."""
    if row.rule == "A24":
        return _refusal(row)
    text = _separated(row.explanation_zh)
    if row.rule == "B03":  # names the ledger entry by its id: as the account page shows it
        text = _UUID.sub(r"分录\1", text)
    return text


def _refusal(row: AlertRow) -> str:
    hard = str(row.evidence.get("rule", ""))
    detail = str(row.evidence.get("detail", ""))
    amount = row.evidence.get("amount")
    why = HARD_RULES_ZH.get(hard, "付款不符合规则")
    if hard == "H02":
        why = next((zh for words, zh in H02_CAUSES if words in detail), why)
    paid = f"一笔{grouped(str(amount))}元的付款" if amount else "一笔付款"
    return f"{paid}被规则{hard}拒绝：{why}。"


_AMOUNT = re.compile(r"(?<![\d.])(-?\d{4,})(\.\d{2})(?!\d)")
_UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


def _separated(text: str) -> str:
    """Amounts written ``12345.60`` in a sentence as ``12,345.60`` (ids and dates untouched)."""
    return _AMOUNT.sub(lambda m: grouped(m.group(1) + m.group(2)), text)


REFUSALS_ZH = (  # the ledger's refusal of a desk action, by its words
    ("only an open alert is taken", "这条预警已被受理或已关闭，不能再受理。"),
    ("is already closed", "这条预警已经关闭。"),
    ("says what action was taken", "结论为“属实”时，请填写采取的措施。"),
    ("no explanation from the committee", "业委会尚未说明这条预警，不能以“说明已采纳”关闭。"),
    ("only on a confirmed alert", "只有结论为“属实”的预警才能同时暂停付款。"),
    ("suspended on a confirmed alert", "只有结论为“属实”的预警才能同时暂停付款。"),
    ("not an account", "这条预警的对象不是账户，不能同时暂停付款。"),
    ("are already suspended", "该账户已经暂停付款。"),
    ("are not suspended", "该账户没有暂停付款，无需恢复。"),
    ("say why payments", "请填写原因。"),
)
FIELDS_ZH = {"note": "备注", "outcome": "结论", "reason": "原因", "action": "采取的措施"}


def refusal(error: LedgerError) -> str:
    """A refusal of the ledger in Chinese (its English detail stays in the page's small print)."""
    detail = error.detail if hasattr(error, "detail") else str(error)
    for words, zh in REFUSALS_ZH:
        if words in str(detail):
            return zh
    if re.search(r"suspend_payments: account .* is ", str(detail)):
        return "该账户已销户或尚未开立，不能暂停付款。"
    return "操作未能完成：账本拒绝了这个操作。"


def invalid_field(field: str, kind: str) -> str:
    """A form field that did not validate, in Chinese."""
    name = FIELDS_ZH.get(field, field)
    if field == "outcome":
        return "请选择结论：属实、说明已采纳或误报。"
    if kind in ("missing", "string_too_short"):
        return f"请填写{name}。"
    if kind == "string_too_long":
        return f"{name}太长了，请控制在 2000 字以内。"
    return f"{name}中有不能使用的字符（如控制字符），请修改后再提交。"
