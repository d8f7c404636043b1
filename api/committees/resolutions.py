"""Resolutions of the owners' assembly: recorded tallies, outcomes computed under H04."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import IdempotencyKey, PrincipalDep, ServicesDep, place_of, place_of_part, yuan
from api.errors_doc import problems
from api.idempotency import idempotent
from api.schemas import (
    BudgetPublic,
    ChallengePublic,
    ResolutionCreate,
    ResolutionPublic,
    TallyPublic,
)
from ledger.committees.resolution import Resolution

router = APIRouter(tags=["resolutions"])
RECORDERS = ("committee", "regulator")
READERS = ("committee", "regulator", "owner", "operator")


def public(r: Resolution) -> ResolutionPublic:
    t, b = r.tally, r.budget
    return ResolutionPublic(
        id=str(r.id),
        complex_id=r.complex_id,
        matter=r.matter,
        purpose=r.purpose,
        amount_cap=yuan(r.amount_cap) if r.amount_cap is not None else None,
        period_from=r.period_from,
        period_to=r.period_to,
        closed_on=r.closed_on,
        budget=None
        if b is None
        else BudgetPublic(
            category=b.category,
            amount_cap=yuan(b.amount_cap),
            period_from=b.period_from.isoformat(),
            period_to=b.period_to.isoformat(),
        ),
        tally=TallyPublic(
            scope_area=yuan(t["scope_area"]),
            scope_heads=t["scope_heads"],
            participating_area=yuan(t["participating_area"]),
            participating_heads=t["participating_heads"],
            consenting_area=yuan(t["consenting_area"]),
            consenting_heads=t["consenting_heads"],
            participation_met=t["participation_met"],
            consent_met=t["consent_met"],
        ),
        outcome="passed" if r.passed else "failed",
        ballot_id=r.__dict__.get("ballot_id"),
        effective_from=r.__dict__.get("effective_from"),
        revoked_on=r.__dict__.get("revoked_on"),
        challenge=None
        if (c := r.pending_challenge) is None
        else ChallengePublic(
            court=c["court"], case_number=c["case_number"], filed_on=c["filed_on"]
        ),
    )


@router.post(
    "/v1/complexes/{complex_id}/resolutions",
    status_code=201,
    summary="Record a resolution and its tally; the service computes the outcome (H04)",
    response_model=ResolutionPublic,
    responses=problems(409),
)
def record(
    complex_id: UUID,
    body: ResolutionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The committee or a regulator records a resolution of the owners' assembly: its matter (Civil
    Code art. 278, items 1–9), purpose, amount cap, period, scope and the tally of units and
    areas. The service computes whether it passed from the complex's units (H04); an expenditure
    above the committee's authority names a passed resolution (H05)."""
    principal.require(place_of(services.ledger, complex_id), RECORDERS)

    def run(ledger_key: str) -> tuple[int, ResolutionPublic]:
        receipt = services.ledger.record_resolution(
            complex_id,
            idempotency_key=ledger_key,
            matter=body.matter,
            purpose=body.purpose,
            amount_cap=body.amount_cap,
            period_from=body.period_from,
            period_to=body.period_to,
            scope_units=body.scope_units,
            participated=body.participated,
            consented=body.consented,
            closed_on=body.closed_on,
            budget_category=body.budget_category,
            actor=principal.actor,
        )
        return 201, public(services.ledger.resolution(UUID(receipt.id)))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "/v1/resolutions/{resolution_id}",
    summary="A resolution with its tally and outcome",
    response_model=ResolutionPublic,
    responses=problems(),
)
def get_resolution(
    resolution_id: UUID, services: ServicesDep, principal: PrincipalDep
) -> ResolutionPublic:
    """The resolution with its matter, scope, tally and outcome as the service computed it (H04)."""
    principal.require(place_of_part(services.ledger, resolution_id, Resolution), READERS)
    return public(services.ledger.resolution(resolution_id))
