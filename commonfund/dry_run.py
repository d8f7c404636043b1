"""Rule dry-run: replay the whole log through the supervision view with a changed rule, raising nothing.

Both the rules in force and the changed ones run over the same history into a
private in-memory SQLite copy of the read model (generation 1: in force,
generation 2: changed). The ledger's own database is only read, no webhook
hook is attached, and the copy disappears with the connection: nothing is
raised anywhere. What is compared is one rule's alerts whose business date
falls in the asked range.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from ledger.application import Ledger
from migrations.runner import available
from projections.db import Dialect, Row, insert_sql
from projections.legacy import decoded
from projections.supervision.catalog import Catalog
from projections.supervision.view import SupervisionView

IN_FORCE, CHANGED = 1, 2


class _MemoryTx:
    dialect: Dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.connection.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, rows)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(insert_sql(table, columns), rows)


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str
    params: dict[str, int]  # the parameters changed
    in_force: list[dict[str, Any]]
    changed: list[dict[str, Any]]
    events: int

    @property
    def added(self) -> list[dict[str, Any]]:
        before = {a["alert_id"] for a in self.in_force}
        return [a for a in self.changed if a["alert_id"] not in before]

    @property
    def dropped(self) -> list[dict[str, Any]]:
        after = {a["alert_id"] for a in self.changed}
        return [a for a in self.in_force if a["alert_id"] not in after]


def dry_run(  # noqa: PLR0917 - the command line's arguments
    ledger: Ledger,
    in_force: Catalog,
    changed: Catalog,
    rule: str,
    start: date,
    end: date,
    batch_size: int = 1000,
) -> Outcome:
    connection = sqlite3.connect(":memory:")
    try:
        for migration in available("sqlite"):
            connection.executescript(migration.sql)
        tx = _MemoryTx(connection)
        views = ((IN_FORCE, SupervisionView(in_force)), (CHANGED, SupervisionView(changed)))
        head, after, events = ledger.recorder.max_notification_id() or 0, 0, 0
        while after < head:
            notifications = ledger.recorder.select_notifications(
                start=after + 1, limit=batch_size, stop=head
            )
            if not notifications:
                break
            batch = decoded(ledger, notifications)
            for generation, view in views:
                view.apply(tx, generation, batch)
            after, events = notifications[-1].id, events + len(batch)
        found = {
            generation: [
                {
                    "alert_id": a, "raised_on": on, "subject": f"{kind}:{subject}",
                    "complex_id": cid, "trigger": trigger, "evidence": json.loads(evidence),
                    "explanation_zh": zh, "explanation_en": en,
                }
                for a, on, kind, subject, cid, trigger, evidence, zh, en in tx.execute(
                    "SELECT alert_id, raised_on, subject_kind, subject_id, complex_id,"
                    " trigger_key, evidence, explanation_zh, explanation_en FROM alerts"
                    " WHERE generation = ? AND rule = ? AND raised_on >= ? AND raised_on <= ?"
                    " ORDER BY raised_on, alert_id",
                    (generation, rule, start.isoformat(), end.isoformat()),
                )
            ]
            for generation, _ in views
        }  # fmt: skip
    finally:
        connection.close()
    params = {k: v for k, v in changed[rule].params.items() if in_force[rule].params.get(k) != v}
    return Outcome(rule, params, found[IN_FORCE], found[CHANGED], events)
