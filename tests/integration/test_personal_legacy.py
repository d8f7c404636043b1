"""Events written before migration 0010 hold names in plain text: still read, verified, reported.

Such an event is made here as the code before 0010 made it (the party or member
dict as the command named it), so the upgrade path is shown on both stores.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from commonfund import cli
from commonfund.erasure import erase
from commonfund.settings import Settings
from commonfund.wiring import personal_keys, read_models
from ledger.account import account
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Ledger
from ledger.committees import committee
from ledger.integrity import verify
from ledger.periods import Period
from ledger.personal import party_of
from projections.runner import Runner
from projections.statements.queries import Statements
from projections.statements.view import StatementsView
from tests.plugins.builders import World, member_actor, world
from tests.plugins.clock import NOON_SHANGHAI, TODAY

OLD_PAYER = "周老五"


@pytest.fixture
def legacy(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> World:
    """A committee and one income recorded as before 0010: names in plain text."""
    with monkeypatch.context() as old:
        old.setattr(committee, "store_member", lambda _, m: dict(m))
        old.setattr(account, "store_party", lambda _, p: dict(p))
        w = world(ledger)
        details = IncomeDetails(
            category="venue_rent",
            payer=Party(name=OLD_PAYER, kind="individual", identity_key="", bank_account=""),
            amount=500_00,
            value_date=TODAY - timedelta(days=1),
        )
        ledger.record_income(
            w.account_id, details, idempotency_key="old-1", actor=member_actor("m1")
        )
    return w


def income_payer(ledger: Ledger, w: World) -> dict[str, Any]:
    (event,) = [e for e in ledger.events.get(w.account_id) if hasattr(e, "payer")]
    return dict(event.payer)


def test_a_legacy_party_reads_in_todays_shape_and_every_chain_verifies(
    ledger: Ledger, legacy: World
) -> None:
    stored = income_payer(ledger, legacy)
    assert stored == {"name": OLD_PAYER, "kind": "individual", "identity_key": "",
                      "bank_account": ""}  # fmt: skip
    shaped = party_of(stored)
    assert shaped["public_name"] == "周*"
    assert shaped["person"].startswith("legacy:")
    assert verify(ledger).ok


def test_a_legacy_name_is_masked_in_the_statement(
    settings: Settings, ledger: Ledger, legacy: World
) -> None:
    runner = Runner(ledger, read_models(settings), StatementsView())
    try:
        runner.catch_up()
        _, draft = Statements(runner.database).draft(
            str(legacy.complex_id), Period.parse("2026-11")
        )
    finally:
        runner.database.close()
    parties = {ln["party"] for c in draft["income"]["categories"] for ln in c["lines"]}
    assert "周*" in parties
    assert OLD_PAYER not in str(draft)


def test_erasing_a_legacy_person_says_what_stays_in_plain_text(
    settings: Settings, ledger: Ledger, legacy: World, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    keys = personal_keys(settings)
    try:
        report = erase(
            settings, ledger, keys, "0" * 64, names=[OLD_PAYER], by="test", now=NOON_SHANGHAI
        )
    finally:
        keys.close()
    assert not report.complete
    assert report.legacy_events == [f"{legacy.account_id} v{income_version(ledger, legacy)}"]
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["erase-person", "--name", OLD_PAYER]) == 3
    out = capsys.readouterr().out
    assert "INCOMPLETE: 1 event(s)" in out
    assert str(legacy.account_id) in out


def income_version(ledger: Ledger, w: World) -> int:
    (event,) = [e for e in ledger.events.get(w.account_id) if hasattr(e, "payer")]
    return int(event.originator_version)


def test_a_legacy_proposal_booked_now_is_reported_with_its_booking(
    settings: Settings, ledger: Ledger, legacy: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ExpenditureBooked version 2 copies the proposal's payee into its line (issue #13): a
    proposal made before 0010 and booked after leaves its name in plain text in the booking
    too, and erasure says so."""
    decision = legacy.decision("保洁", 5_000_00, on=TODAY - timedelta(days=5))
    payee = Party(name=OLD_PAYER, kind="individual", identity_key="", bank_account="")
    with monkeypatch.context() as old:
        old.setattr(account, "store_party", lambda _, p: dict(p))
        proposed = legacy.propose(legacy.expenditure(300_00, authorisation=decision, payee=payee))
    ledger.approve_expenditure(legacy.account_id, proposed, actor=member_actor("m2"))
    (booked,) = [
        e
        for e in ledger.events.get(legacy.account_id)
        if isinstance(e, account.CommonFundAccount.ExpenditureBooked)
    ]
    assert booked.line is not None
    assert booked.line["payee"]["name"] == OLD_PAYER  # copied as the proposal holds it
    (proposal_version,) = [
        e.originator_version
        for e in ledger.events.get(legacy.account_id)
        if isinstance(e, account.CommonFundAccount.ExpenditureProposed)
    ]
    keys = personal_keys(settings)
    try:
        report = erase(
            settings, ledger, keys, "0" * 64, names=[OLD_PAYER], by="test", now=NOON_SHANGHAI
        )
    finally:
        keys.close()
    assert not report.complete
    assert report.legacy_events == [
        f"{legacy.account_id} v{v}"
        for v in (income_version(ledger, legacy), proposal_version, booked.originator_version)
    ]
    assert verify(ledger).ok
