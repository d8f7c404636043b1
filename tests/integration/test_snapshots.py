"""Long-lived accounts load from snapshots; an edited snapshot is caught by verify."""

from __future__ import annotations

import sqlite3

import psycopg

from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.application import Ledger
from ledger.integrity import verify
from tests.plugins.builders import world
from tests.plugins.clock import fixed_clock


def snapshot_versions(settings: Settings) -> list[int]:
    if settings.is_postgres:
        with psycopg.connect(settings.database_url) as conn:
            rows = conn.execute("SELECT originator_version FROM ledger_snapshots").fetchall()
    else:
        with sqlite3.connect(settings.sqlite_path) as conn:
            rows = conn.execute("SELECT originator_version FROM stored_snapshots").fetchall()
    return sorted(r[0] for r in rows)


def test_an_account_with_many_entries_loads_from_its_latest_snapshot(
    ledger: Ledger, settings: Settings
) -> None:
    w = world(ledger)
    for _ in range(420):
        w.income(1_00)
    assert {200, 400} <= set(snapshot_versions(settings))
    cold = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=fixed_clock
    )
    try:
        loaded = cold.account(w.account_id)
        assert loaded.balance == 420_00
        assert loaded.version == 421
        assert loaded == ledger.account(w.account_id)
        summary = cold.account_summary(w.account_id)
        assert (summary.balance, summary.version, summary.entries) == (420_00, 421, 420)
    finally:
        cold.close()
    assert verify(ledger).snapshots >= 1


def test_an_edited_snapshot_is_found_by_verify(ledger: Ledger, settings: Settings) -> None:
    w = world(ledger)
    for _ in range(200):
        w.income(1_00)
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(
                "UPDATE ledger_snapshots SET state = decode(replace(encode(state, 'escape'),"
                " '\"balance\":19900', '\"balance\":99900'), 'escape')"
            )
    else:
        with sqlite3.connect(settings.sqlite_path) as conn:
            (state,) = conn.execute("SELECT state FROM stored_snapshots").fetchone()
            assert b'"balance":19900' in state
            conn.execute(
                "UPDATE stored_snapshots SET state = ?",
                (state.replace(b'"balance":19900', b'"balance":99900'),),
            )
    report = verify(ledger)
    assert [b.reason for b in report.breaks] == [
        "the snapshot differs from the state replayed from the events: it was edited"
    ]
