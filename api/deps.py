"""Typed dependencies: the process's ledger and stores, the clock, and the calling principal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import Depends, Header, Request

from api.auth import Place, Principal, authenticate
from api.ports import IdempotencyStore, TokenStore
from ledger.application import ComplexSummary, Ledger
from ledger.money import format_fen


@dataclass(slots=True)
class Services:
    """What every request uses; built once per process in the lifespan."""

    ledger: Ledger
    tokens: TokenStore
    idempotency: IdempotencyStore
    now: Callable[[], datetime]


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def get_principal(
    services: ServicesDep,
    authorization: Annotated[str | None, Header(description="Bearer <token>")] = None,
) -> Principal:
    return authenticate(services.tokens, authorization, services.now())


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


def place(summary: ComplexSummary) -> Place:
    return Place(summary.id, summary.district, summary.street, summary.community)


def place_of(ledger: Ledger, complex_id: UUID) -> Place:
    return place(ledger.complex_summary(complex_id))


yuan = format_fen
