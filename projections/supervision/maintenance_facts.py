"""The supervision view's facts about the maintenance fund (issue #6), and the rules they feed.

Funds and their annual statements (A09), each unit's balance and first
deposit (A19, A26), repair projects (A17, A18, A26). A movement's per-unit parts reach
``sup_fund_units`` in one statement on PostgreSQL (``unnest`` of arrays sent in
binary) and one ``executemany`` on SQLite, so a 10,000-unit event costs a few
round trips, not 10,000. Handlers are called by ``view.py`` in log order inside
the runner's batch transaction.
"""

from __future__ import annotations

from collections.abc import Mapping

from ledger.maintenance import MaintenanceFund as Fund
from ledger.maintenance import RepairProject as Project
from projections.supervision import maintenance_rules
from projections.supervision.alerts import raise_alerts
from projections.supervision.facts import Step

_UPSERT = (
    " ON CONFLICT (generation, fund_id, unit_id) DO UPDATE SET"
    " balance = sup_fund_units.balance + excluded.balance,"
    " first_deposit = CASE WHEN excluded.first_deposit > 0 THEN excluded.first_deposit"
    " ELSE sup_fund_units.first_deposit END"
)


def _move(
    s: Step, fund_id: str, parts: Mapping[str, int], sign: int, firsts: Mapping[str, int]
) -> None:
    """Add ``sign`` × each unit's part to its balance; set the first deposits given."""
    if not parts:
        return
    if s.tx.dialect == "postgres":
        s.tx.execute(
            "INSERT INTO sup_fund_units (generation, fund_id, unit_id, balance, first_deposit)"  # noqa: S608
            " SELECT ?, ?, p.unit_id, p.amount, p.first"
            " FROM unnest(%b::text[], %b::bigint[], %b::bigint[]) AS p(unit_id, amount, first)"
            + _UPSERT,
            (
                s.g, fund_id, list(parts), [sign * a for a in parts.values()],
                [firsts.get(u, 0) for u in parts],
            ),
        )  # fmt: skip
        return
    s.tx.executemany(
        "INSERT INTO sup_fund_units (generation, fund_id, unit_id, balance, first_deposit)"  # noqa: S608
        " VALUES (?, ?, ?, ?, ?)" + _UPSERT,
        [(s.g, fund_id, u, sign * a, firsts.get(u, 0)) for u, a in parts.items()],
    )


def _complex_of_fund(s: Step, fund_id: str) -> str:
    rows = s.run("SELECT complex_id FROM sup_funds WHERE generation = ? AND fund_id = ?", fund_id)
    return str(rows[0][0]) if rows else ""


# --- the fund ---------------------------------------------------------------------


def established(s: Step, position: int, e: Fund.Established) -> None:
    s.run(
        "INSERT INTO sup_funds (generation, fund_id, complex_id, established_on)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.complex_id, e.value_date,
    )  # fmt: skip


def deposited(s: Step, position: int, e: Fund.Deposited) -> None:
    fund_id = str(e.originator_id)
    _move(s, fund_id, e.parts, 1, e.first_deposits)
    if e.kind == "initial_transfer":
        s.found(
            position, maintenance_rules.arrived_below(s.catalog, e, _complex_of_fund(s, fund_id))
        )


def transferred_in(s: Step, position: int, e: Fund.TransferredIn) -> None:
    _move(s, str(e.originator_id), e.parts, 1, {})


def interest_allocated(s: Step, position: int, e: Fund.InterestAllocated) -> None:
    fund_id = str(e.originator_id)
    s.found(position, maintenance_rules.interest_gap(s.catalog, e, _complex_of_fund(s, fund_id)))
    _move(s, fund_id, e.parts, 1, {})


def disbursed(s: Step, position: int, e: Fund.Disbursed) -> None:
    """A19 looks at the balances before the debit; its alerts are raised together."""
    fund_id = str(e.originator_id)
    findings = maintenance_rules.replenishment(
        s.tx, s.g, s.catalog, e, _complex_of_fund(s, fund_id)
    )
    if findings:
        raise_alerts(s.tx, s.g, findings, position, s.hooks)
    _move(s, fund_id, e.parts, -1, {})


def annual_published(s: Step, position: int, e: Fund.AnnualStatementPublished) -> None:
    s.run(
        "INSERT INTO sup_fund_disclosures (generation, fund_id, year, published_on, position)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.year, e.value_date, position,
    )  # fmt: skip


# --- repair projects ------------------------------------------------------------------


def planned(s: Step, position: int, e: Project.Planned) -> None:
    s.run(
        "INSERT INTO sup_projects (generation, project_id, fund_id, complex_id, kind, budget,"
        " contract_sum, planned_on, resolution_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT DO NOTHING",
        str(e.originator_id), e.fund_id, e.complex_id, e.kind, e.budget, e.contract_sum,
        e.value_date, e.resolution_id or "",
    )  # fmt: skip
    findings = maintenance_rules.shortfall_planned(s.tx, s.g, s.catalog, e)
    if findings:  # a unit notice per short unit: written together
        raise_alerts(s.tx, s.g, findings, position, s.hooks)


def _project(s: Step, e: Project.Accepted | Project.Disclosed, column: str) -> None:
    s.tx.execute(
        f"UPDATE sup_projects SET {column} = ? WHERE generation = ? AND project_id = ?",  # noqa: S608
        (e.value_date, s.g, str(e.originator_id)),
    )


def accepted(s: Step, position: int, e: Project.Accepted) -> None:
    _project(s, e, "accepted_on")


def disclosed(s: Step, position: int, e: Project.Disclosed) -> None:
    _project(s, e, "disclosed_on")


def refused(s: Step, position: int, e: Project.DisbursementRefused) -> None:
    rows = s.run(
        "SELECT project_id, fund_id, complex_id, kind, budget, contract_sum, planned_on,"
        " accepted_on FROM sup_projects WHERE generation = ? AND project_id = ?",
        str(e.originator_id),
    )
    if not rows:
        return
    project_id, fund_id, complex_id, kind, budget, contract_sum, planned_on, accepted_on = rows[0]
    project = maintenance_rules.Project(
        str(project_id), str(fund_id), str(complex_id), str(kind), int(budget), int(contract_sum),
        str(planned_on), str(accepted_on),
    )  # fmt: skip
    s.found(position, maintenance_rules.payout_refused(s.catalog, e, project))
    findings = maintenance_rules.shortfall_refused(s.catalog, e, project)
    if findings:
        raise_alerts(s.tx, s.g, findings, position, s.hooks)


def use_refused(s: Step, position: int, e: Fund.UseRefused) -> None:
    fund_id = str(e.originator_id)
    s.found(
        position,
        maintenance_rules.emergency_refused(s.catalog, e, fund_id, _complex_of_fund(s, fund_id)),
    )
