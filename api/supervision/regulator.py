"""The regulator's page (issue #5): open alerts of the jurisdiction, worst first, and the overview.

Server-rendered in Chinese like the owners' pages. A browser cannot send a
bearer header, so the page also accepts the token from an HttpOnly,
SameSite=Strict cookie set by a small login form (``/regulator/session``);
the token is checked on every request exactly as the API checks it. One click
leads from an alert to the account's entries, the ones that caused it marked.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.account import entries as reads
from api.auth import Principal, jurisdiction_prefix
from api.deps import Services, ServicesDep, authenticated, place_of_part
from api.pages import html
from api.privacy import PRIVATE, depends_on_credentials
from api.ratelimit import RateLimited
from api.statements.page import district
from api.supervision.overview import overview_public
from ledger.account import CommonFundAccount
from ledger.money import format_fen
from projections.supervision.catalog import SEVERITY_ORDER
from projections.supervision.queries import AlertFilter

# every page here depends on the session (even the login form: it is what no session sees)
router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
COOKIE = "commonfund_session"
SEVERITY_ZH = {"critical": "严重", "high": "高", "warning": "警告", "info": "提示"}
STATUS_ZH = {"open": "待处理", "acknowledged": "已受理", "closed": "已关闭", "snoozed": "暂缓"}
SHOWN = 200  # open alerts on the page; the API pages through all of them


def caller(request: Request, services: ServicesDep) -> Principal | None:
    """The regulator or operator of the bearer header or the session cookie, if valid.

    RateLimited (429) passes through: the routes answer it with the login page.
    """
    header = request.headers.get("authorization")
    token = request.cookies.get(COOKIE)
    if header is None and token:
        header = f"Bearer {token}"
    if header is None:
        return None
    try:
        principal = authenticated(request, services, header)
    except RateLimited:
        raise
    except HTTPException:
        return None
    return principal if principal.role in ("regulator", "operator") else None


def too_many(limited: RateLimited) -> Response:
    """The login page, saying when to try again (a browser shows this, not a problem+json)."""
    page = html("regulator_login.html", 429, failed=False, retry_after=limited.retry_after)
    page.headers["Retry-After"] = str(limited.retry_after)
    return page


def prefix_of(principal: Principal) -> str:
    if principal.role == "operator" or not principal.token.jurisdiction:
        return ""
    return jurisdiction_prefix(principal.token.jurisdiction)


@router.get("/regulator", response_class=HTMLResponse)
def dashboard(request: Request, services: ServicesDep) -> Response:
    try:
        principal = caller(request, services)
    except RateLimited as limited:
        return too_many(limited)
    if principal is None:
        return html("regulator_login.html", 200, cache=PRIVATE, failed=False, retry_after=None)
    prefix = prefix_of(principal)
    today: date = services.ledger.today()
    found = [
        *services.alerts.page(
            AlertFilter(community_prefix=prefix, status="open"), after=None, limit=SHOWN
        ),
        *services.alerts.page(
            AlertFilter(community_prefix=prefix, status="acknowledged"), after=None, limit=SHOWN
        ),
    ]
    found.sort(key=lambda a: a.raised_on, reverse=True)
    found.sort(key=lambda a: SEVERITY_ORDER[a.severity])  # worst first, newest first within
    counted = overview_public(services.alerts.database, prefix, today, services.bank)
    return html(
        "regulator.html",
        cache=PRIVATE,
        alerts=found[:SHOWN],
        overview=counted,
        jurisdiction=prefix or "全市",
        severity_zh=SEVERITY_ZH,
        status_zh=STATUS_ZH,
        district_name=district,
        today=today.isoformat(),
    )


@router.post("/regulator/session")
async def login(request: Request, services: ServicesDep) -> Response:
    form = parse_qs((await request.body()).decode("utf-8", "replace"))
    token = (form.get("token") or [""])[0].strip()
    request.cookies.clear()
    try:
        principal = authenticated(request, services, f"Bearer {token}")
    except RateLimited as limited:
        return too_many(limited)
    except HTTPException:
        principal = None
    if principal is None or principal.role not in ("regulator", "operator"):
        return html("regulator_login.html", 401, failed=True, retry_after=None)
    response = RedirectResponse("/regulator", status_code=303)
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", path="/regulator",
        secure=request.url.scheme == "https", max_age=8 * 3600,
    )  # fmt: skip
    return response


@router.get("/regulator/logout")
def logout() -> Response:
    response = RedirectResponse("/regulator", status_code=303)
    response.delete_cookie(COOKIE, path="/regulator")
    return response


def account_in_scope(request: Request, services: Services, account_id: str) -> UUID | Response:
    """The account a regulator's page names, if the session may see it; else the page to
    answer instead (the login on no session, 429, or 404 for an account out of scope)."""
    try:
        principal = caller(request, services)
    except RateLimited as limited:
        return too_many(limited)
    if principal is None:
        return RedirectResponse("/regulator", status_code=303)
    try:
        wanted = UUID(account_id)
        visible = principal.in_scope(place_of_part(services.ledger, wanted, CommonFundAccount))
    except (ValueError, HTTPException):  # not an id, or no such account (404)
        visible = False
    if not visible:
        return html(
            "not_found.html",
            404,
            message="没有找到这个账户，或它不在您的辖区内。",
            back="/regulator",
        )
    return wanted


@router.get("/regulator/accounts/{account_id}", response_class=HTMLResponse)
def account_entries(
    account_id: str, request: Request, services: ServicesDep, highlight: str = ""
) -> Response:
    wanted = account_in_scope(request, services, account_id)
    if isinstance(wanted, Response):
        return wanted
    marked = set(highlight.split(",")) if highlight else set()
    entries = sorted(
        reads.entries_page(services, wanted).entries, key=lambda e: e.position, reverse=True
    )
    summary = services.ledger.account_summary(wanted)
    return html(
        "regulator_account.html",
        cache=PRIVATE,
        account=summary,
        entries=entries,
        marked=marked,
        money=format_fen,
    )
