"""Typed dependencies: the process's ledger and stores, the clock, and the calling principal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, HTTPException, Request

from api.auth import NOT_VISIBLE, Place, Principal, authenticate
from api.ports import IdempotencyStore, TokenStore, WebhookStore, WebhookTargets, Worker
from api.privacy import depends_on_credentials
from api.ratelimit import WRITES, RateLimits
from api.statements.rendered import RenderedCache
from ledger.account import CommonFundAccount
from ledger.application import ComplexSummary, Ledger
from ledger.committees.committee import Committee
from ledger.committees.resolution import Resolution
from ledger.errors import NotFound
from ledger.money import format_fen
from projections.bank.queries import BankReads
from projections.maintenance.queries import MaintenanceReads
from projections.runner import Runner
from projections.statements.queries import Statements
from projections.supervision.queries import Alerts


@dataclass(slots=True)
class Services:
    """What every request uses; built once per process in the lifespan."""

    ledger: Ledger
    tokens: TokenStore
    idempotency: IdempotencyStore
    now: Callable[[], datetime]
    statements: Statements
    statements_runner: (
        Runner  # the statements runner: lag, waits; followed in the lifespan if asked
    )
    alerts: Alerts
    supervision_runner: Runner  # the alerts runner
    webhooks: WebhookStore
    webhook_targets: WebhookTargets  # where a subscription's URL may point
    maintenance_runner: Runner  # the maintenance fund's runner (issue #6)
    maintenance: MaintenanceReads  # the maintenance fund's read model
    bank_runner: Runner  # the bank feed's runner (issue #14)
    bank: BankReads  # the bank feed's read model: reconciliation, statements, counts
    follow: bool = True  # run the projections in this process (standby unless it holds the lock)
    workers: tuple[Worker, ...] = ()  # background work besides the projections (webhook delivery)
    rendered: RenderedCache = field(default_factory=RenderedCache)  # published statements' JSON
    public_base_url: str = "http://127.0.0.1:8000"  # the owners' address (settings, issue #17)

    @property
    def runners(self) -> tuple[Runner, ...]:
        return (
            self.statements_runner,
            self.supervision_runner,
            self.maintenance_runner,
            self.bank_runner,
        )


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def authenticated(request: Request, services: Services, authorization: str | None) -> Principal:
    """The principal of these credentials, through the rate limits (api/ratelimit.py).

    Whatever the answer, it is this caller's (no-store). A credential from an address that
    failed too often is refused (429) before it is looked at; a refused one counts as a
    failure of its address; a write counts against its token.
    """
    depends_on_credentials(request)
    limits: RateLimits | None = getattr(request.app.state, "rate_limits", None)
    address = request.client.host if request.client else ""
    if limits is not None and authorization is not None:
        limits.before_authentication(address)
    try:
        principal = authenticate(services.tokens, authorization, services.now())
    except HTTPException:
        if limits is not None and authorization is not None:
            limits.failed_authentication(address)
        raise
    if limits is not None and request.method in WRITES:
        limits.write(principal.token.id)
    return principal


def get_principal(
    request: Request,
    services: ServicesDep,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> Principal:
    return authenticated(request, services, authorization)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A client-chosen unique key; a replay returns the first response",
    ),
]


def money_key(key: IdempotencyKey = None) -> str:
    """The Idempotency-Key a money movement cannot go without: 428, with its page, if absent.

    A dependency, so it is checked before the body, the scope and the role: every route that
    takes ``MoneyKey`` answers a request without a key with 428, and the OpenAPI document
    shows the header as required on exactly those routes (api/app.py). The header itself
    stays optional to FastAPI, which would otherwise answer a generic 422.
    """
    if key is None:
        raise HTTPException(428, "this request moves money: send an Idempotency-Key header")
    return key


MoneyKey = Annotated[str, Depends(money_key)]


def place(summary: ComplexSummary) -> Place:
    return Place(summary.id, summary.district, summary.street, summary.community)


@contextmanager
def unseen() -> Iterator[None]:
    """An id in the path that names nothing answers exactly as one outside the caller's scope.

    Otherwise the two 404s differ and tell a caller which ids exist elsewhere (H15).
    """
    try:
        yield
    except NotFound:
        raise HTTPException(404, NOT_VISIBLE) from None


def summary_of(ledger: Ledger, complex_id: UUID) -> ComplexSummary:
    with unseen():
        return ledger.complex_summary(complex_id)


def place_of(ledger: Ledger, complex_id: UUID) -> Place:
    with unseen():
        district, street, community = ledger.place_of(complex_id)
    return Place(complex_id, district, street, community)


def place_of_part(
    ledger: Ledger, part_id: UUID, kind: type[Committee | CommonFundAccount | Resolution]
) -> Place:
    """The place of a committee, account or resolution of some complex."""
    with unseen():
        complex_id = ledger.complex_of(part_id, kind)
    return place_of(ledger, complex_id)


yuan = format_fen
