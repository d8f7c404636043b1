"""Complexes and their units (operator registers; scoped roles read)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import IdempotencyKey, PrincipalDep, ServicesDep, place, place_of, summary_of, yuan
from api.errors_doc import problems
from api.idempotency import idempotent
from api.limits import media_type
from api.schemas import (
    ComplexCreate,
    ComplexPublic,
    ObjectionContactSet,
    UnitCreate,
    UnitDelivery,
    UnitSale,
    UnitsCreate,
)
from ledger.application import ComplexSummary
from ledger.complexes.complex import Unit
from ledger.errors import InvalidCommand

router = APIRouter(prefix="/v1/complexes", tags=["complexes"])
READERS = ("operator", "regulator", "committee", "owner")


def public(summary: ComplexSummary) -> ComplexPublic:
    return ComplexPublic(
        id=str(summary.id),
        code=summary.code,
        name=summary.name,
        district=summary.district,
        street=summary.street,
        community=summary.community,
        unit_count=summary.unit_count,
        objection_contact=summary.objection_contact,
        floor_area=yuan(summary.floor_area),
        current_committee_id=summary.current_committee_id,
        current_account_id=summary.current_account_id,
        version=summary.version,
    )


def units_of(items: list[UnitCreate]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for u in items:
        if u.unit_id in units:
            raise InvalidCommand(f"units: unit {u.unit_id} is listed twice")
        unit = Unit(
            building=u.building,
            area=u.floor_area,
            owner_key=u.owner_key or "",
            developer_held=u.developer_held,
            area_kind=u.area_kind,
        )
        if not u.delivered:
            unit["delivered"] = False
        units[u.unit_id] = unit
    return units


@router.post(
    "",
    status_code=201,
    summary="Register a complex with its units",
    response_model=ComplexPublic,
    responses=problems(409),
)
def register_complex(
    body: ComplexCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The operator registers a residential complex with its place (district, street, community)
    and, optionally, its units with their floor areas and owners. The complex's code is unique;
    registering it again answers 409."""
    principal.require_role(("operator",))

    def run(_: str) -> tuple[int, ComplexPublic]:
        receipt = services.ledger.register_complex(
            code=body.code,
            name=body.name,
            district=body.district,
            street=body.street,
            community=body.community,
            units=units_of(body.units) or None,
            actor=principal.actor,
        )
        return 201, public(services.ledger.complex_summary(UUID(receipt.id)))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    "/{complex_id}/units",
    status_code=201,
    summary="Add units in bulk (JSON or CSV)",
    response_model=ComplexPublic,
    responses=problems(409, 415),
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/UnitsCreate"}},
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "example": "unit_id,building,floor_area,owner_key,developer_held\n",
                    }
                },
            }
        }
    },
)
async def add_units(
    complex_id: UUID,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The operator adds units to a registered complex, as JSON or as a CSV of
    `unit_id,building,floor_area,owner_key,developer_held`. A unit id already present is refused;
    a bad CSV row is named by its line."""
    raw = await request.body()
    content_type = media_type(request.headers.get("content-type", ""))
    body = parse_units(raw, content_type)

    def run(_: str) -> tuple[int, ComplexPublic]:
        services.ledger.add_units(complex_id, units_of(body.units), actor=principal.actor)
        return 201, public(services.ledger.complex_summary(complex_id))

    def guarded() -> Response:
        principal.require(place_of(services.ledger, complex_id), ("operator",))
        return idempotent(request, services, principal, key, body=body, run=run)

    return await run_in_threadpool(guarded)


@router.post(
    "/{complex_id}/units/{unit_id}/sale",
    status_code=201,
    summary="Record a unit's sale: the new owner, and its maintenance-fund sub-ledger goes along",
    response_model=ComplexPublic,
    responses=problems(404, 409),
)
def sell_unit(
    complex_id: UUID,
    unit_id: Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$")],
    body: UnitSale,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The operator records the registered transfer (domain.md: a sale moves the unit and its sub-ledger)."""
    principal.require(place_of(services.ledger, complex_id), ("operator",))

    def run(_: str) -> tuple[int, ComplexPublic]:
        services.ledger.transfer_unit(
            complex_id, unit_id, body.new_owner_key, on=body.sold_on, actor=principal.actor
        )
        return 201, public(services.ledger.complex_summary(complex_id))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.put(
    "/{complex_id}/units/{unit_id}/delivery",
    summary="Record whether a sold unit is handed over to its owner (headcount, art. 9)",
    response_model=ComplexPublic,
    responses=problems(404, 409),
)
def record_delivery(
    complex_id: UUID,
    unit_id: Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z_\-]{0,63}$")],
    body: UnitDelivery,
    services: ServicesDep,
    principal: PrincipalDep,
) -> ComplexPublic:
    """The operator records a sold unit's delivery state. Until delivered, the unit counts with
    the developer's unsold units as one owner in a vote's headcount (SPC interpretation on
    building ownership, art. 9; issue #16). Setting the state it already has changes nothing."""
    principal.require(place_of(services.ledger, complex_id), ("operator",))
    services.ledger.record_delivery(
        complex_id, unit_id, delivered=body.delivered, actor=principal.actor
    )
    return public(services.ledger.complex_summary(complex_id))


@router.post(
    "/{complex_id}/objection-contact",
    summary="Say where owners raise objections to a notice (printed on every notice)",
    response_model=ComplexPublic,
    responses=problems(404),
)
def set_objection_contact(
    complex_id: UUID,
    body: ObjectionContactSet,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The committee (a member in office) or the operator; the same contact again records
    nothing. Public: the notice and the complex's page show it (issue #17)."""
    principal.require(place_of(services.ledger, complex_id), ("committee", "operator"))

    def run(_: str) -> tuple[int, ComplexPublic]:
        services.ledger.set_objection_contact(complex_id, body.contact, actor=principal.actor)
        return 200, public(services.ledger.complex_summary(complex_id))

    return idempotent(request, services, principal, key, body=body, run=run)


def parse_units(raw: bytes, content_type: str) -> UnitsCreate:
    if content_type == "text/csv":
        try:
            rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        except UnicodeDecodeError:
            raise InvalidCommand("units: the CSV is not UTF-8") from None
        except csv.Error as error:
            raise InvalidCommand(f"units: the CSV cannot be read ({error})") from None
        items = [
            {
                "unit_id": r.get("unit_id", ""),
                "building": r.get("building", ""),
                "floor_area": r.get("floor_area", ""),
                "owner_key": r.get("owner_key") or None,
                "developer_held": (r.get("developer_held") or "").strip().lower()
                in ("1", "true", "yes"),
                **({"area_kind": r["area_kind"].strip()} if r.get("area_kind") else {}),
                **(
                    {"delivered": r["delivered"].strip().lower() in ("1", "true", "yes")}
                    if r.get("delivered")
                    else {}
                ),
            }
            for r in rows
        ]
        return _validated(lambda: UnitsCreate.model_validate({"units": items}))
    if content_type not in ("application/json", ""):
        raise HTTPException(415, "send the units as application/json or text/csv")
    return _validated(lambda: UnitsCreate.model_validate_json(raw or b"{}"))


def _validated(parse: Callable[[], UnitsCreate]) -> UnitsCreate:
    """Bodies parsed by hand report their errors like FastAPI's own (422, fields named)."""
    try:
        return parse()
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("body", *e["loc"])} for e in error.errors()]
        ) from None


@router.get(
    "/{complex_id}",
    summary="A complex: place, units, current committee and account",
    response_model=ComplexPublic,
    responses=problems(),
)
def get_complex(complex_id: UUID, services: ServicesDep, principal: PrincipalDep) -> ComplexPublic:
    """Its code, name and place, its units, the committee in office and the common-fund account.
    Readable by the operator, the complex's committee and owners, and regulators whose
    jurisdiction covers it."""
    summary = summary_of(services.ledger, complex_id)
    principal.require(place(summary), READERS)
    return public(summary)
