"""Regulators' webhooks (issue #5): subscribe an endpoint to alerts, list and remove subscriptions.

A regulator subscribes for a jurisdiction inside its own and sees (and removes)
the subscriptions inside its jurisdiction; the operator sees them all; other
roles get 403. A subscription outside the caller's jurisdiction answers like an
id that names nothing (H15). A URL webhooks may not go to (inside addresses,
plain http where https is required: the ``WebhookTargets`` port) is a 422
naming why. Delivery itself is commonfund/webhooks.py.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError

from api.auth import NOT_VISIBLE, Principal, jurisdiction_prefix
from api.deps import IdempotencyKey, PrincipalDep, Services, ServicesDep
from api.errors_doc import problems
from api.idempotency import idempotent
from api.ports import DeliveryRecord, WebhookRecord
from api.supervision.webhook_schemas import (
    ID,
    DeliveryCounts,
    DeliveryList,
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookList,
    WebhookPublic,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
READERS = ("operator", "regulator")
WebhookId = Annotated[UUID, Path(description="Subscription id", examples=[ID])]


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def delivery_public(d: DeliveryRecord) -> DeliveryPublic:
    return DeliveryPublic(
        id=d.id,
        alert_id=d.alert_id,
        status=d.status,
        attempts=d.attempts,
        created_at=d.created_at.isoformat(),
        next_attempt_at=_time(d.next_attempt_at),
        last_attempt_at=_time(d.last_attempt_at),
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=_time(d.delivered_at),
    )


def webhook_public(w: WebhookRecord) -> WebhookPublic:
    return WebhookPublic(
        id=w.id,
        url=w.url,
        jurisdiction=w.jurisdiction,
        severities=list(w.severities),
        rules=list(w.rules),
        created_by=w.created_by,
        created_at=w.created_at.isoformat(),
        since_position=w.since_position,
        deliveries=DeliveryCounts(**w.counts),
        last_delivery=delivery_public(w.last) if w.last else None,
    )


def scope_of(principal: Principal) -> str | None:
    """The code prefix of what the caller may see: None for the operator (everything)."""
    principal.require_role(READERS)
    if principal.role == "operator":
        return None
    if not principal.token.jurisdiction:
        raise HTTPException(403, "this regulator token names no jurisdiction (H15)")
    return jurisdiction_prefix(principal.token.jurisdiction)


def visible(services: Services, principal: Principal, webhook_id: UUID) -> WebhookRecord:
    scope = scope_of(principal)
    record = services.webhooks.subscription(str(webhook_id))
    if record is None or not jurisdiction_prefix(record.jurisdiction).startswith(scope or ""):
        raise HTTPException(404, NOT_VISIBLE)
    return record


@router.post(
    "",
    status_code=201,
    summary="Subscribe an endpoint to alerts (the signing secret is shown once)",
    response_model=WebhookCreated,
    responses=problems(409),
)
def subscribe(
    body: WebhookCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """With an ``Idempotency-Key`` a retry gets the first answer byte for byte, the secret
    included (it is kept with the key in ``api_idempotency``), and no second subscription."""
    principal.require_role(("regulator",))
    own = scope_of(principal) or ""
    jurisdiction = body.jurisdiction or principal.token.jurisdiction or ""
    prefix = jurisdiction_prefix(jurisdiction)
    if not prefix.startswith(own):
        raise HTTPException(403, f"{jurisdiction} is outside this regulator's jurisdiction (H15)")

    def run(_: str) -> tuple[int, WebhookCreated]:
        refusal = services.webhook_targets.refusal(body.url)
        if (
            refusal is not None
        ):  # a port scanner otherwise (issue #12): a field error, like the rest
            raise RequestValidationError(
                [{"loc": ("body", "url"), "msg": refusal, "type": "value_error.url_refused"}]
            )
        secret, record = services.webhooks.subscribe(
            url=body.url,
            jurisdiction=jurisdiction,
            community_prefix=prefix,
            severities=tuple(dict.fromkeys(body.severities)),
            rules=tuple(dict.fromkeys(body.rules)),
            created_by=principal.token.id,
            since_position=services.ledger.recorder.max_notification_id() or 0,
            now=services.now(),
        )
        return 201, WebhookCreated(**webhook_public(record).model_dump(), secret=secret)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "",
    summary="List webhook subscriptions with their delivery status",
    response_model=WebhookList,
    responses=problems(),
)
def list_webhooks(services: ServicesDep, principal: PrincipalDep) -> WebhookList:
    """The subscriptions in the caller's scope (a regulator those of its jurisdiction, the operator
    all), with the URL, the alerts they receive and how their deliveries are going."""
    records = services.webhooks.subscriptions(scope_of(principal))
    return WebhookList(items=[webhook_public(r) for r in records])


@router.get(
    "/{webhook_id}/deliveries",
    summary="A subscription's deliveries: status, attempts, last answer, next attempt",
    response_model=DeliveryList,
    responses=problems(),
)
def deliveries(
    webhook_id: WebhookId,
    services: ServicesDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many")] = 100,
) -> DeliveryList:
    """The most recent deliveries of a subscription: each alert sent, its status, attempts, the
    receiver's last answer and the next attempt."""
    record = visible(services, principal, webhook_id)
    found = services.webhooks.deliveries(record.id, limit)
    return DeliveryList(items=[delivery_public(d) for d in found])


@router.delete(
    "/{webhook_id}",
    summary="Remove a subscription (its pending deliveries are dropped)",
    response_model=WebhookPublic,
    responses=problems(),
)
def unsubscribe(
    webhook_id: WebhookId, services: ServicesDep, principal: PrincipalDep
) -> WebhookPublic:
    """A regulator removes its subscription; deliveries not yet made are dropped."""
    principal.require_role(("regulator",))
    visible(services, principal, webhook_id)
    record = services.webhooks.unsubscribe(str(webhook_id))
    if record is None:
        raise HTTPException(404, NOT_VISIBLE)
    return webhook_public(record)
