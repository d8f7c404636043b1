"""Reading the clock-rule runs: where a date's tick was applied and the alerts it raised."""

from __future__ import annotations

from dataclasses import dataclass

from projections.db import Database
from projections.supervision.queries import COLUMNS, NAME, AlertRow, _row


@dataclass(frozen=True, slots=True)
class Tick:
    as_of: str
    position: int
    raised: int


def _generation(database: Database) -> int:
    with database.reading() as tx:
        rows = tx.execute("SELECT generation FROM projection_state WHERE name = ?", (NAME,))
    return int(rows[0][0]) if rows else 1


def tick(database: Database, as_of: str) -> Tick | None:
    """The run of ``as_of`` as the serving copy applied it, or None if not applied (yet)."""
    generation = _generation(database)
    with database.reading() as tx:
        rows = tx.execute(
            "SELECT position, alerts FROM sup_ticks WHERE generation = ? AND as_of = ?",
            (generation, as_of),
        )
    return Tick(as_of, int(rows[0][0]), int(rows[0][1])) if rows else None


def raised_by(database: Database, found: Tick) -> list[AlertRow]:
    """The alerts a tick raised (they carry its position), worst first."""
    generation = _generation(database)
    with database.reading() as tx:
        rows = tx.execute(
            f"SELECT {COLUMNS} FROM alerts WHERE generation = ? AND position = ?"  # noqa: S608
            " ORDER BY CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1"
            " WHEN 'warning' THEN 2 ELSE 3 END, rule, subject_id, trigger_key",
            (generation, found.position),
        )
    return [_row(r) for r in rows]
