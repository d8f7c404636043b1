"""The rule catalog: id, version, severity, kind and per-city parameters (spec/alerts.md).

Defaults are the spec's; a deployment overrides parameters per rule
(``Catalog.with_params``). A rule's version goes up whenever what makes it
fire changes, so an alert always says which rule text raised it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

Severity = Literal["info", "warning", "high", "critical"]
SEVERITY_ORDER = {"critical": 0, "high": 1, "warning": 2, "info": 3}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    version: int
    kind: Literal["event", "clock"]
    severity: Severity
    title_zh: str
    title_en: str
    params: dict[str, int] = field(default_factory=dict)


RULES = {
    r.id: r
    for r in (
        Rule(
            "A02",
            1,
            "event",
            "high",
            "疑似拆分支付",
            "split payments",
            {"count": 3, "working_days": 10, "share_bp": 9000},
        ),
        Rule(
            "A03",
            1,
            "event",
            "warning",
            "同一收款方频繁付款",
            "frequent payments to one payee",
            {"per_day": 3, "consecutive_days": 3},
        ),
        Rule(
            "A04",
            1,
            "event",
            "warning",
            "整数金额付款且无合同",
            "round-number payment, no contract",
            {"multiple": 1_000_00, "minimum": 5_000_00},
        ),
        Rule("A05", 1, "event", "critical", "向业委会成员付款", "payment to a committee member"),
        Rule(
            "A06",
            1,
            "event",
            "high",
            "现金支付接近限额",
            "cash near the limit",
            {"near_bp": 9000, "daily_limit": 50_000_00},
        ),
        Rule(
            "A16",
            1,
            "event",
            "warning",
            "首次向新收款方大额付款且无合同",
            "first large payment to a new payee, no contract",
            {"minimum": 5_000_00},
        ),
        Rule(
            "A23",
            1,
            "event",
            "high",
            "物业公司扣留比例超过合同约定",
            "collector's deduction above its contracted rate",
            {"tolerance_bp": 0},
        ),
        Rule("A24", 1, "event", "warning", "付款被规则拒绝", "a payment refused by a rule"),
    )
}


@dataclass(frozen=True, slots=True)
class Catalog:
    """The rules in force, with this city's parameters and limits."""

    rules: dict[str, Rule]
    single_payment_limit: int = 5_000_00
    cash_single_payment_limit: int = 1_000_00

    def __getitem__(self, rule_id: str) -> Rule:
        return self.rules[rule_id]

    def with_params(self, rule_id: str, **params: int) -> Catalog:
        rule = self.rules[rule_id]
        unknown = set(params) - set(rule.params)
        if unknown:
            raise ValueError(f"{rule_id} has no parameter {', '.join(sorted(unknown))}")
        changed = replace(rule, params={**rule.params, **params})
        return replace(self, rules={**self.rules, rule_id: changed})


DEFAULT_CATALOG = Catalog(RULES)
