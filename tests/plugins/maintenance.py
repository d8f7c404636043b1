"""Plugin: builders for the maintenance fund (issue #6): a funded complex, a voted repair, an emergency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.application import Actor, Ledger
from ledger.maintenance import Contractor, Emergency, Item
from ledger.maintenance.receipts import FundReceipt, ProjectPlan
from tests.plugins.builders import OPERATOR, World, member_actor, world
from tests.plugins.clock import TODAY

AUTHORITY = Actor("regulator", "reg-370202")
TREASURER = member_actor("m1")
CHECKER = member_actor("m2")  # the second signatory (H06)
CONTRACTOR = Contractor(name="青岛某建筑工程有限公司", bank_account="3802020109000012345")
OPENED = TODAY - timedelta(days=40)  # the fund's first movement in these tests


@dataclass
class Funded:
    world: World
    deposits: dict[str, int]

    @property
    def ledger(self) -> Ledger:
        return self.world.ledger

    @property
    def complex_id(self) -> UUID:
        return self.world.complex_id


def funded(ledger: Ledger, *, code: str = "QD-SN-0001", amount: int = 1_000_00) -> Funded:
    """``world`` (12 units of 100 m²) with a first deposit of ``amount`` fen on every unit."""
    w = world(ledger, code=code)
    deposits = dict.fromkeys(w.unit_ids, amount)
    ledger.maintenance.record_deposits(
        w.complex_id, deposits, kind="first", on=OPENED, reference="首次缴存",
        idempotency_key="first", actor=AUTHORITY,
    )  # fmt: skip
    return Funded(w, deposits)


def maintenance_vote(
    f: Funded,
    scope: list[str],
    *,
    key_: str = "repair-vote",
    closed_on: date = TODAY - timedelta(days=10),
    cap: int | None = 100_000_00,
    consent: bool = True,
) -> UUID:
    """A matter-5 resolution of the units in ``scope``; all take part, all consent (or none)."""
    receipt = f.ledger.record_resolution(
        f.complex_id,
        idempotency_key=key_,
        matter=5,
        purpose="使用专项维修资金维修屋面",
        amount_cap=cap,
        period_from=closed_on - timedelta(days=20),
        period_to=closed_on + timedelta(days=300),
        scope_units=scope,
        participated=scope,
        consented=scope if consent else [],
        closed_on=closed_on,
        actor=OPERATOR,
    )
    return UUID(receipt.id)


def plan(
    affected: list[str],
    *,
    budget: int = 6_000_00,
    contract_sum: int | None = None,
    resolution_id: UUID | None = None,
    published_on: date | None = TODAY - timedelta(days=17),
    emergency: Emergency | None = None,
    contractor: Contractor = CONTRACTOR,
) -> ProjectPlan:
    return ProjectPlan(
        title="3号楼屋面防水维修",
        items=[
            Item(description="防水卷材", amount=budget - budget // 3),
            Item(description="人工", amount=budget // 3),
        ],
        budget=budget,
        contract_sum=budget if contract_sum is None else contract_sum,
        contractor=contractor,
        affected_units=affected,
        plan_published_on=published_on,
        resolution_id=resolution_id,
        emergency=emergency,
    )


def emergency(*, confirmed: bool = True, category: str = "roof_or_wall_leak") -> Emergency:
    return Emergency(
        category=category,
        street_office="八大湖街道办事处" if confirmed else "",
        confirmation_ref="八街应急〔2026〕12号" if confirmed else "",
        confirmed_on=(TODAY - timedelta(days=2)).isoformat() if confirmed else "",
    )


def voted_project(f: Funded, affected: list[str], *, key_: str = "roof", **kwargs: object) -> UUID:
    resolution_id = maintenance_vote(f, affected, key_=f"vote-{key_}")
    receipt = f.ledger.maintenance.plan_project(
        f.complex_id,
        plan(affected, resolution_id=resolution_id, **kwargs),  # type: ignore[arg-type]
        idempotency_key=key_,
        actor=TREASURER,
    )
    return UUID(receipt.id)


def propose(
    f: Funded,
    project_id: UUID,
    amount: int,
    *,
    key_: str,
    on: date = TODAY,
    method: str = "transfer",
    by: Actor = TREASURER,
) -> FundReceipt:
    """A payout to the project's contractor proposed by ``by`` (m1: the first approval)."""
    return f.ledger.maintenance.propose_disbursement(
        project_id, amount, payee=CONTRACTOR["name"], method=method, on=on,
        reference="发票 No.1", idempotency_key=key_, actor=by,
    )  # fmt: skip


def approve(
    f: Funded, project_id: UUID, disbursement_id: str, *, by: Actor = CHECKER
) -> FundReceipt:
    return f.ledger.maintenance.approve_disbursement(project_id, disbursement_id, actor=by)


def pay(
    f: Funded,
    project_id: UUID,
    amount: int,
    *,
    key_: str,
    on: date = TODAY,
    method: str = "transfer",
) -> FundReceipt:
    """A payout proposed by m1 and approved by m2: booked (H06), or the refusal raised."""
    proposed = propose(f, project_id, amount, key_=key_, on=on, method=method)
    if proposed.status == "booked":
        return proposed  # a replay of a payout booked before
    return approve(f, project_id, proposed.id)


@pytest.fixture
def funded_world(ledger: Ledger) -> Funded:
    """``funded(ledger)``: the sealed world with a first deposit of 1,000.00 on every unit."""
    return funded(ledger)
