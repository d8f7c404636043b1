"""The owners' voting page and the results for the notice board (issue #16), in Chinese.

Server-rendered like the other pages (api/pages.py), no JavaScript. A browser sends no bearer
header, so an owner signs in once with their owner token: it is kept in an HttpOnly,
SameSite=Lax cookie shared with /owner (api/pages.keep_owner_signed_in: one sign-in for the
owner's units and ballots) and checked on every request exactly as the API
checks it (the regulator's page does the same, api/supervision/regulator.py). The voting form
carries a CSRF token bound to that credential; a vote goes through the same ledger command as
``POST /v1/ballots/{id}/votes``. The results page is public once the ballot is counted.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import parse_qs, quote
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.deps import Services, ServicesDep, authenticated, place_of
from api.pages import (
    OWNER_COOKIE,
    forget_owner,
    html,
    keep_owner_signed_in,
    not_found,
    same_site,
)
from api.privacy import PRIVATE, depends_on_credentials
from api.ratelimit import RateLimited
from api.voting import page_view as view
from ledger.errors import LedgerError, NotFound
from ledger.voting.ballot import Ballot
from ledger.voting.register import CHOICES, Choice

router = APIRouter(include_in_schema=False)
OWNER = [Depends(depends_on_credentials)]  # these answers depend on who is signed in
BALLOT = Annotated[str, Path(max_length=64)]
NO_BALLOT = "没有找到这次表决。请核对网址中的表决编号。"


def _ballot(services: Services, ballot_id: str) -> Ballot | None:
    try:
        return services.ledger.read(UUID(ballot_id), Ballot)
    except (ValueError, NotFound):  # not a UUID, or no ballot of that id
        return None


def _owner(request: Request, services: Services, ballot: Ballot, token: str) -> Principal | None:
    """The owner of this ballot's complex these credentials name, else None (429 passes)."""
    try:
        principal = authenticated(request, services, f"Bearer {token}")
        principal.require(place_of(services.ledger, UUID(ballot.complex_id)), ("owner",))
    except RateLimited:
        raise
    except HTTPException:
        return None
    return principal if principal.token.owner_key else None


def _session(request: Request) -> str | None:
    """The owner token of the bearer header (API clients, tests) or of the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return request.cookies.get(OWNER_COOKIE) or None


def csrf_token(token: str, ballot_id: str) -> str:
    """Bound to the signed-in credential, which a page of another site cannot read."""
    message = f"commonfund ballot form/{ballot_id}".encode()
    return hmac.new(token.encode(), message, hashlib.sha256).hexdigest()[:40]


def _sign_in(ballot: Ballot, status: int = 200, **shown: object) -> HTMLResponse:
    context = {"failed": False, "retry_after": None, **shown}
    return html("ballot_login.html", status, cache=PRIVATE, ballot=ballot, **context)


def _too_many(ballot: Ballot, limited: RateLimited) -> HTMLResponse:
    page = _sign_in(ballot, 429, retry_after=limited.retry_after)
    page.headers["Retry-After"] = str(limited.retry_after)
    return page


@router.get("/ballots/{ballot_id}/vote", response_class=HTMLResponse, dependencies=OWNER)
def voting_page(ballot_id: BALLOT, request: Request, services: ServicesDep) -> Response:
    """The matters, the window, the owner's current votes and, while open, the form."""
    ballot = _ballot(services, ballot_id)
    if ballot is None:
        return not_found(NO_BALLOT)
    token = _session(request)
    try:
        principal = None if token is None else _owner(request, services, ballot, token)
    except RateLimited as limited:
        return _too_many(ballot, limited)
    if principal is None or token is None:
        return _sign_in(ballot)
    owner_key = principal.token.owner_key or ""
    mine = services.ledger.voting.owned_units(ballot.id, owner_key)
    state = ballot.state(services.ledger.clock())
    # the first reading by the owner serves the ballot, as GET /v1/ballots/{id} does
    if services.ledger.voting.serve_by_login(ballot.id, owner_key, actor=principal.actor):
        ballot = services.ledger.read(ballot.id, Ballot)
    return _voting(ballot, state, mine, token)


def _voting(
    ballot: Ballot, state: str, mine: list[str], token: str, *, status: int = 200, error: str = ""
) -> HTMLResponse:
    return html(
        "ballot_vote.html",
        status,
        cache=PRIVATE,
        ballot=ballot,
        state=state,
        window=view.window(ballot),
        matters=view.owner_matters(ballot, mine),
        units=mine,
        csrf=csrf_token(token, str(ballot.id)),
        error=error,
        **view.LABELS,
    )


@router.post("/ballots/{ballot_id}/session", dependencies=OWNER)
async def sign_in(ballot_id: BALLOT, request: Request, services: ServicesDep) -> Response:
    ballot = _ballot(services, ballot_id)
    if ballot is None:
        return not_found(NO_BALLOT)
    if not same_site(request, services):  # another site's form: no login CSRF
        return _sign_in(ballot, 403, failed=True)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    try:
        principal = _owner(request, services, ballot, token) if token else None
    except RateLimited as limited:
        return _too_many(ballot, limited)
    if principal is None:
        return _sign_in(ballot, 401, failed=True)
    response = RedirectResponse(f"/ballots/{ballot.id}/vote", status_code=303)
    keep_owner_signed_in(response, request, token)  # the /owner pages share it
    return response


@router.post("/ballots/{ballot_id}/logout", dependencies=OWNER)
def sign_out(ballot_id: BALLOT, request: Request, services: ServicesDep) -> Response:
    """Forget the owner's sign-in on this browser (a shared phone, a neighbour's computer)."""
    ballot = _ballot(services, ballot_id)
    if ballot is None:
        return not_found(NO_BALLOT)
    if not same_site(request, services):
        return view.message(ballot, 403, view.CSRF_REFUSED)
    response = RedirectResponse(f"/ballots/{ballot.id}/vote", status_code=303)
    forget_owner(response)
    return response


@router.post("/ballots/{ballot_id}/vote", dependencies=OWNER)
async def cast(ballot_id: BALLOT, request: Request, services: ServicesDep) -> Response:
    """The form's choices, cast by ``services.ledger.cast_votes``; then to the confirmation."""
    ballot = _ballot(services, ballot_id)
    if ballot is None:
        return not_found(NO_BALLOT)
    token = _session(request)
    try:
        principal = None if token is None else _owner(request, services, ballot, token)
    except RateLimited as limited:
        return _too_many(ballot, limited)
    if principal is None or token is None:
        return _sign_in(ballot, 401)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    sent = (form.get("csrf") or [""])[0]
    if not hmac.compare_digest(sent, csrf_token(token, str(ballot.id))):
        return view.message(ballot, 403, view.CSRF_REFUSED)
    owner_key = principal.token.owner_key or ""
    mine = services.ledger.voting.owned_units(ballot.id, owner_key)
    state = ballot.state(services.ledger.clock())
    if state != "open":
        return view.message(ballot, 409, view.closed_sentence(ballot, state))
    choices: dict[int, Choice] = {}
    for number in range(1, len(ballot.matters) + 1):
        choice = (form.get(f"matter_{number}") or [""])[0]
        if choice in CHOICES:
            choices[number] = choice
    if not choices:
        return _voting(ballot, state, mine, token, status=422, error=view.NOTHING_CHOSEN)
    try:
        done = services.ledger.cast_votes(
            ballot.id, owner_key=owner_key, choices=choices, actor=principal.actor
        )
    except LedgerError as refused:
        return view.message(ballot, 422, view.refusal(ballot, refused, services.ledger.clock()))
    where = f"/ballots/{ballot.id}/confirmation?signed_at={quote(done.signed_at)}"
    return RedirectResponse(where, status_code=303)


@router.get("/ballots/{ballot_id}/confirmation", response_class=HTMLResponse, dependencies=OWNER)
def confirmation(
    ballot_id: BALLOT,
    request: Request,
    services: ServicesDep,
    signed_at: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    """The votes just cast (or else the owner's current ones), each with its receipt and nonce."""
    ballot = _ballot(services, ballot_id)
    if ballot is None:
        return not_found(NO_BALLOT)
    token = _session(request)
    try:
        principal = None if token is None else _owner(request, services, ballot, token)
    except RateLimited as limited:
        return _too_many(ballot, limited)
    if principal is None:
        return RedirectResponse(f"/ballots/{ballot.id}/vote", status_code=303)
    mine = services.ledger.voting.owned_units(ballot.id, principal.token.owner_key or "")
    shown = view.receipts(ballot, mine, signed_at)
    return html(
        "ballot_confirmation.html",
        cache=PRIVATE,
        ballot=ballot,
        votes=shown,
        just_cast=bool(signed_at) and any(v["signed_at"] == signed_at for v in shown),
        signed_label=view.moment_label(shown[0]["signed_at"]) if shown else "",
        check_url=f"/v1/public/ballots/{ballot.id}/receipts/",
        results=f"/ballots/{ballot.id}/results",
        closes=view.moment_label(ballot.closes_at),
        **view.LABELS,
    )


@router.get("/ballots/{ballot_id}/results", response_class=HTMLResponse)
def results(ballot_id: BALLOT, services: ServicesDep) -> Response:
    """The notice-board result of a counted ballot: outcome, counts, thresholds, root."""
    ballot = _ballot(services, ballot_id)
    if ballot is None or not ballot.closed:
        return not_found("这次表决尚未计票，结果在投票截止并计票后公布。" if ballot else NO_BALLOT)
    summary = services.ledger.complex_summary(UUID(ballot.complex_id))
    public = f"/v1/public/ballots/{ballot.id}"
    return html(
        "ballot_results.html",
        ballot=ballot,
        complex=summary,
        window=view.window(ballot),
        objection=view.objection(ballot),
        matters=view.result_matters(ballot),
        public=public,
        # the owners' address (COMMONFUND_PUBLIC_BASE_URL), not the request's host: behind a
        # proxy that is an internal name, and the printed notice outlives the request (issue #17)
        base=services.public_base_url,
        online=f"{services.public_base_url}/ballots/{ballot.id}/results",
        **view.LABELS,
    )
