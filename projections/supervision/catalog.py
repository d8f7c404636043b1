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
    kind: Literal["event", "clock", "event/clock"]
    severity: Severity
    title_zh: str
    title_en: str
    params: dict[str, int] = field(default_factory=dict)


RULES = {
    r.id: r
    for r in (
        Rule(
            "A01", 1, "event", "critical", "超出权限且无有效决议的支出", "spending beyond authority"
        ),
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
            "A07",
            1,
            "clock",
            "warning",
            "任期将满未换届",
            "term ending with no re-election",
            {"days": 90},
        ),
        Rule(
            "A08",
            1,
            "clock",
            "warning",
            "收支未按期公示",
            "statement not published on time",
            {"quarter_days": 15, "annual_month": 3, "annual_day": 31},
        ),
        Rule(
            "A09",
            1,
            "clock",
            "warning",
            "维修资金年度公示逾期",
            "maintenance-fund annual disclosure overdue",
            {"months": 12},
        ),
        Rule(
            "A10",
            1,
            "clock",
            "warning",
            "合同约定的经常性收入逾期未到账",
            "contracted recurring income overdue",
            {"days": 30, "min_receipts": 2},
        ),
        Rule(
            "A11",
            1,
            "clock",
            "info",
            "季度收入明显下降",
            "quarterly income dropped",
            {"share_bp": 5000, "trailing_quarters": 4, "grace_days": 15},
        ),
        Rule(
            "A12",
            1,
            "event",
            "high",
            "余额短期内大幅下降",
            "balance fell sharply",
            {"fall_bp": 3000, "days": 30},
        ),
        Rule(
            "A13",
            1,
            "clock",
            "info",
            "账户长期无活动",
            "account inactive",
            {"quiet_days": 180, "closure_days": 330},
        ),
        Rule(
            "A14",
            2,  # v2: dormant after 180 whole quiet days, strictly between two activities
            "event",
            "high",
            "休眠账户唤醒后大额支出",
            "dormant account pays out on waking",
            {"dormant_days": 180, "share_bp": 2000, "working_days": 10},
        ),
        Rule(
            "A15",
            1,
            "event",
            "high",
            "多笔小额收入后集中转出",
            "small inflows, then one outflow",
            {"inflows": 5, "small_max": 2_000_00, "working_days": 10, "share_bp": 8000},
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
            "A17",
            2,  # 2: also a refused emergency plan (no street-office confirmation)
            "event/clock",
            "high",
            "应急维修资金使用异常",
            "emergency use of the maintenance fund",
            {"days": 7},
        ),
        Rule(
            "A18",
            1,
            "event",
            "critical",
            "竣工验收前维修资金支付超过合同比例",
            "maintenance payout above its share of the contract before acceptance",
            {"ratio_bp": 7000},
        ),
        Rule(
            "A19",
            2,  # 2: also a unit arriving below the line with the authority's initial transfer
            "event",
            "info",
            "分户账余额低于首次交存额的30%",
            "unit sub-ledger below 30% of its first deposit",
            {"share_bp": 3000},
        ),
        Rule(
            "A22",
            1,
            "event",
            "high",
            "维修资金利息未足额分配到分户账",
            "maintenance-fund interest not fully allocated",
            {"min_fen": 1},
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
        Rule(
            "A20",
            2,  # v2: the budget of category committee_operations, not keywords in a purpose
            "event",
            "warning",
            "业委会工作经费超出业主大会批准额度",
            "committee operations above the approved yearly budget",
        ),
        Rule(
            "A21",
            1,
            "clock",
            "high",
            "任期届满未办理交接",
            "handover not recorded",
            {"days": 10},
        ),
        Rule("A24", 1, "event", "warning", "付款被规则拒绝", "a payment refused by a rule"),
        Rule(
            "A26",
            1,
            "event",
            "warning",  # to the committee; each short unit's owner gets an info notice
            "分户账余额不足以分摊维修费用",
            "unit sub-ledgers short of their share of a repair",
            {"min_fen": 1},
        ),
        Rule(
            "A25",
            1,
            "event",
            "high",
            "业委会人数不足时作出决定",
            "decision by a depleted committee",
            {"min_members": 5},
        ),
        # the bank feed (issue #14): what the bank saw against what the committee recorded
        Rule(
            "B01",
            1,
            "clock",
            "critical",
            "银行支出未在账簿中记录",
            "a bank debit not recorded in the ledger",
            {"working_days": 1},
        ),
        Rule(
            "B02",
            1,
            "clock",
            "warning",
            "银行收入未在账簿中记录",
            "a bank credit not recorded in the ledger",
            {"working_days": 3},
        ),
        Rule(
            "B03",
            1,
            "clock",
            "high",
            "账簿记录未见于银行流水",
            "a ledger entry the bank never shows",
            {"working_days": 3},
        ),
        Rule(
            "B04",
            1,
            "clock",
            "high",
            "对账单期末余额与账簿余额不符",
            "bank and ledger balances differ at a statement's end",
            {"working_days": 3},  # judged once the statement's end is this far behind
        ),
        Rule(
            "B05",
            1,
            "clock",
            "warning",
            "银行对账单长期未报送",
            "no bank statement received",
            {"days": 7},
        ),
        Rule(
            "B06",
            1,
            "event",
            "critical",
            "账户开立前或销户后发生银行交易",
            "bank activity before the account was opened or after it was closed",
        ),
        Rule(
            "B07",
            1,
            "event",
            "high",
            "银行对账单不连续",
            "a break in the bank statements' continuity",
        ),
        # the owners' vote (issue #16): judged from the facts a closing ballot records
        Rule(
            "V01",
            1,
            "event",
            "high",
            "同一设备为多户投票",
            "many units voted from one device",
            {"units": 5},  # more than this many units from one device
        ),
        Rule(
            "V02",
            1,
            "event",
            "warning",
            "投票截止前集中投票",
            "a late burst of votes",
            {"share_bp": 3000, "window_bp": 100},  # > 30 % of the votes in the last 1 % of time
        ),
        Rule(
            "V03",
            1,
            "event",
            "warning",
            "纸质表决票占比过高",
            "paper ballots above their usual share",
            {"share_bp": 4000},
        ),
        Rule(
            "V04",
            1,
            "event",
            "high",
            "表决期间业主变更的房屋参与投票",
            "votes for units whose owner changed during the ballot",
        ),
        Rule(
            "V05",
            1,
            "event",
            "high",
            "表决结果仅因推定票而改变",
            "a result that flips on the deemed votes alone",
        ),
        Rule(
            "V06",
            1,
            "event",
            "high",
            "支出所依据的业主大会决定正被诉请撤销",
            "spending citing a resolution under challenge",
        ),
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
        rule = self.rules.get(rule_id)
        if rule is None:
            raise ValueError(f"no rule {rule_id}; the rules are {', '.join(sorted(self.rules))}")
        bad = sorted(k for k, v in params.items() if type(v) is not int or v < 0)
        if bad:
            raise ValueError(f"{rule_id}: {', '.join(bad)} must be whole numbers, 0 or more")
        unknown = set(params) - set(rule.params)
        if unknown:
            raise ValueError(f"{rule_id} has no parameter {', '.join(sorted(unknown))}")
        changed = replace(rule, params={**rule.params, **params})
        return replace(self, rules={**self.rules, rule_id: changed})

    def with_overrides(self, overrides: dict[str, dict[str, int]]) -> Catalog:
        """This catalog with a city's parameters (``{"A02": {"count": 4}}``); unknown names refused."""
        catalog = self
        for rule_id, params in sorted(overrides.items()):
            catalog = catalog.with_params(rule_id, **params)
        return catalog


DEFAULT_CATALOG = Catalog(RULES)
