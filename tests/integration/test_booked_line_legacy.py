"""Bookings stored before ExpenditureBooked version 2 (issue #13 item 4), on both stores.

The fixture (tests/data/expenditure_booked_v1.json) is a store made by the code before
version 2 (commit 875e30d): payments that raise A02-A05, one booked in a later batch than
its proposal, a rejected, a withdrawn and a reversed one, and a proposal still open, with the
statements and supervision rows that code's read models held. Loaded here, it verifies, its
read models rebuilt by today's code (which keeps no proposal tables) are those rows, and the
open proposal booked now is a version-2 booking that carries its line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.account import CommonFundAccount as Account
from ledger.application import Ledger
from ledger.integrity import verify
from projections import legacy
from projections.runner import Runner, View
from projections.statements.view import StatementsView
from projections.supervision.view import SupervisionView
from tests.plugins.builders import member_actor

DATA = Path(__file__).resolve().parents[1] / "data" / "expenditure_booked_v1.json"
ORDER = {
    "stmt_lines": "complex_id, entry_id",
    "stmt_streams": "stream_id",
    "sup_entries": "account_id, entry_id",
    "sup_payments": "account_id, entry_id",
    "alerts": "alert_id",
}


@pytest.fixture
def fixture(ledger: Ledger) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    ledger.recorder.insert_events([
        StoredEvent(
            originator_id=UUID(e["originator_id"]), originator_version=e["originator_version"],
            topic=e["topic"], state=e["state"].encode(),
        )
        for e in data["events"]
    ])  # fmt: skip
    return data


@pytest.fixture
def runners(settings: Settings, ledger: Ledger) -> Iterator[list[Runner]]:
    views: list[View] = [StatementsView(), SupervisionView()]
    made = [Runner(ledger, read_models(settings), view) for view in views]
    yield made
    for runner in made:
        runner.database.close()


def rows(runners: list[Runner], table: str, columns: list[str]) -> list[list[Any]]:
    name = "statements" if table.startswith("stmt_") else "supervision"
    with runners[0].database.reading() as tx:
        found = tx.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE generation ="
            f" (SELECT generation FROM projection_state WHERE name = ?) ORDER BY {ORDER[table]}",
            (name,),
        )
    return [list(r) for r in found]


def read_models_equal(runners: list[Runner], expected: dict[str, Any]) -> None:
    for table, want in expected.items():
        assert rows(runners, table, want["columns"]) == want["rows"], table


def test_stored_v1_bookings_verify_and_load(ledger: Ledger, fixture: dict[str, Any]) -> None:
    report = verify(ledger)
    assert report.ok, report.breaks
    assert report.events == len(fixture["events"]) == 51
    account_id = UUID(fixture["account_id"])
    booked = [e for e in ledger.events.get(account_id) if isinstance(e, Account.ExpenditureBooked)]
    assert len(booked) == 6
    assert all(e.line is None for e in booked)  # the upcast: not carried
    account: Account = ledger.repository.get(account_id)
    assert account.proposals[fixture["still_open"]]["status"] == "proposed"


@pytest.mark.parametrize(("batch_size", "page"), [(1, 2), (1, 50), (7, 50), (500, 50)])
def test_read_models_rebuilt_from_v1_bookings_are_the_old_ones(
    fixture: dict[str, Any],
    runners: list[Runner],
    batch_size: int,
    page: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each v1 booking takes its line from its proposal (projections/legacy.py), whether the
    proposal is in its batch or an earlier one, however far back in the account's stream."""
    monkeypatch.setattr(legacy, "PAGE", page)
    for runner in runners:
        runner.batch_size = batch_size
        assert runner.catch_up() == len(fixture["events"])
    read_models_equal(runners, fixture["expected"])
    for runner in runners:
        assert runner.rebuild() == runner.head()
    read_models_equal(runners, fixture["expected"])


def test_an_old_proposal_booked_now_carries_its_line(
    ledger: Ledger, fixture: dict[str, Any], runners: list[Runner]
) -> None:
    account_id, still_open = UUID(fixture["account_id"]), fixture["still_open"]
    for runner in runners:
        runner.catch_up()
    receipt = ledger.approve_expenditure(account_id, still_open, actor=member_actor("m2"))
    assert receipt.status == "booked"
    new = list(ledger.events.get(account_id))[-1]
    assert isinstance(new, Account.ExpenditureBooked)
    assert new.line is not None
    account: Account = ledger.repository.get(account_id)
    proposal = account.proposals[still_open]
    assert new.line == {
        k: proposal[k]
        for k in (
            "category", "payee", "method", "purpose", "authorisation_kind", "authorisation_id",
            "contract_ref", "description",
        )
    }  # fmt: skip
    (stored,) = ledger.recorder.select_events(account_id, gt=new.originator_version - 1)
    assert b'"class_version":2' in stored.state
    assert b'"line":' in stored.state
    assert verify(ledger).ok
    for runner in runners:
        runner.catch_up()
    (line,) = [r for r in rows(runners, "stmt_lines", ["entry_id", "category", "amount",
               "method", "authorisation", "contract_ref", "description"]) if r[0] == still_open]  # fmt: skip
    assert line == [
        still_open, "cleaning_greening", -350_00, "transfer",
        f"decision:{proposal['authorisation_id']}", "HT-8", "保洁",
    ]  # fmt: skip
    (payment,) = [r for r in rows(runners, "sup_payments", ["entry_id", "amount", "method",
                  "contract_ref"]) if r[0] == still_open]  # fmt: skip
    assert payment == [still_open, 350_00, "transfer", "HT-8"]
    live = {t: rows(runners, t, w["columns"]) for t, w in fixture["expected"].items()}
    for runner in runners:
        assert runner.rebuild() == runner.head()
    assert {t: rows(runners, t, w["columns"]) for t, w in fixture["expected"].items()} == live
