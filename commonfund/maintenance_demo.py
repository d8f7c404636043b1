"""The demo complex's maintenance fund: first deposits, one voted repair with a payout (issue #6).

Every unit pays 50 yuan per m² when the account opens (the authority records it);
the owners of building 1 vote a roof repair (matter 5) whose plan was public 20
days before the vote closed; the committee plans it and pays the contractor's
30% advance (proposed by m1, approved by m2: two signatories, H06), which the
affected units bear by floor area. If the fund's first
year has ended, the committee publishes its annual statement, so the owners'
page has one to show.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from commonfund.settings import Settings
from commonfund.synthetic import BuiltComplex, BusinessClock
from commonfund.wiring import maintenance_runner
from ledger.application import Actor, Ledger
from ledger.maintenance import Contractor, Item
from ledger.maintenance.receipts import ProjectPlan
from ledger.money import format_fen
from projections.maintenance.queries import MaintenanceReads

AUTHORITY = Actor("regulator", "demo-authority")  # 市南区住房和城乡建设局
FEN_PER_CENTI_M2 = 50  # 50 yuan per m²: 5,000 fen per m², 50 fen per hundredth
CONTRACTOR = Contractor(name="青岛海晟建筑工程有限公司", bank_account="3802020109000088888")


def load_fund(
    settings: Settings, ledger: Ledger, built: BuiltComplex, clock: BusinessClock, today: date
) -> dict[str, Any]:
    complex_id = UUID(built.complex_id)
    units = ledger.complex(complex_id).units
    deposits = {u: unit["area"] * FEN_PER_CENTI_M2 for u, unit in units.items()}
    ledger.maintenance.record_deposits(
        complex_id, deposits, kind="first", on=built.opened_on, reference="首期专项维修资金缴存",
        idempotency_key="demo-first-deposits", actor=AUTHORITY,
    )  # fmt: skip
    published = publish_first_year(settings, ledger, built, clock, today)
    first_building = min((u["building"] for u in units.values()), key=lambda b: (len(b), b))
    affected = sorted(u for u, unit in units.items() if unit["building"] == first_building)
    vote = ledger.record_resolution(
        complex_id, idempotency_key="demo-roof-vote", matter=5,
        purpose=f"使用专项维修资金维修{first_building}号楼屋面防水", amount_cap=50_000_00,
        period_from=today - timedelta(days=30), period_to=today + timedelta(days=180),
        scope_units=affected, participated=affected, consented=affected,
        closed_on=today - timedelta(days=10), actor=built.actor("m1"),
    )  # fmt: skip
    plan = ProjectPlan(
        title=f"{first_building}号楼屋面防水维修",
        items=[
            Item(description="拆除旧防水层及找平", amount=12_000_00),
            Item(description="SBS改性沥青防水卷材两道", amount=30_000_00),
            Item(description="人工及安全文明施工", amount=6_000_00),
        ],
        budget=48_000_00,
        contract_sum=46_800_00,
        contractor=CONTRACTOR,
        affected_units=affected,
        plan_published_on=today - timedelta(days=30),
        resolution_id=UUID(vote.id),
    )
    project = ledger.maintenance.plan_project(
        complex_id, plan, idempotency_key="demo-roof", actor=built.actor("m1")
    )
    advance = ledger.maintenance.propose_disbursement(
        UUID(project.id), 14_040_00, payee=CONTRACTOR["name"], method="transfer", on=today,
        reference="预付款 30%", idempotency_key="demo-roof-advance", actor=built.actor("m1"),
    )  # fmt: skip
    paid = ledger.maintenance.approve_disbursement(
        UUID(project.id), advance.id, actor=built.actor("m2")
    )  # the second signatory books it (H06)
    return {
        "balance": format_fen(paid.fund_balance),
        "units": len(deposits),
        "project_id": project.id,
        "affected_units": len(affected),
        "unit_ledger": f"{complex_id}:{affected[0]}",  # one of them, as GET /v1/units/{…} takes it
        "disbursed": format_fen(14_040_00),
        "annual_statements": published,
    }


def publish_first_year(
    settings: Settings, ledger: Ledger, built: BuiltComplex, clock: BusinessClock, today: date
) -> list[str]:
    """The fund's first year, if it has ended, published on 15 March of the next (A09)."""
    year = built.opened_on.year
    if year >= today.year:
        return []
    runner = maintenance_runner(settings, ledger)
    try:
        runner.catch_up()
        through, digest = MaintenanceReads(runner.database).publication_basis(
            built.complex_id, year
        )
        clock.set(min(date(year + 1, 3, 15), today))
        ledger.maintenance.publish_annual_statement(
            UUID(built.complex_id), year, through=through, content_hash=digest,
            actor=built.actor("m1"),
        )  # fmt: skip
        runner.catch_up()
    finally:
        clock.reset()
        runner.database.close()
    return [str(year)]
