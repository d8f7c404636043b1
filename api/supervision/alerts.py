"""Supervision alerts over HTTP (issue #5): list and read them, work them, snooze a rule.

Who sees what (H15): the operator every alert, a regulator those whose complex
lies in its jurisdiction, a committee those of its own complex; an alert
outside the caller's scope answers exactly like an id that names nothing.
Regulators acknowledge, close and snooze; the complex's committee explains.
Every write waits (bounded) for the supervision read model, so its answer
shows the step it made.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Body, HTTPException, Query, Request
from fastapi.responses import Response

from api.auth import NOT_VISIBLE, Place, Principal, jurisdiction_prefix
from api.deps import IdempotencyKey, PrincipalDep, Services, ServicesDep, place_of
from api.errors_doc import problems
from api.idempotency import idempotent
from api.schemas import DATE_PATTERN
from api.supervision.schemas import (
    AcknowledgementCreate,
    AlertClosureCreate,
    AlertDetailPublic,
    AlertsPage,
    AlertStepPublic,
    ExplanationCreate,
    Severity,
    SnoozeCreate,
    SnoozePublic,
    Status,
    alert_public,
)
from ledger.account import CommonFundAccount
from ledger.committees.committee import Committee
from ledger.dates import parse_date
from ledger.errors import InvalidCommand, NotFound
from ledger.supervision import Snooze
from projections.supervision.catalog import RULES
from projections.supervision.queries import AlertFilter, AlertRow

router = APIRouter(tags=["supervision"])
READERS = ("operator", "regulator", "committee")
WAIT_SECONDS = 5.0
MAX_PAGE = 500
NOBODY = UUID(int=0)
CURSOR = re.compile(r"^a1:([0-9]{4}-[0-9]{2}-[0-9]{2})/([0-9a-f-]{36})$")


# --- reading ---------------------------------------------------------------------------


def alert_detail(row: AlertRow) -> AlertDetailPublic:
    raised = AlertStepPublic(
        step="raised", by="system:supervision", on=row.raised_on,
        detail={"rule": row.rule, "rule_version": row.rule_version, "position": row.position},
    )  # fmt: skip
    steps = [
        AlertStepPublic(step=h["step"], by=h["by"], on=h["on"], detail=h["detail"])
        for h in row.history
    ]
    version = max((int(h["version"]) for h in row.history), default=0)
    return AlertDetailPublic(**dict(alert_public(row)), history=[raised, *steps], version=version)


def place_of_alert(row: AlertRow) -> Place:
    complex_id = UUID(row.complex_id) if row.complex_id else NOBODY
    return Place(complex_id, row.district, row.street, row.community)


def visible_alert(
    services: Services, principal: Principal, alert_id: UUID, roles: tuple[str, ...]
) -> AlertRow:
    """The alert if ``principal`` may see it: 404 outside its scope as for an unknown id."""
    row = services.alerts.get(str(alert_id))
    if row is None:
        raise HTTPException(404, NOT_VISIBLE)
    principal.require(place_of_alert(row), roles)
    return row


def scoped(principal: Principal, wanted: AlertFilter) -> AlertFilter | None:
    """The filter narrowed to the caller's scope; None when nothing in it can match."""
    if principal.role == "committee":
        own = str(principal.token.complex_id)
        if wanted.complex_id not in (None, own):
            return None
        return AlertFilter(**{**_fields(wanted), "complex_id": own})
    if principal.role == "regulator":
        if not principal.token.jurisdiction:
            return None
        own = jurisdiction_prefix(principal.token.jurisdiction)
        asked = wanted.community_prefix or own
        if not (asked.startswith(own) or own.startswith(asked)):
            return None  # another jurisdiction: nothing of it is visible
        return _with_prefix(wanted, max(asked, own, key=len))
    return wanted  # the operator: the deployment


def _fields(f: AlertFilter) -> dict[str, Any]:
    return {name: getattr(f, name) for name in AlertFilter.__dataclass_fields__}


def _with_prefix(f: AlertFilter, prefix: str) -> AlertFilter:
    return AlertFilter(**{**_fields(f), "community_prefix": prefix})


def encode_cursor(row: AlertRow) -> str:
    return base64.urlsafe_b64encode(f"a1:{row.raised_on}/{row.alert_id}".encode()).decode()


def decode_cursor(cursor: str | None) -> tuple[str, str] | None:
    if cursor is None:
        return None
    try:
        found = CURSOR.match(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        found = None
    if found is None:
        raise InvalidCommand("cursor: not a cursor this service gave out")
    return found.group(1), found.group(2)


@router.get(
    "/v1/alerts",
    summary="Alerts in the caller's scope, newest first, filtered and paginated",
    response_model=AlertsPage,
    responses=problems(),
)
def list_alerts(
    services: ServicesDep,
    principal: PrincipalDep,
    jurisdiction: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
            description="A division code (city, district, street or community); a regulator"
            " narrows within its own jurisdiction",
        ),
    ] = None,
    severity: Annotated[Severity | None, Query(description="Severity")] = None,
    status: Annotated[Status | None, Query(description="Status")] = None,
    rule: Annotated[str | None, Query(pattern=r"^[AB][0-9]{2}$", description="Rule id")] = None,
    complex_id: Annotated[UUID | None, Query(description="One complex")] = None,
    raised_from: Annotated[
        str | None, Query(alias="from", pattern=DATE_PATTERN, description="Raised on or after")
    ] = None,
    raised_to: Annotated[
        str | None, Query(alias="to", pattern=DATE_PATTERN, description="Raised on or before")
    ] = None,
    cursor: Annotated[str | None, Query(max_length=120, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 100,
) -> AlertsPage:
    """The alerts the supervision rules (docs/alerts.md) raised in the caller's scope: a regulator
    its jurisdiction, a committee its complex, the operator all. Filter by place, severity,
    status, rule, complex and day; paginated with `next_cursor`."""
    principal.require_role(READERS)
    wanted = AlertFilter(
        community_prefix=jurisdiction_prefix(jurisdiction) if jurisdiction else None,
        complex_id=str(complex_id) if complex_id else None,
        severity=severity,
        status=status,
        rule=rule,
        raised_from=parse_date(raised_from, "from").isoformat() if raised_from else None,
        raised_to=parse_date(raised_to, "to").isoformat() if raised_to else None,
    )
    after = decode_cursor(cursor)
    narrowed = scoped(principal, wanted)
    if narrowed is None:
        return AlertsPage(items=[], next_cursor=None)
    rows = services.alerts.page(narrowed, after=after, limit=limit + 1)
    page = rows[:limit]
    return AlertsPage(
        items=[alert_public(r) for r in page],
        next_cursor=encode_cursor(page[-1]) if len(rows) > limit else None,
    )


@router.get(
    "/v1/alerts/{alert_id}",
    summary="One alert: its evidence, explanation and history (who, what, when)",
    response_model=AlertDetailPublic,
    responses=problems(),
)
def get_alert(alert_id: UUID, services: ServicesDep, principal: PrincipalDep) -> AlertDetailPublic:
    """The alert with its rule, severity, evidence (the entries and facts that raised it), the
    committee's explanations and every step taken on it, by whom and when."""
    return alert_detail(visible_alert(services, principal, alert_id, READERS))


# --- the lifecycle ---------------------------------------------------------------------


def settle(services: Services) -> None:
    """Wait (bounded) until the supervision read model has applied what was just written."""
    head = services.ledger.recorder.max_notification_id() or 0
    services.supervision_runner.wait_for(head, WAIT_SECONDS)


def read_back(services: Services, alert_id: UUID) -> AlertDetailPublic:
    settle(services)
    row = services.alerts.get(str(alert_id))
    if row is None:  # pragma: no cover - it was there before the write
        raise NotFound(f"alert {alert_id}")
    return alert_detail(row)


@router.post(
    "/v1/alerts/{alert_id}/acknowledgement",
    summary="Take an open alert (regulator)",
    response_model=AlertDetailPublic,
    responses=problems(409),
)
def acknowledge(
    alert_id: UUID,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    body: Annotated[AcknowledgementCreate | None, Body()] = None,
    key: IdempotencyKey = None,
) -> Response:
    """A regulator whose jurisdiction covers the complex takes an open alert, with an optional note;
    the alert is then acknowledged until closed."""
    row = visible_alert(services, principal, alert_id, ("regulator",))
    note = body.note if body else ""

    def run(_: str) -> tuple[int, AlertDetailPublic]:
        return 200, acknowledge_row(services, principal, row, note)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    "/v1/alerts/{alert_id}/closure",
    summary="Close an alert with its outcome (regulator); a confirmed one may suspend payments",
    response_model=AlertDetailPublic,
    responses=problems(409),
)
def close_alert(
    alert_id: UUID,
    body: AlertClosureCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A regulator closes the alert as confirmed, explained or a false positive, with a reason and
    the action taken; a confirmed one may suspend the account's payments in the same step."""
    row = visible_alert(services, principal, alert_id, ("regulator",))

    def run(_: str) -> tuple[int, AlertDetailPublic]:
        return 200, close_row(services, principal, row, body)

    return idempotent(request, services, principal, key, body=body, run=run)


# The commands behind the lifecycle routes, shared with the regulator's desk (its forms,
# api/supervision/desk.py): the caller has checked the alert is visible to ``principal``
# as a regulator (``visible_alert``).


def acknowledge_row(
    services: Services, principal: Principal, row: AlertRow, note: str
) -> AlertDetailPublic:
    alert_id = UUID(row.alert_id)
    services.ledger.acknowledge_alert(alert_id, rule=row.rule, note=note, actor=principal.actor)
    return read_back(services, alert_id)


def close_row(
    services: Services, principal: Principal, row: AlertRow, body: AlertClosureCreate
) -> AlertDetailPublic:
    alert_id = UUID(row.alert_id)
    suspend = (
        (suspendable(row), f"告警 {row.rule} {row.alert_id} 经核实属实：{body.reason}"[:500])
        if body.suspend_payments
        else None
    )
    services.ledger.close_alert(
        alert_id,
        rule=row.rule,
        outcome=body.outcome,
        reason=body.reason,
        action=body.action,
        actor=principal.actor,
        suspend=suspend,
    )  # fmt: skip  (one command: the closure and the suspension commit together)
    return read_back(services, alert_id)


def suspendable(row: AlertRow) -> UUID:
    """The account to suspend from a confirmed alert: its subject (the ledger checks it is open)."""
    if row.subject_kind != "account":
        raise InvalidCommand(
            f"suspend_payments: the subject of alert {row.alert_id} is a {row.subject_kind},"
            " not an account"
        )
    return UUID(row.subject_id)


@router.post(
    "/v1/alerts/{alert_id}/explanations",
    status_code=201,
    summary="Answer an alert with an explanation and evidence (the complex's committee)",
    response_model=AlertDetailPublic,
    responses=problems(409),
)
def explain(
    alert_id: UUID,
    body: ExplanationCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """The complex's committee answers an alert with an explanation and references to its evidence;
    the regulator reads it before closing."""
    row = visible_alert(services, principal, alert_id, ("committee",))

    def run(_: str) -> tuple[int, AlertDetailPublic]:
        services.ledger.explain_alert(
            alert_id, rule=row.rule, complex_id=UUID(row.complex_id), text=body.text,
            evidence=list(body.evidence), actor=principal.actor,
        )  # fmt: skip
        return 201, read_back(services, alert_id)

    return idempotent(request, services, principal, key, body=body, run=run)


# --- snoozes ---------------------------------------------------------------------------


def subject_place(services: Services, subject_id: UUID) -> tuple[str, Place]:
    """What a snooze's subject is (an account, a committee or a complex) and where it lives."""
    for kind, name in ((CommonFundAccount, "account"), (Committee, "committee")):
        try:
            complex_id = services.ledger.complex_of(subject_id, kind)
        except NotFound:
            continue
        return name, place_of(services.ledger, complex_id)
    return "complex", place_of(services.ledger, subject_id)  # 404 when it is none of them


@router.post(
    "/v1/rules/{rule_id}/snoozes",
    status_code=201,
    summary="Snooze a rule for one account or complex, at most 180 days (regulator)",
    response_model=SnoozePublic,
    responses=problems(409),
)
def snooze(
    rule_id: str,
    body: SnoozeCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A regulator silences one rule for one account or complex until a day at most 180 days ahead,
    with a reason; the rule raises nothing there meanwhile and the snooze is on the record."""
    kind, where = subject_place(services, UUID(body.subject_id))
    principal.require(where, ("regulator",))
    if rule_id not in RULES:
        raise HTTPException(404, f"no rule {rule_id[:20]!r} in the catalog")
    subject = str(UUID(body.subject_id))

    def run(_: str) -> tuple[int, SnoozePublic]:
        receipt = services.ledger.snooze_rule(
            rule_id, subject, until=body.until, reason=body.reason, actor=principal.actor
        )
        snoozed = services.ledger.read(UUID(receipt.id), Snooze)
        settle(services)
        return 201, SnoozePublic(
            id=receipt.id, rule=snoozed.rule, subject_kind=kind, subject_id=snoozed.subject,
            until=snoozed.until, reason=body.reason, by=principal.actor.principal,
            version=receipt.version,
        )  # fmt: skip

    return idempotent(request, services, principal, key, body=body, run=run)
