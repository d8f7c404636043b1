"""The regulator's desk (issue #17): the jurisdiction's alerts grouped, filtered and paged.

``GET /regulator`` counts the alerts under the filters (rule, severity, state,
street, complex) by rule and by complex, and lists one group a page at a time,
worst first; each alert carries the forms that work it (api/supervision/actions.py).
Rules, places and complexes are named in Chinese; the explanation is the
Chinese one the desk makes (desk_text.explanation), never the ledger's English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.auth import Principal
from api.deps import Services, ServicesDep
from api.pages import html
from api.privacy import PRIVATE, depends_on_credentials
from api.ratelimit import RateLimited
from api.supervision import csrf
from api.supervision import desk_text as zh
from api.supervision.overview import overview_public
from api.supervision.regulator import (
    COOKIE,
    caller,
    message_page,
    prefix_of,
    stylesheet,
    too_many,
)
from ledger.places import district_name, place_name, street_name
from projections.supervision.catalog import RULES, SEVERITY_ORDER
from projections.supervision.desk import Desk, Place
from projections.supervision.queries import AlertFilter, AlertRow

router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
PER_PAGE = 20  # alerts of one group on a page
COMPLEXES_PER_PAGE = 20
COMPLEXES_IN_A_GROUP = 10  # fewer beside a group's alerts, so the alerts are not far down
STATES = {  # the state filter: what a regulator still has to do, or one status, or all
    "active": ("待处理和已受理", ("open", "acknowledged")),
    "open": ("待处理", ("open",)),
    "acknowledged": ("已受理", ("acknowledged",)),
    "snoozed": ("暂缓", ("snoozed",)),
    "closed": ("已关闭", ("closed",)),
    "all": ("全部", None),
}
FILTERS = ("rule", "severity", "state", "street", "complex")


class BadFilter(ValueError):
    """A filter the desk cannot read: its Chinese message is the page's."""


@dataclass(frozen=True, slots=True)
class Wanted:
    rule: str = ""
    severity: str = ""
    state: str = "active"
    street: str = ""
    complex: str = ""
    page: int = 1
    cpage: int = 1

    def query(self, **changes: Any) -> str:
        """This view's address with ``changes`` (a changed filter starts again at page 1)."""
        values = {name: getattr(self, name) for name in (*FILTERS, "page", "cpage")}
        if any(name in FILTERS for name in changes):
            values.update(page=1, cpage=1)
        values.update(changes)
        kept = {
            k: v for k, v in values.items()
            if v and not (k == "state" and v == "active") and not (k in ("page", "cpage") and v == 1)
        }  # fmt: skip
        return "/regulator" + (f"?{urlencode(kept)}" if kept else "")

    def grouped(self) -> bool:
        return bool(self.rule or self.complex)


def wanted_of(request: Request) -> Wanted:
    """The filters of the address, each checked; a bad one is a BadFilter with what to write."""
    q = request.query_params
    rule = q.get("rule", "")
    if rule and rule not in RULES:
        raise BadFilter(f"没有编号为“{rule[:10]}”的预警规则。")
    severity = q.get("severity", "")
    if severity and severity not in zh.SEVERITY_ZH:
        raise BadFilter("级别只能是严重、高、警告或提示。")
    state = q.get("state", "") or "active"
    if state not in STATES:
        raise BadFilter("状态只能是待处理和已受理、待处理、已受理、暂缓、已关闭或全部。")
    street = q.get("street", "")
    if street and not (street.isdigit() and len(street) == 9):
        raise BadFilter("街道应为 9 位街道代码，请从列表中选择。")
    complex_id = q.get("complex", "")
    if complex_id:
        try:
            complex_id = str(UUID(complex_id))
        except ValueError:
            raise BadFilter("小区编号不正确，请从分组列表中选择小区。") from None
    pages = []
    for name in ("page", "cpage"):
        text = q.get(name, "1") or "1"
        if not (text.isdigit() and 1 <= int(text) <= 100_000):
            raise BadFilter("页码应为 1 到 100000 之间的整数。")
        pages.append(int(text))
    return Wanted(rule, severity, state, street, complex_id, pages[0], pages[1])


@dataclass(frozen=True, slots=True)
class Shown:
    """One alert as its card shows it."""

    row: AlertRow
    place: Place
    rule_name: str
    severity: str
    status: str
    explanation: str
    account_id: str | None
    entries_link: str | None


def shown(row: AlertRow, place: Place) -> Shown:
    account = row.evidence.get("account_id") or (
        row.subject_id if row.subject_kind == "account" else None
    )
    link = None
    if account:
        entries = ",".join(str(e) for e in row.evidence.get("entries", []))
        link = (
            f"/regulator/accounts/{account}/reconciliation"
            if row.rule.startswith("B")
            else f"/regulator/accounts/{account}" + (f"?highlight={entries}" if entries else "")
        )
    return Shown(
        row, place, zh.rule_name(row.rule), zh.SEVERITY_ZH.get(row.severity, row.severity),
        zh.STATUS_ZH.get(row.status, row.status), zh.explanation(row),
        str(account) if account else None, link,
    )  # fmt: skip


def pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


@router.get("/regulator", response_class=HTMLResponse)
def desk(request: Request, services: ServicesDep) -> Response:
    try:
        principal = caller(request, services)
    except RateLimited as limited:
        return too_many(limited)
    if principal is None:
        return html("regulator_login.html", 200, cache=PRIVATE, failed=False, retry_after=None)
    try:
        wanted = wanted_of(request)
    except BadFilter as bad:
        return message_page(400, "筛选条件有误", str(bad))
    nonce = request.cookies.get(csrf.NONCE_COOKIE) or csrf.new_nonce()
    page = render(request, services, principal, wanted, nonce)
    if csrf.NONCE_COOKIE not in request.cookies:  # a session from before the desk had forms
        csrf.set_nonce(page, request, nonce)
    return page


def render(
    request: Request, services: Services, principal: Principal, wanted: Wanted, nonce: str
) -> HTMLResponse:
    prefix = prefix_of(principal)
    today = services.ledger.today()
    found = Desk(services.alerts.database)
    f = AlertFilter(
        community_prefix=prefix, rule=wanted.rule or None, severity=wanted.severity or None,
        street=wanted.street or None, complex_id=wanted.complex or None,
        states=STATES[wanted.state][1],
    )  # fmt: skip
    total = found.count(f)
    per_page = COMPLEXES_IN_A_GROUP if wanted.grouped() else COMPLEXES_PER_PAGE
    complexes, by_complex = found.by_complex(
        f, offset=(wanted.cpage - 1) * per_page, limit=per_page
    )
    listed = wanted.grouped() or total <= PER_PAGE
    rows = found.page(f, offset=(wanted.page - 1) * PER_PAGE, limit=PER_PAGE) if listed else []
    places = found.places([r.complex_id for r in rows])
    steps = found.steps([r.alert_id for r in rows])
    chosen = found.places([wanted.complex])[wanted.complex] if wanted.complex else None
    session = request.cookies.get(COOKIE, "")
    return html(
        "regulator.html",
        cache=PRIVATE,
        desk_css=stylesheet,
        jurisdiction=place_name(prefix) if prefix else "青岛市",
        today=today.isoformat(),
        wanted=wanted,
        total=total,
        by_rule=found.by_rule(f),
        complexes=complexes,
        by_complex=by_complex,
        complex_pages=pages(complexes, per_page),
        listed=listed,
        alerts=[shown(r, places[r.complex_id]) for r in rows],
        steps=steps,
        alert_pages=pages(total, PER_PAGE),
        chosen=chosen,
        rules=sorted(RULES.values(), key=lambda r: r.id),
        severities=sorted(zh.SEVERITY_ZH.items(), key=lambda s: SEVERITY_ORDER[s[0]]),
        states=[(k, v[0]) for k, v in STATES.items()],
        streets=[(s, street_name(s)) for s in found.streets(prefix)],
        overview=overview_public(services.alerts.database, prefix, today, services.bank),
        done=confirmation(request, services, found),
        csrf_token=csrf.token_for(session, nonce) if session else "",
        back=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        zh=zh,
        district_name=district_name,
        street_name=street_name,
        regulator=principal.role == "regulator",
    )


DONE_ZH = {
    "acknowledged": "已受理预警",
    "closed": "已关闭预警",
    "suspended": "已暂停账户付款",
    "resumed": "已恢复账户付款",
}


def confirmation(request: Request, services: Services, found: Desk) -> str | None:
    """What the action just redirected from did, in one sentence (``?done=kind:id``)."""
    kind, _, target = request.query_params.get("done", "").partition(":")
    if kind not in DONE_ZH:
        return None
    if kind in ("acknowledged", "closed"):
        row = services.alerts.get(target) if len(target) <= 36 else None
        if row is None:
            return f"{DONE_ZH[kind]}。"
        name = found.places([row.complex_id])[row.complex_id].name or "（未登记小区）"
        outcome = f"，结论：{zh.OUTCOME_ZH[row.outcome]}" if row.outcome in zh.OUTCOME_ZH else ""
        return f"{DONE_ZH[kind]} {row.rule} {zh.rule_name(row.rule)}（{name}）{outcome}。"
    return f"{DONE_ZH[kind]}。"
