"""The maintenance fund's annual statement (Disclosure), computed from its read model.

The same function makes the live figures and, at a ledger position, the frozen
published version, so a published statement can be rebuilt from the log and
checked against its content hash (like projections/statements/content.py). What is public:
the fund's totals, each building's totals (unit balances aggregated), the
projects with their cost and apportionment per building. Unit detail is only in
the unit's own ledger, for its owner.
"""

from __future__ import annotations

import json
from typing import Any

from ledger.maintenance.rules import below_replenishment
from ledger.masking import UnitRegister
from projections.db import Tx
from projections.statements.content import canonical, hash_of, yuan

__all__ = ["annual", "building_order", "canonical", "diff", "hash_of"]

DEPOSIT_KINDS = ("first", "additional", "initial_transfer")
FIGURES = ("opening", "deposits", "interest", "transfers_in", "disbursements", "closing")


def building_order(building: str) -> tuple[int, str]:
    """Buildings 1, 2, … 10 in their natural order, named ones after them."""
    return (int(building), "") if building.isdigit() else (1 << 62, building)


def _per_unit(
    tx: Tx, g: int, complex_id: str, *, start: str, end: str, through: int
) -> list[tuple[Any, ...]]:
    deposit_kinds = ", ".join(f"'{k}'" for k in DEPOSIT_KINDS)
    return tx.execute(
        "SELECT u.building, e.unit_id, u.first_deposit, u.first_at,"  # noqa: S608 (constants)
        " SUM(CASE WHEN e.value_date < ? THEN e.amount ELSE 0 END),"
        f" SUM(CASE WHEN e.value_date >= ? AND e.kind IN ({deposit_kinds}) THEN e.amount ELSE 0 END),"
        " SUM(CASE WHEN e.value_date >= ? AND e.kind = 'interest' THEN e.amount ELSE 0 END),"
        " SUM(CASE WHEN e.value_date >= ? AND e.kind = 'transfer_in' THEN e.amount ELSE 0 END),"
        " SUM(CASE WHEN e.value_date >= ? AND e.kind = 'disbursement' THEN -e.amount ELSE 0 END),"
        " SUM(e.amount)"
        " FROM mf_entries e JOIN mf_units u ON u.generation = e.generation"
        " AND u.complex_id = e.complex_id AND u.unit_id = e.unit_id"
        " WHERE e.generation = ? AND e.complex_id = ? AND e.value_date <= ? AND e.position <= ?"
        " GROUP BY u.building, e.unit_id, u.first_deposit, u.first_at",
        (start, start, start, start, start, g, complex_id, end, through),
    )


def annual(
    tx: Tx, g: int, complex_id: str, year: int, *, through: int, ratio_bp: int
) -> dict[str, Any]:
    """The fund's statement of ``year`` as the ledger stood at position ``through``."""
    start, end = f"{year:04d}-01-01", f"{year:04d}-12-31"
    buildings: dict[str, list[int]] = {}  # building -> FIGURES + [units, below]
    for building, _unit, first, first_at, *figures in _per_unit(
        tx, g, complex_id, start=start, end=end, through=through
    ):
        sums = buildings.setdefault(str(building), [0] * (len(FIGURES) + 2))
        for index, value in enumerate(figures):
            sums[index] += int(value)
        known_first = int(first) if first_at is not None and int(first_at) <= through else 0
        sums[len(FIGURES)] += 1
        below = below_replenishment(int(figures[-1]), known_first, ratio_bp)
        sums[len(FIGURES) + 1] += int(below)
    totals = [sum(b[i] for b in buildings.values()) for i in range(len(FIGURES) + 2)]
    projects = _projects(tx, g, complex_id, start=start, end=end, through=through)
    return {
        "complex_id": complex_id,
        "year": str(year),
        "from": start,
        "to": end,
        "replenish_ratio": f"{ratio_bp / 10_000:.2f}",
        "totals": {
            **{name: yuan(totals[i]) for i, name in enumerate(FIGURES)},
            "units": totals[len(FIGURES)],
            "units_below_replenishment": totals[len(FIGURES) + 1],
        },
        "buildings": [
            {
                "building": name,
                **{figure: yuan(sums[i]) for i, figure in enumerate(FIGURES)},
                "units": sums[len(FIGURES)],
                "units_below_replenishment": sums[len(FIGURES) + 1],
            }
            for name, sums in sorted(buildings.items(), key=lambda b: building_order(b[0]))
        ],
        "projects": projects,
    }


def _projects(
    tx: Tx, g: int, complex_id: str, *, start: str, end: str, through: int
) -> list[dict[str, Any]]:
    paid: dict[str, list[dict[str, Any]]] = {}
    to_date: dict[str, int] = {}
    for project_id, disbursement_id, day, amount, reference, by_building in tx.execute(
        "SELECT project_id, disbursement_id, value_date, amount, reference, by_building"
        " FROM mf_disbursements WHERE generation = ? AND complex_id = ? AND units > 0"
        " AND position <= ? AND value_date <= ? ORDER BY value_date, position",
        (g, complex_id, through, end),
    ):
        to_date[project_id] = to_date.get(project_id, 0) + int(amount)
        if day >= start:
            paid.setdefault(project_id, []).append(
                {
                    "disbursement_id": disbursement_id,
                    "date": day,
                    "amount": yuan(int(amount)),
                    "reference": reference,
                    "by_building": json.loads(by_building),
                }
            )
    # every registered unit id of the complex, whatever its shape, is masked in public text
    units = UnitRegister.of(
        (str(u), str(b))
        for u, b in tx.execute(
            "SELECT unit_id, building FROM mf_units WHERE generation = ? AND complex_id = ?",
            (g, complex_id),
        )
    )
    found = []
    for row in tx.execute(
        "SELECT project_id, kind, title, items, budget, contract_sum, contractor, affected_units,"
        " buildings, planned_on, resolution_id, emergency, accepted_on, accepted_at,"
        " disclosed_on, disclosed_at FROM mf_projects WHERE generation = ? AND complex_id = ?"
        " AND position <= ? AND planned_on <= ? ORDER BY planned_on, project_id",
        (g, complex_id, through, end),
    ):
        (project_id, kind, title, items, budget, contract_sum, contractor, affected, buildings,
         planned_on, resolution_id, emergency, accepted_on, accepted_at, disclosed_on,
         disclosed_at) = row  # fmt: skip
        accepted = accepted_on if accepted_at is not None and accepted_at <= through else None
        disclosed = disclosed_on if disclosed_at is not None and disclosed_at <= through else None
        payments = paid.get(project_id, [])
        if planned_on < start and not payments and not (accepted and accepted >= start):
            continue  # no activity in the year
        in_year: dict[str, int] = {}
        for payment in payments:
            for building, amount in payment["by_building"].items():
                in_year[building] = in_year.get(building, 0) + amount
        for payment in payments:
            payment["by_building"] = {b: yuan(a) for b, a in payment["by_building"].items()}
        found.append(
            {
                "project_id": project_id,
                "kind": kind,
                "title": units.mask(title),
                "items": [
                    {"description": units.mask(i["description"]), "amount": yuan(i["amount"])}
                    for i in json.loads(items)
                ],
                "budget": yuan(int(budget)),
                "contract_sum": yuan(int(contract_sum)),
                "contractor": contractor,
                "affected_units": int(affected),
                "planned_on": planned_on,
                "accepted_on": accepted,
                "disclosed_on": disclosed,
                "resolution_id": resolution_id,
                "emergency_category": json.loads(emergency)["category"] if emergency else None,
                "disbursed_in_year": yuan(sum(in_year.values())),
                "disbursed_to_date": yuan(to_date.get(project_id, 0)),
                "apportionment": [
                    {
                        "building": building,
                        "units": share["units"],
                        "disbursed_in_year": yuan(in_year.get(building, 0)),
                    }
                    for building, share in sorted(
                        json.loads(buildings).items(), key=lambda b: building_order(b[0])
                    )
                ],
                "disbursements": payments,
            }
        )
    return found


def diff(old: dict[str, Any], new: dict[str, Any], cause: dict[str, Any]) -> dict[str, Any]:
    """What changed between two versions of a year's statement, and the event that caused it:
    the totals that differ, each building whose figures differ, the projects added, removed
    or changed (H11)."""
    totals = {
        key: {"before": old["totals"].get(key), "after": value}
        for key, value in new["totals"].items()
        if old["totals"].get(key) != value
    }
    before = {b["building"]: b for b in old["buildings"]}
    after = {b["building"]: b for b in new["buildings"]}
    buildings = [
        {"building": name, "before": before.get(name), "after": after.get(name)}
        for name in sorted(before.keys() | after.keys(), key=building_order)
        if before.get(name) != after.get(name)
    ]
    was = {p["project_id"]: p for p in old["projects"]}
    now = {p["project_id"]: p for p in new["projects"]}
    return {
        "cause": cause,
        "totals": totals,
        "buildings": buildings,
        "projects": {
            "added": [now[i] for i in sorted(now.keys() - was.keys())],
            "removed": [was[i] for i in sorted(was.keys() - now.keys())],
            "changed": [
                {"project_id": i, "before": was[i], "after": now[i]}
                for i in sorted(was.keys() & now.keys())
                if was[i] != now[i]
            ],
        },
    }
