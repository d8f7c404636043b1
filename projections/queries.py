"""Reading the statements read model: drafts, published versions, what a publication freezes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ledger.periods import Period
from projections import content as stmt
from projections.db import Database, Tx

NAME = "statements"


@dataclass(frozen=True, slots=True)
class Version:
    complex_id: str
    period: str
    version: int
    position: int
    published_on: str
    published_by: str
    content_hash: str
    hash_matches: bool
    content: dict[str, Any]
    digest: dict[str, Any]
    diff: dict[str, Any] | None
    superseded_by: int | None


class Statements:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _serving(tx: Tx) -> tuple[int, int]:
        rows = tx.execute(
            "SELECT s.generation, COALESCE(t.position, 0) FROM projection_state s"
            " LEFT JOIN projection_tracking t ON t.name = s.name AND t.generation = s.generation"
            " WHERE s.name = ?",
            (NAME,),
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else (1, 0)

    def draft(self, complex_id: str, period: Period) -> tuple[int, dict[str, Any]]:
        """The live statement and the ledger position it was made at."""
        with self.database.reading() as tx:
            generation, position = self._serving(tx)
            return position, stmt.statement(tx, generation, complex_id, period, through=position)

    def versions(self, complex_id: str) -> list[Version]:
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            return self._versions(tx, generation, complex_id, None)

    def version(self, complex_id: str, period: Period, number: int | None = None) -> Version | None:
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            found = self._versions(tx, generation, complex_id, period.name)
        if number is None:
            return found[-1] if found else None
        return next((v for v in found if v.version == number), None)

    def latest_by_complex(self) -> dict[str, tuple[str, int, str]]:
        """Each complex's most recently published period: (period, version, published_on)."""
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            rows = tx.execute(
                "SELECT complex_id, period, version, published_on FROM stmt_versions"
                " WHERE generation = ? ORDER BY complex_id, published_on, period, version",
                (generation,),
            )
        return {str(c): (str(p), int(v), str(d)) for c, p, v, d in rows}

    @staticmethod
    def _versions(tx: Tx, generation: int, complex_id: str, period: str | None) -> list[Version]:
        where = " AND period = ?" if period else ""
        sql = (  # ``where`` is a constant
            "SELECT period, version, position, published_on, published_by, content_hash,"  # noqa: S608
            " hash_matches, content, digest, diff FROM stmt_versions WHERE generation = ?"
            f" AND complex_id = ?{where} ORDER BY period, version"
        )
        rows = tx.execute(sql, (generation, complex_id, *([period] if period else [])))
        latest: dict[str, int] = {}
        for row in rows:
            latest[str(row[0])] = max(latest.get(str(row[0]), 0), int(row[1]))
        return [
            Version(
                complex_id, str(p), int(v), int(pos), str(on), str(by), str(h), bool(ok),
                json.loads(c), json.loads(d), json.loads(x) if x else None,
                v + 1 if v < latest[str(p)] else None,
            )
            for p, v, pos, on, by, h, ok, c, d, x in rows
        ]  # fmt: skip


def publication_basis(statements: Statements, complex_id: str, period: Period) -> tuple[int, str]:
    """What a publication freezes: the position of the statement and its content hash."""
    position, content = statements.draft(complex_id, period)
    return position, stmt.content_hash(content)
