"""Edge cases found in review: scopes of resolutions, stale caches, amounts, succession, H02 debits."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from commonfund import cli
from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.account import CommonFundAccount
from ledger.account.entries import IncomeDetails
from ledger.application import Ledger
from ledger.errors import (
    AuthorisationMissing,
    ClosureRefused,
    CommitteeShapeInvalid,
    DebitBlocked,
    InvalidAmount,
    ResolutionInvalid,
)
from ledger.integrity import verify
from tests.integration.tamper import delete_event
from tests.plugins.builders import (
    COMPANY,
    OPERATOR,
    REGULATOR,
    elect,
    member_actor,
    members,
    successor_account,
    world,
)
from tests.plugins.clock import TODAY, MovableClock

# --- H04/H05: who a resolution speaks for ------------------------------------------------


def test_only_maintenance_fund_use_may_be_put_to_some_units(ledger: Ledger) -> None:
    w = world(ledger)
    with pytest.raises(ResolutionInvalid, match="whole assembly") as refused:
        ledger.record_resolution(
            w.complex_id,
            idempotency_key="one-unit",
            matter=9,
            purpose="大额支出",
            amount_cap=10**8,
            period_from=TODAY,
            period_to=TODAY,
            scope_units=w.unit_ids[:1],
            participated=w.unit_ids[:1],
            consented=w.unit_ids[:1],
            closed_on=TODAY,
            actor=OPERATOR,
        )
    assert refused.value.rule == "H04"


def test_a_resolution_of_some_units_or_without_a_cap_does_not_authorise_spending(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    w.income(100_000_00)
    for key_, scope, cap in (("units", w.unit_ids[:3], 10**8), ("no-cap", None, None)):
        receipt = ledger.record_resolution(
            w.complex_id,
            idempotency_key=key_,
            matter=5,
            purpose="更换门禁系统",
            amount_cap=cap,
            period_from=TODAY - timedelta(days=5),
            period_to=TODAY,
            scope_units=scope,
            participated=scope or w.unit_ids,
            consented=scope or w.unit_ids,
            closed_on=TODAY - timedelta(days=5),
            actor=OPERATOR,
        )
        assert receipt.status == "passed"
        with pytest.raises(AuthorisationMissing, match=r"some units only|no amount cap"):
            w.propose(
                w.expenditure(
                    10_000_00, authorisation=receipt.id, kind="resolution", purpose="更换门禁系统"
                )
            )


# --- stale caches across processes ------------------------------------------------------


def test_a_stale_process_neither_refuses_wrongly_nor_records_a_false_refusal(
    ledger: Ledger, settings: Settings, clock: MovableClock
) -> None:
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 5_000_00)
    other = Ledger(personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=clock)
    try:
        other.account(w.account_id)  # cached before the changes below
        ledger.suspend_payments(w.account_id, reason="核查", actor=REGULATOR)
        other.account_summary(w.account_id)  # sees the suspension (and caches it)
        ledger.resume_payments(w.account_id, reason="核查完毕", actor=REGULATOR)
        proposal = w.expenditure(100_00, authorisation=decision)
        receipt = other.propose_expenditure(
            w.account_id, proposal, idempotency_key="late", actor=member_actor("m1")
        )
        pending = w.propose(w.expenditure(50_00, authorisation=decision))
        booked = other.approve_expenditure(w.account_id, pending, actor=member_actor("m2"))
    finally:
        other.close()
    assert receipt.status == "proposed"
    assert booked.status == "booked"
    refusals = [
        e
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.PaymentRefused)
    ]
    assert refusals == []


# --- amounts -------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -500, 10**20, 12.5, True])
def test_the_ledger_itself_refuses_amounts_that_are_not_positive_whole_fen(
    ledger: Ledger, amount: object
) -> None:
    w = world(ledger)
    details = IncomeDetails(
        category="parking",
        payer=COMPANY,
        amount=amount,  # type: ignore[arg-type]
        value_date=TODAY,
    )
    with pytest.raises(InvalidAmount):
        ledger.record_income(w.account_id, details, idempotency_key="bad", actor=member_actor("m1"))
    with pytest.raises(InvalidAmount):
        w.propose(w.expenditure(amount, authorisation=w.decision("保洁", 1_000_00)))  # type: ignore[arg-type]
    assert ledger.account_summary(w.account_id).balance == 0


# --- succession, dissolution, closing --------------------------------------------------


def test_closing_after_succession_voids_the_old_committees_pending_payments(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(2_000_00)
    pending = w.propose(w.expenditure(100_00, authorisation=w.decision("保洁", 1_000_00)))
    successor = successor_account(w)
    ledger.close_account(
        w.account_id, successor_id=successor, reason="换届", actor=member_actor("m1n")
    )
    old = ledger.account(w.account_id)
    assert old.status == "closed"
    assert old.proposals[pending]["status"] == "rejected"
    assert ledger.account_summary(successor).balance == 2_000_00


def test_a_dissolved_committee_stays_dissolved_when_a_new_one_is_elected(ledger: Ledger) -> None:
    w = world(ledger)
    ledger.dissolve_committee(w.committee_id, reason="解散", on=TODAY, actor=REGULATOR)
    elect(
        ledger, w.complex_id, w.unit_ids, key_="after", elected_on=TODAY, team=members(5, tag="x")
    )
    assert ledger.committee(w.committee_id).status == "dissolved"
    assert (
        ledger.close_account(w.account_id, successor_id=None, reason="销户", actor=REGULATOR).status
        == "closed"
    )


def test_member_changes_keep_a_majority_in_office_and_one_chair(ledger: Ledger) -> None:
    w = world(ledger)
    with pytest.raises(CommitteeShapeInvalid, match="no majority"):
        ledger.change_members(
            w.committee_id, added=[], removed=["m2", "m3", "m4"], changed_on=TODAY, actor=OPERATOR
        )
    with pytest.raises(CommitteeShapeInvalid, match="one chair"):
        ledger.change_members(
            w.committee_id, added=[], removed=["m1"], changed_on=TODAY, actor=OPERATOR
        )
    ledger.change_members(
        w.committee_id, added=[], removed=["m4", "m5"], changed_on=TODAY, actor=OPERATOR
    )
    assert sorted(ledger.committee(w.committee_id).members) == ["m1", "m2", "m3"]


# --- H02 covers every debit --------------------------------------------------------------


def test_reversing_income_or_closing_is_blocked_while_payments_are_suspended(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    income = w.income(500_00)
    paid = w.pay(w.expenditure(100_00, authorisation=w.decision("保洁", 1_000_00)))
    ledger.suspend_payments(w.account_id, reason="核查", actor=REGULATOR)
    with pytest.raises(DebitBlocked, match="suspended") as refused:
        ledger.reverse_entry(
            w.account_id,
            reverses=income,
            reason="录错",
            value_date=TODAY,
            idempotency_key="r1",
            actor=member_actor("m1"),
        )
    assert refused.value.rule == "H02"
    # Reversing a payment puts money back: allowed while suspended.
    ledger.reverse_entry(
        w.account_id,
        reverses=paid,
        reason="退款",
        value_date=TODAY,
        idempotency_key="r2",
        actor=member_actor("m1"),
    )
    with pytest.raises(ClosureRefused, match="suspended"):
        ledger.close_account(w.account_id, successor_id=None, reason="x", actor=member_actor("m1"))


def test_an_outsider_approving_leaves_no_refusal_in_their_name(ledger: Ledger) -> None:
    w = world(ledger)
    pending = w.propose(w.expenditure(100_00, authorisation=w.decision("保洁", 1_000_00)))
    with pytest.raises(Exception, match="not a member"):
        ledger.approve_expenditure(w.account_id, pending, actor=member_actor("intruder"))
    assert not [
        e
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.PaymentRefused)
    ]


# --- H12: what only an index or a published head reveals ------------------------------


def test_a_deleted_resolution_stream_is_found_through_the_complex_index(
    ledger: Ledger, settings: Settings
) -> None:
    w = world(ledger)
    resolution_id = UUID(ledger.complex(w.complex_id).resolution_ids[0])
    delete_event(settings, resolution_id, 1)
    report = verify(ledger)
    assert any(str(resolution_id) in b.reason for b in report.breaks)


def test_deleting_the_newest_events_is_found_against_a_published_digest(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = world(ledger)
    w.income(1_00)
    w.income(2_00)
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    published = tmp_path / "digest.json"
    assert cli.main(["digest", "--output", str(published)]) == 0
    assert json.loads(published.read_text())["complexes"][0]["complex_id"] == str(w.complex_id)
    assert cli.main(["verify", "--digest", str(published)]) == 0
    last = ledger.account_summary(w.account_id).version
    delete_event(settings, w.account_id, last)
    capsys.readouterr()
    assert verify(ledger).ok  # the chain alone cannot tell
    assert cli.main(["verify", "--digest", str(published)]) == 1
    assert "later events were deleted" in capsys.readouterr().err
