"""A complex's maintenance fund made over HTTP (issue #6): first deposits, a voted repair."""

from __future__ import annotations

from typing import Any

from tests.e2e.world import Builder, Side, day

CONTRACTOR = {"name": "青岛某建筑工程有限公司", "bank_account": "3802020109000012345"}
READ_YOUR_WRITES = {"Prefer": "read-your-writes"}


def deposits_body(units: list[str], amount: str = "1000.00", kind: str = "first") -> dict[str, Any]:
    return {
        "kind": kind,
        "value_date": day(-30),
        "reference": "首次缴存",
        "lines": [{"unit_id": u, "amount": amount} for u in units],
    }


def fund(b: Builder, a: Side, amount: str = "1000.00") -> None:
    """The district regulator (the housing authority) records every unit's first deposit."""
    b.post(
        f"/v1/complexes/{a.complex_id}/maintenance-fund/deposits",
        b.regulators[a.district],
        deposits_body(a.unit_ids, amount),
    )


def project_body(
    affected: list[str], resolution_id: str, budget: str = "1200.00"
) -> dict[str, Any]:
    return {
        "title": "1号楼屋面防水维修",
        "items": [{"description": "防水卷材及人工", "amount": budget}],
        "budget": budget,
        "contract_sum": budget,
        "contractor": CONTRACTOR,
        "affected_units": affected,
        "plan_published_on": day(-20),
        "resolution_id": resolution_id,
    }


def voted_project(b: Builder, a: Side, affected: list[str], budget: str = "1200.00") -> str:
    """A passed matter-5 resolution of the affected units, then the committee's plan."""
    vote = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions",
        b.regulators[a.district],
        {
            "matter": 5,
            "purpose": "使用专项维修资金维修屋面",
            "amount_cap": "100000.00",
            "period_from": day(-25),
            "period_to": day(200),
            "scope_units": affected,
            "participated": affected,
            "consented": affected,
            "closed_on": day(-10),
        },
    )
    made = b.post(
        f"/v1/complexes/{a.complex_id}/maintenance-fund/projects",
        a.tokens["m1"],
        project_body(affected, str(vote["id"]), budget),
    )
    return str(made["id"])


def disbursement_body(amount: str) -> dict[str, Any]:
    return {
        "amount": amount,
        "payee": CONTRACTOR["name"],
        "method": "transfer",
        "value_date": day(),
        "reference": "发票 No.00231",
    }


def checker(b: Builder, a: Side) -> str:
    """m2's token, the second signatory who approves m1's payouts (H06); issued once."""
    if "m2" not in a.tokens:
        a.tokens["m2"] = b.issue(role="committee", complex_id=a.complex_id, member_id="m2")
    return a.tokens["m2"]


def pay(b: Builder, a: Side, project: str, amount: str) -> dict[str, Any]:
    """A payout proposed by m1 and approved by m2: the booked payout."""
    path = f"/v1/maintenance-projects/{project}/disbursements"
    proposed = b.post(path, a.tokens["m1"], disbursement_body(amount))
    return b.post(f"{path}/{proposed['id']}/approvals", checker(b, a), None, expect=200)


def settle(b: Builder) -> None:
    """Wait until the fund's read model has applied every write so far."""
    services: Any = b.api.client.app.state.services  # type: ignore[attr-defined]
    head = services.ledger.recorder.max_notification_id() or 0
    assert services.maintenance_runner.wait_for(head, 10.0)


def funded_once(b: Builder, a: Side) -> None:
    """``fund`` under a key of its own: a second call replays the first (rows share a world)."""
    b.api.call(
        "POST", f"/v1/complexes/{a.complex_id}/maintenance-fund/deposits",
        b.regulators[a.district], expect=201, json=deposits_body(a.unit_ids),
        key=f"fund-{a.complex_id}",
    )  # fmt: skip
    settle(b)


def published_2025(b: Builder, a: Side) -> None:
    """The fund's statement of 2025 (an ended year, before the fund's first movement)."""
    funded_once(b, a)
    b.api.call(
        "POST", f"/v1/complexes/{a.complex_id}/maintenance-fund/2025/publication",
        a.tokens["m1"], expect=201, key=f"annual-{a.complex_id}",
    )  # fmt: skip
