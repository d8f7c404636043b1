"""Reading the maintenance fund's read model: totals, projects, a unit's ledger, annual statements.

Every read is one snapshot of the serving generation; a unit's ledger is read by
its primary key (complex, unit, position), so it never touches the fund's history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from projections.db import Database, Tx
from projections.maintenance import content as maintenance_content
from projections.maintenance.view import NAME

PROJECT_FIELDS = (
    "project_id, complex_id, kind, title, items, budget, contract_sum, contractor,"
    " contractor_account, affected_units, buildings, planned_on, plan_published_on,"
    " resolution_id, emergency, accepted_on, disclosed_on, disbursed, refusals"
)


@dataclass(frozen=True, slots=True)
class FundTotals:
    complex_id: str
    fund_id: str
    established_on: str
    balance: int
    deposits: int
    interest: int
    transfers_in: int
    disbursed: int
    units: int
    below_line: int
    latest_on: str
    position: int


@dataclass(frozen=True, slots=True)
class UnitLedger:
    building: str
    balance: int
    first_deposit: int
    entries: int
    lines: list[
        dict[str, Any]
    ]  # position, value_date, kind, amount, balance_after, reference, note


@dataclass(frozen=True, slots=True)
class Published:
    """A version of a year's statement: 1 as published, later ones made by corrections (H11)."""

    complex_id: str
    year: str
    position: int
    through: int
    published_on: str
    published_by: str
    content_hash: str
    hash_matches: bool
    content: dict[str, Any]
    version: int = 1
    superseded_by: int | None = None
    diff: dict[str, Any] | None = None


PUBLISHED_FIELDS = (
    "complex_id, year, position, through, published_on, published_by, content_hash,"
    " hash_matches, content, version, diff"
)


def serving(tx: Tx) -> tuple[int, int]:
    rows = tx.execute(
        "SELECT s.generation, COALESCE(t.position, 0) FROM projection_state s"
        " LEFT JOIN projection_tracking t ON t.name = s.name AND t.generation = s.generation"
        " WHERE s.name = ?",
        (NAME,),
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (1, 0)


def _project(row: tuple[Any, ...]) -> dict[str, Any]:
    names = [n.strip() for n in PROJECT_FIELDS.split(",")]
    found = dict(zip(names, row, strict=True))
    found["items"] = json.loads(found["items"])
    found["buildings"] = json.loads(found["buildings"])
    found["emergency"] = json.loads(found["emergency"]) if found["emergency"] else None
    return found


class MaintenanceReads:
    def __init__(self, database: Database, *, replenish_ratio_bp: int = 3_000) -> None:
        self.database = database
        self.ratio_bp = replenish_ratio_bp

    def totals(self, complex_id: str) -> FundTotals | None:
        with self.database.reading() as tx:
            g, _ = serving(tx)
            rows = tx.execute(
                "SELECT complex_id, fund_id, established_on, balance, deposits, interest,"
                " transfers_in, disbursed, units, below_line, latest_on, position FROM mf_funds"
                " WHERE generation = ? AND complex_id = ?",
                (g, complex_id),
            )
        return FundTotals(*rows[0]) if rows else None

    def projects(self, complex_id: str) -> list[dict[str, Any]]:
        with self.database.reading() as tx:
            g, _ = serving(tx)
            rows = tx.execute(
                f"SELECT {PROJECT_FIELDS} FROM mf_projects WHERE generation = ?"  # noqa: S608
                " AND complex_id = ? ORDER BY position",
                (g, complex_id),
            )
        return [_project(r) for r in rows]

    def project(self, project_id: str) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        """A project and its disbursements (oldest first)."""
        with self.database.reading() as tx:
            g, _ = serving(tx)
            rows = tx.execute(
                f"SELECT {PROJECT_FIELDS} FROM mf_projects WHERE generation = ?"  # noqa: S608
                " AND project_id = ?",
                (g, project_id),
            )
            paid = tx.execute(
                "SELECT disbursement_id, value_date, amount, payee, reference, units, by_building"
                " FROM mf_disbursements WHERE generation = ? AND project_id = ?"
                " ORDER BY position, disbursement_id",
                (g, project_id),
            )
        if not rows:
            return None
        payments = [
            {
                "disbursement_id": d, "value_date": day, "amount": int(amount), "payee": payee,
                "reference": reference, "units": int(units),
                "by_building": json.loads(by_building) if by_building else {},
            }
            for d, day, amount, payee, reference, units, by_building in paid
        ]  # fmt: skip
        return _project(rows[0]), payments

    def unit_ledger(
        self, complex_id: str, unit_id: str, *, after: int, limit: int
    ) -> UnitLedger | None:
        """A unit's sub-ledger and up to ``limit`` of its entries after position ``after``."""
        with self.database.reading() as tx:
            g, _ = serving(tx)
            unit = tx.execute(
                "SELECT building, balance, first_deposit, entries FROM mf_units"
                " WHERE generation = ? AND complex_id = ? AND unit_id = ?",
                (g, complex_id, unit_id),
            )
            if not unit:
                return None
            lines = tx.execute(
                "SELECT position, value_date, kind, amount, balance_after, reference, note"
                " FROM mf_entries WHERE generation = ? AND complex_id = ? AND unit_id = ?"
                " AND position > ? ORDER BY position LIMIT ?",
                (g, complex_id, unit_id, after, limit),
            )
        building, balance, first, entries = unit[0]
        names = ("position", "value_date", "kind", "amount", "balance_after", "reference", "note")
        return UnitLedger(
            str(building), int(balance), int(first), int(entries),
            [dict(zip(names, line, strict=True)) for line in lines],
        )  # fmt: skip

    def draft(self, complex_id: str, year: int) -> tuple[int, dict[str, Any]]:
        """The year's statement as the read model stands, and the position it was made at."""
        with self.database.reading() as tx:
            g, position = serving(tx)
            content = maintenance_content.annual(
                tx, g, complex_id, year, through=position, ratio_bp=self.ratio_bp
            )
        return position, content

    def publication_basis(self, complex_id: str, year: int) -> tuple[int, str]:
        """What a publication freezes: the position and the hash of the content at it."""
        position, content = self.draft(complex_id, year)
        return position, maintenance_content.hash_of(maintenance_content.canonical(content))

    def published(
        self, complex_id: str, year: int, *, version: int | None = None
    ) -> Published | None:
        """The latest version of the year's statement, or the one asked for."""
        found = self.versions(complex_id, year)
        if version is None:
            return found[-1] if found else None
        return next((v for v in found if v.version == version), None)

    def versions(self, complex_id: str, year: int) -> list[Published]:
        """Every version of the year's statement, oldest first (a year has a handful)."""
        with self.database.reading() as tx:
            g, _ = serving(tx)
            rows = tx.execute(
                f"SELECT {PUBLISHED_FIELDS} FROM mf_statements"  # noqa: S608 (constants)
                " WHERE generation = ? AND complex_id = ? AND year = ? ORDER BY version",
                (g, complex_id, str(year)),
            )
        found = []
        for n, row in enumerate(rows):
            (cid, year_, position, through, on, by, digest, matches, content, number, diff) = row
            found.append(
                Published(
                    str(cid), str(year_), int(position), int(through), str(on), str(by),
                    str(digest), bool(matches), json.loads(content), int(number),
                    int(rows[n + 1][9]) if n + 1 < len(rows) else None,
                    json.loads(diff) if diff else None,
                )
            )  # fmt: skip
        return found

    def published_years(self, complex_id: str) -> list[str]:
        with self.database.reading() as tx:
            g, _ = serving(tx)
            rows = tx.execute(
                "SELECT year FROM mf_statements WHERE generation = ? AND complex_id = ?"
                " ORDER BY year DESC",
                (g, complex_id),
            )
        return [str(r[0]) for r in rows]
