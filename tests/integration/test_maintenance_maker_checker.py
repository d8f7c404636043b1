"""H06 on the maintenance fund (issue #12 item 14): a payout is proposed by one member and booked
only when a second distinct signatory of the committee in office approves it; a member who is the
contractor never approves; H03, H07 and H09 are checked again at booking."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest

from commonfund.settings import Settings
from ledger.application import Actor, Ledger
from ledger.errors import (
    InvalidState,
    MakerCheckerViolation,
    MemberNotInOffice,
    PayoutLimitExceeded,
    SubLedgerShortfall,
)
from ledger.integrity import verify
from ledger.maintenance import Contractor, MaintenanceFund, RepairProject
from ledger.maintenance.receipts import fund_id
from tests.plugins.builders import OPERATOR, member_actor
from tests.plugins.clock import TODAY, MovableClock
from tests.plugins.maintenance import (
    AUTHORITY,
    CONTRACTOR,
    Funded,
    approve,
    funded,
    pay,
    propose,
    voted_project,
)

M2, M3, M4 = member_actor("m2"), member_actor("m3"), member_actor("m4")


def events_of(ledger: Ledger, stream: UUID) -> list[str]:
    return [type(e).__name__ for e in ledger.events.get(stream)]


# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


def test_a_payout_is_booked_only_when_a_second_signatory_approves(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    proposed = propose(f, roof, 400_00, key_="p1")  # m1, a signatory: the first approval
    assert (proposed.status, proposed.fund_balance) == ("proposed", 12 * 1_000_00)
    project = ledger.maintenance.project(roof)
    assert project.disbursed == 0
    assert project.payouts[proposed.id]["approvals"] == ["m1"]
    assert ledger.maintenance.fund(f.complex_id).unit_balance("1-001") == 1_000_00
    booked = approve(f, roof, proposed.id, by=M2)
    assert (booked.status, booked.parts, booked.fund_balance) == ("booked", 4, 11_600_00)
    assert ledger.maintenance.project(roof).disbursed == 400_00
    assert ledger.maintenance.fund(f.complex_id).unit_balance("1-001") == 900_00
    assert events_of(ledger, roof)[-4:] == [
        "DisbursementProposed", "DisbursementApproved", "DisbursementApproved", "Disbursed",
    ]  # fmt: skip
    again = approve(f, roof, proposed.id, by=M2)  # the same approval again: nothing new
    assert (again.replayed, again.status) == (True, "booked")
    assert ledger.maintenance.fund(f.complex_id).balance == 11_600_00


def test_the_proposer_of_a_payout_cannot_also_be_its_checker(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    proposed = propose(f, roof, 400_00, key_="p1")
    again = approve(f, roof, proposed.id, by=member_actor("m1"))
    assert (again.status, again.replayed) == ("proposed", True)
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00


def test_a_member_who_is_not_a_signatory_proposes_but_never_approves(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    proposed = propose(f, roof, 400_00, key_="p1", by=M4)  # m4: a member, not a signatory
    assert ledger.maintenance.project(roof).payouts[proposed.id]["approvals"] == []
    with pytest.raises(MakerCheckerViolation, match="not a signatory") as refused:
        approve(f, roof, proposed.id, by=M4)
    assert refused.value.rule == "H06"
    assert approve(f, roof, proposed.id, by=M2).status == "proposed"  # one signatory so far
    assert approve(f, roof, proposed.id, by=M3).status == "booked"
    with pytest.raises(MemberNotInOffice, match="not a member"):  # H15, before anything
        propose(f, roof, 100_00, key_="p2", by=member_actor("m9"))


def test_a_member_who_is_the_contractor_never_proposes_or_approves_its_payout(
    ledger: Ledger,
) -> None:
    f = funded(ledger)
    m2 = f.world.members[1]
    owned = Contractor(**CONTRACTOR, identity_key=m2["identity_key"])  # m2 runs the contractor
    roof = voted_project(f, f.world.unit_ids[:4], contractor=owned)
    with pytest.raises(MakerCheckerViolation, match="payee") as refused:
        propose(f, roof, 400_00, key_="by-m2", by=M2)
    assert refused.value.rule == "H06"
    proposed = propose(f, roof, 400_00, key_="p1")
    with pytest.raises(MakerCheckerViolation, match="payee"):
        approve(f, roof, proposed.id, by=M2)
    assert approve(f, roof, proposed.id, by=M3).status == "booked"
    refusals = [
        e for e in ledger.events.get(roof) if isinstance(e, RepairProject.DisbursementRefused)
    ]
    assert refusals == []  # an approver refused under H06 leaves no refusal (as on the account)


def test_a_payout_needs_the_committee_in_office(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    proposed = propose(f, roof, 400_00, key_="p1")
    ledger.dissolve_committee(
        f.world.committee_id, reason="业主大会决定解散", on=TODAY, actor=OPERATOR
    )
    with pytest.raises(MemberNotInOffice, match="dissolved"):  # H15: no member in office
        approve(f, roof, proposed.id, by=M2)
    with pytest.raises(MemberNotInOffice, match="dissolved"):
        propose(f, roof, 100_00, key_="p2")
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00


def test_h09_is_checked_again_at_booking(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:8], budget=6_000_00)  # 70%: 4,200.00
    first = propose(f, roof, 3_000_00, key_="p1")
    second = propose(f, roof, 1_200_01, key_="p2")  # each alone within 70%
    approve(f, roof, first.id, by=M2)
    with pytest.raises(PayoutLimitExceeded, match=r"70\.00%"):
        approve(f, roof, second.id, by=M2)  # together one fen over
    project = ledger.maintenance.project(roof)
    assert (project.disbursed, project.payouts[second.id]["status"]) == (3_000_00, "proposed")
    kept = [e for e in ledger.events.get(roof) if isinstance(e, RepairProject.DisbursementRefused)]
    assert [(e.rule, e.disbursement_id, e.disbursed_before) for e in kept] == [
        ("H09", second.id, 3_000_00)
    ]


def test_h03_is_checked_again_at_booking_and_a_top_up_lets_it_book(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:2], budget=3_000_00)
    ledger.maintenance.accept_project(roof, on=TODAY, reference="验收", actor=member_actor("m1"))
    first = propose(f, roof, 1_200_00, key_="p1")  # 600.00 each: the units hold 1,000.00
    second = propose(f, roof, 800_02, key_="p2")  # 400.01 each: fine while nothing is paid
    approve(f, roof, first.id, by=M2)
    with pytest.raises(SubLedgerShortfall) as refused:
        approve(f, roof, second.id, by=M2)  # 400.00 left each: one fen short
    assert [(s["unit_id"], s["shortfall"]) for s in refused.value.shortfalls] == [
        ("1-001", "0.01"), ("1-002", "0.01"),
    ]  # fmt: skip
    assert ledger.maintenance.project(roof).payouts[second.id]["status"] == "proposed"
    kept = [e for e in ledger.events.get(roof) if isinstance(e, RepairProject.DisbursementRefused)]
    assert [(e.rule, e.disbursement_id) for e in kept] == [("H03", second.id)]
    ledger.maintenance.record_deposits(
        f.complex_id, {"1-001": 1, "1-002": 1}, kind="additional", on=TODAY, reference="续筹",
        idempotency_key="top-up", actor=AUTHORITY,
    )  # fmt: skip
    assert approve(f, roof, second.id, by=M2).status == "booked"
    fund = ledger.maintenance.fund(f.complex_id)
    assert (fund.unit_balance("1-001"), fund.unit_balance("1-002")) == (0, 0)


def test_a_payout_is_withdrawn_by_its_proposer_or_rejected_by_a_member(ledger: Ledger) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    first = propose(f, roof, 100_00, key_="p1")
    with pytest.raises(InvalidState, match="proposed"):
        ledger.maintenance.withdraw_disbursement(roof, first.id, actor=M2)
    ledger.maintenance.withdraw_disbursement(roof, first.id, actor=member_actor("m1"))
    second = propose(f, roof, 100_00, key_="p2")
    ledger.maintenance.reject_disbursement(roof, second.id, reason="报价过高", actor=M3)
    project = ledger.maintenance.project(roof)
    assert [project.payouts[p.id]["status"] for p in (first, second)] == ["withdrawn", "rejected"]
    with pytest.raises(InvalidState, match="rejected"):
        approve(f, roof, second.id, by=M2)
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00


def legacy_disbursement(f: Funded, project_id: UUID, amount: int, disbursement_id: str) -> None:
    """A one-step payout as issue #6 stored it: ``Disbursed`` on the project and the fund, with
    no proposal and no approvals before it (the command that wrote it is gone)."""
    ledger = f.ledger

    def body(load: Any) -> None:
        project: RepairProject = load(project_id, RepairProject)
        fund: MaintenanceFund = load(fund_id(f.complex_id), MaintenanceFund)
        parts = fund.apportion(amount, project.affected)
        fund.disburse(project_id, disbursement_id, parts, on=TODAY, principal="committee:t/m1")
        project.disburse(
            disbursement_id, amount, payee=CONTRACTOR["name"], reference="发票", fingerprint="old",
            on=TODAY, principal="committee:t/m1",
        )  # fmt: skip
        ledger.save(project, fund)

    ledger.work.run(body, actor=Actor("system", "old-code"))


@pytest.mark.stores("sqlite", "postgres")  # an event stored by older code
def test_a_stored_single_step_disbursement_still_replays(
    settings: Settings, ledger: Ledger, clock: MovableClock
) -> None:
    f = funded(ledger)
    roof = voted_project(f, f.world.unit_ids[:4])
    legacy_disbursement(f, roof, 400_00, "old-1")
    assert events_of(ledger, roof)[-1] == "Disbursed"  # nothing proposed or approved before it
    pay(f, roof, 200_00, key_="p1")
    cold = Ledger(env=settings.eventsourcing_env(), policy=ledger.policy, clock=clock)
    try:
        project = cold.maintenance.project(roof)
        assert project.disbursed == 600_00
        assert project.disbursements["old-1"][0] == 400_00
        assert [p["status"] for p in project.payouts.values()] == ["booked"]
        assert cold.maintenance.fund(f.complex_id).balance == 12 * 1_000_00 - 600_00
        assert verify(cold).ok
    finally:
        cold.close()
