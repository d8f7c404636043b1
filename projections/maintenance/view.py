"""The maintenance fund's read model (issue #6): fund totals, unit sub-ledgers, projects.

Event by event, in log order, inside the runner's batch: ``Complex.UnitsAdded``
registers each unit with its building (the public aggregation is by building);
every fund movement (deposit, transfer in, interest, disbursement, sale) adds
one entry per unit it moves, with the unit's balance after it, and updates the
unit and the fund's totals; project events keep the project and its
disbursements (with their apportionment summed per building); the committee's
``AnnualStatementPublished`` freezes the year as the ledger stood at its
``through`` position (projections/maintenance/content.py), checking its hash, as version 1.
A later event that changes a published year (H11: a movement, an acceptance or a
disclosure dated inside it, recorded after the publication) makes that year's
next version at the event's position, with a diff naming what changed and the
event that caused it; earlier versions never change. The view remembers which
years of each complex are published (``PublishedYears``), so an event dated after
them costs nothing.

A batch costs a few statements however many units it moves: one query per
complex reads the units the batch touches, and at its end the units, entries,
funds, projects and disbursements are each written in one statement (the
entries with ``COPY`` on PostgreSQL). A 10,000-unit disbursement is one event
and 10,000 entries in one ``COPY``. Which complex a fund belongs to never
changes, so the view remembers it (per generation).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from ledger.base import ChainedAggregate
from ledger.complexes.complex import Complex
from ledger.maintenance import MaintenanceFund as Fund
from ledger.maintenance import RepairProject as Project
from ledger.maintenance.rules import below_replenishment
from projections.db import Tx, among, insert_many
from projections.maintenance import content as maintenance_content
from projections.masking import mask_units
from projections.runner import Batch, on
from projections.statements.content import yuan
from projections.statements.view import recorded_on

NAME = "maintenance"
TABLES = ("mf_funds", "mf_units", "mf_entries", "mf_projects", "mf_disbursements", "mf_statements")
REMEMBERED_FUNDS = 1_000_000
ENTRY_COLUMNS = (
    "generation", "complex_id", "unit_id", "position", "value_date", "kind", "amount",
    "balance_after", "reference", "note",
)  # fmt: skip
UNIT_COLUMNS = (
    "generation, complex_id, unit_id, building, area, balance, first_deposit, first_at, entries"
)
UNIT_TYPES = ("integer", "text", "text", "text", "bigint", "bigint", "bigint", "bigint", "integer")
FUND_COLUMNS = (
    "generation, complex_id, fund_id, established_on, balance, deposits, interest, transfers_in,"
    " disbursed, units, below_line, latest_on, position"
)
FUND_TYPES = ("integer", "text", "text", "text", *["bigint"] * 5, "integer", "integer", "text",
              "bigint")  # fmt: skip
PROJECT_COLUMNS = (
    "generation, project_id, complex_id, kind, title, items, budget, contract_sum, contractor,"
    " contractor_account, affected_units, buildings, planned_on, plan_published_on,"
    " resolution_id, emergency, accepted_on, accepted_at, disclosed_on, disclosed_at,"
    " disbursed, refusals, position"
)
PROJECT_TYPES = (
    "integer", "text", "text", "text", "text", "text", "bigint", "bigint", "text", "text",
    "integer", "text", "text", "text", "text", "text", "text", "bigint", "text", "bigint",
    "bigint", "integer", "bigint",
)  # fmt: skip
PROJECT_MUTABLE = ("accepted_on", "accepted_at", "disclosed_on", "disclosed_at", "disbursed",
                   "refusals")  # fmt: skip
DISBURSEMENT_COLUMNS = (
    "generation, project_id, disbursement_id, complex_id, position, value_date, amount, payee,"
    " reference, units, by_building"
)
DISBURSEMENT_TYPES = ("integer", "text", "text", "text", "bigint", "text", "bigint", "text",
                      "text", "integer", "text")  # fmt: skip
# What each of a disbursement's two events (the project's, the fund's) knows; they may be
# applied in different batches, so each writes its own columns and keeps the other's.
DISBURSEMENT_MERGE = (
    " ON CONFLICT (generation, project_id, disbursement_id) DO UPDATE SET"
    " payee = CASE WHEN excluded.payee = '' THEN mf_disbursements.payee ELSE excluded.payee END,"
    " reference = CASE WHEN excluded.payee = '' THEN mf_disbursements.reference"
    " ELSE excluded.reference END,"
    " units = CASE WHEN excluded.units = 0 THEN mf_disbursements.units ELSE excluded.units END,"
    " by_building = CASE WHEN excluded.units = 0 THEN mf_disbursements.by_building"
    " ELSE excluded.by_building END,"
    " position = CASE WHEN excluded.units = 0 THEN mf_disbursements.position"
    " ELSE excluded.position END"
)

# a unit in memory: [building, area, balance, first deposit, first at, entries, state]
BUILDING, AREA, BALANCE, FIRST, FIRST_AT, ENTRIES, STATE = range(7)
CLEAN, DIRTY, NEW = 0, 1, 2
MONEY_EVENTS = frozenset(
    e.__qualname__
    for e in (Fund.Deposited, Fund.TransferredIn, Fund.InterestAllocated, Fund.Disbursed)
)
# What can change a published year's statement when dated inside it (H11).
REVISING = MONEY_EVENTS | {e.__qualname__ for e in (Project.Accepted, Project.Disclosed)}
STATEMENT_COLUMNS = (
    "generation, complex_id, year, version, position, through, published_on, published_by,"
    " content_hash, hash_matches, content, diff"
)


class PublishedYears:
    """Which years of each complex have a published statement, in one generation, as far as
    this view knows: everything once it applied the copy from its start (``complete``),
    otherwise the complexes it read from the table or saw publish since it resumed."""

    def __init__(self, *, complete: bool) -> None:
        self.complete = complete
        self.years: dict[str, set[str]] = {}

    def of(self, complex_id: str) -> set[str] | None:
        """The complex's published years (None: not known; read them from the table)."""
        found = self.years.get(complex_id)
        if found is None and self.complete:
            found = self.years[complex_id] = set()
        return found


class MaintenanceView:
    name = NAME

    def __init__(self, replenish_ratio_bp: int = 3_000) -> None:
        self.ratio_bp = replenish_ratio_bp
        self._funds: dict[int, dict[str, str]] = {}  # generation -> fund id -> complex id
        self._published: dict[int, PublishedYears] = {}  # generation -> published years

    def resync(self, generation: int, position: int) -> None:
        """The next batch does not follow the last one this view applied (Runner._follows):
        forget the published years, unless the copy starts empty (position 0)."""
        self._published[generation] = PublishedYears(complete=position == 0)

    def clear(self, tx: Tx, generation: int) -> None:
        self._funds.pop(generation, None)
        self._published.pop(generation, None)
        for table in TABLES:
            tx.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))  # noqa: S608

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        funds = self._funds.setdefault(generation, {})
        if len(funds) > REMEMBERED_FUNDS:
            funds.clear()
        published = self._published.setdefault(generation, PublishedYears(complete=False))
        if len(published.years) > REMEMBERED_FUNDS:
            published = self._published[generation] = PublishedYears(complete=False)
        step = _Batch(tx, generation, funds, self.ratio_bp, published)
        step.prepare(batch)
        for position, event in batch:
            handler = HANDLERS.get(type(event).__qualname__)
            if handler is not None:
                handler(step, position, event)
        step.flush()


def _excluded(columns: Iterable[str]) -> str:
    return ", ".join(f"{c} = excluded.{c}" for c in columns)


@dataclass
class _Batch:
    tx: Tx
    g: int
    funds: dict[str, str]  # fund id -> complex id (remembered by the view)
    ratio_bp: int
    published_years: PublishedYears  # remembered by the view
    units: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    totals: dict[str, list[Any]] = field(default_factory=dict)  # complex -> fund row
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)
    changed_projects: set[str] = field(default_factory=set)
    disbursements: dict[tuple[str, str], list[Any]] = field(default_factory=dict)
    entries: list[tuple[Any, ...]] = field(default_factory=list)

    # --- reading what the batch touches, once --------------------------------------

    def prepare(self, batch: Batch) -> None:
        unknown_funds: set[str] = set()
        project_ids: set[str] = set()
        wanted: dict[str, set[str]] = {}  # complex -> units
        for _, e in batch:
            kind = type(e).__qualname__
            if kind == Fund.Established.__qualname__:
                self.funds[str(e.originator_id)] = e.complex_id
            elif kind.startswith("MaintenanceFund.") and str(e.originator_id) not in self.funds:
                unknown_funds.add(str(e.originator_id))
            elif kind.startswith("RepairProject.") and kind != Project.Planned.__qualname__:
                project_ids.add(str(e.originator_id))
        self._learn_funds(sorted(unknown_funds))
        planned: set[str] = set()
        for _, e in batch:
            kind = type(e).__qualname__
            if kind in MONEY_EVENTS:
                wanted.setdefault(self.funds[str(e.originator_id)], set()).update(e.parts)
            elif kind == Fund.SubLedgerTransferred.__qualname__:
                wanted.setdefault(self.funds[str(e.originator_id)], set()).add(e.unit_id)
            elif kind == Project.Planned.__qualname__:
                planned.add(str(e.originator_id))
                wanted.setdefault(e.complex_id, set()).update(e.affected)
        self._load_units(wanted)
        self._load_funds(sorted(self._touched(batch)))
        self._load_projects(sorted(project_ids - planned))
        revising = {self._known_complex(e) for _, e in batch if type(e).__qualname__ in REVISING}
        self._load_published(sorted(c for c in revising if c is not None))

    def _known_complex(self, e: ChainedAggregate.Event) -> str | None:
        """The complex of a fund or project event (None: a project planned in this batch,
        not applied yet)."""
        if type(e).__qualname__.startswith("MaintenanceFund."):
            return self.funds[str(e.originator_id)]
        project = self.projects.get(str(e.originator_id))
        return None if project is None else str(project["complex_id"])

    def _load_published(self, complex_ids: list[str]) -> None:
        """The published years of the complexes the view does not know yet, in one query."""
        known = self.published_years
        wanted = [c for c in complex_ids if known.of(c) is None]
        for complex_id in wanted:
            known.years[complex_id] = set()
        for condition, values in among(self.tx, "complex_id", wanted) if wanted else ():
            rows = self.tx.execute(
                "SELECT DISTINCT complex_id, year FROM mf_statements"  # noqa: S608
                f" WHERE generation = ? AND {condition}",
                [self.g, *values],
            )
            for complex_id, year in rows:
                known.years[str(complex_id)].add(str(year))

    def _touched(self, batch: Batch) -> set[str]:
        return {
            self.funds[str(e.originator_id)]
            for _, e in batch
            if type(e).__qualname__.startswith("MaintenanceFund.")
            and type(e).__qualname__ != Fund.Established.__qualname__
        }

    def _learn_funds(self, fund_ids: list[str]) -> None:
        for condition, values in among(self.tx, "fund_id", fund_ids) if fund_ids else ():
            rows = self.tx.execute(
                f"SELECT fund_id, complex_id FROM mf_funds WHERE generation = ? AND {condition}",  # noqa: S608
                [self.g, *values],
            )
            self.funds.update((str(f), str(c)) for f, c in rows)

    def _load_units(self, wanted: dict[str, set[str]]) -> None:
        for complex_id, unit_ids in wanted.items():
            ids = sorted(u for u in unit_ids if (complex_id, u) not in self.units)
            for condition, values in among(self.tx, "unit_id", ids) if ids else ():
                rows = self.tx.execute(
                    "SELECT unit_id, building, area, balance, first_deposit, first_at, entries"  # noqa: S608
                    f" FROM mf_units WHERE generation = ? AND complex_id = ? AND {condition}",
                    [self.g, complex_id, *values],
                )
                for unit_id, building, area, balance, first, first_at, entries in rows:
                    self.units[(complex_id, str(unit_id))] = [
                        str(building), int(area), int(balance), int(first),
                        None if first_at is None else int(first_at), int(entries), CLEAN,
                    ]  # fmt: skip

    def _load_funds(self, complex_ids: list[str]) -> None:
        for condition, values in among(self.tx, "complex_id", complex_ids) if complex_ids else ():
            rows = self.tx.execute(
                f"SELECT {FUND_COLUMNS} FROM mf_funds WHERE generation = ? AND {condition}",  # noqa: S608
                [self.g, *values],
            )
            for row in rows:
                self.totals[str(row[1])] = list(row)

    def _load_projects(self, project_ids: list[str]) -> None:
        names = [c.strip() for c in PROJECT_COLUMNS.split(",")]
        for condition, values in among(self.tx, "project_id", project_ids) if project_ids else ():
            rows = self.tx.execute(
                f"SELECT {PROJECT_COLUMNS} FROM mf_projects WHERE generation = ? AND {condition}",  # noqa: S608
                [self.g, *values],
            )
            for row in rows:
                self.projects[str(row[1])] = dict(zip(names, row, strict=True))

    # --- changing what is in memory --------------------------------------------------

    def below(self, balance: int, first: int) -> bool:
        """A19: a unit below the replenishment line (a share of its first deposit)."""
        return below_replenishment(balance, first, self.ratio_bp)

    def move(
        self, position: int, e: ChainedAggregate.Event, *, parts: dict[str, int], kind: str, sign: int,
        reference: str, note: str = "", firsts: dict[str, int] | None = None,
    ) -> None:  # fmt: skip
        """Each unit's part of one movement: an entry, its balance, the fund's counts."""
        complex_id = self.funds[str(e.originator_id)]
        fund = self.totals[complex_id]
        firsts = firsts or {}
        for unit_id, part in parts.items():
            if not part:
                continue  # a share that rounds to nothing moves nothing: no entry
            unit = self.units[(complex_id, unit_id)]
            was_below, had_entries = self.below(unit[BALANCE], unit[FIRST]), unit[ENTRIES] > 0
            unit[BALANCE] += sign * part
            if unit_id in firsts:
                unit[FIRST], unit[FIRST_AT] = firsts[unit_id], position
            unit[ENTRIES] += 1
            unit[STATE] = unit[STATE] or DIRTY
            fund[10] += self.below(unit[BALANCE], unit[FIRST]) - was_below  # below_line
            fund[9] += 0 if had_entries else 1  # units with a sub-ledger
            self.entries.append(
                (self.g, complex_id, unit_id, position, e.value_date, kind, sign * part,
                 unit[BALANCE], reference, note)
            )  # fmt: skip
        total = sum(parts.values())
        fund[4] += sign * total  # balance
        fund[11] = max(fund[11], e.value_date)  # latest_on
        fund[12] = position

    def project(self, project_id: str) -> dict[str, Any]:
        self.changed_projects.add(project_id)
        return self.projects[project_id]

    # --- writing ------------------------------------------------------------------------

    def flush(self) -> None:
        """Write everything the batch changed (also before a publication reads it back)."""
        tx, g = self.tx, self.g
        units = [
            (g, c, u, *state[:STATE])
            for (c, u), state in self.units.items()
            if state[STATE] != CLEAN
        ]
        insert_many(
            tx, "mf_units", UNIT_COLUMNS, UNIT_TYPES, units,
            conflict=" ON CONFLICT (generation, complex_id, unit_id) DO UPDATE SET "
            + _excluded(("balance", "first_deposit", "first_at", "entries")),
        )  # fmt: skip
        for state in self.units.values():
            state[STATE] = CLEAN
        tx.append("mf_entries", ENTRY_COLUMNS, self.entries)
        self.entries = []
        insert_many(
            tx, "mf_funds", FUND_COLUMNS, FUND_TYPES, list(self.totals.values()),
            conflict=" ON CONFLICT (generation, complex_id) DO UPDATE SET "
            + _excluded(c.strip() for c in FUND_COLUMNS.split(",")[3:]),
        )  # fmt: skip
        names = [c.strip() for c in PROJECT_COLUMNS.split(",")]
        insert_many(
            tx, "mf_projects", PROJECT_COLUMNS, PROJECT_TYPES,
            [tuple(self.projects[p][n] for n in names) for p in sorted(self.changed_projects)],
            conflict=" ON CONFLICT (generation, project_id) DO UPDATE SET "
            + _excluded(PROJECT_MUTABLE),
        )  # fmt: skip
        self.changed_projects = set()
        insert_many(
            tx, "mf_disbursements", DISBURSEMENT_COLUMNS, DISBURSEMENT_TYPES,
            list(self.disbursements.values()), conflict=DISBURSEMENT_MERGE,
        )  # fmt: skip
        self.disbursements = {}

    # --- published statements (H11) ---------------------------------------------------

    def published(self, complex_id: str) -> set[str]:
        """The complex's published years."""
        found = self.published_years.of(complex_id)
        if found is None:
            self._load_published([complex_id])
            found = self.published_years.years[complex_id]
        return found

    def insert_statement(
        self, complex_id: str, year: str, *, version: int, position: int, through: int,
        published_on: str, published_by: str, content: dict[str, Any], expected: str | None,
        diff: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        """A version of a year's statement; ``expected`` the hash its publication named (None:
        its own). Written at once: a later event of the batch may read it back."""
        canonical = maintenance_content.canonical(content)
        actual = maintenance_content.hash_of(canonical)
        self.tx.execute(
            f"INSERT INTO mf_statements ({STATEMENT_COLUMNS})"  # noqa: S608 (constants)
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (generation, complex_id, year, version) DO NOTHING",
            (self.g, complex_id, year, version, position, through, published_on, published_by,
             actual, int(expected is None or actual == expected), canonical.decode(),
             json.dumps(diff, ensure_ascii=False, sort_keys=True) if diff else None),
        )  # fmt: skip
        self.published(complex_id).add(year)

    def revise(
        self, complex_id: str, years: list[str], position: int, cause: dict[str, Any]
    ) -> None:
        """The next version of each of these published years whose statement the ledger at
        ``position`` no longer matches, with what changed and why (H11)."""
        if not years:
            return
        self.flush()
        for year in sorted(years):
            latest = self.tx.execute(
                "SELECT version, content FROM mf_statements WHERE generation = ?"
                " AND complex_id = ? AND year = ? ORDER BY version DESC LIMIT 1",
                (self.g, complex_id, year),
            )
            version, before = int(latest[0][0]), json.loads(latest[0][1])
            content = maintenance_content.annual(
                self.tx, self.g, complex_id, int(year), through=position, ratio_bp=self.ratio_bp
            )
            new = json.loads(maintenance_content.canonical(content))  # key order as read back
            if new == before:
                continue
            self.insert_statement(
                complex_id, year, version=version + 1, position=position, through=position,
                published_on=cause["recorded_on"], published_by="correction", content=new,
                expected=None, diff=maintenance_content.diff(before, new, cause),
            )  # fmt: skip

    def disbursement(
        self, e: Fund.Disbursed | Project.Disbursed, position: int, complex_id: str
    ) -> list[Any]:
        key = (e.project_id if hasattr(e, "project_id") else str(e.originator_id),
               e.disbursement_id)  # fmt: skip
        row = self.disbursements.get(key)
        if row is None:
            amount = e.total if hasattr(e, "total") else e.amount
            row = [self.g, key[0], key[1], complex_id, position, e.value_date, amount, "", "", 0,
                   ""]  # fmt: skip
            self.disbursements[key] = row
        return row


# --- handlers ----------------------------------------------------------------------------


def _units_added(b: _Batch, position: int, e: Complex.UnitsAdded) -> None:
    complex_id = str(e.originator_id)
    for unit_id, unit in e.units.items():
        b.units[(complex_id, unit_id)] = [unit["building"], unit["area"], 0, 0, None, 0, NEW]


def _established(b: _Batch, position: int, e: Fund.Established) -> None:
    b.totals[e.complex_id] = [
        b.g, e.complex_id, str(e.originator_id), e.value_date, 0, 0, 0, 0, 0, 0, 0,
        e.value_date, position,
    ]  # fmt: skip


def _deposited(b: _Batch, position: int, e: Fund.Deposited) -> None:
    b.move(position, e, parts=e.parts, kind=e.kind, sign=1, reference=f"batch:{e.batch_id}",
           note=e.reference, firsts=e.first_deposits)  # fmt: skip
    b.totals[b.funds[str(e.originator_id)]][5] += e.total
    _revise(b, position, e, "deposit", amount=yuan(e.total), reference=e.reference)


def _transferred_in(b: _Batch, position: int, e: Fund.TransferredIn) -> None:
    b.move(position, e, parts=e.parts, kind="transfer_in", sign=1,
           reference=f"transfer:{e.account_id}/{e.expenditure_id}")  # fmt: skip
    b.totals[b.funds[str(e.originator_id)]][7] += e.total
    _revise(b, position, e, "transfer_in", amount=yuan(e.total))


def _interest(b: _Batch, position: int, e: Fund.InterestAllocated) -> None:
    b.move(position, e, parts=e.parts, kind="interest", sign=1,
           reference=f"interest:{e.period_from}/{e.period_to}", note=e.reference)  # fmt: skip
    b.totals[b.funds[str(e.originator_id)]][6] += e.total
    _revise(b, position, e, "interest", amount=yuan(e.total), reference=e.reference)


def _fund_disbursed(b: _Batch, position: int, e: Fund.Disbursed) -> None:
    complex_id = b.funds[str(e.originator_id)]
    b.move(position, e, parts=e.parts, kind="disbursement", sign=-1,
           reference=f"disbursement:{e.project_id}/{e.disbursement_id}")  # fmt: skip
    b.totals[complex_id][8] += e.total
    by_building: dict[str, int] = {}
    for unit_id, part in e.parts.items():
        building = b.units[(complex_id, unit_id)][BUILDING]
        by_building[building] = by_building.get(building, 0) + part
    row = b.disbursement(e, position, complex_id)
    row[4], row[9] = position, len(e.parts)
    row[10] = json.dumps(dict(sorted(by_building.items())), ensure_ascii=False)
    _revise(b, position, e, "disbursement", amount=yuan(e.total), project_id=e.project_id)


def _sale(b: _Batch, position: int, e: Fund.SubLedgerTransferred) -> None:
    complex_id = b.funds[str(e.originator_id)]
    unit = b.units[(complex_id, e.unit_id)]
    unit[STATE] = unit[STATE] or DIRTY
    unit[ENTRIES] += 1
    if unit[ENTRIES] == 1:
        b.totals[complex_id][9] += 1
    b.entries.append(
        (b.g, complex_id, e.unit_id, position, e.value_date, "sale", 0, unit[BALANCE], "sale", "")
    )


def _revise(
    b: _Batch, position: int, e: ChainedAggregate.Event, movement: str, **more: Any
) -> None:
    """After an event dated inside a published year (or before it: its opening moves): the
    next version of each year it changes (H11)."""
    complex_id = b._known_complex(e) or ""
    years = [y for y in b.published(complex_id) if y >= e.value_date[:4]]
    if not years:
        return
    cause = {
        "event": f"{e.originator_id}/{e.originator_version}", "movement": movement,
        "value_date": e.value_date, "recorded_on": recorded_on(e), **more,
    }  # fmt: skip
    b.revise(complex_id, years, position, cause)


def _annual_published(b: _Batch, position: int, e: Fund.AnnualStatementPublished) -> None:
    """Version 1, as the ledger stood at ``through``; then version 2 if the year changed
    between the draft the committee saw and this event (it was applied before the year
    counted as published)."""
    complex_id = b.funds[str(e.originator_id)]
    b.flush()
    content = maintenance_content.annual(
        b.tx, b.g, complex_id, int(e.year), through=e.through, ratio_bp=b.ratio_bp
    )
    b.insert_statement(
        complex_id, e.year, version=1, position=position, through=e.through,
        published_on=e.value_date, published_by=e.principal, content=content,
        expected=e.content_hash, diff=None,
    )  # fmt: skip
    if _changed_after(b, complex_id, e.through):
        cause = {
            "event": f"{e.originator_id}/{e.originator_version}",
            "movement": "recorded_while_publishing", "value_date": e.value_date,
            "recorded_on": recorded_on(e),
        }  # fmt: skip
        b.revise(complex_id, [e.year], position, cause)


def _changed_after(b: _Batch, complex_id: str, after: int) -> bool:
    """Whether the complex's fund moved, or a project of it was accepted or disclosed, at a
    position after ``after`` (flushed: the projects are read back)."""
    if int(b.totals[complex_id][12]) > after:  # the fund's latest movement
        return True
    return bool(
        b.tx.execute(
            "SELECT 1 FROM mf_projects WHERE generation = ? AND complex_id = ?"
            " AND (accepted_at > ? OR disclosed_at > ?) LIMIT 1",
            (b.g, complex_id, after, after),
        )
    )


def _planned(b: _Batch, position: int, e: Project.Planned) -> None:
    buildings: dict[str, list[int]] = {}
    for unit_id, area in e.affected.items():
        building = b.units[(e.complex_id, unit_id)][BUILDING]
        counts = buildings.setdefault(building, [0, 0])
        counts[0] += 1
        counts[1] += area
    project_id = str(e.originator_id)
    b.projects[project_id] = {
        "generation": b.g, "project_id": project_id, "complex_id": e.complex_id, "kind": e.kind,
        "title": e.title, "items": json.dumps(e.items, ensure_ascii=False),
        "budget": e.budget, "contract_sum": e.contract_sum, "contractor": e.contractor["name"],
        "contractor_account": e.contractor["bank_account"], "affected_units": len(e.affected),
        "buildings": json.dumps(
            {k: {"units": v[0], "area": v[1]} for k, v in sorted(buildings.items())},
            ensure_ascii=False,
        ),
        "planned_on": e.value_date, "plan_published_on": e.plan_published_on,
        "resolution_id": e.resolution_id,
        "emergency": json.dumps(e.emergency, ensure_ascii=False) if e.emergency else None,
        "accepted_on": None, "accepted_at": None, "disclosed_on": None, "disclosed_at": None,
        "disbursed": 0, "refusals": 0, "position": position,
    }  # fmt: skip
    b.changed_projects.add(project_id)


def _accepted(b: _Batch, position: int, e: Project.Accepted) -> None:
    project = b.project(str(e.originator_id))
    project["accepted_on"], project["accepted_at"] = e.value_date, position
    _revise(b, position, e, "acceptance", project_id=str(e.originator_id))


def _disclosed(b: _Batch, position: int, e: Project.Disclosed) -> None:
    project = b.project(str(e.originator_id))
    project["disclosed_on"], project["disclosed_at"] = e.value_date, position
    _revise(b, position, e, "disclosure", project_id=str(e.originator_id))


def _project_disbursed(b: _Batch, position: int, e: Project.Disbursed) -> None:
    project = b.project(str(e.originator_id))
    project["disbursed"] += e.amount
    row = b.disbursement(e, position, project["complex_id"])
    row[7], row[8] = e.payee, mask_units(e.reference)


def _refused(b: _Batch, position: int, e: Project.DisbursementRefused) -> None:
    b.project(str(e.originator_id))["refusals"] += 1


Handler = Callable[[_Batch, int, Any], None]
HANDLERS: dict[str, Handler] = dict(
    (
        on(Complex.UnitsAdded, _units_added),
        on(Fund.Established, _established),
        on(Fund.Deposited, _deposited),
        on(Fund.TransferredIn, _transferred_in),
        on(Fund.InterestAllocated, _interest),
        on(Fund.Disbursed, _fund_disbursed),
        on(Fund.SubLedgerTransferred, _sale),
        on(Fund.AnnualStatementPublished, _annual_published),
        on(Project.Planned, _planned),
        on(Project.Accepted, _accepted),
        on(Project.Disclosed, _disclosed),
        on(Project.Disbursed, _project_disbursed),
        on(Project.DisbursementRefused, _refused),
    )
)
