"""Event rules (spec/alerts.md): each looks at one new fact and what the read model already holds.

A rule returns its findings; raising them (stable id, snoozes, once only) is
``alerts.raise_alert``'s job. What a rule looks back on is given to it from the
view's memory of its tables (``memory.py``), not read by a query per event.
Amounts are fen; ``yuan`` formats them for the explanations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ledger.account import CommonFundAccount as Account
from ledger.personal import party_of
from projections.statements.content import yuan
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog
from projections.supervision.memory import Member, Paid


@dataclass(frozen=True, slots=True)
class Payment:
    """A booked expenditure, as the rules see it."""

    account_id: str
    complex_id: str
    committee_id: str
    entry_id: str
    value_date: str
    payee_key: str  # ledger.personal.party_key: who is paid, whatever the spelling
    payee_name: str  # its public form (a person masked, 王*): alerts hold no personal data
    payee_person: str  # "" for an organisation
    payee_identity: str
    payee_name_key: str  # keyed hash of a person's name (A05)
    amount: int
    method: str
    contract_ref: str
    position: int

    def evidence(self, **more: Any) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "entries": [self.entry_id],
            "amount": yuan(self.amount),
            "payee": self.payee_name,
            "value_date": self.value_date,
            **more,
        }


def _finding(  # noqa: PLR0917 - every rule calls it the same short way
    c: Catalog, rule: str, p: Payment, trigger: str, zh: str, en: str, **ev: Any
) -> Finding:
    return Finding(
        c[rule], "account", p.account_id, p.complex_id, trigger, p.value_date,
        p.evidence(**ev), zh, en,
    )  # fmt: skip


def round_number(c: Catalog, p: Payment) -> list[Finding]:
    """A04: a multiple of 1,000.00, at least 5,000.00, with no contract reference."""
    params = c["A04"].params
    if p.contract_ref or p.amount < params["minimum"] or p.amount % params["multiple"]:
        return []
    return [
        _finding(
            c, "A04", p, p.entry_id,
            f"向{p.payee_name}支付整数金额{yuan(p.amount)}元，未登记合同编号。",
            f"A round {yuan(p.amount)} paid to {p.payee_name} with no contract reference.",
        )
    ]  # fmt: skip


def member_payee(c: Catalog, p: Payment, members: Mapping[str, Member]) -> list[Finding]:
    """A05: the payee is a member of the committee (same identity key, or a person of the same
    name: compared by keyed hashes, so an erased name still matches, ledger/personal.py).
    ``members``: the committee's, member id -> (public name, identity key, name key)."""
    if not p.payee_person:
        return []
    identity, name_key = p.payee_identity or "-", p.payee_name_key or "-"
    rows = sorted(
        (member_id, name)
        for member_id, (name, member_identity, member_name_key) in members.items()
        if member_identity == identity or member_name_key == name_key
    )
    if not rows:
        return []
    member_id, name = rows[0]
    return [
        _finding(
            c, "A05", p, p.entry_id,
            f"收款人{name}是业委会成员（{member_id}），金额{yuan(p.amount)}元。",
            f"The payee {name} is committee member {member_id}; {yuan(p.amount)} paid.",
            member_id=member_id, committee_id=p.committee_id,
        )
    ]  # fmt: skip


def cash(c: Catalog, p: Payment, payments: Iterable[Paid]) -> list[Finding]:
    """A06: a cash payment near the cash limit, or a day's cash outflow at the daily limit."""
    if p.method != "cash":
        return []
    params, found = c["A06"].params, []
    near = c.cash_single_payment_limit * params["near_bp"] // 10_000
    if p.amount >= near:
        found.append(
            _finding(
                c, "A06", p, p.entry_id,
                f"现金支付{yuan(p.amount)}元，接近单笔现金限额{yuan(c.cash_single_payment_limit)}元。",
                f"Cash payment of {yuan(p.amount)}, near the"
                f" {yuan(c.cash_single_payment_limit)} cash limit.",
            )
        )  # fmt: skip
    same_day = [x.amount for x in payments if x.value_date == p.value_date and x.method == "cash"]
    before, count = sum(same_day), len(same_day)
    limit = params["daily_limit"]
    if before < limit <= before + p.amount:
        found.append(
            _finding(
                c, "A06", p, f"day/{p.value_date}",
                f"{p.value_date}现金支出合计{yuan(before + p.amount)}元，达到单日限额{yuan(limit)}元。",
                f"Cash paid out on {p.value_date}: {yuan(before + p.amount)},"
                f" at the daily limit of {yuan(limit)}.",
                day_total=yuan(before + p.amount), payments_that_day=count + 1,
            )
        )  # fmt: skip
    return found


def new_payee(c: Catalog, p: Payment, payments: Iterable[Paid]) -> list[Finding]:
    """A16: the first payment to a payee, above 5,000.00, with no contract reference."""
    if p.contract_ref or p.amount <= c["A16"].params["minimum"]:
        return []
    if any(x.payee_key == p.payee_key for x in payments):
        return []
    return [
        _finding(
            c, "A16", p, p.entry_id,
            f"首次向{p.payee_name}付款{yuan(p.amount)}元，未登记合同编号。",
            f"First payment to {p.payee_name}: {yuan(p.amount)} with no contract reference.",
        )
    ]  # fmt: skip


def frequent(c: Catalog, p: Payment, payments: Iterable[Paid]) -> list[Finding]:
    """A03: ≥ 3 payments to one payee in a day, or payments on ≥ 3 consecutive days."""
    params = c["A03"].params
    day = date.fromisoformat(p.value_date)
    since, until = (day - timedelta(days=60)).isoformat(), (day + timedelta(days=60)).isoformat()
    per_day: dict[str, int] = {}
    for x in payments:
        if x.payee_key == p.payee_key and since <= x.value_date <= until:
            per_day[x.value_date] = per_day.get(x.value_date, 0) + 1
    found = []
    if per_day.get(p.value_date, 0) + 1 == params["per_day"]:
        found.append(
            _finding(
                c, "A03", p, f"{p.payee_key}/day/{p.value_date}",
                f"{p.value_date}向{p.payee_name}付款{params['per_day']}笔。",
                f"{params['per_day']} payments to {p.payee_name} on {p.value_date}.",
            )
        )  # fmt: skip
    days = set(per_day) | {p.value_date}
    run_start = _run_start(days, p.value_date)
    run = _run_length(days, run_start)
    if p.value_date not in per_day and run >= params["consecutive_days"]:
        found.append(
            _finding(
                c, "A03", p, f"{p.payee_key}/run/{run_start}",
                f"自{run_start}起连续{run}天向{p.payee_name}付款。",
                f"Payments to {p.payee_name} on {run} consecutive days from {run_start}.",
                run_start=run_start, run_days=run,
            )
        )  # fmt: skip
    return found


def _run_start(days: set[str], day: str) -> str:
    current = date.fromisoformat(day)
    while (current - timedelta(days=1)).isoformat() in days:
        current -= timedelta(days=1)
    return current.isoformat()


def _run_length(days: set[str], start: str) -> int:
    current, length = date.fromisoformat(start), 0
    while current.isoformat() in days:
        length += 1
        current += timedelta(days=1)
    return length


def deduction(
    c: Catalog, e: Account.IncomeRecorded, account_id: str, complex_id: str
) -> list[Finding]:
    """A23: a collector kept more than its contracted rate of what it collected."""
    if e.gross is None or e.deduction is None or e.contracted_rate_bp is None:
        return []
    allowed_bp = e.contracted_rate_bp + c["A23"].params["tolerance_bp"]
    if e.deduction * 10_000 <= e.gross * allowed_bp:
        return []
    rate = f"{e.deduction * 100 / e.gross:.2f}%" if e.gross else "—"
    contracted = f"{e.contracted_rate_bp / 100:.2f}%"
    evidence = {
        "account_id": account_id, "entries": [e.entry_id], "collector": e.collector,
        "gross": yuan(e.gross), "deduction": yuan(e.deduction), "rate": rate,
        "contracted_rate": contracted, "value_date": e.value_date,
    }  # fmt: skip
    return [
        Finding(
            c["A23"], "account", account_id, complex_id, e.entry_id, e.value_date, evidence,
            f"{e.collector}代收{yuan(e.gross)}元，扣留{yuan(e.deduction)}元（{rate}），"
            f"超过合同约定的{contracted}。",
            f"{e.collector} collected {yuan(e.gross)} and kept {yuan(e.deduction)} ({rate}),"
            f" above its contracted {contracted}.",
        )
    ]  # fmt: skip


def refused(
    c: Catalog, e: Account.PaymentRefused, account_id: str, complex_id: str
) -> list[Finding]:
    """A24: a payment refused under H02, H05 or H07 (a blocked attempt is itself a signal)."""
    evidence = {
        "account_id": account_id, "expenditure_id": e.expenditure_id, "rule": e.rule,
        "detail": e.detail, "member_id": e.member_id, "amount": yuan(e.amount),
        "payee": party_of(e.payee)["public_name"], "method": e.method,
        "event": f"{e.originator_id}/{e.originator_version}",
    }  # fmt: skip
    return [
        Finding(
            c["A24"], "account", account_id, complex_id,
            f"{e.originator_id}/{e.originator_version}", e.value_date, evidence,
            f"一笔{yuan(e.amount)}元的付款被规则{e.rule}拒绝：{e.detail}",
            f"A payment of {yuan(e.amount)} was refused under {e.rule}: {e.detail}",
        )
    ]  # fmt: skip
