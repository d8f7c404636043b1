"""Event rules on authority (spec/alerts.md): A01 beyond authority, A20 budget, A25 depleted committee."""

from __future__ import annotations

from collections.abc import Iterable

from ledger.account import CommonFundAccount as Account
from ledger.committees.committee import Committee
from projections.statements.content import yuan
from projections.supervision import memory
from projections.supervision.alerts import Finding
from projections.supervision.catalog import Catalog
from projections.supervision.event_rules import Payment
from projections.supervision.memory import Budget, Entry

OPERATIONS = memory.OPERATIONS  # the expenditure category of the committee's own costs


def _descending(text: str) -> tuple[int, ...]:
    """A key that sorts texts in reverse (code point) order: ``ORDER BY text DESC``."""
    return (*(-ord(ch) for ch in text), 1)


def beyond_authority(
    c: Catalog, e: Account.PaymentRefused, account_id: str, complex_id: str
) -> list[Finding]:
    """A01: a payment refused under H05 because it needed the owners' resolution it did not have.

    The ledger refuses it (H05), so the attempt is the signal. A refusal about a committee
    decision (a payment within the committee's own authority) is A24's alone.
    """
    detail = str(e.detail)
    if e.rule != "H05" or not (
        detail.startswith("resolution ") or "above the committee's authority" in detail
    ):
        return []
    cited = detail.startswith("resolution ")
    reason_zh = (
        "所引用的业主大会决议不覆盖该支出" if cited else "超出业委会权限且未引用业主大会决议"
    )
    reason_en = (
        "the owners' resolution it cites does not cover it"
        if cited
        else "it is above the committee's authority and cites no owners' resolution"
    )
    evidence = {
        "account_id": account_id, "expenditure_id": e.expenditure_id, "rule": e.rule,
        "detail": detail, "member_id": e.member_id, "amount": yuan(e.amount),
        "payee": e.payee.get("name", ""), "reading": "resolution_not_covering" if cited
        else "above_authority", "event": f"{e.originator_id}/{e.originator_version}",
    }  # fmt: skip
    return [
        Finding(
            c["A01"], "account", account_id, complex_id,
            f"{e.originator_id}/{e.originator_version}", e.value_date, evidence,
            f"一笔{yuan(e.amount)}元的支出被拒绝：{reason_zh}。",
            f"A payment of {yuan(e.amount)} was refused: {reason_en}.",
        )
    ]  # fmt: skip


def over_budget(
    c: Catalog, p: Payment, budgets: Iterable[Budget], operations: Iterable[Entry]
) -> list[Finding]:
    """A20: committee operations paid in a calendar year above the yearly amount the assembly
    approved: a passed resolution's budget of category committee_operations whose period
    overlaps the year (its cap is the amount for each such year; the latest closed counts).
    With no such budget there is nothing to exceed. (``sup_resolutions.amount_cap`` holds
    only such budgets' caps: facts.resolved.)
    """
    year = p.value_date[:4]
    start, end = f"{year}-01-01", f"{year}-12-31"
    overlapping = [b for b in budgets if b.period_from <= end and b.period_to >= start]
    if not overlapping:
        return []
    # the latest closed counts (ORDER BY closed_on DESC, resolution_id)
    latest = min(overlapping, key=lambda b: (_descending(b.closed_on), b.resolution_id))
    resolution_id, cap = latest.resolution_id, latest.cap
    paid = sum(
        -e.amount for e in operations
        if e.reversed_by == "" and start <= e.value_date <= end
    )  # fmt: skip
    spent = paid + p.amount
    if spent <= cap:
        return []
    return [
        Finding(
            c["A20"], "committee", p.committee_id, p.complex_id, year, p.value_date,
            p.evidence(year=year, budget=yuan(cap), resolution_id=resolution_id,
                       spent=yuan(spent), committee_id=p.committee_id),
            f"{year}年业委会工作经费已支出{yuan(spent)}元，超过业主大会批准的{yuan(cap)}元。",
            f"Committee operations paid in {year}: {yuan(spent)}, above the {yuan(cap)}"
            " the owners' assembly approved.",
        )
    ]  # fmt: skip


def depleted(
    c: Catalog, e: Committee.DecisionRecorded, committee: tuple[str, int] | None
) -> list[Finding]:
    """A25: a decision recorded while fewer than half the seats are filled or fewer than 5 sit.

    ``committee``: its complex and seats (``sup_committees``), None if it was never elected.
    """
    committee_id = str(e.originator_id)
    if committee is None:
        return []
    complex_id, seats = committee
    sitting = int(e.decision["members_in_office"])
    minimum = c["A25"].params["min_members"]
    if 2 * sitting >= seats and sitting >= minimum:
        return []
    evidence = {
        "committee_id": committee_id, "decision_id": e.decision_id, "seats": seats,
        "members_in_office": sitting, "approvers": list(e.decision["approvers"]),
        "purpose": e.decision["purpose"], "event": f"{committee_id}/{e.originator_version}",
    }  # fmt: skip
    return [
        Finding(
            c["A25"], "committee", committee_id, complex_id, e.decision_id, e.value_date,
            evidence,
            f"业委会在仅有{sitting}名委员（{seats}个席位）时作出决定：{e.decision['purpose']}。",
            f"A decision ({e.decision['purpose']}) was recorded with {sitting} members in"
            f" office for {seats} seats.",
        )
    ]  # fmt: skip
