"""A resolution challenged in court (issue #16, SPC interpretation on building ownership art. 12):
the filing, its end, the refusals; and a revoked resolution cited by a payment (H05, H08)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.committees.resolution import Resolution
from ledger.errors import (
    AuthorisationMissing,
    InvalidCommand,
    InvalidState,
    MaintenanceUseRefused,
)
from ledger.maintenance import MaintenanceFund, RepairProject
from ledger.maintenance.receipts import fund_id
from tests.integration.alert_rules import resolution
from tests.plugins.builders import REGULATOR, World, member_actor
from tests.plugins.clock import TODAY, MovableClock
from tests.plugins.maintenance import Funded, approve, propose, voted_project

pytestmark = pytest.mark.stores("memory")

SCAN = "ab" * 32
RULING = "cd" * 32
CLOSED = TODAY - timedelta(days=20)
CASE = "(2026)鲁0202民初123号"


def voted(w: World, cap: int = 50_000_00) -> UUID:
    """A passed whole-assembly resolution of matter 9 with a repairs budget, closed 20 days ago."""
    return UUID(
        resolution(
            w, "2027年度公共收益预算", cap, CLOSED, TODAY + timedelta(days=300),
            budget_category="cleaning_greening",
        )
    )  # fmt: skip


def challenge(w: World, resolution_id: UUID, *, on: date = TODAY, case: str = CASE) -> None:
    w.ledger.file_challenge(
        resolution_id, court="青岛市市南区人民法院", case_number=case, filed_on=on, filing=SCAN,
        actor=REGULATOR,
    )  # fmt: skip


def read(w: World, resolution_id: UUID) -> Resolution:
    return w.ledger.read(resolution_id, Resolution)


def test_a_challenge_is_pending_until_dismissed(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    assert not read(w, rid).under_challenge
    challenge(w, rid, on=TODAY - timedelta(days=2))
    found = read(w, rid)
    assert found.under_challenge
    assert found.pending_challenge == {
        "court": "青岛市市南区人民法院", "case_number": CASE,
        "filed_on": (TODAY - timedelta(days=2)).isoformat(), "filing": SCAN,
    }  # fmt: skip
    assert found.in_force(TODAY)  # a suit alone revokes nothing
    receipt = w.ledger.end_challenge(
        rid, outcome="dismissed", ended_on=TODAY, ruling=RULING, actor=REGULATOR
    )
    assert receipt.status == "dismissed"
    assert not read(w, rid).under_challenge
    challenge(w, rid, case="(2026)鲁0202民初456号")  # a new suit once the first ended
    assert read(w, rid).under_challenge


def test_a_revocation_ends_a_pending_challenge(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    challenge(w, rid)
    w.ledger.revoke_resolution(rid, revoked_on=TODAY, judgment=RULING, actor=REGULATOR)
    assert not read(w, rid).under_challenge
    with pytest.raises(InvalidState, match="no pending challenge"):
        w.ledger.end_challenge(rid, outcome="withdrawn", ended_on=TODAY, ruling=RULING,
                               actor=REGULATOR)  # fmt: skip


def test_a_second_pending_challenge_is_refused(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    challenge(w, rid)
    version = read(w, rid).version
    with pytest.raises(InvalidState, match="already under challenge"):
        challenge(w, rid, case="(2026)鲁0202民初999号")
    assert read(w, rid).version == version


def test_ending_a_challenge_that_is_not_pending_is_refused(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    with pytest.raises(InvalidState, match="no pending challenge"):
        w.ledger.end_challenge(rid, outcome="dismissed", ended_on=TODAY, ruling=RULING,
                               actor=REGULATOR)  # fmt: skip
    challenge(w, rid)
    with pytest.raises(InvalidCommand, match="after it was filed"):
        w.ledger.end_challenge(rid, outcome="dismissed", ended_on=TODAY - timedelta(days=1),
                               ruling=RULING, actor=REGULATOR)  # fmt: skip
    with pytest.raises(InvalidCommand, match="dismissed or withdrawn"):
        w.ledger.end_challenge(rid, outcome="revoked", ended_on=TODAY,  # type: ignore[arg-type]
                               ruling=RULING, actor=REGULATOR)  # fmt: skip


@pytest.mark.parametrize(
    ("filed_on", "message"),
    [(CLOSED - timedelta(days=1), "after its vote closed"), (TODAY + timedelta(days=1), "future")],
)
def test_a_filing_before_the_vote_closed_or_in_the_future_is_refused(
    sealed_world: World, filed_on: date, message: str
) -> None:
    w = sealed_world
    rid = voted(w)
    with pytest.raises(InvalidCommand, match=message):
        challenge(w, rid, on=filed_on)
    assert not read(w, rid).under_challenge


def test_a_revoked_resolution_cannot_be_challenged(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    w.ledger.revoke_resolution(rid, revoked_on=TODAY, judgment=RULING, actor=REGULATOR)
    with pytest.raises(InvalidState, match="revoked"):
        challenge(w, rid)


def test_a_filing_more_than_a_year_after_the_vote_is_recorded(
    sealed_world: World, clock: MovableClock
) -> None:
    """The year runs from when the owner learned of it: the court's question, not the ledger's."""
    w = sealed_world
    rid = voted(w)
    clock.set_today(CLOSED + timedelta(days=400))
    challenge(w, rid, on=CLOSED + timedelta(days=400))
    assert read(w, rid).under_challenge


def test_the_challenge_needs_the_scans_hash(sealed_world: World) -> None:
    w = sealed_world
    rid = voted(w)
    with pytest.raises(InvalidCommand, match="filing"):
        w.ledger.file_challenge(rid, court="青岛市市南区人民法院", case_number=CASE,
                                filed_on=TODAY, filing="scan.pdf", actor=REGULATOR)  # fmt: skip
    with pytest.raises(InvalidCommand, match="case_number"):
        challenge(w, rid, case="  ")


# --- a revoked resolution cited by a payment (issue #16 acceptance) ---------------------


def test_a_payment_proposed_before_a_revocation_is_refused_at_its_approval_h05(
    sealed_world: World,
) -> None:
    w = sealed_world
    rid = voted(w)
    w.income(10_000_00)
    details = w.expenditure(2_000_00, authorisation=str(rid), kind="resolution",
                            purpose="2027年度公共收益预算")  # fmt: skip
    expenditure_id = w.propose(details)
    w.ledger.revoke_resolution(rid, revoked_on=TODAY, judgment=RULING, actor=REGULATOR)
    with pytest.raises(AuthorisationMissing, match="revoked by a court") as refused:
        w.ledger.approve_expenditure(w.account_id, expenditure_id, actor=member_actor("m2"))
    assert refused.value.rule == "H05"
    account = w.ledger.account(w.account_id)
    assert account.balance == 10_000_00  # nothing booked
    assert account.proposals[expenditure_id]["status"] == "proposed"
    assert account.proposals[expenditure_id]["approvals"] == ["m1"]


def test_a_repair_payout_on_a_revoked_resolution_is_refused_h08(funded_world: Funded) -> None:
    f = funded_world
    project = voted_project(f, f.world.unit_ids[:4])
    cited = UUID(f.ledger.read(project, RepairProject).resolution_id or "")
    proposed = propose(f, project, 1_000_00, key_="p1")
    f.ledger.revoke_resolution(cited, revoked_on=TODAY, judgment=RULING, actor=REGULATOR)
    fund_before = f.ledger.read(fund_id(f.complex_id), MaintenanceFund)
    project_before = f.ledger.read(project, RepairProject).version
    with pytest.raises(MaintenanceUseRefused, match="revoked by a court") as refused:
        approve(f, project, proposed.id)
    assert refused.value.rule == "H08"
    with pytest.raises(MaintenanceUseRefused, match="revoked by a court"):
        propose(f, project, 1_000_00, key_="p2")
    fund_after = f.ledger.read(fund_id(f.complex_id), MaintenanceFund)
    assert (fund_after.version, fund_after.balance) == (fund_before.version, fund_before.balance)
    assert f.ledger.read(project, RepairProject).version == project_before  # nothing saved
