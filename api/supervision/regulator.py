"""The regulator's session and account page (issue #5); the desk itself is desk.py (issue #17).

Server-rendered in Chinese like the owners' pages. A browser cannot send a
bearer header, so the pages also accept the token from an HttpOnly,
SameSite=Strict cookie set by a small login form (``/regulator/session``),
which also draws the sign-in's CSRF nonce (csrf.py); the token is checked on
every request exactly as the API checks it. One click leads from an alert to
the account's entries, the ones that caused it marked, where a regulator
suspends and resumes payments (actions.py).
"""

from __future__ import annotations

from importlib.resources import files
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
from api.statements.page import CATEGORIES, METHODS
from api.supervision import csrf
from api.supervision import desk_text as zh
from ledger.account import CommonFundAccount
from ledger.money import grouped
from ledger.places import street_name
from projections.supervision.desk import Desk

# every page here depends on the session (even the login form: it is what no session sees)
router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
COOKIE = "commonfund_session"
# the desk's own rules, after the shared stylesheet in every regulator page
stylesheet = (files("api") / "static" / "regulator.css").read_text(encoding="utf-8")


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
    csrf.set_nonce(response, request, csrf.new_nonce())  # a new sign-in, new form tokens
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", path="/regulator",
        secure=request.url.scheme == "https", max_age=8 * 3600,
    )  # fmt: skip
    return response


@router.get("/regulator/logout")
def logout() -> Response:
    response = RedirectResponse("/regulator", status_code=303)
    response.delete_cookie(COOKIE, path="/regulator")
    response.delete_cookie(csrf.NONCE_COOKIE, path=csrf.PATH)
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
        return message_page(404, "找不到账户", "没有找到这个账户，或它不在您的辖区内。")
    return wanted


def message_page(status: int, title: str, message: str, back: str = "/regulator") -> HTMLResponse:
    """A short Chinese page for what the desk refuses (400, 403, 404, 409, 413)."""
    return html(
        "regulator_message.html", status, cache=PRIVATE, title=title, message=message,
        back=back if back.startswith("/regulator") else "/regulator", desk_css=stylesheet,
    )  # fmt: skip


@router.get("/regulator/accounts/{account_id}", response_class=HTMLResponse)
def account_entries(
    account_id: str, request: Request, services: ServicesDep, highlight: str = ""
) -> Response:
    wanted = account_in_scope(request, services, account_id)
    if isinstance(wanted, Response):
        return wanted
    principal = caller(request, services)
    acting = principal is not None and principal.role == "regulator"  # the operator only reads
    marked = set(highlight.split(",")) if highlight else set()
    entries = sorted(
        reads.entries_page(services, wanted).entries, key=lambda e: e.position, reverse=True
    )
    summary = services.ledger.account_summary(wanted)
    session = request.cookies.get(COOKIE, "")
    nonce = request.cookies.get(csrf.NONCE_COOKIE) or csrf.new_nonce()
    done = request.query_params.get("done", "").partition(":")[0]
    page = html(
        "regulator_account.html",
        cache=PRIVATE,
        desk_css=stylesheet,
        account=summary,
        place=Desk(services.alerts.database).places([str(summary.complex_id)])[
            str(summary.complex_id)
        ],
        entries=entries,
        marked=marked,
        yuan=grouped,
        kind_zh=zh.KIND_ZH,
        category_zh=CATEGORIES,
        method_zh=METHODS,
        street_name=street_name,
        done={"suspended": "已暂停该账户付款。", "resumed": "已恢复该账户付款。"}.get(done),
        csrf_token=csrf.token_for(session, nonce) if session and acting else "",
        back=f"/regulator/accounts/{wanted}",
    )
    if csrf.NONCE_COOKIE not in request.cookies:
        csrf.set_nonce(page, request, nonce)
    return page
