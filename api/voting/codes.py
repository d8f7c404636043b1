"""Owner credentials at scale (issue #16): one-time codes for a ballot's owners, exchanged once.

The committee or the operator asks for the codes of a ballot's scope: one per owner identity
holding a unit of its register now (the developer's unsold units get none: the developer votes
through the committee's paper ballot). The answer is a CSV (owner key, units, code, expiry) that
the platform's delivery sends on; the codes are shown only then and stored only as hashes. An
owner exchanges a code once, without any other credential, for an owner token of their complex.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import Field

from api.admin import token_public
from api.deps import PrincipalDep, ServicesDep, place_of, unseen
from api.errors_doc import problems
from api.schemas import Strict, TokenIssued
from ledger.complexes.complex import is_delivered
from ledger.voting.ballot import Ballot

router = APIRouter(tags=["voting"])
OWNER_TOKEN_DAYS = 30


class CodeExchange(Strict):
    code: str = Field(
        min_length=12,
        max_length=20,
        pattern=r"^[0-9A-Za-z\- ]+$",
        examples=["7KQM-3XHP-9TRW"],
        description="The one-time code the owner received",
    )


@router.post(
    "/v1/ballots/{ballot_id}/owner-codes",
    status_code=201,
    summary="Issue one-time owner codes for a ballot's owners (CSV, shown once)",
    response_class=Response,
    responses={**problems(), 201: {"content": {"text/csv": {}}, "description": "The codes"}},
)
def issue_owner_codes(
    ballot_id: UUID,
    services: ServicesDep,
    principal: PrincipalDep,
    expires_days: Annotated[int, Query(ge=1, le=90, description="Days a code stays valid")] = 14,
) -> Response:
    """One code per owner identity holding a unit of the ballot's scope now (its register once
    open), so codes can go out during the notice period; the CSV carries
    the owner key (the platform's delivery finds the person from it), the owner's units, the
    code and its expiry. Issuing again makes new codes; earlier unused ones stay valid until
    they expire."""
    with unseen():
        ballot = services.ledger.read(ballot_id, Ballot)
    complex_id = UUID(ballot.complex_id)
    principal.require(place_of(services.ledger, complex_id), ("committee", "operator"))
    complex_ = services.ledger.complex(complex_id)
    if principal.role == "committee":  # H15: only a member in office, as every command checks
        committee = services.ledger.committee_in_office(complex_, "issue owner codes")
        committee.require_member_in_office(principal.token.member_id or "")
    owners: dict[str, list[str]] = {}
    for unit_id in ballot.units_in_scope(complex_):
        unit = complex_.units[unit_id]
        if not unit["developer_held"] and unit["owner_key"]:
            owners.setdefault(unit["owner_key"], []).append(unit_id)
    if not owners:
        raise HTTPException(409, "no unit of this ballot's register has an owner yet")
    now = services.now()
    expires = now + timedelta(days=expires_days)
    keys = sorted(owners)
    codes = services.tokens.issue_codes(
        complex_id,
        keys,
        ballot_id=ballot_id,
        expires_at=expires,
        label=f"ballot {ballot_id}",
        now=now,
    )
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["owner_key", "units", "delivered", "code", "expires_at"])
    for owner_key, code in zip(keys, codes, strict=True):
        units = owners[owner_key]
        delivered = all(is_delivered(complex_.units[u]) for u in units)
        writer.writerow(
            [owner_key, " ".join(units), "yes" if delivered else "no", code, expires.isoformat()]
        )
    return Response(out.getvalue(), 201, media_type="text/csv; charset=utf-8")


@router.post(
    "/v1/owner-codes/exchange",
    status_code=201,
    summary="Exchange a one-time owner code for an owner token",
    response_model=TokenIssued,
    responses=problems(401),
)
def exchange_owner_code(body: CodeExchange, services: ServicesDep) -> TokenIssued:
    """Once per code, before it expires; the token is scoped to the owner's complex and identity
    and lasts 30 days. A used, expired or unknown code answers 401, the same for all three."""
    now = services.now()
    issued = services.tokens.redeem_code(
        body.code, now=now, token_expires_at=now + timedelta(days=OWNER_TOKEN_DAYS)
    )
    if issued is None:
        raise HTTPException(401, "the code is unknown, already used or expired")
    secret, record = issued
    return TokenIssued(token=secret, **token_public(record).model_dump())
