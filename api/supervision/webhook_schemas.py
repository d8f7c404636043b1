"""Request and response bodies of regulators' webhooks (issue #5): subscriptions and deliveries."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator

from api.ports import Failure
from api.schemas import Strict
from api.supervision.schemas import AlertPublic

ID = "0b7d5c3e-9f21-4a86-b3d4-5e6f7a8b9c0d"
DELIVERY = "5d0f8e2a-6c41-5b37-9e18-2a4c6d8e0f13"
ALERT = "3f0c9a55-2b7e-5d1c-9e4a-8b6f0d2c1a77"
WHEN = "2026-11-26T04:00:00+00:00"
Severity = Literal["info", "warning", "high", "critical"]
RuleId = Annotated[
    str, Field(pattern=r"^[AB][0-9]{2}$")
]  # A: the ledger's rules; B: the bank feed's (issue #14)


class WebhookCreate(Strict):
    url: str = Field(
        min_length=8,
        max_length=2000,
        description="Where each alert is POSTed (http or https, no user or password in it)",
        examples=["https://jg.qingdao.example.cn/commonfund/alerts"],
    )
    jurisdiction: str | None = Field(
        default=None,
        pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
        description="Only alerts on complexes inside this division (district, street or"
        " community code), which must lie inside the caller's; default: the caller's own",
        examples=["370202"],
    )
    severities: list[Severity] = Field(
        default_factory=list,
        max_length=4,
        description="Only alerts of these severities; empty: every severity",
        examples=[["high", "critical"]],
    )
    rules: list[RuleId] = Field(
        default_factory=list,
        max_length=50,
        description="Only alerts of these rules; empty: every rule",
        examples=[["A04", "A05"]],
    )

    @field_validator("url")
    @classmethod
    def _deliverable(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("give an http:// or https:// URL with a host")
        if parts.username is not None or parts.password is not None:
            raise ValueError("a URL with a user or password is refused: it would be stored")
        if parts.fragment or any(c.isspace() for c in value):
            raise ValueError("a URL without a fragment or spaces")
        return value


class DeliveryPublic(BaseModel):
    id: str = Field(
        description="Delivery id: the webhook-id header of every attempt (stable)",
        examples=[DELIVERY],
    )
    alert_id: str = Field(description="The alert delivered", examples=[ALERT])
    status: Literal["pending", "delivered", "failed"] = Field(
        description="pending (being retried), delivered (a 2xx answer), failed (gave up)",
        examples=["delivered"],
    )
    attempts: int = Field(description="Attempts made so far", examples=[3])
    created_at: str = Field(description="Enqueued with the alert", examples=[WHEN])
    next_attempt_at: str | None = Field(
        description="When the next attempt is due (pending only)", examples=[None]
    )
    last_attempt_at: str | None = Field(
        description="When the last attempt was made", examples=["2026-11-26T04:00:30+00:00"]
    )
    last_status_code: int | None = Field(
        description="The receiver's last HTTP status (none: no answer)", examples=[200]
    )
    last_error: Failure | None = Field(
        description="What went wrong last time, as a class: timeout, connection_refused,"
        " connection_error, tls_error, dns_failure, address_refused (the host is not public),"
        " https_required, http_status (last_status_code holds the answer)",
        examples=["http_status"],
    )
    delivered_at: str | None = Field(
        description="When a 2xx answer came", examples=["2026-11-26T04:00:30+00:00"]
    )


class DeliveryCounts(BaseModel):
    pending: int = Field(description="Deliveries still being tried", examples=[0])
    delivered: int = Field(description="Deliveries the receiver took", examples=[12])
    failed: int = Field(description="Deliveries given up after a day", examples=[0])
    attempts: int = Field(description="Attempts over all deliveries", examples=[14])


class WebhookPublic(BaseModel):
    id: str = Field(description="Subscription id", examples=[ID])
    url: str = Field(
        description="Where alerts are POSTed", examples=["https://jg.qingdao.example.cn/hook"]
    )
    jurisdiction: str = Field(description="Alerts inside this division only", examples=["370202"])
    severities: list[str] = Field(description="Severities (empty: all)", examples=[["critical"]])
    rules: list[str] = Field(description="Rules (empty: all)", examples=[[]])
    created_by: str = Field(
        description="The token that subscribed", examples=["tok_3f9a1c2b7d4e5f60"]
    )
    created_at: str = Field(description="Subscribed", examples=[WHEN])
    since_position: int = Field(
        description="Ledger position at subscription: only alerts raised later are delivered",
        examples=[1042],
    )
    deliveries: DeliveryCounts = Field(description="Deliveries by status, and attempts")
    last_delivery: DeliveryPublic | None = Field(
        description="The delivery attempted most recently (none yet: null)"
    )


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="The Standard Webhooks signing secret (whsec_ and base64 of 32 random"
        " bytes), for Webhook(secret).verify(body, headers); shown only now",
        examples=["whsec_n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="],
    )


class AlertRaised(BaseModel):
    """The body POSTed to a subscription for each new alert (signed as Standard Webhooks)."""

    type: Literal["alert.raised"] = Field(description="What happened", examples=["alert.raised"])
    delivery_id: str = Field(
        description="The delivery (the webhook-id header: de-duplicate on it)", examples=[DELIVERY]
    )
    subscription_id: str = Field(description="The subscription it matched", examples=[ID])
    alert: AlertPublic = Field(description="The alert, as GET /v1/alerts/{alert_id} answers it")


class WebhookList(BaseModel):
    items: list[WebhookPublic] = Field(description="Subscriptions the caller may see, oldest first")


class DeliveryList(BaseModel):
    items: list[DeliveryPublic] = Field(description="Deliveries, newest alert first")
