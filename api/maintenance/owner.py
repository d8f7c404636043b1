"""An owner's own units (issue #17): sign in with the owner credential, read each unit's
maintenance-fund sub-ledger, in Chinese, like the other owners' pages.

A browser cannot send a bearer header, so the sign-in form puts the credential in an
HttpOnly, SameSite=Lax cookie the voting pages share (api/pages.keep_owner_signed_in): one
sign-in for the owner's units and their ballots. Every request checks it as the API
checks a bearer token (expiry, revocation, rate limits). CSRF: the cookie is not sent on
another site's POST (SameSite), and a POST whose Origin is another site is refused, so no
page elsewhere can sign a visitor in as someone else or out. Only the owner's own units are
listed or shown (H15): any other unit is a Chinese 404, as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.auth import Principal
from api.deps import Services, ServicesDep, authenticated
from api.notices import owner_notices
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
from api.statements.page import day_label, money
from ledger.complexes.complex import Complex
from ledger.maintenance.rules import below_replenishment, replenishment_line
from ledger.money import format_fen

router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
SHOWN = 500  # entries on the page, newest last; the API pages through every one
KINDS = {
    "deposit": "缴存",
    "first": "首期缴存",
    "additional": "续筹",
    "initial_transfer": "移交",
    "interest": "利息",
    "disbursement": "维修分摊",
    "transfer_in": "共有资金转入",
    "sale_out": "转出（过户）",
    "sale_in": "转入（过户）",
}


@dataclass(frozen=True, slots=True)
class Signed:
    principal: Principal
    complex_id: UUID
    units: list[str]


def signed_in(request: Request, services: Services) -> Signed | None:
    """The owner of the session cookie (or a bearer header), if the credential is valid."""
    token = request.cookies.get(OWNER_COOKIE)
    header = request.headers.get("authorization") or (f"Bearer {token}" if token else None)
    if header is None:
        return None
    try:
        principal = authenticated(request, services, header)
    except RateLimited:
        raise
    except HTTPException:
        return None
    key, complex_id = principal.token.owner_key, principal.token.complex_id
    if principal.role != "owner" or not key or complex_id is None:
        return None
    units = services.ledger.peek(complex_id, Complex, lambda c: c.owned_by(key))
    return Signed(principal, complex_id, units)


def login_page(status: int = 200, *, failed: bool = False, retry: int | None = None) -> Response:
    return html("owner_login.html", status, cache=PRIVATE, failed=failed, retry_after=retry)


@router.get("/owner", response_class=HTMLResponse)
def units(request: Request, services: ServicesDep) -> Response:
    """The owner's notices (ballots, units to top up) above their units and balances, or the
    sign-in form."""
    try:
        signed = signed_in(request, services)
    except RateLimited as limited:
        return login_page(429, retry=limited.retry_after)
    if signed is None:
        return login_page()
    complex_ = services.ledger.complex_summary(signed.complex_id)
    ledgers = {
        unit: services.maintenance.unit_ledger(str(signed.complex_id), unit, after=0, limit=0)
        for unit in signed.units
    }
    notices = owner_notices(services, signed.complex_id, signed.units, services.now(), ledgers)
    return html("owner_units.html", cache=PRIVATE, complex=complex_, ledgers=ledgers,
                notices=notices, money=money,
                money_fen=lambda fen: money(format_fen(fen)))  # fmt: skip


@router.post("/owner/session")
async def sign_in(request: Request, services: ServicesDep) -> Response:
    if not same_site(request, services):
        return login_page(403, failed=True)
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    request.cookies.clear()
    try:
        principal = authenticated(request, services, f"Bearer {token}") if token else None
    except RateLimited as limited:
        return login_page(429, retry=limited.retry_after)
    except HTTPException:
        principal = None
    if principal is None or principal.role != "owner":
        return login_page(401, failed=True)
    response = RedirectResponse("/owner", status_code=303)
    keep_owner_signed_in(response, request, token)
    return response


@router.post("/owner/logout")
def sign_out(request: Request, services: ServicesDep) -> Response:
    if not same_site(request, services):
        return login_page(403, failed=True)
    response = RedirectResponse("/owner", status_code=303)
    forget_owner(response)
    return response


@router.get("/owner/units/{unit_id}", response_class=HTMLResponse)
def unit_ledger(
    unit_id: Annotated[str, Path(max_length=64)], request: Request, services: ServicesDep
) -> Response:
    """One of the owner's own units: its sub-ledger, entry by entry."""
    try:
        signed = signed_in(request, services)
    except RateLimited as limited:
        return login_page(429, retry=limited.retry_after)
    if signed is None:
        return RedirectResponse("/owner", status_code=303)
    if unit_id not in signed.units:  # another's unit, or none: the same answer (H15)
        return not_found("您的业主凭证下没有这一户。请从“我的房屋”列表进入。", back=None)
    found = services.maintenance.unit_ledger(str(signed.complex_id), unit_id, after=0, limit=SHOWN)
    ratio = services.maintenance.ratio_bp
    return html(
        "owner_unit.html", cache=PRIVATE, unit=unit_id, found=found,
        complex=services.ledger.complex_summary(signed.complex_id), kinds=KINDS,
        line=replenishment_line(found.first_deposit, ratio) if found else 0,
        below=below_replenishment(found.balance, found.first_deposit, ratio) if found else False,
        money_fen=lambda fen: money(format_fen(fen)), day_label=day_label,
    )  # fmt: skip
