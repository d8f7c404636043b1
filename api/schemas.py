"""Request and response bodies: money and dates as strings, unknown fields refused, every field described."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from ledger.dates import parse_date
from ledger.errors import LedgerError
from ledger.money import parse_amount, parse_area, parse_deduction, parse_rate_bp

AMOUNT_PATTERN = r"^(0|[1-9][0-9]{0,10})(\.[0-9]{1,2})?$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
# Free text refuses control characters (tab and newlines aside): PostgreSQL text cannot hold
# NUL, and nothing a person writes needs the others.
PLAIN_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
MEMBER_ID_PATTERN = r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$"


def _string(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"write {what} as a string")  # noqa: TRY004 - pydantic wants ValueError
    return value


def _fen(value: object) -> int:
    try:
        return parse_amount(_string(value, 'an amount such as "1234.56"'))
    except LedgerError as error:
        raise ValueError(error.detail) from None


def _centi_m2(value: object) -> int:
    try:
        return parse_area(_string(value, 'a floor area such as "89.50"'))
    except LedgerError as error:
        raise ValueError(error.detail) from None


def _day(value: object) -> date:
    try:
        return parse_date(_string(value, "a date as YYYY-MM-DD"))
    except LedgerError as error:
        raise ValueError(error.detail) from None


def _checked(parse: Callable[[str], int], what: str) -> Callable[[object], int]:
    def validate(value: object) -> int:
        try:
            return parse(_string(value, what))
        except LedgerError as error:
            raise ValueError(error.detail) from None

    return validate


def _string_schema(pattern: str, example: str, description: str) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "pattern": pattern, "examples": [example], "description": description}
    )


Amount = Annotated[
    int,
    BeforeValidator(_fen),
    _string_schema(
        AMOUNT_PATTERN,
        "1234.56",
        "Yuan as a decimal string, at most two places, > 0, ≤ 10000000000.00",
    ),
]
Area = Annotated[
    int,
    BeforeValidator(_centi_m2),
    _string_schema(AMOUNT_PATTERN, "89.50", "Floor area in m² as a decimal string, two places"),
]
Deduction = Annotated[
    int,
    BeforeValidator(_checked(parse_deduction, 'an amount such as "150.00"')),
    _string_schema(AMOUNT_PATTERN, "150.00", "Kept by the collector, yuan (may be 0)"),
]
Rate = Annotated[
    int,
    BeforeValidator(_checked(parse_rate_bp, 'a rate such as "0.15"')),
    _string_schema(
        r"^(0(\.[0-9]{1,4})?|1(\.0{1,4})?)$",
        "0.15",
        "Contracted deduction rate, 0–1, at most 4 places",
    ),
]
Day = Annotated[
    date,
    BeforeValidator(_day),
    _string_schema(DATE_PATTERN, "2026-07-01", "A calendar date, YYYY-MM-DD"),
]
Text = Annotated[str, Field(min_length=1, max_length=200, pattern=PLAIN_TEXT)]
OptionalText = Annotated[str, Field(max_length=200, pattern=PLAIN_TEXT)]
IdentityKey = Annotated[
    str,
    Field(
        pattern=r"^[0-9a-f]{64}$",
        examples=["5f2b" + "0" * 60],
        description="HMAC-SHA256 (hex) of the person's ID number under the deployment secret",
    ),
]


class Strict(BaseModel):
    # strict: "matter": "9" or "signatory": "yes" is refused, not coerced
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


# --- complexes ------------------------------------------------------------------------


class UnitCreate(Strict):
    unit_id: str = Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$",
        examples=["3-1-502"],
        description="The unit's id within the complex",
    )
    building: Text = Field(examples=["3"], description="Building number or name")
    floor_area: Area
    owner_key: IdentityKey | None = Field(
        default=None, description="Owner's identity key; omit for a unit the developer still holds"
    )
    developer_held: bool = Field(
        default=False,
        examples=[False],
        description="The developer still holds the unit (H04 headcount)",
    )
    area_kind: Literal["registered", "surveyed", "contract"] = Field(
        default="registered",
        examples=["registered"],
        description="Which area floor_area is (SPC interpretation art. 8): the registered area,"
        " where none is registered yet the surveyed, then the contract area",
    )
    delivered: bool = Field(
        default=True,
        examples=[True],
        description="A sold unit handed over to its owner; false: sold but not yet delivered,"
        " counted with the developer's units for headcount (art. 9)",
    )


class UnitDelivery(Strict):
    delivered: bool = Field(
        examples=[False],
        description="true: the sold unit is handed over; false: sold, not yet delivered (art. 9)",
    )


class UnitSale(Strict):
    new_owner_key: IdentityKey = Field(description="The buyer's identity key (a keyed hash)")
    sold_on: Day = Field(description="The transfer's registration date (not in the future)")


class ComplexCreate(Strict):
    code: Text = Field(examples=["QD-SN-0001"], description="The complex's registry code")
    name: Text = Field(examples=["海韵花园"], description="The complex's name")
    district: str = Field(pattern=r"^[0-9]{6}$", examples=["370202"], description="District code")
    street: str = Field(pattern=r"^[0-9]{9}$", examples=["370202001"], description="Street code")
    community: str = Field(
        pattern=r"^[0-9]{12}$", examples=["370202001001"], description="Residential community code"
    )
    units: list[UnitCreate] = Field(
        default_factory=list, max_length=10_000, description="Units to register with the complex"
    )


class ObjectionContactSet(Strict):
    contact: str = Field(
        min_length=1, max_length=120, pattern=PLAIN_TEXT,
        examples=["业主委员会办公室（3号楼一层），电话 0532-8000 1234"],
        description="Where owners raise objections to a notice: printed on every notice (public)",
    )  # fmt: skip


class UnitsCreate(Strict):
    units: list[UnitCreate] = Field(min_length=1, max_length=10_000, description="Units to add")


class ComplexPublic(BaseModel):
    id: str = Field(description="Complex id", examples=["57af9fd5-795c-5088-8973-04c31927217e"])
    code: str = Field(description="Registry code", examples=["QD-SN-0001"])
    name: str = Field(description="Name", examples=["海韵花园"])
    district: str = Field(description="District code", examples=["370202"])
    street: str = Field(description="Street code", examples=["370202001"])
    community: str = Field(description="Community code", examples=["370202001001"])
    unit_count: int = Field(description="Registered units", examples=[300])
    objection_contact: str = Field(
        default="",
        description='Where owners raise objections to a notice ("": not set)',
        examples=["业主委员会办公室（3号楼一层），电话 0532-8000 1234"],
    )
    floor_area: str = Field(description="Total registered floor area, m²", examples=["27300.50"])
    current_committee_id: str | None = Field(
        description="The committee in office or last elected", examples=[None]
    )
    current_account_id: str | None = Field(
        description="The current common-fund account", examples=[None]
    )
    version: int = Field(description="Version of the complex's stream", examples=[2])


# --- committees -----------------------------------------------------------------------


class MemberCreate(Strict):
    member_id: str = Field(
        pattern=r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$",
        examples=["m1"],
        description="The member's id within the committee",
    )
    name: Text = Field(examples=["王建国"], description="Name (not shown in public output)")
    identity_key: IdentityKey
    role: Literal["chair", "vice_chair", "member"] = Field(examples=["chair"], description="Role")
    signatory: bool = Field(examples=[True], description="May sign for the account (H06)")


class CommitteeCreate(Strict):
    election_resolution_id: str = Field(
        description="The passed resolution (art. 278 item 3)",
        examples=["a01e7d77-2b32-5f26-b3dc-8f4d63041bb0"],
    )
    elected_on: Day
    term_end: Day
    members: list[MemberCreate] = Field(min_length=1, max_length=21, description="5–11, odd (H14)")


class FilingCreate(Strict):
    number: Text = Field(examples=["市南备〔2026〕18号"], description="Filing number")
    authority: Text = Field(examples=["市南区住房和城乡建设局"], description="Filing authority")
    filed_on: Day


class SealCreate(Strict):
    seal_number: Text = Field(examples=["3702020012345"], description="The seal's number")
    sealed_on: Day


class MembersChange(Strict):
    added: list[MemberCreate] = Field(default_factory=list, max_length=11, description="Joining")
    removed: list[str] = Field(
        default_factory=list, max_length=11, description="Member ids leaving", examples=[["m5"]]
    )
    changed_on: Day


class HandoverCreate(Strict):
    handed_over_on: Day


class DissolutionCreate(Strict):
    reason: Text = Field(examples=["业主大会决定解散业主委员会"], description="Why")
    dissolved_on: Day


class DecisionCreate(Strict):
    purpose: Text = Field(examples=["小区公共区域保洁"], description="What the decision authorises")
    amount_cap: Amount
    decided_on: Day
    approvers: list[str] = Field(
        min_length=1,
        max_length=11,
        examples=[["m1", "m2", "m3"]],
        description="Members who approved",
    )


class MemberPublic(BaseModel):
    member_id: str = Field(description="Member id", examples=["m1"])
    name: str = Field(
        description="Name: to the committee and its regulators; 王* to others; 已删除 once erased",
        examples=["王建国"],
    )
    role: str = Field(description="chair, vice_chair or member", examples=["chair"])
    signatory: bool = Field(description="May sign for the account", examples=[True])


class DecisionPublic(BaseModel):
    id: str = Field(description="Decision id", examples=["b93572e9-605f-5d54-af23-745ca888df29"])
    committee_id: str = Field(
        description="Committee", examples=["e75a9b0c-8270-5f0b-b906-25d34d63a789"]
    )
    purpose: str = Field(description="Purpose", examples=["小区公共区域保洁"])
    amount_cap: str = Field(description="Cap, yuan", examples=["20000.00"])
    decided_on: str = Field(description="Date", examples=["2026-03-01"])
    approvers: list[str] = Field(description="Approving members", examples=[["m1", "m2", "m3"]])
    members_in_office: int = Field(description="Members in office then", examples=[5])
    approved: bool = Field(
        description="More than half of members in office approved", examples=[True]
    )


class CommitteePublic(BaseModel):
    id: str = Field(description="Committee id", examples=["e75a9b0c-8270-5f0b-b906-25d34d63a789"])
    complex_id: str = Field(
        description="Complex", examples=["57af9fd5-795c-5088-8973-04c31927217e"]
    )
    status: str = Field(
        description="elected, filed, sealed, superseded or dissolved", examples=["sealed"]
    )
    elected_on: str = Field(description="Election date", examples=["2025-10-20"])
    term_end: str = Field(description="Last day of the term", examples=["2030-10-19"])
    seats: int = Field(description="Seats elected", examples=[7])
    members: list[MemberPublic] = Field(description="Members in office")
    filing: dict[str, str] | None = Field(
        description="number, authority, filed_on", examples=[None]
    )
    seal_number: str | None = Field(description="Seal number", examples=[None])
    sealed_on: str | None = Field(description="Seal date", examples=[None])
    refiling_due: str | None = Field(
        description="Re-filing due after member changes", examples=[None]
    )
    successor_id: str | None = Field(description="The committee that succeeded it", examples=[None])
    handed_over_on: str | None = Field(description="Handover date", examples=[None])
    version: int = Field(description="Stream version", examples=[3])


# --- resolutions ------------------------------------------------------------------------


ExpenditureCategory = Literal[
    "repairs",
    "cleaning_greening",
    "security",
    "utilities_common",
    "committee_operations",
    "audit_legal",
    "distribution_to_owners",
    "transfer_to_maintenance_fund",
    "other",
]


class ResolutionCreate(Strict):
    matter: int = Field(ge=1, le=9, examples=[9], description="Civil Code art. 278 item 1–9")
    purpose: Text = Field(examples=["更换单元门禁系统"], description="What it decides")
    amount_cap: Amount | None = Field(default=None, description="Spending cap, yuan")
    budget_category: ExpenditureCategory | None = Field(
        default=None,
        examples=["repairs"],
        description="The expenditure category it budgets: with amount_cap and the period, a"
        " budget that covers payments of that category (H05; committee_operations sets the"
        " committee's yearly budget, A20). Omitted: payments are matched by purpose",
    )
    period_from: Day
    period_to: Day
    scope_units: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="Units in scope (matter 5 only); omit for all",
        examples=[None],
    )
    participated: list[str] = Field(
        max_length=10_000, description="Units that took part", examples=[["1-001", "1-002"]]
    )
    consented: list[str] = Field(
        max_length=10_000, description="Units that consented", examples=[["1-001"]]
    )
    closed_on: Day


class TallyPublic(BaseModel):
    scope_area: str = Field(description="m²", examples=["27300.50"])
    scope_heads: int = Field(description="Headcount in scope", examples=[290])
    participating_area: str = Field(description="m²", examples=["20000.00"])
    participating_heads: int = Field(description="Headcount taking part", examples=[220])
    consenting_area: str = Field(description="m²", examples=["16000.00"])
    consenting_heads: int = Field(description="Headcount consenting", examples=[180])
    participation_met: bool = Field(description="≥ 2/3 by area and headcount", examples=[True])
    consent_met: bool = Field(description="The matter's consent threshold", examples=[True])


class BudgetPublic(BaseModel):
    category: str = Field(description="Expenditure category", examples=["repairs"])
    amount_cap: str = Field(description="Cap over the period, yuan", examples=["60000.00"])
    period_from: str = Field(description="First day", examples=["2026-06-01"])
    period_to: str = Field(description="Last day", examples=["2026-12-31"])


class ChallengePublic(BaseModel):
    court: str = Field(description="The court", examples=["青岛市市南区人民法院"])
    case_number: str = Field(description="案号", examples=["(2027)鲁0202民初123号"])
    filed_on: str = Field(
        description="The day the court accepted the suit", examples=["2027-01-05"]
    )


class ResolutionPublic(BaseModel):
    id: str = Field(description="Resolution id", examples=["fcca3fae-3ea7-5805-af04-ba67f89665d0"])
    complex_id: str = Field(
        description="Complex", examples=["57af9fd5-795c-5088-8973-04c31927217e"]
    )
    matter: int = Field(description="art. 278 item", examples=[9])
    purpose: str = Field(description="Purpose", examples=["更换单元门禁系统"])
    amount_cap: str | None = Field(description="Cap, yuan", examples=["60000.00"])
    period_from: str = Field(description="Start", examples=["2026-06-01"])
    period_to: str = Field(description="End", examples=["2026-12-31"])
    closed_on: str = Field(description="Vote closed", examples=["2026-05-20"])
    budget: BudgetPublic | None = Field(
        default=None, description="What it lets the committee spend, by category (H05)"
    )
    tally: TallyPublic = Field(description="The recorded tally and thresholds")
    outcome: Literal["passed", "failed"] = Field(description="H04 outcome", examples=["passed"])
    ballot_id: str | None = Field(
        default=None,
        description="The ballot whose tally this is (None: a tally typed in)",
        examples=["5a235a6e-ba77-52e8-b086-02ec0d5a3708"],
    )
    effective_from: str | None = Field(
        default=None,
        description="First day it authorises anything, after the objection period (None: at once)",
        examples=["2026-12-26"],
    )
    revoked_on: str | None = Field(
        default=None,
        description="A court revoked it from this day (SPC interpretation art. 12); it then"
        " authorises nothing",
        examples=[None],
    )
    challenge: ChallengePublic | None = Field(
        default=None,
        description="A suit to revoke it that a court accepted and that has not ended: spending"
        " that cites it meanwhile raises V06",
    )


# --- the account ------------------------------------------------------------------------


class AccountCreate(Strict):
    bank: Text = Field(examples=["青岛银行市南支行"], description="Bank and branch")
    account_number: str = Field(
        pattern=r"^[0-9]{8,32}$", examples=["6228480012345678"], description="Account number"
    )
    signatories: list[str] = Field(
        min_length=2,
        max_length=11,
        examples=[["m1", "m2", "m3"]],
        description="Members who sign (H01, H06)",
    )
    opened_on: Day
    bank_code: str = Field(
        default="",
        pattern=r"^([0-9]{12})?$",
        examples=["313452060150"],
        description="The bank's 12-digit CNAPS code (联行号): the bank token of that code feeds"
        " this account's statements (issue #14, H15)",
    )


class PartyCreate(Strict):
    name: Text = Field(examples=["青岛某物业服务有限公司"], description="Name")
    kind: Literal["organisation", "individual"] = Field(
        examples=["organisation"], description="Kind"
    )
    identity_key: IdentityKey | None = Field(default=None, description="For individuals, if known")
    bank_account: OptionalText = Field(
        default="", examples=[""], description="Bank account, if known"
    )


class CollectionCreate(Strict):
    collector: Text = Field(examples=["青岛某物业服务有限公司"], description="The property company")
    gross: Amount
    deduction: Deduction
    contracted_rate: Rate


class IncomeCreate(Strict):
    category: Literal[
        "parking", "advertising", "venue_rent", "facility_fee", "interest", "compensation", "other"
    ] = Field(examples=["parking"], description="Category")
    payer: PartyCreate = Field(description="Who paid")
    amount: Amount
    value_date: Day
    contract_ref: OptionalText = Field(default="", examples=["TC-2026-018"], description="Contract")
    description: OptionalText = Field(default="", examples=["2026年6月停车费"], description="Note")
    collected: CollectionCreate | None = Field(
        default=None, description="When a property company collected it"
    )
    bank_reference: OptionalText = Field(
        default="",
        max_length=64,
        examples=[""],
        description="The bank's reference of this movement (流水号 / AcctSvcrRef), where the"
        " committee saw it: the reconciliation matches on it first (issue #14)",
    )


class AuthorisationCreate(Strict):
    kind: Literal["resolution", "decision"] = Field(examples=["decision"], description="Kind (H05)")
    id: str = Field(
        min_length=1,
        max_length=64,
        examples=["b93572e9-605f-5d54-af23-745ca888df29"],
        description="Resolution or decision id",
    )


class ExpenditureCreate(Strict):
    category: ExpenditureCategory = Field(examples=["cleaning_greening"], description="Category")
    payee: PartyCreate = Field(description="Who is paid (never an approver, H06)")
    method: Literal["transfer", "cash"] = Field(examples=["transfer"], description="H07")
    amount: Amount
    purpose: Text = Field(examples=["小区公共区域保洁"], description="Purpose (H05)")
    value_date: Day
    authorisation: AuthorisationCreate = Field(description="The decision or resolution (H05)")
    contract_ref: OptionalText = Field(default="", examples=["BJ-2026-03"], description="Contract")
    description: OptionalText = Field(default="", examples=["6月保洁服务费"], description="Note")
    bank_reference: OptionalText = Field(
        default="",
        max_length=64,
        examples=[""],
        description="The bank's reference of this movement (流水号 / AcctSvcrRef), where the"
        " committee saw it: the reconciliation matches on it first (issue #14)",
    )


class RejectionCreate(Strict):
    reason: Text = Field(examples=["报价高于市场价"], description="Why")


class ReversalCreate(Strict):
    reverses: str = Field(
        min_length=1,
        max_length=64,
        description="The entry to reverse",
        examples=["1127f932-fc14-5f11-8b3e-8538ea2e490e"],
    )
    reason: Text = Field(examples=["金额录入错误"], description="Why")
    value_date: Day
    bank_reference: OptionalText = Field(
        default="",
        max_length=64,
        examples=[""],
        description="The bank's reference of this movement (流水号 / AcctSvcrRef), where the"
        " committee saw it: the reconciliation matches on it first (issue #14)",
    )


class SuspensionCreate(Strict):
    reason: Text = Field(examples=["核查可疑支出"], description="Why payments are suspended")


class ClosureCreate(Strict):
    successor_account_id: str | None = Field(
        default=None, description="Move the balance here (H13)", examples=[None]
    )
    reason: Text = Field(examples=["换届，资金转入新账户"], description="Why")


class AccountPublic(BaseModel):
    id: str = Field(description="Account id", examples=["7122fe88-c735-5d19-b2a0-f200c42beed5"])
    complex_id: str = Field(
        description="Complex", examples=["57af9fd5-795c-5088-8973-04c31927217e"]
    )
    committee_id: str = Field(
        description="Committee that opened it", examples=["e75a9b0c-8270-5f0b-b906-25d34d63a789"]
    )
    bank: str = Field(description="Bank", examples=["青岛银行市南支行"])
    bank_code: str = Field(
        default="", description="The bank's CNAPS code (issue #14)", examples=["313452060150"]
    )
    account_number: str = Field(description="Account number", examples=["6228480012345678"])
    signatories: list[str] = Field(description="Signatories", examples=[["m1", "m2", "m3"]])
    opened_on: str = Field(description="Opening date", examples=["2025-11-20"])
    status: str = Field(description="open or closed", examples=["open"])
    payments_suspended: bool = Field(description="Suspended by a regulator (H02)", examples=[False])
    balance: str = Field(description="Balance, yuan", examples=["67098.44"])
    entries: int = Field(description="Entries recorded", examples=[37])
    pending_expenditures: int = Field(description="Proposed, not yet booked", examples=[0])
    version: int = Field(description="Stream version", examples=[52])


class EntryPublic(BaseModel):
    id: str = Field(
        description="Entry id (derived from the Idempotency-Key)",
        examples=["1127f932-fc14-5f11-8b3e-8538ea2e490e"],
    )
    account_id: str = Field(
        description="Account", examples=["7122fe88-c735-5d19-b2a0-f200c42beed5"]
    )
    kind: str = Field(
        description="income, expenditure, reversal, transfer_in, transfer_out", examples=["income"]
    )
    amount: str = Field(description="Signed effect on the balance, yuan", examples=["1200.00"])
    value_date: str = Field(description="Business date", examples=["2026-06-10"])
    category: str | None = Field(description="Category", examples=["parking"])
    counterparty: str | None = Field(
        description="Payer or payee (a person erased since: 已删除)",
        examples=["青岛某物业服务有限公司"],
    )
    method: str | None = Field(description="Payment method", examples=[None])
    contract_ref: str | None = Field(description="Contract", examples=["TC-2026-018"])
    authorisation: str | None = Field(
        description="resolution:<id> or decision:<id>", examples=[None]
    )
    reverses: str | None = Field(description="Entry this reverses", examples=[None])
    reversed_by: str | None = Field(description="Entry that reversed this", examples=[None])
    recorded_at: str = Field(
        description="When recorded (UTC)", examples=["2026-06-10T04:00:00+00:00"]
    )
    recorded_by: str = Field(description="Principal", examples=["committee:tok_1/m1"])


class EntriesPage(BaseModel):
    items: list[EntryPublic] = Field(description="Entries in recording order")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page", examples=[None]
    )


class ExpenditurePublic(BaseModel):
    id: str = Field(description="Expenditure id", examples=["f4a022d4-7bab-52b9-b685-a2f519b4ec67"])
    account_id: str = Field(
        description="Account", examples=["7122fe88-c735-5d19-b2a0-f200c42beed5"]
    )
    status: str = Field(
        description="proposed, booked, rejected or withdrawn", examples=["proposed"]
    )
    category: str = Field(description="Category", examples=["cleaning_greening"])
    payee: str = Field(description="Payee", examples=["青岛某保洁服务有限公司"])
    method: str = Field(description="transfer or cash", examples=["transfer"])
    amount: str = Field(description="Yuan", examples=["3200.00"])
    purpose: str = Field(description="Purpose", examples=["小区公共区域保洁"])
    value_date: str = Field(description="Business date", examples=["2026-06-28"])
    authorisation: str = Field(
        description="resolution:<id> or decision:<id>",
        examples=["decision:b93572e9-605f-5d54-af23-745ca888df29"],
    )
    proposer: str = Field(description="Member who proposed", examples=["m1"])
    approvals: list[str] = Field(description="Signatories who approved so far", examples=[["m1"]])
    approvals_required: int = Field(description="Distinct signatories needed (H06)", examples=[2])


class BalancePublic(BaseModel):
    account_id: str = Field(
        description="Account", examples=["7122fe88-c735-5d19-b2a0-f200c42beed5"]
    )
    as_of: str = Field(description="Date", examples=["2026-06-30"])
    balance: str = Field(
        description="Balance from entries dated on or before as_of, yuan", examples=["52310.20"]
    )


# --- tokens ---------------------------------------------------------------------------


class TokenCreate(Strict):
    role: Literal["operator", "committee", "owner", "regulator", "bank"] = Field(
        examples=["committee"], description="Role (spec/api.md)"
    )
    complex_id: str | None = Field(
        default=None,
        description="For committee and owner tokens",
        examples=["57af9fd5-795c-5088-8973-04c31927217e"],
    )
    member_id: str | None = Field(
        default=None,
        pattern=MEMBER_ID_PATTERN,
        description="For committee tokens",
        examples=["m1"],
    )
    owner_key: IdentityKey | None = Field(default=None, description="For owner tokens")
    jurisdiction: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}([0-9]{3})?$",
        description="For regulator tokens: city, district or street",
        examples=["370202"],
    )
    bank_code: str | None = Field(
        default=None,
        pattern=r"^[0-9]{12}$",
        description="For bank tokens: the bank's 12-digit CNAPS code (联行号); it feeds and"
        " reads only the accounts that name it (H15)",
        examples=["313452060150"],
    )
    expires_days: int = Field(
        default=90, ge=1, le=366, description="Lifetime in days", examples=[90]
    )
    label: OptionalText = Field(
        default="", description="Who holds it", examples=["市南区住建局 张科长"]
    )


class TokenPublic(BaseModel):
    id: str = Field(description="Token id (not the secret)", examples=["tok_3f9a1c2b7d4e5f60"])
    role: str = Field(description="Role", examples=["committee"])
    complex_id: str | None = Field(description="Complex", examples=[None])
    member_id: str | None = Field(description="Member", examples=["m1"])
    jurisdiction: str | None = Field(description="Jurisdiction", examples=[None])
    bank_code: str | None = Field(default=None, description="Bank (CNAPS code)", examples=[None])
    label: str = Field(description="Label", examples=[""])
    created_at: str = Field(description="Issued", examples=["2026-11-26T04:00:00+00:00"])
    expires_at: str = Field(description="Expires", examples=["2027-02-24T04:00:00+00:00"])
    revoked_at: str | None = Field(description="Revoked", examples=[None])


class TokenIssued(TokenPublic):
    token: str = Field(description="The bearer secret; shown only now", examples=["cf_…"])


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
