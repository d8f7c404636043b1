"""The committee lifecycle: election, filing, seal, member changes, decisions, handover, dissolution."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import BaseModel

from api.auth import Principal
from api.deps import (
    IdempotencyKey,
    PrincipalDep,
    Services,
    ServicesDep,
    place_of,
    place_of_part,
    yuan,
)
from api.errors_doc import problems
from api.idempotency import idempotent, revealed
from api.schemas import (
    CommitteeCreate,
    CommitteePublic,
    DecisionCreate,
    DecisionPublic,
    DissolutionCreate,
    FilingCreate,
    HandoverCreate,
    MemberCreate,
    MemberPublic,
    MembersChange,
    SealCreate,
)
from ledger.application import Ledger
from ledger.committees.committee import Committee, Member
from ledger.errors import NotFound
from ledger.personal import member_of

router = APIRouter(tags=["committees"])
KEEPERS = ("committee", "regulator")  # who records lifecycle steps (spec/api.md roles)
READERS = ("committee", "regulator", "owner", "operator")


def public(committee: Committee, *, masked: bool = False) -> CommitteePublic:
    """The committee; members' names as stored (sealed: revealed as answered), or ``masked``
    (王*) for readers who may not see personal data (owners, the operator)."""
    shown = [member_of(m) for m in committee.members.values()]
    return CommitteePublic(
        id=str(committee.id),
        complex_id=committee.complex_id,
        status=committee.status,
        elected_on=committee.elected_on,
        term_end=committee.term_end,
        seats=committee.seats,
        members=[
            MemberPublic(
                member_id=m["member_id"],
                name=m["public_name"] if masked else m["name"],
                role=m["role"],
                signatory=m["signatory"],
            )
            for m in shown
        ],
        filing=committee.filing,
        seal_number=committee.seal_number,
        sealed_on=committee.sealed_on,
        refiling_due=committee.refiling_due,
        successor_id=committee.successor_id,
        handed_over_on=committee.handed_over_on,
        version=committee.version,
    )


def members(items: list[MemberCreate]) -> list[Member]:
    return [
        Member(
            member_id=m.member_id,
            name=m.name,
            identity_key=m.identity_key,
            role=m.role,
            signatory=m.signatory,
        )
        for m in items
    ]


def guard(ledger: Ledger, principal: Principal, committee_id: UUID, roles: tuple[str, ...]) -> None:
    """The committee's complex is in scope (H15); whether a committee token's member is in
    office is the ledger's question, asked by every command (403 member-not-in-office)."""
    principal.require(place_of_part(ledger, committee_id, Committee), roles)


def step(
    request: Request,
    services: Services,
    principal: Principal,
    key: str | None,
    committee_id: UUID,
    body: BaseModel,
    action: Callable[[], object],
    status: int = 200,
) -> Response:
    guard(services.ledger, principal, committee_id, KEEPERS)

    def run(_: str) -> tuple[int, CommitteePublic]:
        action()
        return status, public(services.ledger.committee(committee_id))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    "/v1/complexes/{complex_id}/committees",
    status_code=201,
    tags=["committees"],
    summary="Record an elected committee (supersedes the previous one)",
    response_model=CommitteePublic,
    responses=problems(409),
)
def elect(
    complex_id: UUID,
    body: CommitteeCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The complex's committee or a regulator records the committee the owners elected, with the
    election resolution, the term's end and the members (5–11, an odd number, H14). It supersedes
    the previous committee."""
    principal.require(place_of(services.ledger, complex_id), KEEPERS)

    def run(_: str) -> tuple[int, CommitteePublic]:
        receipt = services.ledger.elect_committee(
            complex_id,
            election_resolution_id=_uuid(body.election_resolution_id, "resolution"),
            elected_on=body.elected_on,
            term_end=body.term_end,
            members=members(body.members),
            actor=principal.actor,
        )
        return 201, public(services.ledger.committee(UUID(receipt.id)))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    "/v1/committees/{committee_id}/filing",
    summary="Record the filing with the district",
    response_model=CommitteePublic,
    responses=problems(409),
)
def file(
    committee_id: UUID,
    body: FilingCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records the filing (备案) with the district's housing authority: its number, authority and
    date. The filing comes after the election and within the deadline (H14); the seal and the
    account need it."""
    return step(
        request,
        services,
        principal,
        key,
        committee_id,
        body,
        lambda: services.ledger.file_committee(
            committee_id,
            number=body.number,
            authority=body.authority,
            filed_on=body.filed_on,
            actor=principal.actor,
        ),
    )


@router.post(
    "/v1/committees/{committee_id}/seal",
    summary="Record the seal (after the filing)",
    response_model=CommitteePublic,
    responses=problems(409),
)
def seal(
    committee_id: UUID,
    body: SealCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records the committee's seal (印章) once it is filed (H14). An account can be opened only by a
    filed and sealed committee (H01)."""
    return step(
        request,
        services,
        principal,
        key,
        committee_id,
        body,
        lambda: services.ledger.seal_committee(
            committee_id,
            seal_number=body.seal_number,
            sealed_on=body.sealed_on,
            actor=principal.actor,
        ),
    )


@router.post(
    "/v1/committees/{committee_id}/members",
    summary="Record member changes (re-filing due)",
    response_model=CommitteePublic,
    responses=problems(409),
)
def change(
    committee_id: UUID,
    body: MembersChange,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Adds or removes members; the committee must be filed again, and its size stays within 5–11
    and odd (H14)."""
    return step(
        request,
        services,
        principal,
        key,
        committee_id,
        body,
        lambda: services.ledger.change_members(
            committee_id,
            added=members(body.added),
            removed=body.removed,
            changed_on=body.changed_on,
            actor=principal.actor,
        ),
    )


@router.post(
    "/v1/committees/{committee_id}/handover",
    summary="Record the handover to the successor",
    response_model=CommitteePublic,
    responses=problems(409),
)
def handover(
    committee_id: UUID,
    body: HandoverCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records the day the committee handed over to its elected successor; from then on it may no
    longer act on the account (H02)."""
    return step(
        request,
        services,
        principal,
        key,
        committee_id,
        body,
        lambda: services.ledger.hand_over(
            committee_id, on=body.handed_over_on, actor=principal.actor
        ),
    )


@router.post(
    "/v1/committees/{committee_id}/dissolution",
    summary="Record the dissolution",
    response_model=CommitteePublic,
    responses=problems(409),
)
def dissolve(
    committee_id: UUID,
    body: DissolutionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """Records the dissolution with its reason and day; the committee may no longer act on the
    account (H02)."""
    return step(
        request,
        services,
        principal,
        key,
        committee_id,
        body,
        lambda: services.ledger.dissolve_committee(
            committee_id,
            reason=body.reason,
            on=body.dissolved_on,
            actor=principal.actor,
        ),
    )


@router.post(
    "/v1/committees/{committee_id}/decisions",
    status_code=201,
    summary="Record a committee decision (majority of members in office, H05)",
    response_model=DecisionPublic,
    responses=problems(409),
)
def decide(
    committee_id: UUID,
    body: DecisionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A member records a decision of the committee (purpose, amount cap, day) approved by a
    majority of its members in office. An expenditure within the committee's own authority names
    such a decision as its authorisation (H05)."""
    guard(services.ledger, principal, committee_id, ("committee",))

    def run(ledger_key: str) -> tuple[int, DecisionPublic]:
        receipt = services.ledger.record_decision(
            committee_id,
            idempotency_key=ledger_key,
            purpose=body.purpose,
            amount_cap=body.amount_cap,
            decided_on=body.decided_on,
            approvers=body.approvers,
            actor=principal.actor,
        )
        d = services.ledger.committee(committee_id).decisions[receipt.id]
        return 201, DecisionPublic(
            id=receipt.id,
            committee_id=str(committee_id),
            purpose=d["purpose"],
            amount_cap=yuan(d["amount_cap"]),
            decided_on=d["decided_on"],
            approvers=d["approvers"],
            members_in_office=d["members_in_office"],
            approved=d["approved"],
        )

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "/v1/committees/{committee_id}",
    summary="A committee: status, term, members, filing, seal",
    response_model=CommitteePublic,
    responses=problems(),
)
def get_committee(committee_id: UUID, services: ServicesDep, principal: PrincipalDep) -> Response:
    """Its status, term, members, filing and seal. Members' names are shown to the committee and its
    regulators, masked (王*) to everyone else."""
    principal.require(place_of_part(services.ledger, committee_id, Committee), READERS)
    masked = principal.role not in KEEPERS  # members' names: the committee and its regulators
    return revealed(services, public(services.ledger.committee(committee_id), masked=masked))


def _uuid(text: str, what: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise NotFound(f"no {what} {text}") from None
