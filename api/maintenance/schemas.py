"""Bodies of the maintenance fund's routes (issue #6): deposits, interest, projects, payouts, reads."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas import Amount, Day, IdentityKey, OptionalText, Strict, Text

ID = "6f1c2b8e-3d4a-5b6c-8d7e-9f0a1b2c3d4e"
UNIT_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$"
MAX_LINES = 20_000  # the domain's limit per batch (ledger.maintenance.MAX_LINES)
UnitId = Field(pattern=UNIT_PATTERN, examples=["3-1-502"], description="A unit of the complex")


# --- writes -------------------------------------------------------------------------------


class DepositLine(Strict):
    unit_id: str = UnitId
    amount: Amount


class DepositCreate(Strict):
    kind: Literal["first", "additional", "initial_transfer"] = Field(
        examples=["first"],
        description="first (the unit's first deposit), additional (a top-up), or"
        " initial_transfer (the authority hands over the fund: the first movement only)",
    )
    value_date: Day
    reference: OptionalText = Field(
        default="", examples=["2026年首次缴存"], description="The bank's or authority's reference"
    )
    lines: list[DepositLine] = Field(
        min_length=1, max_length=MAX_LINES, description="One line per unit, each unit once"
    )
    first_deposits: list[DepositLine] | None = Field(
        default=None,
        max_length=MAX_LINES,
        examples=[None],
        description="initial_transfer only: each unit's original first deposit (A19's line)",
    )


class InterestCreate(Strict):
    amount: Amount
    period_from: Day
    period_to: Day
    value_date: Day
    reference: OptionalText = Field(
        default="", examples=["2026年度结息通知"], description="The bank's interest advice"
    )


class ItemCreate(Strict):
    description: Text = Field(examples=["屋面防水卷材"], description="What the money buys")
    amount: Amount


class ContractorCreate(Strict):
    name: Text = Field(
        examples=["青岛某建筑工程有限公司"], description="The contracting organisation"
    )
    bank_account: Text = Field(examples=["3802020109000012345"], description="Its bank account")
    identity_key: IdentityKey | None = Field(
        default=None,
        description="Its proprietor's or legal representative's identity key, if known: a"
        " committee member with it never proposes or approves its payouts (H06)",
    )


class EmergencyCreate(Strict):
    category: Literal[
        "lift_stopped_by_inspection",
        "roof_or_wall_leak",
        "high_rise_water_supply_failure",
        "facade_falling_risk",
        "drainage_collapse_or_burst",
        "fire_system_failure_ordered",
    ] = Field(examples=["roof_or_wall_leak"], description="On the city's emergency list (H08)")
    street_office: Text = Field(examples=["八大湖街道办事处"], description="Who confirmed it")
    confirmation_ref: Text = Field(examples=["八街应急〔2026〕12号"], description="Its reference")
    confirmed_on: Day


class ProjectCreate(Strict):
    title: Text = Field(examples=["3号楼屋面防水维修"], description="What is repaired")
    items: list[ItemCreate] = Field(
        min_length=1, max_length=200, description="What the budget pays for; sums to the budget"
    )
    budget: Amount
    contract_sum: Amount
    contractor: ContractorCreate = Field(description="The only payee (H07)")
    affected_units: list[str] = Field(
        min_length=1,
        max_length=MAX_LINES,
        examples=[["3-1-101", "3-1-102"]],
        description="The units the repair serves: they bear it by floor area",
    )
    plan_published_on: Day | None = Field(
        default=None,
        description="Normal use: when the plan was made public (at least 7 days before the vote"
        " closed, H08)",
    )
    resolution_id: str | None = Field(
        default=None,
        pattern=r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$",
        examples=[ID],
        description="Normal use: the passed matter-5 resolution of the affected units (H08)",
    )
    emergency: EmergencyCreate | None = Field(
        default=None, description="Emergency use instead of a resolution (H08)"
    )


class AcceptanceCreate(Strict):
    accepted_on: Day
    reference: OptionalText = Field(
        default="", examples=["竣工验收单 2026-031"], description="The acceptance record"
    )


class DisclosureCreate(Strict):
    disclosed_on: Day
    reference: OptionalText = Field(
        default="", examples=["公告栏及平台公示"], description="Where it was made public (A17)"
    )


class DisbursementCreate(Strict):
    """A payout to propose: booked once a second signatory approves it (H06)."""

    amount: Amount
    payee: Text = Field(examples=["青岛某建筑工程有限公司"], description="The project's contractor")
    method: Literal["transfer", "cash"] = Field(
        examples=["transfer"], description="transfer (cash is refused, H07)"
    )
    value_date: Day
    reference: OptionalText = Field(
        default="", examples=["发票 No.00231"], description="Invoice or payment order"
    )


# --- responses ------------------------------------------------------------------------------


def _money(description: str, example: str = "1200.00") -> Any:
    return Field(description=f"{description}, yuan", examples=[example])


class DepositPublic(BaseModel):
    id: str = Field(description="The batch (derived from the Idempotency-Key)", examples=[ID])
    complex_id: str = Field(description="Complex", examples=[ID])
    kind: str = Field(description="first, additional or initial_transfer", examples=["first"])
    value_date: str = Field(description="Value date", examples=["2026-06-30"])
    units: int = Field(description="Unit sub-ledgers credited", examples=[300])
    total: str = _money("The batch's sum", "450000.00")
    fund_balance: str = _money("The fund's balance after it", "450000.00")
    version: int = Field(description="The fund's stream version", examples=[2])


class InterestPublic(BaseModel):
    complex_id: str = Field(description="Complex", examples=[ID])
    period_from: str = Field(description="First day of the period", examples=["2026-01-01"])
    period_to: str = Field(description="Last day of the period", examples=["2026-12-31"])
    amount: str = _money("Interest received", "6421.37")
    units: int = Field(
        description="Sub-ledgers it was split over (by balance-days)", examples=[300]
    )
    fund_balance: str = _money("The fund's balance after it")
    version: int = Field(description="The fund's stream version", examples=[7])
    replayed: bool = Field(description="The period was already allocated alike", examples=[False])


class BuildingShare(BaseModel):
    building: str = Field(description="Building", examples=["3"])
    units: int = Field(description="Affected units in it", examples=[24])
    area: str = Field(description="Their floor area, m²", examples=["2148.00"])


class ProjectPublic(BaseModel):
    id: str = Field(description="Project id", examples=[ID])
    complex_id: str = Field(description="Complex", examples=[ID])
    kind: str = Field(description="normal (voted) or emergency", examples=["normal"])
    title: str = Field(description="What is repaired", examples=["3号楼屋面防水维修"])
    items: list[dict[str, str]] = Field(
        description="description and amount (yuan) of each item",
        examples=[[{"description": "屋面防水卷材", "amount": "4000.00"}]],
    )
    budget: str = _money("Approved budget", "6000.00")
    contract_sum: str = _money("Contract sum", "5800.00")
    contractor: str = Field(description="The only payee (H07)", examples=["青岛某建筑工程有限公司"])
    affected_units: int = Field(description="Units that bear it", examples=[24])
    planned_on: str = Field(description="Recorded on", examples=["2026-09-01"])
    plan_published_on: str | None = Field(description="Plan public since", examples=["2026-08-10"])
    resolution_id: str | None = Field(description="The matter-5 resolution (H08)", examples=[ID])
    emergency: dict[str, str] | None = Field(
        description="category, street_office, confirmation_ref, confirmed_on", examples=[None]
    )
    accepted_on: str | None = Field(description="Completion accepted on (H09)", examples=[None])
    disclosed_on: str | None = Field(description="Use made public on (A17)", examples=[None])
    disbursed: str = _money("Paid so far", "4060.00")
    payable: str = _money(
        "What it may still pay now: 70% of the contract before acceptance, the budget after (H09)",
        "0.00",
    )
    version: int | None = Field(description="The project's stream version", examples=[2])


class DisbursementPublic(BaseModel):
    id: str = Field(description="Disbursement id (derived from the Idempotency-Key)", examples=[ID])
    project_id: str = Field(description="Project", examples=[ID])
    amount: str = _money("Paid to the contractor", "4060.00")
    payee: str = Field(description="The contractor", examples=["青岛某建筑工程有限公司"])
    value_date: str = Field(description="Value date", examples=["2026-10-15"])
    reference: str = Field(description="Invoice or payment order", examples=["发票 No.00231"])
    units: int = Field(
        description="Sub-ledgers charged (by floor area); 0 until booked", examples=[24]
    )
    by_building: dict[str, str] | None = Field(
        description="Its apportionment summed per building, yuan", examples=[{"3": "4060.00"}]
    )
    fund_balance: str | None = _money(
        "The fund's balance the booking left (on the answer of the write that booked it; null"
        " while the payout is only proposed: nothing has moved)"
    )


class PayoutPublic(DisbursementPublic):
    status: str = Field(
        description="proposed, booked (the money moved), rejected or withdrawn",
        examples=["proposed"],
    )
    proposer: str = Field(description="The member who proposed it", examples=["m1"])
    approvals: list[str] = Field(
        description="Signatories of the committee who approved so far", examples=[["m1"]]
    )
    approvals_required: int = Field(description="Distinct signatories needed (H06)", examples=[2])


class ProjectDetail(ProjectPublic):
    buildings: list[BuildingShare] = Field(description="Affected units per building")
    disbursements: list[DisbursementPublic] = Field(description="Payouts, oldest first")


class ProjectSummary(BaseModel):
    id: str = Field(description="Project id", examples=[ID])
    kind: str = Field(description="normal or emergency", examples=["emergency"])
    title: str = Field(description="What is repaired", examples=["2号楼电梯停运维修"])
    budget: str = _money("Approved budget", "80000.00")
    contract_sum: str = _money("Contract sum", "78000.00")
    contractor: str = Field(description="Contractor", examples=["青岛某电梯工程有限公司"])
    affected_units: int = Field(description="Units that bear it", examples=[48])
    disbursed: str = _money("Paid so far", "54600.00")
    accepted_on: str | None = Field(description="Accepted on", examples=[None])
    disclosed_on: str | None = Field(description="Made public on", examples=["2026-10-03"])
    planned_on: str = Field(description="Recorded on", examples=["2026-10-01"])


class FundPublic(BaseModel):
    complex_id: str = Field(description="Complex", examples=[ID])
    fund_id: str = Field(description="The fund's stream", examples=[ID])
    established_on: str = Field(description="First movement", examples=["2025-03-01"])
    balance: str = _money("Balance (= the sum of the unit sub-ledgers, H10)", "1480000.00")
    deposits: str = _money("All deposits", "1500000.00")
    interest: str = _money("All interest", "12000.00")
    transfers_in: str = _money("From the common-fund account", "8000.00")
    disbursed: str = _money("Paid to contractors", "40000.00")
    units: int = Field(description="Units with a sub-ledger", examples=[300])
    units_below_replenishment: int = Field(
        description="Units below the replenishment line (A19)", examples=[3]
    )
    replenish_ratio: str = Field(description="The line, of a first deposit", examples=["0.30"])
    latest_on: str = Field(description="Latest value date", examples=["2026-10-15"])
    position: int = Field(description="Ledger position the figures are at", examples=[5120])
    projects: list[ProjectSummary] = Field(description="Repair projects, oldest first")


class UnitEntry(BaseModel):
    position: int = Field(description="Ledger position (the order of recording)", examples=[812])
    value_date: str = Field(description="Value date", examples=["2026-06-30"])
    kind: str = Field(
        description="first, additional, initial_transfer, transfer_in, interest, disbursement,"
        " sale",
        examples=["first"],
    )
    amount: str = Field(description="Signed effect on the sub-ledger, yuan", examples=["4475.00"])
    balance_after: str = _money("The sub-ledger's balance after it", "4475.00")
    reference: str = Field(
        description="batch:<id>, interest:<from>/<to>, transfer:<account>/<expenditure>,"
        " disbursement:<project>/<id> or sale",
        examples=[f"batch:{ID}"],
    )
    note: str = Field(description="The movement's own reference text", examples=["首次缴存"])


class UnitLedgerPublic(BaseModel):
    unit_id: str = Field(description="<complex_id>:<unit>", examples=[f"{ID}:3-1-502"])
    complex_id: str = Field(description="Complex", examples=[ID])
    unit: str = Field(description="The unit within its complex", examples=["3-1-502"])
    building: str = Field(description="Building", examples=["3"])
    balance: str = _money("Balance", "4212.50")
    first_deposit: str = _money("First deposit", "4475.00")
    replenishment_line: str = _money("Below this the owner must top up (A19)", "1342.50")
    below_replenishment: bool = Field(description="Below the line", examples=[False])
    entries: int = Field(description="All entries of the sub-ledger", examples=[5])
    items: list[UnitEntry] = Field(description="This page of entries, oldest first")
    next_cursor: str | None = Field(description="Pass as ?cursor= for more", examples=[None])


class AnnualPublic(BaseModel):
    status: str = Field(description="published", examples=["published"])
    year: str = Field(description="Calendar year", examples=["2026"])
    version: int = Field(
        description="1 as published; a movement dated into the year later makes the next (H11)",
        examples=[1],
    )
    superseded_by: int | None = Field(description="A later version, if any", examples=[None])
    published_on: str = Field(
        description="Published on (a correction: the day the movement was recorded)",
        examples=["2027-03-15"],
    )
    published_by: str = Field(
        description="Who published: a committee member, or `correction`",
        examples=["committee:tok_1/m1"],
    )
    position: int = Field(description="Ledger position of the publication", examples=[9000])
    through: int = Field(description="The ledger position it was made from", examples=[8990])
    content_hash: str = Field(
        description="SHA-256 of the canonical JSON of content", examples=["9c11" + "0" * 60]
    )
    hash_matches: bool = Field(
        description="The content rebuilt from the log has the published hash", examples=[True]
    )
    content: dict[str, Any] = Field(
        description="totals, buildings (unit balances aggregated), projects with their cost and"
        " apportionment per building",
        examples=[{"year": "2026", "totals": {"closing": "1480000.00"}}],
    )
    diff: dict[str, Any] | None = Field(
        description="What changed since the previous version (totals, buildings, projects) and"
        " the event that caused it",
        examples=[None],
    )
