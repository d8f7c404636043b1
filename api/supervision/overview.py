"""The regulators' city overview (spec/api.md: GET /v1/overview?jurisdiction=...)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from api.auth import Principal, jurisdiction_prefix
from api.deps import PrincipalDep, ServicesDep
from api.errors_doc import problems
from ledger.dates import parse_date
from ledger.money import format_fen
from projections.bank.queries import BankReads
from projections.db import Database
from projections.supervision.overview import SEVERITIES, Area, overview

router = APIRouter(tags=["supervision"])
DIVISION = r"^[0-9]{2,12}$"


class AlertCounts(BaseModel):
    critical: int = Field(description="Open critical alerts", examples=[0])
    high: int = Field(description="Open high alerts", examples=[1])
    warning: int = Field(description="Open warnings", examples=[3])
    info: int = Field(description="Open notices", examples=[2])


class AreaPublic(BaseModel):
    district: str = Field(description="District code", examples=["370202"])
    street: str = Field(description="Street office code ('' on a district total)", examples=[""])
    complexes: int = Field(description="Registered complexes", examples=[120])
    committees_in_office: int = Field(
        description="Complexes whose committee is filed or sealed and in its term", examples=[96]
    )
    accounts_open: int = Field(description="Open common-fund accounts", examples=[90])
    balance: str = Field(description="Their balances together, yuan", examples=["8312004.50"])
    statements_due: int = Field(
        description="Complexes that owed the checked quarter's statement", examples=[90]
    )
    statements_on_time: int = Field(
        description="Of those, published by the deadline", examples=[71]
    )
    open_alerts: AlertCounts = Field(description="Open or acknowledged alerts by severity")
    bank_feeds: int = Field(
        default=0, description="Accounts whose bank sends statements (issue #14)", examples=[80]
    )
    unreconciled: int = Field(
        default=0,
        description="Of those, not reconciled as of their latest bank statement: a difference,"
        " or unmatched lines on either side",
        examples=[3],
    )


class DistrictPublic(AreaPublic):
    streets: list[AreaPublic] = Field(description="Its streets")


class OverviewPublic(BaseModel):
    jurisdiction: str = Field(description="The division code the counts cover", examples=["370202"])
    as_of: str = Field(description="The date counted for", examples=["2026-11-26"])
    quarter: str = Field(
        description="The latest quarter whose publication deadline has passed", examples=["2026-Q3"]
    )
    districts: list[DistrictPublic] = Field(description="Per district, with its streets")


def public(area: Area) -> AreaPublic:
    return AreaPublic(
        district=area.district, street=area.street, complexes=area.complexes,
        committees_in_office=area.committees_in_office, accounts_open=area.accounts_open,
        balance=format_fen(area.balance), statements_due=area.statements_due,
        statements_on_time=area.statements_on_time,
        open_alerts=AlertCounts(**{s: area.open_alerts[s] for s in SEVERITIES}),
    )  # fmt: skip


def area_of(principal: Principal, jurisdiction: str | None) -> str:
    """The division (as a code prefix) the caller asked for, within what it may see."""
    if principal.role == "operator":
        return jurisdiction_prefix(jurisdiction) if jurisdiction else ""
    if principal.role != "regulator" or not principal.token.jurisdiction:
        raise HTTPException(403, f"a {principal.role} token may not read the overview (H15)")
    own = jurisdiction_prefix(principal.token.jurisdiction)
    asked = jurisdiction_prefix(jurisdiction) if jurisdiction else own
    if not asked.startswith(own):
        raise HTTPException(403, f"{jurisdiction} is outside this token's jurisdiction (H15)")
    return asked


@router.get(
    "/v1/overview",
    summary="Per district and street: complexes, committees, accounts, statements, open alerts",
    response_model=OverviewPublic,
    responses=problems(),
)
def city_overview(
    services: ServicesDep,
    principal: PrincipalDep,
    jurisdiction: Annotated[
        str | None,
        Query(pattern=DIVISION, description="A division code within the caller's jurisdiction"),
    ] = None,
    as_of: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; default today")
    ] = None,
) -> OverviewPublic:
    """For the caller's jurisdiction (or a division within it) as of a day (`?as_of=`, today by
    default), per district and street: complexes, committees, accounts, published statements and
    open alerts."""
    prefix = area_of(principal, jurisdiction)
    day = parse_date(as_of, "as_of") if as_of else services.ledger.today()
    return overview_public(services.alerts.database, prefix, day, services.bank)


def overview_public(
    database: Database, prefix: str, day: date, bank: BankReads | None = None
) -> OverviewPublic:
    """The overview of ``prefix``; with ``bank``, each area's feeds and unreconciled accounts
    (those counts are as of each account's latest bank statement, not ``day``)."""
    counted = overview(database, community_prefix=prefix, as_of=day)
    feeds = {
        (c["district"], c["street"]): c for c in (bank.unreconciled_counts(prefix) if bank else [])
    }
    districts = []
    for total in counted.districts():
        streets = []
        for area in (a for a in counted.streets if a.district == total.district):
            found = feeds.get((area.district, area.street), {})
            streets.append(
                public(area).model_copy(
                    update={"bank_feeds": found.get("accounts", 0),
                            "unreconciled": found.get("unreconciled", 0)}
                )
            )  # fmt: skip
        summed = {
            "bank_feeds": sum(s.bank_feeds for s in streets),
            "unreconciled": sum(s.unreconciled for s in streets),
        }
        districts.append(
            DistrictPublic(**{**public(total).model_dump(), **summed}, streets=streets)
        )
    return OverviewPublic(
        jurisdiction=prefix, as_of=day.isoformat(), quarter=counted.quarter, districts=districts
    )
