"""Events stored before issue #13 still load: the fixture store made by that day's code.

``tests/fixtures/store-2026-12/`` holds the events, snapshots and personal keys that the
Ledger's commands wrote on 2026-12-02, one of every event class there was
(``topics.txt``), and ``expected.json``, what that code read back from them. Loaded into
a fresh SQLite and a fresh PostgreSQL store, every aggregate must load to the same state,
every hash chain must verify (H12) with the same heads, and the read models rebuilt from
the log must hold the same rows. The fixture is data: nothing here writes it again
(``python -m tests.fixtures.make_store`` makes a new one with the code of its day).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from commonfund.settings import Settings
from ledger.application import Ledger
from tests.fixtures import stored

FOLDER = stored.FOLDER


def expected() -> dict[str, Any]:
    return json.loads((FOLDER / stored.EXPECTED).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


# What the read models changed on purpose since the fixture was made (issue #13): a booking
# carries its line, so the views keep no open proposals (migration 0013); an account's entries
# are read from the statement lines, which keep five more columns (migration 0014).
DROPPED: dict[str, frozenset[str]] = {
    "statements": frozenset({"stmt_proposals"}),
    "supervision": frozenset({"sup_proposals"}),
}
ADDED = {
    ("statements", "stmt_lines"): frozenset(
        {"version", "kind", "counterparty", "recorded_at", "recorded_by"}
    ),
}


def test_the_fixture_holds_every_event_class_of_its_day() -> None:
    topics = (FOLDER / stored.TOPICS).read_text(encoding="utf-8").split()
    held = {e["topic"] for e in stored.read_lines(FOLDER / stored.EVENTS)}
    assert len(topics) == 56
    assert sorted(set(topics) - held) == []
    snapshots = list(stored.read_lines(FOLDER / stored.SNAPSHOTS))
    assert len(snapshots) == expected()["verify"]["snapshots"] > 0
    assert len(list(stored.read_lines(FOLDER / stored.KEYS))) > 0  # sealed names can be read


def test_events_stored_before_the_change_still_load(settings: Settings, ledger: Ledger) -> None:
    want = expected()
    got = stored.outcome(settings, ledger, FOLDER, want["statements_through"])
    assert got["verify"] == want["verify"]
    assert got["verify"]["ok"]
    assert sorted(got["aggregates"]) == sorted(want["aggregates"])
    for stream, aggregate in want["aggregates"].items():
        assert got["aggregates"][stream] == aggregate, stream
    for name, tables in want["read_models"].items():
        for table, rows in tables.items():
            if table in DROPPED.get(name, ()):
                assert table not in got["read_models"][name], (name, table)
                continue
            added = ADDED.get((name, table), frozenset())
            had = [
                {k: v for k, v in row.items() if k not in added}
                for row in got["read_models"][name][table]
            ]
            assert had == rows, (name, table)  # every column of the day, value for value
            assert all(set(row) - set(rows[0]) <= added for row in got["read_models"][name][table])
        assert set(got["read_models"][name]) == set(tables) - DROPPED.get(name, frozenset())
    assert {k: v for k, v in got.items() if k != "read_models"} == {
        k: v for k, v in want.items() if k != "read_models"
    }


@pytest.mark.stores("memory")
def test_every_stored_aggregate_replays_in_memory(ledger: Ledger) -> None:
    """The aggregates alone, no database: every event class (and upcaster) replays the same."""
    want = expected()
    stored.load_events(ledger, FOLDER)
    stored.load_snapshots(ledger, FOLDER)
    got = stored.aggregates_and_chains(ledger)
    assert got["verify"] == want["verify"]
    assert got["aggregates"] == want["aggregates"]


def test_the_statements_view_applies_a_closing_transfer(settings: Settings, ledger: Ledger) -> None:
    """Both halves of a closing transfer into the successor account carry one entry id; the
    statements view keyed a line by (complex, entry id) and stopped on it, so the fixture's
    expectation stops before it. The incoming half is keyed apart now (its id + ":in")."""
    stored.load(ledger, settings, FOLDER)
    assert stored.catch_up(settings, ledger, "statements") == expected()["verify"]["events"]


def test_loading_the_fixture_leaves_no_pool_open(
    settings: Settings, ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The helpers close every read-model database they open. A pool left to the garbage
    collector warned ("cannot join current thread") in whichever later test collected it."""
    opened: list[Any] = []
    closed: list[Any] = []
    real = stored.read_models  # type: ignore[attr-defined]

    def tracked(s: Settings) -> Any:
        database = real(s)
        opened.append(database)
        close = database.close

        def closing() -> None:
            closed.append(database)
            close()

        database.close = closing  # type: ignore[method-assign]
        return database

    monkeypatch.setattr(stored, "read_models", tracked)
    stored.load(ledger, settings, FOLDER)
    assert stored.key_rows(settings)
    assert len(opened) == 2
    assert closed == opened
    assert all(d._pool is None and d._autocommit is None for d in opened)
