"""The owners' statement page as its template reads it: Chinese labels, amounts, a correction told.

Everything here works on a published version's frozen content (projections'
statement dict); nothing is recomputed, so the page says exactly what the JSON,
CSV and XLSX of the same version say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from markupsafe import Markup

from api.charts import Bar, bars
from ledger.money import grouped
from ledger.periods import Period
from projections.masking import mask_units
from projections.statements.queries import Version

CATEGORIES = {
    # income (spec/domain.md, income categories)
    "parking": "停车收益",
    "advertising": "广告收益",
    "venue_rent": "场地租金",
    "facility_fee": "设施使用费",
    "interest": "利息",
    "compensation": "赔偿补偿",
    "transfer_in": "上一账户转入",
    # expenditure
    "repairs": "维修",
    "cleaning_greening": "保洁绿化",
    "security": "秩序维护",
    "utilities_common": "公共水电",
    "committee_operations": "业委会运行",
    "audit_legal": "审计法律",
    "distribution_to_owners": "分配给业主",
    "transfer_to_maintenance_fund": "转入专项维修资金",
    "transfer_out": "转至新账户",
    "other": "其他",
}
CORRECTION = "correction"  # who "published" a version that a later entry made
BANK = "bank_reconciliation"  # a version's bank status (content) and the cause that changed it
METHODS = {"transfer": "转账", "cash": "现金"}
AUTHORITIES = {"resolution": "业主大会决议", "decision": "业委会决定"}
TOTALS = {
    "opening_balance": "期初余额",
    "income": "收入合计",
    "deductions": "物业服务企业按合同留存",
    "expenditure": "支出合计",
    "reversals": "冲正",
    "closing_balance": "期末余额",
}
FIELDS = {
    "date": "日期",
    "category": "科目",
    "party": "对方",
    "amount": "金额",
    "method": "方式",
    "authorisation": "授权依据",
    "contract_ref": "合同",
    "description": "摘要",
}


@dataclass(frozen=True, slots=True)
class Reference:
    """An authorisation as owners read it: 业主大会决议 or 业委会决定, and its id."""

    label: str
    id: str

    @property
    def short(self) -> str:
        return self.id[:8]


money = grouped  # the pages' and templates' name for ledger.money.grouped

QUARTERS = ("第一季度", "第二季度", "第三季度", "第四季度")  # official style: 第三季度, not 第3季度


def period_label(name: str) -> str:
    period = Period.parse(name)
    if period.kind == "quarter":
        return f"{period.start.year}年{QUARTERS[(period.start.month - 1) // 3]}"
    if period.kind == "month":
        return f"{period.start.year}年{period.start.month}月"
    return f"{period.start.year}年度"


def day_label(iso: str) -> str:
    day = date.fromisoformat(iso)
    return f"{day.year}年{day.month}月{day.day}日"


def category(name: str) -> str:
    return CATEGORIES.get(name, name)


def reference(text: str | None) -> Reference | None:
    kind, _, ref = (text or "").partition(":")
    return Reference(AUTHORITIES.get(kind, kind), ref) if ref else None


ROLES = {"chair": "主任", "vice_chair": "副主任", "member": "委员"}


def publisher(published_by: str, members: dict[str, tuple[str, str]] | None = None) -> str:
    """``committee:<token>/m1`` names the member, never the token: by name and role where
    ``members`` (member id → name, role) knows them (a committee member's name is public),
    else by member id; ``correction`` the ledger."""
    if published_by == CORRECTION:
        return "更正分录入账后自动生成"
    member = published_by.rpartition("/")[2]
    if not member:
        return "业主委员会"
    name, role = (members or {}).get(member, (member, "member"))
    return f"业主委员会{ROLES.get(role, '委员')} {name}"


def member_id_of(published_by: str) -> str:
    return "" if published_by == CORRECTION else published_by.rpartition("/")[2]


ORDER = {name: n for n, name in enumerate(CATEGORIES)}


def by_amount(groups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Categories largest first (owners look for where the money went), ties in the fixed
    order of the list above, never by the English key."""
    return sorted(groups, key=lambda g: (-cents(g["total"]), ORDER.get(g["category"], 99)))


def cents(amount: str) -> int:
    sign = -1 if amount.startswith("-") else 1
    whole, _, part = amount.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((part or "0").ljust(2, "0")[:2]))


def short_hash(text: str, size: int = 12) -> str:
    """The first characters of a hash, to read and compare by eye; the page keeps the whole."""
    return text if len(text) <= size + 1 else f"{text[:size]}…"


def stream_label(stream_id: str, content: dict[str, Any]) -> str:
    """What a chain head belongs to, for the digest table."""
    if stream_id == content["complex_id"]:
        return "小区档案"
    if stream_id in accounts(content):
        return "共有资金账户"
    return "业委会或决议"


def accounts(content: dict[str, Any]) -> set[str]:
    return {line["account_id"] for line in all_lines(content)}


def all_lines(content: dict[str, Any]) -> list[dict[str, Any]]:
    lines = [
        line
        for section in ("income", "expenditure")
        for group in content[section]["categories"]
        for line in group["lines"]
    ]
    return lines + list(content["reversals"]["lines"])


def originals(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Lines by entry id: a reversal names the line it reverses."""
    return {line["entry_id"]: line for line in all_lines(content)}


def describe(line: dict[str, Any]) -> str:
    """One line in a sentence: ``2026年10月20日 场地租金 李* 300.50 元``."""
    return (
        f"{day_label(line['date'])} {category(line['category'])} {line['party']}"
        f" {money(line['amount'])} 元"
    )


def correction(version: Version) -> list[str]:
    """The 更正说明 of a version > 1, from its ``diff``: the entry that caused it, then what changed."""
    diff = version.diff
    if not diff:
        return []
    told = [_cause(diff.get("cause", {}), version.version)]
    told += [
        f"新增一行{'冲正' if line.get('reverses') else ''}：{describe(line)}"
        for line in diff.get("added", [])
    ]
    told += [f"删除一行：{describe(line)}" for line in diff.get("removed", [])]
    told += [_changed(change) for change in diff.get("changed", [])]
    told += [
        bank_change(t["before"], t["after"])
        if key == BANK
        else f"{TOTALS.get(key, key)}：{money(t['before'])} 元 → {money(t['after'])} 元"
        for key, t in diff.get("totals", {}).items()
    ]
    return told


def bank_sentence(status: dict[str, Any] | None) -> str:
    """The owners' one line on the bank (issue #14), from a version's ``bank_reconciliation``:
    ``已与银行对账至 2026-09-30，银行余额 1,234.56 元，差额 0.00 元``."""
    if not status:
        return "尚未收到银行对账单"
    money_told = (
        f"银行余额 {money(status['bank_balance'])} 元，差额 {money(status['difference'])} 元"
    )
    through = status.get("reconciled_through")
    if not through:
        return f"尚未与银行对平，{money_told}"
    return f"已与银行对账至 {through}，{money_told}"


def bank_change(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    return f"银行对账：{bank_sentence(before)} → {bank_sentence(after)}"


def _cause(cause: dict[str, Any], number: int) -> str:
    when = day_label(cause["value_date"]) if cause.get("value_date") else "其后"
    amount = f"{money(cause['amount'])} 元" if cause.get("amount") else ""
    ref = str(cause.get("entry_id", ""))[:8]
    if cause.get("section") == BANK:
        recorded = day_label(cause["recorded_on"]) if cause.get("recorded_on") else "其后"
        return f"第{number}版因银行对账状态于{recorded}更新而更正，与上一版相比："
    if cause.get("section") == "reversal":
        reason = mask_units(str(cause.get("reason", ""))) or "未说明"
        what = f"一笔冲正（{amount}，原因：{reason}，冲正分录 {ref}，冲销分录 {cause.get('reverses', '')[:8]}）"
    elif cause.get("section") == "income":
        what = f"一笔补记的收入（{cause.get('party', '')}，{amount}，分录 {ref}）"
    else:
        what = f"一笔补记的支出（{cause.get('party', '')}，{amount}，分录 {ref}）"
    return f"第{number}版因记账日期为{when}的{what}而更正，与上一版相比："


def _changed(change: dict[str, Any]) -> str:
    before, after = change["before"], change["after"]
    if after.get("reversed_by") and not before.get("reversed_by"):
        return f"已被冲正：{describe(before)}（冲正分录 {after['reversed_by'][:8]}）"
    fields = [
        f"{label} {before.get(key) or '—'} → {after.get(key) or '—'}"
        for key, label in FIELDS.items()
        if before.get(key) != after.get(key)
    ]
    return f"有变动：{describe(before)}（{'；'.join(fields) or '细节有变'}）"


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart and the table of its numbers, which the page sets beside it."""

    id: str
    title: str
    head: str  # the table's first column
    rows: list[Bar]

    @property
    def svg(self) -> Markup:
        return bars(self.id, self.title, self.rows, kind=self.id.partition("-")[0])


def category_bars(groups: list[dict[str, Any]]) -> list[Bar]:
    return [
        Bar(category(g["category"]), cents(g["total"]), money(g["total"]))
        for g in by_amount(groups)
    ]


def charts(content: dict[str, Any], balances: list[tuple[str, str]]) -> list[Chart]:
    """Income and spending by category, and the closing balance of each published period up
    to this one (``balances``: period, closing balance, oldest first)."""
    label = period_label(content["period"])
    return [
        Chart("income-by-category", f"{label}收入构成", "科目",
              category_bars(content["income"]["categories"])),
        Chart("spending-by-category", f"{label}支出构成", "科目",
              category_bars(content["expenditure"]["categories"])),
        Chart("balance-by-period", "各公示期期末余额", "公示期间",
              [Bar(period_label(p), cents(b), money(b)) for p, b in balances]),
    ]  # fmt: skip
