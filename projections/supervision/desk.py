"""The regulator's desk (issue #17): alerts counted by rule and by complex, one group's page.

A city raises a thousand alerts of one rule in a night (A08 at scale 0.05), so
the desk never reads them all: it counts them by rule and by complex in SQL and
reads one page of one group, worst first. Complexes are named from
``sup_places`` (the supervision view's register of where each complex is).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from projections.db import Database, Tx
from projections.supervision.queries import COLUMNS, AlertFilter, AlertRow, _row, where

SEVERITIES = ("critical", "high", "warning", "info")  # worst first, as WORST_FIRST ranks them
WORST_FIRST = (
    "CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'warning' THEN 2 ELSE 3 END"
)


@dataclass(frozen=True, slots=True)
class RuleCount:
    rule: str
    severity: str  # the worst among its alerts
    count: int


@dataclass(frozen=True, slots=True)
class Place:
    complex_id: str
    code: str
    name: str
    district: str
    street: str


@dataclass(frozen=True, slots=True)
class ComplexCount:
    place: Place
    count: int
    worst: str  # the worst severity among its alerts


@dataclass(frozen=True, slots=True)
class Step:
    step: str  # acknowledged, explained, closed
    principal: str  # role:token id (a committee's: /member)
    detail: dict[str, Any]
    on: str


class Desk:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _generation(tx: Tx) -> int:
        rows = tx.execute("SELECT generation FROM projection_state WHERE name = 'supervision'")
        return int(rows[0][0]) if rows else 1

    def _read(self, sql: str, f: AlertFilter, *extra: Any) -> list[tuple[Any, ...]]:
        """``sql`` with ``{where}`` filled by the filter's condition, its parameters first."""
        with self.database.reading() as tx:
            condition, params = where(f, self._generation(tx))
            return tx.execute(sql.format(where=condition), (*params, *extra))

    def count(self, f: AlertFilter) -> int:
        return int(self._read("SELECT COUNT(*) FROM alerts WHERE {where}", f)[0][0])

    def by_rule(self, f: AlertFilter) -> list[RuleCount]:
        """Each rule with alerts under the filter and its worst severity among them (a rule may
        raise at two severities, A26), worst first, then by id."""
        rows = self._read(
            f"SELECT rule, MIN({WORST_FIRST}), COUNT(*) FROM alerts"  # noqa: S608
            " WHERE {where} GROUP BY rule",
            f,
        )
        found = [RuleCount(str(r), SEVERITIES[min(int(w), 3)], int(n)) for r, w, n in rows]
        return sorted(found, key=lambda c: (SEVERITIES.index(c.severity), c.rule))

    def by_complex(
        self, f: AlertFilter, *, offset: int, limit: int
    ) -> tuple[int, list[ComplexCount]]:
        """How many complexes have alerts under the filter, and one page of them, most first."""
        total = int(
            self._read("SELECT COUNT(DISTINCT complex_id) FROM alerts WHERE {where}", f)[0][0]
        )
        rows = self._read(
            f"SELECT complex_id, COUNT(*), MIN({WORST_FIRST}) FROM alerts"  # noqa: S608
            " WHERE {where} GROUP BY complex_id"
            f" ORDER BY COUNT(*) DESC, MIN({WORST_FIRST}), complex_id LIMIT ? OFFSET ?",
            f, limit, offset,
        )  # fmt: skip
        places = self.places([str(r[0]) for r in rows])
        return total, [
            ComplexCount(places[str(c)], int(n), SEVERITIES[min(int(w), 3)]) for c, n, w in rows
        ]

    def page(self, f: AlertFilter, *, offset: int, limit: int) -> list[AlertRow]:
        """One page of the alerts under the filter: worst first, newest first within."""
        rows = self._read(
            f"SELECT {COLUMNS} FROM alerts WHERE {{where}}"  # noqa: S608
            f" ORDER BY {WORST_FIRST}, raised_on DESC, alert_id DESC LIMIT ? OFFSET ?",
            f, limit, offset,
        )  # fmt: skip
        return [_row(r) for r in rows]

    def places(self, complex_ids: list[str]) -> dict[str, Place]:
        """Where each complex is and what it is called; an unknown id gets an empty name."""
        wanted = sorted(set(complex_ids))
        found: dict[str, Place] = {c: Place(c, "", "", "", "") for c in wanted}
        if not wanted:
            return found
        with self.database.reading() as tx:
            g = self._generation(tx)
            marks = ", ".join("?" for _ in wanted)
            rows = tx.execute(
                "SELECT complex_id, code, name, district, street FROM sup_places"  # noqa: S608
                f" WHERE generation = ? AND complex_id IN ({marks})",
                (g, *wanted),
            )
        found.update({str(r[0]): Place(*(str(v) for v in r)) for r in rows})
        return found

    def steps(self, alert_ids: list[str]) -> dict[str, list[Step]]:
        """What people did with each alert (acknowledged, explained, closed), oldest first."""
        found: dict[str, list[Step]] = {a: [] for a in alert_ids}
        if not alert_ids:
            return found
        with self.database.reading() as tx:
            marks = ", ".join("?" for _ in alert_ids)
            rows = tx.execute(
                "SELECT alert_id, step, principal, detail, step_on FROM alert_steps"  # noqa: S608
                f" WHERE generation = ? AND alert_id IN ({marks}) ORDER BY alert_id, version",
                (self._generation(tx), *alert_ids),
            )
        for alert_id, step, principal, detail, on in rows:
            found[str(alert_id)].append(
                Step(str(step), str(principal), json.loads(detail), str(on))
            )
        return found

    def streets(self, community_prefix: str) -> list[str]:
        """The street codes with complexes inside a jurisdiction (a code prefix), in order."""
        like = community_prefix.replace("%", "").replace("_", "") + "%"
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT DISTINCT street FROM sup_places WHERE generation = ? AND community LIKE ?"
                " ORDER BY street",
                (self._generation(tx), like),
            )
        return [str(r[0]) for r in rows]
