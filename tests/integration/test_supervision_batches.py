"""The supervision view's batches (issue #15): a few statements per batch, the same alerts whatever the batch size."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.application import Ledger
from projections.db import Row, Tx
from projections.legacy import decoded
from projections.runner import Runner
from projections.supervision.view import TABLES, SupervisionView
from tests.integration.alert_rules import income, org, pay
from tests.plugins.builders import World, world
from tests.plugins.clock import TODAY

PAYEES = [org(f"青岛第{n}维修部") for n in range(4)]


class CountingTx:
    """A transaction that counts the statements sent through it."""

    def __init__(self, tx: Tx) -> None:
        self.tx, self.dialect, self.calls = tx, tx.dialect, 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        self.calls += 1
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.calls += 1
        self.tx.executemany(sql, rows)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.calls += 1
        self.tx.append(table, columns, rows)


def busy(ledger: Ledger) -> World:
    """An account with income and 24 payments, three a day to one payee (A03), small inflows."""
    w = world(ledger, elected_on=TODAY - timedelta(days=120))
    w.income(500_000_00, on=TODAY - timedelta(days=40))
    for n in range(24):
        on = TODAY - timedelta(days=30 - n // 3)
        pay(w, 1_234_00 + n, PAYEES[n // 3 % 4], on=on, purpose=f"维修{n}")
        if n % 6 == 0:
            income(w, 50_00, on=on)
    return w


def test_a_batch_of_many_bookings_costs_a_few_statements(
    settings: Settings, ledger: Ledger
) -> None:
    """Each booking used to cost a dozen round trips (its rules' queries, its rows' inserts)."""
    busy(ledger)
    events = decoded(ledger, ledger.recorder.select_notifications(start=1, limit=10_000))
    assert sum(type(e).__name__ == "ExpenditureBooked" for _, e in events) == 24
    database = read_models(settings)
    try:
        with database.transaction() as tx:
            counting = CountingTx(tx)
            SupervisionView().apply(counting, 1, events)
            raised = tx.execute("SELECT COUNT(*) FROM alerts WHERE generation = 1")[0][0]
    finally:
        database.close()
    assert raised > 0
    # the reads up front, the held writes by table, the alerts (a few queries each)
    assert counting.calls <= 40 + 5 * int(raised), (counting.calls, raised)


def _copy(runner: Runner) -> dict[str, list[tuple[Any, ...]]]:
    with runner.database.transaction() as tx:  # generation() may insert its row
        serving = runner.generation(tx)
        return {
            table: sorted(
                tuple(str(v) for v in row[1:])
                for row in tx.execute(
                    f"SELECT * FROM {table} WHERE generation = ?",
                    (serving,),
                )
            )
            for table in TABLES
        }


def test_a_rebuild_is_the_same_in_batches_of_1_3_and_10000(
    settings: Settings, ledger: Ledger
) -> None:
    """The memory a batch keeps across batches changes nothing: every table is the same."""
    busy(ledger)
    copies = []
    for size in (1, 3, 10_000):
        runner = Runner(ledger, read_models(settings), SupervisionView(), batch_size=size)
        try:
            runner.rebuild()
            copies.append(_copy(runner))
        finally:
            runner.database.close()
    assert copies[0]["alerts"]
    assert copies[0] == copies[1] == copies[2]
