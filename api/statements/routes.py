"""Statements (issue #4): public reading, drafts for the complex, publication by the committee.

Public routes need no token (spec/api.md); drafts are read by the complex's
roles and its regulators; only a committee member publishes (H11).
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from api import formats
from api.deps import (
    IdempotencyKey,
    PrincipalDep,
    Services,
    ServicesDep,
    place_of,
    summary_of,
)
from api.errors_doc import problems
from api.idempotency import idempotent
from api.open_data import latest_quarters, package
from api.statements.rendered import FROZEN, LATEST, Rendered, respond
from api.statements.schemas import (
    DigestPublic,
    LatestStatement,
    PublicComplex,
    PublicComplexesPage,
    StatementContent,
    StatementPublic,
    VersionsPage,
    VersionSummary,
)
from ledger.complexes.complex import BankStatus
from ledger.errors import ConcurrencyConflict, InvalidPeriod, NotFound
from ledger.periods import Period
from projections.bank.queries import bank_status_of
from projections.statements.content import content_hash, with_reconciliation
from projections.statements.queries import Version, publication_basis

router = APIRouter(tags=["statements"])
READERS = ("operator", "regulator", "committee", "owner")
CATCH_UP_SECONDS = 5.0
FormatQuery = Annotated[
    str | None,
    Query(pattern="^(json|csv|xlsx)$", description="json (default), csv or xlsx"),
]
VersionQuery = Annotated[int | None, Query(ge=1, le=10_000, description="A given version")]


def period_of(text: str) -> Period:
    return Period.parse(text)  # InvalidPeriod: 422 naming the period


def published(version: Version) -> StatementPublic:
    return StatementPublic(
        status="published",
        version=version.version,
        published_on=version.published_on,
        published_by=version.published_by,
        superseded_by=version.superseded_by,
        position=version.position,
        content_hash=version.content_hash,
        content=StatementContent.model_validate(version.content),
        digest=DigestPublic.model_validate(version.digest),
        diff=version.diff,
    )


def wanted_format(request: Request, fmt: str | None) -> str:
    return fmt or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")


def render(statement: StatementPublic, request: Request, fmt: str | None) -> Response:
    wanted = wanted_format(request, fmt)
    if wanted == "csv":
        return formats.csv_response(statement)
    if wanted == "xlsx":
        return formats.xlsx_response(statement)
    return Response(statement.model_dump_json(by_alias=True), media_type="application/json")


def rendered_key(version: Version) -> tuple[object, ...]:
    return (version.generation, version.complex_id, version.period, version.version,
            version.superseded_by, version.content_hash)  # fmt: skip


def rendered_json(services: Services, version: Version) -> Rendered:
    """The version's JSON as ``render`` makes it, made once per version and ``superseded_by``."""
    return services.rendered.get(
        rendered_key(version),
        lambda: Rendered.of(published(version).model_dump_json(by_alias=True).encode()),
    )


def known_complex(services: Services, complex_id: UUID) -> str:
    place_of(services.ledger, complex_id)  # 404 for an unknown complex; remembered once known
    return str(complex_id)


@router.get(
    "/v1/public/complexes",
    summary="Complexes with their hierarchy and latest published statement (public)",
    response_model=PublicComplexesPage,
    responses=problems(),
)
def public_complexes(
    services: ServicesDep,
    cursor: Annotated[str | None, Query(max_length=80, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size")] = 100,
) -> PublicComplexesPage:
    """No token needed. Every complex with its district, street and community and the period and
    version of its latest published statement, by code, paginated with `next_cursor`."""
    latest = services.statements.latest_by_complex()
    summaries = sorted(
        (services.ledger.complex_summary(c) for c in services.ledger.complex_ids()),
        key=lambda s: s.code,
    )
    after = formats.decode_cursor(cursor)
    page = [s for s in summaries if s.code > after][: limit + 1]
    items = [
        PublicComplex(
            id=str(s.id), code=s.code, name=s.name, district=s.district, street=s.street,
            community=s.community,
            latest_statement=LatestStatement(
                period=latest[str(s.id)][0], version=latest[str(s.id)][1],
                published_on=latest[str(s.id)][2],
            ) if str(s.id) in latest else None,
        )
        for s in page[:limit]
    ]  # fmt: skip
    more = len(page) > limit
    return PublicComplexesPage(
        items=items, next_cursor=formats.encode_cursor(page[limit - 1].code) if more else None
    )


@router.get(
    "/v1/public/complexes/{complex_id}/statements",
    summary="Every published statement version of a complex (public)",
    response_model=VersionsPage,
    responses=problems(),
)
def public_versions(complex_id: UUID, services: ServicesDep) -> VersionsPage:
    """No token needed. Every published version of every period of the complex, with its publication
    day, content hash and closing balance; a superseded version names the one that replaced it
    (H11)."""
    cid = known_complex(services, complex_id)
    return VersionsPage(
        complex_id=cid,
        items=[
            VersionSummary(
                period=v.period, version=v.version, published_on=v.published_on,
                content_hash=v.content_hash, closing_balance=v.content["closing_balance"],
                superseded_by=v.superseded_by,
            )
            for v in services.statements.versions(cid)
        ],
    )  # fmt: skip


@router.get(
    "/v1/public/complexes/{complex_id}/statements/{period}",
    summary="A published statement: the latest version, or ?version=N (JSON, CSV or XLSX)",
    response_model=StatementPublic,
    responses={
        **problems(),
        200: {
            "description": "The statement. JSON is gzipped if Accept-Encoding allows, with a"
            " strong ETag (SHA-256 of the JSON) and Cache-Control: immutable for a superseded"
            " version, a minute then revalidate for the latest",
            "content": {"text/csv": {}, formats.XLSX: {}},
            "headers": {
                "ETag": {
                    "description": "Strong validator of the JSON",
                    "schema": {"type": "string"},
                },
                "Cache-Control": {
                    "description": "How long it may be kept",
                    "schema": {"type": "string"},
                },
            },
        },
        304: {"description": "Not modified: If-None-Match names the JSON this URL gives now"},
    },
)
async def public_statement(
    complex_id: UUID,
    period: str,
    request: Request,
    services: ServicesDep,
    version: VersionQuery = None,
    format: FormatQuery = None,  # noqa: A002 - the query parameter's name
    if_none_match: Annotated[
        str | None, Header(alias="If-None-Match", description="An ETag of this JSON seen before")
    ] = None,
) -> Response:
    """Owners' hot path: JSON this process already holds (the version's metadata, kept while
    the runner's notices are heard, and its rendering) is answered on the event loop; anything
    that may wait for the database, render or fail goes to the thread pool."""
    held = held_statement(services, str(complex_id), period, version, request, format)
    if held is not None:
        frozen = version is not None and held.superseded_by is not None
        rendered = services.rendered.peek(rendered_key(held))
        if rendered is not None:
            return respond(rendered, request, FROZEN if frozen else LATEST, if_none_match)
    return await run_in_threadpool(
        statement_response, complex_id, period, request, services, version, format, if_none_match
    )


def held_statement(
    services: Services, complex_id: str, period: str, version: int | None, request: Request,
    fmt: str | None,
) -> Version | None:  # fmt: skip
    if wanted_format(request, fmt) != "json":
        return None
    try:
        wanted = period_of(period)
    except InvalidPeriod:
        return None  # the thread pool's path answers the 422
    return services.statements.held_version(complex_id, wanted, version)


def statement_response(
    complex_id: UUID,
    period: str,
    request: Request,
    services: Services,
    version: int | None,
    format: str | None,  # noqa: A002 - the query parameter's name
    if_none_match: str | None,
) -> Response:
    cid = known_complex(services, complex_id)
    found = services.statements.version(cid, period_of(period), version)
    if found is None:
        raise NotFound(f"no published statement of {period}" + (f" v{version}" if version else ""))
    if wanted_format(request, format) != "json":
        return render(published(found), request, format)
    frozen = version is not None and found.superseded_by is not None
    return respond(
        rendered_json(services, found), request, FROZEN if frozen else LATEST, if_none_match
    )


@router.get(
    "/v1/public/complexes/{complex_id}/digest",
    summary="The chain heads of every stream of a complex, to check a statement against (public)",
    response_model=DigestPublic,
    responses=problems(),
)
def public_digest(complex_id: UUID, services: ServicesDep) -> DigestPublic:
    """No token needed. The head hash of each event stream of the complex (its record, account,
    committees, resolutions) now. A published statement carries the heads it was made from;
    `commonfund verify --digest` checks one against the ledger."""
    known_complex(services, complex_id)
    return DigestPublic.model_validate(services.ledger.digest(complex_id))


@router.get(
    "/v1/public/complexes/{complex_id}/open-data/{year}",
    summary="A Fiscal Data Package (datapackage.json + CSV, zipped) of a year's published quarters",
    responses={
        **problems(),
        200: {"description": "application/zip", "content": {"application/zip": {}}},
    },
    response_class=Response,
)
def open_data(
    complex_id: UUID,
    year: Annotated[int, Path(ge=2000, le=2200, description="Calendar year")],
    services: ServicesDep,
) -> Response:
    """No token needed. A zip of `datapackage.json` (profile fiscal-data-package) and `lines.csv`:
    every line of the year's latest published quarterly versions, amounts signed by their effect
    on the balance, codes with their Chinese names beside them."""
    summary = summary_of(services.ledger, complex_id)
    versions = latest_quarters(services.statements.versions(str(complex_id)), year)
    if not versions:
        raise NotFound(f"no quarter of {year} is published for complex {summary.code}")
    body = package(str(complex_id), summary.name, year, versions)
    name = f"commonfund-{summary.code}-{year}.zip"
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get(
    "/v1/complexes/{complex_id}/statements/{period}/draft",
    summary="The live draft of a period (the complex's roles and its regulators)",
    response_model=StatementPublic,
    responses=problems(),
)
def draft_statement(
    complex_id: UUID,
    period: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    format: FormatQuery = None,  # noqa: A002 - the query parameter's name
) -> Response:
    """The statement of a period (month, quarter or year) as the ledger stands now, not yet
    published: opening balance, income and expenditure by category, deductions, reversals,
    closing balance, the bank's status. Readable by the operator, the complex's committee and
    owners, and its regulators. JSON, or CSV/XLSX with `?format=` or `Accept`."""
    principal.require(place_of(services.ledger, complex_id), READERS)
    stated = period_of(period)
    # a draft shows what is recorded: give the read model a moment to apply the latest writes
    services.statements_runner.wait_for(services.ledger.recorder.max_notification_id() or 0, 2.0)
    position, content = services.statements.draft(str(complex_id), stated)
    content = with_reconciliation(content, bank_status(services, complex_id, stated))
    statement = StatementPublic(
        status="draft", version=None, published_on=None, published_by=None, superseded_by=None,
        position=position, content_hash=content_hash(content),
        content=StatementContent.model_validate(content), digest=None, diff=None,
    )  # fmt: skip
    return render(statement, request, format)


@router.post(
    "/v1/complexes/{complex_id}/statements/{period}/publication",
    status_code=201,
    summary="Publish a period's statement (a committee member; H11: it is frozen from then on)",
    response_model=StatementPublic,
    responses=problems(409),
)
def publish(
    complex_id: UUID,
    period: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A committee member publishes an ended period's statement. Its content is frozen with its hash
    and the ledger's chain heads (H11); an entry dated into the period later makes the next
    version, with a diff naming what changed."""
    principal.require(place_of(services.ledger, complex_id), ("committee",))
    stated = period_of(period)

    def run(_: str) -> tuple[int, StatementPublic]:
        catch_up(services)
        status = bank_status(services, complex_id, stated)
        through, digest = publication_basis(services.statements, str(complex_id), stated, status)
        services.ledger.publish_statement(
            complex_id, period=stated.name, through=through, content_hash=digest,
            reconciliation=status, actor=principal.actor,
        )  # fmt: skip
        catch_up(services)
        version = services.statements.version(str(complex_id), stated, 1)
        if version is None:  # pragma: no cover - catch_up has applied the publication
            raise ConcurrencyConflict("the publication is recorded; read it again shortly")
        return 201, published(version)

    return idempotent(request, services, principal, key, body=None, run=run)


def catch_up(services: Services) -> None:
    """Wait (bounded) until the statements and bank read models have applied everything
    written so far (a publication freezes both)."""
    head = services.ledger.recorder.max_notification_id() or 0
    for runner in (services.statements_runner, services.bank_runner):
        if not runner.wait_for(head, CATCH_UP_SECONDS):
            raise HTTPException(
                503, "the statements are catching up with the ledger; retry shortly"
            )


def bank_status(services: Services, complex_id: UUID, period: Period) -> BankStatus | None:
    """The bank status of the complex as of the period's end (or today, for a period still
    running), as a publication freezes it (issue #14); None without a bank statement."""
    as_of = min(period.end, services.ledger.today())
    found = services.bank.public_status(str(complex_id), as_of)
    return None if found is None else bank_status_of(found)
