"""Owners' assembly by electronic vote (issue #16): ballots, delivery, votes, the live quorum,
the tally at closing, and the published list, root and receipt check.

Who does what (H15): the committee (or the street office, for a first election) announces and
opens a ballot, records paper deliveries and enters paper ballots; an owner votes for the units
they own and reads their own votes; anyone reads a closed ballot's results, ballot list and
receipt proofs under ``/v1/public/``. Nobody sees how a unit voted before closing except that
unit's owner: the live quorum view carries counts only.
"""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, HTTPException, Path, Query, Request
from fastapi.responses import Response

from api.auth import NOT_VISIBLE, Principal
from api.deps import (
    IdempotencyKey,
    PrincipalDep,
    Services,
    ServicesDep,
    place_of,
    place_of_part,
    unseen,
    yuan,
)
from api.errors_doc import problems
from api.idempotency import idempotent
from api.voting.schemas import (
    BallotCreate,
    BallotListPublic,
    BallotPublic,
    CastPublic,
    ChallengeCreate,
    ChallengeEndCreate,
    ChallengePublic,
    CountPublic,
    DeliveryCreate,
    ListEntryPublic,
    MatterCreate,
    MatterPublic,
    MatterQuorumPublic,
    PaperBallotCreate,
    ProofStepPublic,
    QuorumPublic,
    ReceiptCheckPublic,
    ResultPublic,
    RevocationCreate,
    VotePublic,
    VotesCreate,
)
from ledger.committees.resolution import Resolution
from ledger.errors import NotFound
from ledger.voting.ballot import Ballot, Matter, Scope, VoteRecord
from ledger.voting.commands import CastReceipt, count_matter
from ledger.voting.receipts import ballot_list, inclusion_proof, merkle_root
from ledger.voting.register import Choice
from ledger.voting.tally import Count, by_building

router = APIRouter(tags=["voting"])
ORGANISERS = ("committee", "regulator")  # the street office (a regulator) for a first election
CLOSERS = ("committee", "regulator", "operator")
WATCHERS = ("committee", "owner", "regulator", "operator")
RECEIPT = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$", description="A vote's receipt")]


def _ballot(services: Services, ballot_id: UUID) -> Ballot:
    with unseen():
        return services.ledger.read(ballot_id, Ballot)


def _guard(
    services: Services, principal: Principal, ballot: Ballot, roles: tuple[str, ...]
) -> None:
    principal.require(place_of(services.ledger, UUID(ballot.complex_id)), roles)


def ballot_public(ballot: Ballot, services: Services) -> BallotPublic:
    now = services.ledger.clock()
    effective = ballot.effective_from
    return BallotPublic(
        id=str(ballot.id),
        complex_id=ballot.complex_id,
        title=ballot.title,
        state=ballot.state(now),  # type: ignore[arg-type]
        notice_on=ballot.notice_on,
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        deemed_votes=ballot.deemed_votes,
        counting_rule=ballot.counting_rule,
        objection_until=None if effective is None else _day_before(effective),
        effective_from=effective,
        matters=[
            MatterPublic(
                number=i,
                item=m["item"],
                question=m["question"],
                documents=m["documents"],
                scope=m["scope"]["kind"],
                units_in_scope=len(ballot.matter_register_ids(i)),
                amount_cap=None if m["amount_cap"] is None else yuan(m["amount_cap"]),
            )
            for i, m in enumerate(ballot.matters, start=1)
        ],
        results=[ResultPublic(**r) for r in ballot.results],
        version=ballot.version,
    )


def _day_before(day: str) -> str:
    return (date.fromisoformat(day) - timedelta(days=1)).isoformat()


def _matter(m: MatterCreate) -> Matter:
    return Matter(
        item=m.item,
        question=m.question,
        documents=list(m.documents),
        scope=Scope(
            kind=m.scope.kind, buildings=list(m.scope.buildings), units=list(m.scope.units)
        ),
        purpose=m.purpose,
        amount_cap=m.amount_cap,
        period_from=None if m.period_from is None else m.period_from.isoformat(),
        period_to=None if m.period_to is None else m.period_to.isoformat(),
        budget_category=m.budget_category,
    )


@router.post(
    "/v1/complexes/{complex_id}/ballots",
    status_code=201,
    summary="Announce an owners' assembly by ballot",
    response_model=BallotPublic,
    responses=problems(409),
)
def announce_ballot(
    complex_id: UUID,
    body: BallotCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The committee announces the matters, the notice day and the voting window; voting opens
    at least 15 days after the notice (issue #16). The street office (a regulator token) may
    announce only a first election, before any committee exists."""
    principal.require(place_of(services.ledger, complex_id), ORGANISERS)

    def run(ledger_key: str) -> tuple[int, BallotPublic]:
        receipt = services.ledger.announce_ballot(
            complex_id,
            idempotency_key=ledger_key,
            title=body.title,
            matters=[_matter(m) for m in body.matters],
            notice_on=body.notice_on,
            opens_at=body.opens_at,
            closes_at=body.closes_at,
            deemed_votes=body.deemed_votes,
            counting_rule=body.counting_rule,
            objection_days=body.objection_days,
            actor=principal.actor,
        )
        return 201, ballot_public(services.ledger.read(UUID(receipt.id), Ballot), services)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "/v1/complexes/{complex_id}/ballots",
    summary="The ballots announced in a complex, oldest first",
    response_model=list[BallotPublic],
    responses=problems(),
)
def list_ballots(
    complex_id: UUID, services: ServicesDep, principal: PrincipalDep
) -> list[BallotPublic]:
    """Every ballot of the complex with its state and, once closed, its results."""
    principal.require(place_of(services.ledger, complex_id), WATCHERS)
    ids = services.ledger.complex(complex_id).ballots
    return [ballot_public(services.ledger.read(UUID(b), Ballot), services) for b in ids]


@router.get(
    "/v1/ballots/{ballot_id}",
    summary="A ballot: its matters, window, state and, once closed, results",
    response_model=BallotPublic,
    responses=problems(),
)
def get_ballot(ballot_id: UUID, services: ServicesDep, principal: PrincipalDep) -> BallotPublic:
    """An owner's first reading of an open ballot records its delivery to their units (served
    by login, issue #16): a served owner who does not vote may be deemed to vote with the
    majority where the complex's procedural rules say so."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, WATCHERS)
    if principal.role == "owner" and services.ledger.voting.serve_by_login(
        ballot_id, principal.token.owner_key or "", actor=principal.actor
    ):
        ballot = _ballot(services, ballot_id)
    return ballot_public(ballot, services)


@router.post(
    "/v1/ballots/{ballot_id}/open",
    summary="Open voting: the register is frozen",
    response_model=BallotPublic,
    responses=problems(409),
)
def open_ballot(ballot_id: UUID, services: ServicesDep, principal: PrincipalDep) -> BallotPublic:
    """From the opening time on; the units in scope, their areas (SPC interpretation art. 8) and
    owners (art. 9) are frozen into the register the tally counts."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, ORGANISERS)
    services.ledger.open_ballot(ballot_id, actor=principal.actor)
    return ballot_public(_ballot(services, ballot_id), services)


@router.post(
    "/v1/ballots/{ballot_id}/deliveries",
    summary="Record a paper delivery of the ballot to units, with its evidence",
    response_model=BallotPublic,
    responses=problems(409),
)
def record_deliveries(
    ballot_id: UUID, body: DeliveryCreate, services: ServicesDep, principal: PrincipalDep
) -> BallotPublic:
    """A unit already served (by login or paper) keeps its first delivery."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, ("committee",))
    services.ledger.serve_ballot(
        ballot_id, body.units, how="paper", evidence=body.evidence, actor=principal.actor
    )
    return ballot_public(_ballot(services, ballot_id), services)


def vote_public(v: VoteRecord) -> VotePublic:
    """A stored vote as its owner reads it: everything but who entered it and from where."""
    return VotePublic(
        unit=v["unit"],
        matter=v["matter"],
        choice=v["choice"],
        channel=v["channel"],
        signed_at=v["signed_at"],
        nonce=v["nonce"],
        receipt=v["receipt"],
    )


def _cast_public(cast: CastReceipt) -> CastPublic:
    return CastPublic(
        ballot_id=cast.ballot_id,
        signed_at=cast.signed_at,
        votes=[vote_public(v) for v in cast.votes],
    )


def _choices(raw: dict[str, Choice]) -> dict[int, Choice]:
    return {int(k): v for k, v in raw.items()}


@router.post(
    "/v1/ballots/{ballot_id}/votes",
    status_code=201,
    summary="Vote (or change your vote) for your units; each vote gets a receipt",
    response_model=CastPublic,
    responses=problems(409),
)
def cast_votes(
    ballot_id: UUID,
    body: VotesCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
    device: Annotated[
        str | None,
        Header(alias="X-Device-ID", max_length=200, description="The voting device's id (V01)"),
    ] = None,
) -> Response:
    """An owner credential votes for each unit it owns in the matters' scope. Until closing a
    later vote replaces the earlier one in the count; both stay in the history and under the
    published root. Keep the receipt and nonce: after closing they prove the vote is counted."""
    with unseen():  # a settled fact, not a deep copy of the ballot (its register and every vote)
        complex_id = services.ledger.complex_of(ballot_id, Ballot)
    principal.require(place_of(services.ledger, complex_id), ("owner",))
    owner_key = principal.token.owner_key
    if not owner_key:
        raise HTTPException(403, "this owner credential names no owner")
    seen_from = None if device is None else hashlib.sha256(device.encode()).hexdigest()[:32]

    def run(_: str) -> tuple[int, CastPublic]:
        cast = services.ledger.cast_votes(
            ballot_id,
            owner_key=owner_key,
            choices=_choices(body.choices),
            units=body.units,
            device=seen_from,
            actor=principal.actor,
        )
        return 201, _cast_public(cast)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "/v1/ballots/{ballot_id}/votes/mine",
    summary="Your own votes on this ballot, every change, with receipts",
    response_model=list[VotePublic],
    responses=problems(),
)
def my_votes(ballot_id: UUID, services: ServicesDep, principal: PrincipalDep) -> list[VotePublic]:
    """Only the units the owner credential holds now; the order is the order recorded."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, ("owner",))
    mine = set(services.ledger.voting.owned_units(ballot_id, principal.token.owner_key or ""))
    return [vote_public(v) for v in ballot.votes if v["unit"] in mine]


@router.post(
    "/v1/ballots/{ballot_id}/paper-ballots",
    status_code=201,
    summary="Enter a unit's paper ballot with the SHA-256 of its scan",
    response_model=CastPublic,
    responses=problems(409),
)
def enter_paper_ballot(
    ballot_id: UUID,
    body: PaperBallotCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A committee member enters it; an electronic vote and a paper ballot for the same unit
    resolve by the ballot's counting rule, and both stay visible."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, ("committee",))

    def run(_: str) -> tuple[int, CastPublic]:
        cast = services.ledger.enter_paper_ballot(
            ballot_id,
            unit=body.unit,
            choices=_choices(body.choices),
            signed_at=body.signed_at,
            scan=body.scan,
            actor=principal.actor,
        )
        return 201, _cast_public(cast)

    return idempotent(request, services, principal, key, body=body, run=run)


def _count(c: Count) -> CountPublic:
    return CountPublic(
        scope_area=yuan(c.scope_area),
        scope_heads=c.scope_heads,
        participating_area=yuan(c.participating_area),
        participating_heads=c.participating_heads,
        consenting_area=yuan(c.consenting_area),
        consenting_heads=c.consenting_heads,
        participation_met=c.participation_met,
        consent_met=c.consent_met,
        area_to_participate=yuan(c.area_to_participate),
        heads_to_participate=c.heads_to_participate,
        area_to_consent=yuan(c.area_to_consent),
        heads_to_consent=c.heads_to_consent,
    )


@router.get(
    "/v1/ballots/{ballot_id}/quorum",
    summary="The live quorum: participation and consent so far, and what is still needed",
    response_model=QuorumPublic,
    responses=problems(),
)
def quorum(ballot_id: UUID, services: ServicesDep, principal: PrincipalDep) -> QuorumPublic:
    """By area and headcount, without and with deemed votes, and per building. Counts only:
    how a unit voted is not shown to anyone but its owner before closing."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, WATCHERS)
    if not ballot.opened:
        raise HTTPException(409, "the ballot is not open yet: there is nothing to count")
    matters = []
    for number in range(1, len(ballot.matters) + 1):
        counted = count_matter(ballot, number)
        buildings = by_building(
            ballot.matters[number - 1]["item"],
            ballot.unit_records(number),
            ballot.matter_votes(number),
            deemed_apply=ballot.deemed_votes,
            rule=ballot.counting(),
        )
        matters.append(
            MatterQuorumPublic(
                matter=number,
                without_deemed=_count(counted.without_deemed),
                with_deemed=_count(counted.with_deemed),
                by_building={b: _count(c) for b, c in buildings.items()},
            )
        )
    return QuorumPublic(
        ballot_id=str(ballot_id), state=ballot.state(services.ledger.clock()), matters=matters
    )


@router.post(
    "/v1/ballots/{ballot_id}/close",
    summary="Count the ballot after its closing time and record the resolutions",
    response_model=BallotPublic,
    responses=problems(409),
)
def close_ballot(ballot_id: UUID, services: ServicesDep, principal: PrincipalDep) -> BallotPublic:
    """Each matter is tallied by Civil Code art. 278 from the stored votes alone; its resolution
    is recorded citing the ballot and takes effect after the objection period. Closing again
    answers the same result."""
    ballot = _ballot(services, ballot_id)
    _guard(services, principal, ballot, CLOSERS)
    services.ledger.close_ballot(ballot_id, actor=principal.actor)
    return ballot_public(_ballot(services, ballot_id), services)


@router.post(
    "/v1/resolutions/{resolution_id}/revocation",
    summary="Record a court's revocation of a resolution",
    response_model=dict[str, str],
    responses=problems(409),
)
def revoke_resolution(
    resolution_id: UUID, body: RevocationCreate, services: ServicesDep, principal: PrincipalDep
) -> dict[str, str]:
    """A regulator records it (SPC interpretation on building ownership, art. 12): from that day
    the resolution authorises no payment or repair."""
    principal.require(place_of_part(services.ledger, resolution_id, Resolution), ("regulator",))
    receipt = services.ledger.revoke_resolution(
        resolution_id, revoked_on=body.revoked_on, judgment=body.judgment, actor=principal.actor
    )
    return {"id": receipt.id, "status": receipt.status, "revoked_on": body.revoked_on.isoformat()}


@router.post(
    "/v1/resolutions/{resolution_id}/challenge",
    summary="Record that a court accepted a suit to revoke a resolution",
    response_model=ChallengePublic,
    responses=problems(409),
)
def file_challenge(
    resolution_id: UUID, body: ChallengeCreate, services: ServicesDep, principal: PrincipalDep
) -> ChallengePublic:
    """A regulator records it (SPC interpretation on building ownership, art. 12): until the
    case ends, every payment or repair disbursement that cites the resolution raises V06; the
    resolution still authorises it (H05, H08) unless a court revokes it. A filing more than a
    year after the resolution was published is recorded all the same: the court decides whether
    the suit is admissible. Refused (422): a resolution already under challenge or revoked,
    ``filed_on`` before its vote closed or in the future."""
    principal.require(place_of_part(services.ledger, resolution_id, Resolution), ("regulator",))
    receipt = services.ledger.file_challenge(
        resolution_id, court=body.court, case_number=body.case_number, filed_on=body.filed_on,
        filing=body.filing, actor=principal.actor,
    )  # fmt: skip
    return ChallengePublic(
        id=receipt.id, status="under_challenge", case_number=body.case_number,
        on=body.filed_on.isoformat(),
    )  # fmt: skip


@router.post(
    "/v1/resolutions/{resolution_id}/challenge/end",
    summary="Record that a challenge to a resolution was dismissed or withdrawn",
    response_model=ChallengePublic,
    responses=problems(409),
)
def end_challenge(
    resolution_id: UUID, body: ChallengeEndCreate, services: ServicesDep, principal: PrincipalDep
) -> ChallengePublic:
    """A regulator records how the pending case ended other than by revocation (a revocation,
    ``/revocation``, ends it too); from then on spending that cites the resolution raises no
    V06. Refused (422): no challenge pending, ``ended_on`` before it was filed or in the future."""
    principal.require(place_of_part(services.ledger, resolution_id, Resolution), ("regulator",))
    pending = services.ledger.peek(resolution_id, Resolution, lambda r: r.pending_challenge)
    receipt = services.ledger.end_challenge(
        resolution_id, outcome=body.outcome, ended_on=body.ended_on, ruling=body.ruling,
        actor=principal.actor,
    )  # fmt: skip
    return ChallengePublic(
        id=receipt.id, status=body.outcome, on=body.ended_on.isoformat(),
        case_number=pending["case_number"] if pending is not None else "",
    )  # fmt: skip


# --- public, once closed -------------------------------------------------------------------


def _closed(services: Services, ballot_id: UUID) -> Ballot:
    with unseen():
        ballot = services.ledger.read(ballot_id, Ballot)
    if not ballot.closed:
        raise HTTPException(404, NOT_VISIBLE)  # published only once counted
    return ballot


def _matter_number(ballot: Ballot, matter: int) -> int:
    if not 1 <= matter <= len(ballot.matters):
        raise NotFound(f"matter {matter} is not on this ballot (1–{len(ballot.matters)})")
    return matter


@router.get(
    "/v1/public/ballots/{ballot_id}",
    summary="A closed ballot's results (public)",
    response_model=BallotPublic,
    responses=problems(),
)
def public_ballot(ballot_id: UUID, services: ServicesDep) -> BallotPublic:
    """Once counted: per matter the outcome with and without deemed votes, the number of votes
    stored and the Merkle root over their receipts."""
    return ballot_public(_closed(services, ballot_id), services)


@router.get(
    "/v1/public/ballots/{ballot_id}/list",
    summary="A closed ballot's list of votes: building, choice, receipt (public)",
    response_model=BallotListPublic,
    responses=problems(),
)
def public_list(
    ballot_id: UUID,
    services: ServicesDep,
    matter: Annotated[int, Query(ge=1, le=20, description="Matter number")] = 1,
) -> BallotListPublic:
    """Every vote stored, changes included, with the unit masked to its building; recounting the
    counted entries gives the result, and hashing the receipts gives the root."""
    ballot = _closed(services, ballot_id)
    number = _matter_number(ballot, matter)
    entries = ballot_list(
        ballot.unit_records(number),
        ballot.matter_votes(number),
        ballot_id=str(ballot_id),
        matter=number,
        rule=ballot.counting(),
    )
    return BallotListPublic(
        ballot_id=str(ballot_id),
        matter=number,
        root=ballot.results[number - 1]["root"],
        entries=[
            ListEntryPublic(
                building=e.building, choice=e.choice, receipt=e.receipt, counted=e.counted
            )
            for e in entries
        ],
    )


@router.get(
    "/v1/public/ballots/{ballot_id}/receipts/{receipt}",
    summary="Check a receipt: is the vote under the published root, and is it counted (public)",
    response_model=ReceiptCheckPublic,
    responses=problems(),
)
def check_receipt(ballot_id: UUID, receipt: RECEIPT, services: ServicesDep) -> ReceiptCheckPublic:
    """The answer carries the inclusion proof, so the check can be redone without trusting us."""
    ballot = _closed(services, ballot_id)
    for number in range(1, len(ballot.matters) + 1):
        receipts = [v["receipt"] for v in ballot.votes if v["matter"] == number]
        if receipt not in receipts:
            continue
        entries = ballot_list(
            ballot.unit_records(number),
            ballot.matter_votes(number),
            ballot_id=str(ballot_id),
            matter=number,
            rule=ballot.counting(),
        )
        root = ballot.results[number - 1]["root"]
        return ReceiptCheckPublic(
            receipt=receipt,
            matter=number,
            included=merkle_root(receipts) == root,
            counted=any(e.receipt == receipt and e.counted for e in entries),
            root=root,
            proof=[
                ProofStepPublic(sibling=s.sibling, side=s.side)
                for s in inclusion_proof(receipts, receipt)
            ],
        )
    raise NotFound("this receipt is not among the ballot's votes")
