"""The maintenance fund (issue #6): deposits, interest, repair projects, payouts, reads, disclosure.

Who may do what (spec/api.md roles; H15):

- deposits: the complex's committee, a regulator in its jurisdiction (the housing
  authority that hands over and collects the fund) and the operator;
- interest: a regulator or the operator (a bank feed is a later issue);
- projects, acceptance, disclosure, the annual publication: the committee (as one
  member); a payout is proposed by one member and booked when a second signatory
  approves it (H06), or rejected, or withdrawn by its proposer;
- the fund and its projects: the complex's roles, its regulators, the operator;
- a unit's own ledger: the unit's current owner and regulators only (the committee
  and other owners of the complex get 403).

Writes answer from the ledger; reads come from the read model
(projections/maintenance/view.py), so reading a unit's ledger never loads the fund.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.auth import NOT_VISIBLE, Place, Principal
from api.cursors import cursor_of, position_of
from api.deps import (
    IdempotencyKey,
    MoneyKey,
    PrincipalDep,
    Services,
    ServicesDep,
    place_of,
    unseen,
    yuan,
)
from api.errors_doc import problems
from api.formats import XLSX
from api.idempotency import idempotent
from api.limits import media_type
from api.maintenance import formats as maintenance_formats
from api.maintenance.schemas import (
    AcceptanceCreate,
    AnnualPublic,
    BuildingShare,
    ContractorCreate,
    DepositCreate,
    DepositPublic,
    DisbursementCreate,
    DisbursementPublic,
    DisclosureCreate,
    FundPublic,
    InterestCreate,
    InterestPublic,
    PayoutPublic,
    ProjectCreate,
    ProjectDetail,
    ProjectPublic,
    ProjectSummary,
    UnitEntry,
    UnitLedgerPublic,
)
from api.schemas import RejectionCreate
from api.statements.routes import VersionQuery
from ledger.complexes.complex import Complex
from ledger.errors import ConcurrencyConflict, InvalidCommand, NotFound
from ledger.maintenance import Contractor, Emergency, Item, RepairProject
from ledger.maintenance.receipts import FundReceipt, ProjectPlan
from ledger.maintenance.rules import below_replenishment, payable_now, replenishment_line
from ledger.money import format_area
from projections.maintenance.queries import Published

router = APIRouter(tags=["maintenance fund"])
DEPOSITORS = ("committee", "regulator", "operator")
INTEREST = ("regulator", "operator")
KEEPERS = ("committee",)
READERS = ("committee", "owner", "regulator", "operator")
UNIT_READERS = ("owner", "regulator")
CATCH_UP_SECONDS = 5.0
MAX_PAGE = 500
FUND = "/v1/complexes/{complex_id}/maintenance-fund"
PROJECT = "/v1/maintenance-projects/{project_id}"
Year = Annotated[int, Path(ge=2000, le=2200, description="Calendar year")]
FormatQuery = Annotated[
    str | None,
    Query(
        pattern="^(json|csv|xlsx)$", description="json (default), csv or xlsx (numbers as numbers)"
    ),
]


# --- scope -------------------------------------------------------------------------------


def project_place(services: Services, project_id: UUID) -> Place:
    """The place of a project's complex (an id that is no project answers as unseen)."""
    with unseen():
        complex_id = services.ledger.peek(project_id, RepairProject, lambda p: UUID(p.complex_id))
    return place_of(services.ledger, complex_id)


def catch_up(services: Services, seconds: float = CATCH_UP_SECONDS) -> bool:
    head = services.ledger.recorder.max_notification_id() or 0
    return services.maintenance_runner.wait_for(head, seconds)


# --- deposits ------------------------------------------------------------------------------


@router.post(
    FUND + "/deposits",
    status_code=201,
    summary="Record deposits per unit (JSON, or CSV of unit_id,amount; Idempotency-Key required)",
    response_model=DepositPublic,
    responses=problems(409, 415),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/DepositCreate"}},
                "text/csv": {"schema": {"type": "string", "example": "unit_id,amount\n"}},
            }
        }
    },
)
async def record_deposits(
    complex_id: UUID,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
    kind: Annotated[
        str | None, Query(max_length=20, description="CSV only: first, additional, …")
    ] = None,
    value_date: Annotated[str | None, Query(max_length=20, description="CSV only")] = None,
    reference: Annotated[str | None, Query(max_length=200, description="CSV only")] = None,
) -> Response:
    """The committee, a regulator or the operator records deposits into units' maintenance-fund
    sub-ledgers: JSON, or a CSV of `unit_id,amount` (with `?kind=`, `?value_date=`,
    `?reference=`). All rows are recorded or none; bad rows are named by their line. Requires
    `Idempotency-Key`."""
    await run_in_threadpool(
        lambda: principal.require(place_of(services.ledger, complex_id), DEPOSITORS)
    )
    raw = await request.body()
    content_type = media_type(request.headers.get("content-type", ""))
    body, numbers = parse_deposits(raw, content_type, kind, value_date, reference)

    if body.first_deposits is not None and body.kind != "initial_transfer":
        raise InvalidCommand(
            "first_deposits: only with kind initial_transfer (a first deposit is its own amount)"
        )

    def guarded() -> Response:
        check_units(services, complex_id, body, numbers)
        lines = {line.unit_id: line.amount for line in body.lines}
        firsts = {line.unit_id: line.amount for line in body.first_deposits or []}

        def run(ledger_key: str) -> tuple[int, DepositPublic]:
            receipt = services.ledger.maintenance.record_deposits(
                complex_id, lines, kind=body.kind, on=body.value_date, reference=body.reference,
                idempotency_key=ledger_key, actor=principal.actor,
                first_deposits=firsts or None,
            )  # fmt: skip
            return 201, DepositPublic(
                id=receipt.id, complex_id=str(complex_id), kind=body.kind,
                value_date=body.value_date.isoformat(), units=len(lines),
                total=yuan(sum(lines.values())), fund_balance=yuan(receipt.fund_balance),
                version=receipt.version,
            )  # fmt: skip

        return idempotent(
            request, services, principal, key, body=body, run=run, rerun=True, one_write=True
        )

    return await run_in_threadpool(guarded)


def parse_deposits(
    raw: bytes, content_type: str, kind: str | None, value_date: str | None, reference: str | None
) -> tuple[DepositCreate, list[int] | None]:
    """The body, and for a CSV the line number of each of its lines."""
    if content_type == "text/csv":
        lines, numbers = csv_lines(raw)
        fields = {"kind": kind, "value_date": value_date, "reference": reference or ""}
        body = _validated(lambda: DepositCreate.model_validate({**fields, "lines": lines}))
        return body, numbers
    if content_type not in ("application/json", ""):
        raise HTTPException(415, "send the deposits as application/json or text/csv")
    return _validated(lambda: DepositCreate.model_validate_json(raw or b"{}")), None


def csv_lines(raw: bytes) -> tuple[list[dict[str, str]], list[int]]:
    """The rows of a ``unit_id,amount`` CSV (UTF-8, a BOM allowed); every bad row is named by
    its line number (the header is line 1), and nothing is recorded."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidCommand("body: the CSV is not UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise InvalidCommand(f"body: the CSV cannot be read ({error})") from None
    if not rows or [c.strip() for c in rows[0][:2]] != ["unit_id", "amount"]:
        raise InvalidCommand("body: the CSV's first line must be the header unit_id,amount")
    errors: list[dict[str, Any]] = []
    lines: list[dict[str, str]] = []
    numbers: list[int] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line (Excel often ends with one)
        if len(row) != 2:
            errors.append(_error(number, "row", f"has {len(row)} cells; write unit_id,amount"))
            continue
        unit_id, amount = row[0].strip(), row[1].strip()
        if unit_id in seen:
            errors.append(_error(number, "unit_id", f"unit {unit_id} is on line {seen[unit_id]}"))
            continue
        seen[unit_id] = number
        try:
            DepositCreate.model_validate(
                {"kind": "additional", "value_date": "2000-01-01", "lines": [
                    {"unit_id": unit_id, "amount": amount}]}
            )  # fmt: skip
        except ValidationError as error:
            errors.extend(
                _error(number, str(e["loc"][-1]), str(e["msg"]))
                for e in error.errors()
                if e["loc"][:1] == ("lines",)
            )
            continue
        lines.append({"unit_id": unit_id, "amount": amount})
        numbers.append(number)
    if errors:
        raise RequestValidationError(errors[:100])
    return lines, numbers


def _error(line: int, field: str, message: str) -> dict[str, Any]:
    return {"loc": ("body", f"line {line}", field), "msg": message, "type": "value_error"}


def _validated(parse: Callable[[], DepositCreate]) -> DepositCreate:
    try:
        return parse()
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None


def check_units(
    services: Services, complex_id: UUID, body: DepositCreate, numbers: list[int] | None
) -> None:
    """Every line names a unit of the complex, once: else 422 naming the lines (a CSV's by
    their line numbers)."""
    named = [line.unit_id for line in body.lines]
    known = services.ledger.peek(complex_id, Complex, lambda c: {u for u in named if u in c.units})
    errors = []
    seen: set[str] = set()
    for index, unit_id in enumerate(named):
        if unit_id not in known:
            message = f"{unit_id} is not a unit of this complex"
        elif unit_id in seen:
            message = f"{unit_id} is listed twice"
        else:
            seen.add(unit_id)
            continue
        where = ("body", f"line {numbers[index]}") if numbers else ("body", "lines", index)
        errors.append({"loc": (*where, "unit_id"), "msg": message, "type": "value_error"})
    if errors:
        raise RequestValidationError(errors[:100])


# --- interest ---------------------------------------------------------------------------------


@router.post(
    FUND + "/interest",
    status_code=201,
    summary="Record the interest of a period, split by the units' balance-days (H10)",
    response_model=InterestPublic,
    responses=problems(409),
)
def record_interest(
    complex_id: UUID,
    body: InterestCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A regulator or the operator records the interest the bank paid on the fund for a period; it
    is split to the units by their balance-days, to the fen (largest remainder, H10). Requires
    `Idempotency-Key`."""
    principal.require(place_of(services.ledger, complex_id), INTEREST)

    def run(_: str) -> tuple[int, InterestPublic]:
        receipt = services.ledger.maintenance.record_interest(
            complex_id, body.amount, period_from=body.period_from, period_to=body.period_to,
            on=body.value_date, reference=body.reference, actor=principal.actor,
        )  # fmt: skip
        return 201, InterestPublic(
            complex_id=str(complex_id), period_from=body.period_from.isoformat(),
            period_to=body.period_to.isoformat(), amount=yuan(body.amount), units=receipt.parts,
            fund_balance=yuan(receipt.fund_balance), version=receipt.version,
            replayed=receipt.replayed,
        )  # fmt: skip

    return idempotent(
        request, services, principal, key, body=body, run=run, rerun=True, one_write=True
    )


# --- projects -----------------------------------------------------------------------------------


def payable(services: Services, p: dict[str, Any]) -> int:
    """H09: what the project may still pay now."""
    return payable_now(
        budget=int(p["budget"]), contract_sum=int(p["contract_sum"]),
        disbursed=int(p["disbursed"]), accepted=p["accepted_on"] is not None,
        payout_ratio_bp=services.ledger.policy.maintenance_payout_ratio_bp,
    )  # fmt: skip


def project_public(services: Services, p: dict[str, Any], version: int | None) -> ProjectPublic:
    return ProjectPublic(
        id=p["project_id"], complex_id=p["complex_id"], kind=p["kind"], title=p["title"],
        items=[{"description": i["description"], "amount": yuan(i["amount"])} for i in p["items"]],
        budget=yuan(p["budget"]), contract_sum=yuan(p["contract_sum"]),
        contractor=p["contractor"], affected_units=p["affected_units"],
        planned_on=p["planned_on"], plan_published_on=p["plan_published_on"],
        resolution_id=p["resolution_id"], emergency=p["emergency"],
        accepted_on=p["accepted_on"], disclosed_on=p["disclosed_on"],
        disbursed=yuan(p["disbursed"]), payable=yuan(payable(services, p)), version=version,
    )  # fmt: skip


def from_ledger(services: Services, project_id: UUID) -> ProjectPublic:
    """A project as the ledger holds it (a write's answer: the read model may lag)."""

    def view(p: RepairProject) -> tuple[dict[str, Any], int]:
        return {
            "project_id": str(p.id), "complex_id": p.complex_id, "kind": p.kind,
            "title": p.title, "items": list(p.items), "budget": p.budget,
            "contract_sum": p.contract_sum, "contractor": p.contractor["name"],
            "affected_units": len(p.affected), "planned_on": p.planned_on,
            "plan_published_on": p.plan_published_on, "resolution_id": p.resolution_id,
            "emergency": dict(p.emergency) if p.emergency else None,
            "accepted_on": p.accepted_on, "disclosed_on": p.disclosed_on,
            "disbursed": p.disbursed,
        }, p.version  # fmt: skip

    found, version = services.ledger.peek(project_id, RepairProject, view)
    return project_public(services, found, version)


def contractor(given: ContractorCreate) -> Contractor:
    found = Contractor(name=given.name, bank_account=given.bank_account)
    if given.identity_key:  # named only when given: an earlier plan's replay keeps its fingerprint
        found["identity_key"] = given.identity_key
    return found


@router.post(
    FUND + "/projects",
    status_code=201,
    summary="Plan a repair project: voted (H08, matter 5) or an emergency with confirmation",
    response_model=ProjectPublic,
    responses=problems(409),
)
def plan_project(
    complex_id: UUID,
    body: ProjectCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A committee member plans a repair: items, budget, contract sum, contractor and the affected
    units, authorised by a passed matter-5 resolution whose scope is those units, or as a
    confirmed emergency of a listed kind (H08). The cost is apportioned to the affected units by
    floor area."""
    principal.require(place_of(services.ledger, complex_id), KEEPERS)
    e = body.emergency
    plan = ProjectPlan(
        title=body.title,
        items=[Item(description=i.description, amount=i.amount) for i in body.items],
        budget=body.budget,
        contract_sum=body.contract_sum,
        contractor=contractor(body.contractor),
        affected_units=list(body.affected_units),
        plan_published_on=body.plan_published_on,
        resolution_id=UUID(body.resolution_id) if body.resolution_id else None,
        emergency=Emergency(
            category=e.category, street_office=e.street_office,
            confirmation_ref=e.confirmation_ref, confirmed_on=e.confirmed_on.isoformat(),
        ) if e else None,
    )  # fmt: skip

    def run(ledger_key: str) -> tuple[int, ProjectPublic]:
        receipt = services.ledger.maintenance.plan_project(
            complex_id, plan, idempotency_key=ledger_key, actor=principal.actor
        )
        return 201, from_ledger(services, UUID(receipt.id))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    PROJECT + "/acceptance",
    summary="Record the completion acceptance (from then on the budget, not 70%, caps payouts)",
    response_model=ProjectPublic,
    responses=problems(409),
)
def accept_project(
    project_id: UUID,
    body: AcceptanceCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records the completion acceptance (竣工验收); before it a project pays at most 70% of its
    contract, after it up to its budget (H09)."""
    principal.require(project_place(services, project_id), KEEPERS)

    def run(_: str) -> tuple[int, ProjectPublic]:
        services.ledger.maintenance.accept_project(
            project_id, on=body.accepted_on, reference=body.reference, actor=principal.actor
        )
        return 200, from_ledger(services, project_id)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    PROJECT + "/disclosure",
    summary="Record that the project's use was made public (emergencies: within 7 days, A17)",
    response_model=ProjectPublic,
    responses=problems(409),
)
def disclose_project(
    project_id: UUID,
    body: DisclosureCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records that the use of the fund was made public to the owners; an emergency use must be
    disclosed within 7 days (A17)."""
    principal.require(project_place(services, project_id), KEEPERS)

    def run(_: str) -> tuple[int, ProjectPublic]:
        services.ledger.maintenance.disclose_project(
            project_id, on=body.disclosed_on, reference=body.reference, actor=principal.actor
        )
        return 200, from_ledger(services, project_id)

    return idempotent(request, services, principal, key, body=body, run=run)


PAYOUT = PROJECT + "/disbursements/{disbursement_id}"
DisbursementId = Annotated[str, Path(max_length=64, description="From the proposal's answer")]


def payout_public(
    services: Services,
    project_id: UUID,
    disbursement_id: str,
    receipt: FundReceipt | None = None,
    *,
    as_proposed: bool = False,
) -> PayoutPublic:
    """A payout as the ledger holds it (as proposed, for a proposal's answer), with the
    fund's balance a write left."""
    payout, affected = services.ledger.maintenance.payout(
        project_id, disbursement_id, as_proposed=as_proposed
    )
    booked = payout["status"] == "booked"
    return PayoutPublic(
        id=disbursement_id, project_id=str(project_id), amount=yuan(payout["amount"]),
        payee=payout["payee"], value_date=payout["value_date"], reference=payout["reference"],
        units=affected if booked else 0, by_building=None,
        fund_balance=yuan(receipt.fund_balance) if receipt is not None and booked else None,
        status=payout["status"], proposer=payout["proposer"], approvals=list(payout["approvals"]),
        approvals_required=services.ledger.policy.required_approvers,
    )  # fmt: skip


@router.post(
    PROJECT + "/disbursements",
    status_code=201,
    summary="Propose a payout to the contractor (the proposer's approval counts as the first, H06)",
    response_model=PayoutPublic,
    responses=problems(409),
)
def propose_disbursement(
    project_id: UUID,
    body: DisbursementCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A signatory proposes a payment to the project's contractor, by transfer only (H07), within
    the 70% or budget cap (H09); it is booked once a second signatory approves (H06). Requires
    `Idempotency-Key`."""
    principal.require(project_place(services, project_id), KEEPERS)

    def run(ledger_key: str) -> tuple[int, PayoutPublic]:
        receipt = services.ledger.maintenance.propose_disbursement(
            project_id, body.amount, payee=body.payee, method=body.method, on=body.value_date,
            reference=body.reference, idempotency_key=ledger_key, actor=principal.actor,
        )  # fmt: skip
        return 201, payout_public(services, project_id, receipt.id, receipt, as_proposed=True)

    return idempotent(
        request, services, principal, key, body=body, run=run, rerun=True, one_write=True
    )


@router.post(
    PAYOUT + "/approvals",
    summary="Approve as a further signatory; booked once two distinct signatories approve, the"
    " money apportioned to the affected units by floor area (H03, H06, H07, H09)",
    response_model=PayoutPublic,
    responses=problems(409),
)
def approve_disbursement(
    project_id: UUID,
    disbursement_id: DisbursementId,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A second, distinct signatory approves; the payout is booked and taken from the affected
    units' sub-ledgers by floor area, refused if any would go negative (H03, `shortfalls` lists
    them). Requires `Idempotency-Key`."""
    principal.require(project_place(services, project_id), KEEPERS)

    def run(_: str) -> tuple[int, PayoutPublic]:
        receipt = services.ledger.maintenance.approve_disbursement(
            project_id, disbursement_id, actor=principal.actor
        )
        return 200, payout_public(services, project_id, disbursement_id, receipt)

    return idempotent(
        request, services, principal, key, body=None, run=run, rerun=True, one_write=True
    )


@router.post(
    PAYOUT + "/rejection",
    summary="Reject a proposed payout (a member of the committee in office)",
    response_model=PayoutPublic,
    responses=problems(409),
)
def reject_disbursement(
    project_id: UUID,
    disbursement_id: DisbursementId,
    body: RejectionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A member of the committee in office rejects a proposed, unbooked payout with a reason."""
    principal.require(project_place(services, project_id), KEEPERS)

    def run(_: str) -> tuple[int, PayoutPublic]:
        receipt = services.ledger.maintenance.reject_disbursement(
            project_id, disbursement_id, reason=body.reason, actor=principal.actor
        )
        return 200, payout_public(services, project_id, disbursement_id, receipt)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.delete(
    PAYOUT,
    summary="Withdraw a payout that is not booked (its proposer)",
    response_model=PayoutPublic,
    responses=problems(409),
)
def withdraw_disbursement(
    project_id: UUID,
    disbursement_id: DisbursementId,
    services: ServicesDep,
    principal: PrincipalDep,
) -> PayoutPublic:
    """The proposer withdraws a payout that is not booked yet."""
    principal.require(project_place(services, project_id), KEEPERS)
    receipt = services.ledger.maintenance.withdraw_disbursement(
        project_id, disbursement_id, actor=principal.actor
    )
    return payout_public(services, project_id, disbursement_id, receipt)


@router.get(
    PAYOUT,
    summary="A payout and its approvals so far",
    response_model=PayoutPublic,
    responses=problems(),
)
def get_disbursement(
    project_id: UUID,
    disbursement_id: DisbursementId,
    services: ServicesDep,
    principal: PrincipalDep,
) -> PayoutPublic:
    """The payout with its status (proposed, booked, rejected or withdrawn), its proposer and the
    signatories who approved so far (two distinct ones are needed, H06)."""
    principal.require(project_place(services, project_id), READERS)
    return payout_public(services, project_id, disbursement_id)


# --- reading ---------------------------------------------------------------------------------


@router.get(
    FUND,
    summary="The fund of a complex: totals, units below the replenishment line, projects",
    response_model=FundPublic,
    responses=problems(),
)
def get_fund(complex_id: UUID, services: ServicesDep, principal: PrincipalDep) -> FundPublic:
    """The fund's balance, deposits, interest, transfers in and disbursements, how many units are
    below the replenishment line (A19) and the projects. Readable by the complex's committee and
    owners, its regulators and the operator."""
    principal.require(place_of(services.ledger, complex_id), READERS)
    totals = services.maintenance.totals(str(complex_id))
    if totals is None:
        raise NotFound(f"complex {complex_id} has no maintenance fund yet")
    ratio = services.maintenance.ratio_bp
    return FundPublic(
        complex_id=totals.complex_id, fund_id=totals.fund_id,
        established_on=totals.established_on, balance=yuan(totals.balance),
        deposits=yuan(totals.deposits), interest=yuan(totals.interest),
        transfers_in=yuan(totals.transfers_in), disbursed=yuan(totals.disbursed),
        units=totals.units, units_below_replenishment=totals.below_line,
        replenish_ratio=f"{ratio / 10_000:.2f}", latest_on=totals.latest_on,
        position=totals.position,
        projects=[
            ProjectSummary(
                id=p["project_id"], kind=p["kind"], title=p["title"], budget=yuan(p["budget"]),
                contract_sum=yuan(p["contract_sum"]), contractor=p["contractor"],
                affected_units=p["affected_units"], disbursed=yuan(p["disbursed"]),
                accepted_on=p["accepted_on"], disclosed_on=p["disclosed_on"],
                planned_on=p["planned_on"],
            )
            for p in services.maintenance.projects(str(complex_id))
        ],
    )  # fmt: skip


@router.get(
    PROJECT,
    summary="A repair project with its disbursements and their apportionment per building",
    response_model=ProjectDetail,
    responses=problems(),
)
def get_project(project_id: UUID, services: ServicesDep, principal: PrincipalDep) -> ProjectDetail:
    """The project's plan, authorisation, acceptance and disclosure, its payouts, and what each
    building has paid towards it."""
    principal.require(project_place(services, project_id), READERS)
    found = services.maintenance.project(str(project_id))
    if found is None and catch_up(services, 2.0):
        found = services.maintenance.project(str(project_id))
    if found is None:
        raise HTTPException(503, "the maintenance fund's read model is catching up; retry")
    p, payments = found
    public = project_public(services, p, None)
    return ProjectDetail(
        **public.model_dump(),
        buildings=[
            BuildingShare(building=b, units=s["units"], area=format_area(s["area"]))
            for b, s in p["buildings"].items()
        ],
        disbursements=[
            DisbursementPublic(
                id=d["disbursement_id"], project_id=str(project_id), amount=yuan(d["amount"]),
                payee=d["payee"], value_date=d["value_date"], reference=d["reference"],
                units=d["units"], by_building={b: yuan(a) for b, a in d["by_building"].items()},
                fund_balance=None,
            )
            for d in payments
        ],
    )  # fmt: skip


def unit_of(principal: Principal, text: str) -> tuple[UUID, str]:
    """``<complex_id>:<unit>``; an owner may write the bare unit (its token names the complex)."""
    complex_part, colon, unit = text.rpartition(":")
    if not colon and principal.role == "owner" and principal.token.complex_id is not None:
        return principal.token.complex_id, text
    try:  # anything else names nothing these credentials may see (H15)
        return UUID(complex_part), unit
    except ValueError:
        raise HTTPException(404, NOT_VISIBLE) from None


@router.get(
    "/v1/units/{unit_id}/maintenance-ledger",
    summary="A unit's own maintenance-fund sub-ledger (its owner and regulators only)",
    response_model=UnitLedgerPublic,
    responses=problems(),
)
def unit_ledger(
    unit_id: Annotated[
        str,
        Path(
            max_length=120,
            description="<complex_id>:<unit>; an owner may give just <unit>",
            examples=["6f1c2b8e-3d4a-5b6c-8d7e-9f0a1b2c3d4e:3-1-502"],
        ),
    ],
    services: ServicesDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=40, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 100,
) -> UnitLedgerPublic:
    """Every movement of one unit's sub-ledger (deposits, interest, its share of payouts) with the
    balance after each, paginated. Only that unit's owner and the regulators whose jurisdiction
    covers it may read it; outside a caller's scope it does not exist (404)."""
    complex_id, unit = unit_of(principal, unit_id)
    place = place_of(services.ledger, complex_id)
    if not principal.in_scope(place):
        raise HTTPException(404, NOT_VISIBLE)
    owner = services.ledger.peek(
        complex_id, Complex, lambda c: c.units[unit]["owner_key"] if unit in c.units else None
    )
    if owner is None:
        raise HTTPException(404, NOT_VISIBLE)
    principal.require(place, UNIT_READERS)
    if principal.role == "owner" and (not owner or principal.token.owner_key != owner):
        raise HTTPException(403, "an owner reads only the sub-ledgers of their own units (H15)")
    after = _position(cursor)
    found = services.maintenance.unit_ledger(str(complex_id), unit, after=after, limit=limit + 1)
    if found is None:
        raise NotFound(f"unit {unit} has no sub-ledger yet")
    page = found.lines[:limit]
    line = replenishment_line(found.first_deposit, services.maintenance.ratio_bp)
    return UnitLedgerPublic(
        unit_id=f"{complex_id}:{unit}", complex_id=str(complex_id), unit=unit,
        building=found.building, balance=yuan(found.balance),
        first_deposit=yuan(found.first_deposit), replenishment_line=yuan(line),
        below_replenishment=services_below(services, found.balance, found.first_deposit),
        entries=found.entries,
        items=[
            UnitEntry(
                position=e["position"], value_date=e["value_date"], kind=e["kind"],
                amount=yuan(e["amount"]), balance_after=yuan(e["balance_after"]),
                reference=e["reference"], note=e["note"],
            )
            for e in page
        ],
        next_cursor=_cursor(page[-1]["position"]) if len(found.lines) > limit else None,
    )  # fmt: skip


def services_below(services: Services, balance: int, first: int) -> bool:
    return below_replenishment(balance, first, services.maintenance.ratio_bp)


def _cursor(position: int) -> str:
    return cursor_of("u1", position)


def _position(cursor: str | None) -> int:
    return position_of("u1", cursor)


# --- the annual statement (Disclosure) ----------------------------------------------------------


def year_of(text: str) -> int:
    if not (text.isdigit() and len(text) == 4 and 2000 <= int(text) <= 2200):
        raise InvalidCommand(f"year: {text!r} is not a calendar year such as 2026")
    return int(text)


def annual_public(found: Published) -> AnnualPublic:
    return AnnualPublic(
        status="published", year=found.year, version=found.version,
        superseded_by=found.superseded_by, published_on=found.published_on,
        published_by=found.published_by, position=found.position, through=found.through,
        content_hash=found.content_hash, hash_matches=found.hash_matches, content=found.content,
        diff=found.diff,
    )  # fmt: skip


@router.get(
    "/v1/public/complexes/{complex_id}/maintenance-fund/{year}",
    summary="The fund's published annual statement (public): the latest version, or"
    " ?version=N; JSON, CSV (Accept: text/csv or ?format=csv) or XLSX (?format=xlsx)",
    response_model=AnnualPublic,
    responses={
        **problems(),
        200: {"description": "The statement", "content": {"text/csv": {}, XLSX: {}}},
    },
)
def public_annual(
    complex_id: UUID,
    year: Year,
    request: Request,
    services: ServicesDep,
    format: FormatQuery = None,  # noqa: A002 - the query parameter's name
    version: VersionQuery = None,
) -> Response:
    """No token needed. The fund's statement of a year as published: totals, each building's
    figures, each project with its cost and apportionment per building; never a single unit. A
    movement dated into the year later makes the next version with a diff (H11)."""
    with unseen():
        services.ledger.place_of(complex_id)
    found = services.maintenance.published(str(complex_id), year, version=version)
    if found is None:
        which = f" version {version}" if version else ""
        raise NotFound(f"the maintenance-fund statement of {year}{which} is not published")
    public = annual_public(found)
    wanted = format or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    if wanted == "csv":
        return maintenance_formats.csv_response(public)
    if wanted == "xlsx":
        return maintenance_formats.xlsx_response(public)
    return Response(public.model_dump_json(), media_type="application/json")


@router.post(
    FUND + "/{year}/publication",
    status_code=201,
    summary="Publish the fund's annual statement of an ended year (a committee member)",
    response_model=AnnualPublic,
    responses=problems(409),
)
def publish_annual(
    complex_id: UUID,
    year: Annotated[
        str, Path(max_length=40, description="Calendar year (ended)", examples=["2026"])
    ],
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A committee member publishes the fund's statement of an ended year; its content is frozen
    with its hash (H11)."""
    principal.require(place_of(services.ledger, complex_id), KEEPERS)
    stated = year_of(year)  # after the scope check: outside it, any path answers 404

    def run(_: str) -> tuple[int, AnnualPublic]:
        if not catch_up(services):
            raise HTTPException(503, "the maintenance fund is catching up with the ledger; retry")
        through, digest = services.maintenance.publication_basis(str(complex_id), stated)
        services.ledger.maintenance.publish_annual_statement(
            complex_id, stated, through=through, content_hash=digest, actor=principal.actor
        )
        catch_up(services)
        found = services.maintenance.published(str(complex_id), stated, version=1)
        if found is None:  # pragma: no cover - catch_up has applied the publication
            raise ConcurrencyConflict("the publication is recorded; read it again shortly")
        return 201, annual_public(found)

    return idempotent(request, services, principal, key, body=None, run=run)
