"""The maintenance fund's CSV names a project's codes in Chinese beside them (issue #17)."""

from __future__ import annotations

from typing import Any

from api.maintenance.formats import rows
from api.maintenance.schemas import AnnualPublic

ZERO = {"opening": "0.00", "deposits": "0.00", "interest": "0.00", "transfers_in": "0.00",
        "disbursements": "0.00", "closing": "0.00", "units": 2}  # fmt: skip


def annual(project: dict[str, Any]) -> AnnualPublic:
    return AnnualPublic(
        status="published", year="2026", version=1, superseded_by=None,
        published_on="2027-01-15", published_by="committee:t/m1", position=1, through=1,
        content_hash="0" * 64, hash_matches=True, diff=None,
        content={"year": 2026, "totals": ZERO, "buildings": [], "projects": [project]},
    )  # fmt: skip


def project(kind: str, emergency: str | None) -> dict[str, Any]:
    return {
        "project_id": "p1", "kind": kind, "title": "电梯维修", "affected_units": 2,
        "disbursed_in_year": "0.00", "planned_on": "2026-05-01", "contract_sum": "100.00",
        "emergency_category": emergency, "apportionment": [], "disbursements": [],
    }  # fmt: skip


def test_an_emergency_project_row_names_its_kind_and_category() -> None:
    (_, row) = rows(annual(project("emergency", "lift_stopped_by_inspection")))
    assert (row["kind"], row["kind_name"]) == ("emergency", "应急使用")
    assert (row["emergency_category"], row["emergency_name"]) == (
        "lift_stopped_by_inspection",
        "电梯因检验停运",
    )


def test_an_unknown_code_shows_as_itself_rather_than_a_made_up_name() -> None:
    (_, row) = rows(annual(project("future_kind", "new_category")))
    assert (row["kind_name"], row["emergency_name"]) == ("future_kind", "new_category")
