"""The owners' pages (spec/api.md, "Human page"): published statements as Chinese HTML, public.

Server-rendered with Jinja2 (autoescaped), one self-contained page each: the
stylesheet is inlined, so a saved or printed page needs nothing else, and there
is no JavaScript. Errors are Chinese HTML pages too (404), never problem+json:
these are addresses people type or follow from a notice board.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any
from urllib.parse import quote, urlsplit
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined

from api.deps import Services, ServicesDep
from api.statements import page as view
from api.statements.notice import notice
from ledger.application import ComplexSummary
from ledger.complexes.complex import Complex
from ledger.errors import InvalidCommand, NotFound
from ledger.money import format_fen
from ledger.periods import Period
from ledger.personal import shown
from ledger.places import district_name, street_name
from projections.supervision.directory import Directory

router = APIRouter(include_in_schema=False)
CACHE = "public, max-age=60"  # a version never changes, but a later one may supersede it
templates = Environment(
    loader=PackageLoader("api", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.globals.update(
    money=view.money,
    period_label=view.period_label,
    day_label=view.day_label,
    category=view.category,
    reference=view.reference,
    district=district_name,
    methods=view.METHODS,
    CORRECTION=view.CORRECTION,
    bank_sentence=view.bank_sentence,
    by_amount=view.by_amount,
    short_hash=view.short_hash,
    money_fen=lambda fen: view.money(format_fen(fen)),
    stylesheet=(files("api") / "static" / "statement.css").read_text(encoding="utf-8"),
)
MAX_CODE = 64  # a complex code is 1–64 characters (ledger/complexes/complex.py)
PERIOD_HELP = "公示期间的写法：季度如 2026-Q3，月份如 2026-07，年度如 2026。"


def html(template: str, status: int = 200, *, cache: str = CACHE, **context: Any) -> HTMLResponse:
    body = templates.get_template(template).render(**context)
    headers = {"Cache-Control": cache, "Content-Language": "zh-CN"} if status == 200 else None
    return HTMLResponse(body, status_code=status, headers=headers)


def not_found(message: str, *, back: str | None = None) -> HTMLResponse:
    return html("not_found.html", 404, message=message, back=back)


OWNER_COOKIE = "commonfund_owner"
OWNER_HOURS = 8  # a sign-in lasts a working day on the owner's own browser
_EARLIER_PATHS = ("/owner", "/ballots")  # where sign-ins before one shared cookie kept it


def keep_owner_signed_in(response: Response, request: Request, token: str) -> None:
    """One sign-in for every owners' page: their units (``/owner``) and the ballots' voting
    pages (``/ballots/…``), so the notice "去投票" on /owner does not ask for the credential
    again. HttpOnly and SameSite=Lax; the JSON API never reads it (bearer headers only)."""
    for path in _EARLIER_PATHS:
        response.delete_cookie(OWNER_COOKIE, path=path)
    response.set_cookie(
        OWNER_COOKIE, token, httponly=True, samesite="lax", path="/",
        secure=request.url.scheme == "https", max_age=OWNER_HOURS * 3600,
    )  # fmt: skip


def forget_owner(response: Response) -> None:
    """Sign the owner out of every owners' page at once (a shared phone)."""
    for path in ("/", *_EARLIER_PATHS):
        response.delete_cookie(OWNER_COOKIE, path=path)


def same_site(request: Request, services: Services) -> bool:
    """A browser's POST names its page's origin: ours (the request's, or the public base URL).

    The sign-in and sign-out forms of the owners' pages (``/owner``, ``/ballots/…``) check it,
    so another site cannot sign a visitor in as someone else (login CSRF) or out."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # not a browser's cross-site form: browsers send Origin on every POST
    ours = {f"{request.url.scheme}://{request.url.netloc}", origin_of(services.public_base_url)}
    return origin in ours


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def complex_of(services: Services, complex_id: str) -> ComplexSummary | None:
    """The complex of an id or, in a readable address, of its code (issue #17)."""
    try:
        return services.ledger.complex_summary(UUID(complex_id))
    except ValueError:  # not a UUID: perhaps a code
        return complex_by_code(services, complex_id)
    except NotFound:  # no complex of that id
        return None


def complex_by_code(services: Services, code: str) -> ComplexSummary | None:
    if not code or len(code) > MAX_CODE:
        return None
    listed = Directory(services.alerts.database).by_code(code)
    if listed is None:
        return None
    try:
        return services.ledger.complex_summary(UUID(listed.complex_id))
    except NotFound:  # the read model is ahead of nothing: never, but answer 404 if so
        return None


def publishers(services: Services, found: ComplexSummary, on: str) -> dict[str, tuple[str, str]]:
    """Member id → (name, role) of the committee in office on ``on``: who published (the names
    of committee members are public, as the committee's list is posted to the owners)."""
    committees = [
        services.ledger.committee(UUID(kid))
        for kid in services.ledger.peek(found.id, Complex, lambda c: list(c.committee_ids))
    ]
    elected = [c for c in committees if c.elected_on <= on] or committees
    if not elected:
        return {}
    chosen = max(elected, key=lambda c: c.elected_on)
    personal = services.ledger.personal
    return {
        m["member_id"]: (shown(personal, m["name"]), m["role"]) for m in chosen.members.values()
    }


def path_of(found: ComplexSummary) -> str:
    """The readable address of a complex's pages: ``/complexes/QD-SN-DEMO-001``."""
    return f"/complexes/{quote(found.code, safe='')}"


def home_of(found: ComplexSummary) -> str:
    return f"/c/{quote(found.code, safe='')}"


@router.get("/complexes/{complex_id}/statements", response_class=HTMLResponse)
def statement_list(complex_id: str, services: ServicesDep) -> HTMLResponse:
    """Every published period and version of a complex, newest period first."""
    found = complex_of(services, complex_id)
    if found is None:
        return not_found("没有找到这个小区。请核对网址中的小区编号。")
    versions = services.statements.versions(str(found.id))
    periods: dict[str, list[Any]] = {}
    for version in sorted(versions, key=lambda v: (v.period, v.version), reverse=True):
        periods.setdefault(version.period, []).append(version)
    public = services.bank.public_status(str(found.id), services.ledger.today())
    return html("statement_list.html", complex=found, periods=periods, bank=public)


@router.get("/complexes/{complex_id}/statements/{period}", response_class=HTMLResponse)
def statement(
    complex_id: str,
    period: str,
    request: Request,
    services: ServicesDep,
    version: str | None = None,
) -> HTMLResponse:
    """A published statement: the latest version of the period, or ``?version=N``."""
    found = complex_of(services, complex_id)
    if found is None:
        return not_found("没有找到这个小区。请核对网址中的小区编号。")
    listing = f"/complexes/{found.id}/statements"
    try:
        stated = Period.parse(period)
    except InvalidCommand:  # InvalidPeriod
        return not_found(f"“{period}”不是一个公示期间。{PERIOD_HELP}", back=listing)
    number = int(version) if version and version.isdigit() and len(version) <= 6 else None
    if version is not None and number is None:
        return not_found(f"“{version}”不是版本号：版本号是 1、2、3……", back=listing)
    shown = services.statements.version(str(found.id), stated, number)
    if shown is None:
        which = f"第{number}版" if number else ""
        return not_found(
            f"{found.name}尚未公布{view.period_label(stated.name)}收支公示{which}。", back=listing
        )
    content = shown.content
    closing = {  # the latest version of each published period, up to this one
        v.period: v.content["closing_balance"]
        for v in sorted(services.statements.versions(str(found.id)), key=lambda v: v.version)
        if v.period <= stated.name and Period.parse(v.period).kind == stated.kind
    }
    public = f"/v1/public/complexes/{found.id}"
    page = f"/complexes/{found.id}/statements/{stated.name}"
    return html(
        "statement.html",
        complex=found,
        version=shown,
        content=content,
        listing=listing,
        page=page,
        notice=notice(
            services.public_base_url, found.code, stated.name, shown.version, shown.published_on
        ),
        street=street_name(found.street),
        download=f"{public}/statements/{stated.name}?version={shown.version}",
        digest_url=f"{public}/digest",
        publisher=view.publisher(
            shown.published_by, publishers(services, found, shown.published_on)
        ),
        # a correction's date is the value date of the entry that caused it (projections)
        corrected=shown.published_by == view.CORRECTION,
        correction=view.correction(shown),
        originals=view.originals(content),
        charts=view.charts(content, sorted(closing.items())),
        heads=[(view.stream_label(h["stream_id"], content), h) for h in shown.digest["heads"]],
    )
