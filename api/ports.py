"""What the HTTP edge needs from outside: credentials, idempotency records, webhooks (implemented in commonfund/)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, get_args
from uuid import UUID

ROLES = ("operator", "committee", "owner", "regulator", "bank")


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A credential as stored: never the token itself, only its hash (kept by the store)."""

    id: str
    role: str
    complex_id: UUID | None
    member_id: str | None
    owner_key: str | None
    jurisdiction: str | None
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    bank_code: str | None = None  # a bank token's bank (H15: the accounts it holds)


class TokenStore(Protocol):
    def issue(
        self,
        *,
        role: str,
        complex_id: UUID | None,
        member_id: str | None,
        owner_key: str | None,
        jurisdiction: str | None,
        expires_at: datetime,
        label: str,
        now: datetime,
        bank_code: str | None = None,
    ) -> tuple[str, TokenRecord]:
        """Store a new token; return the secret (shown once) and its record."""
        ...

    def revoke(self, token_id: str, now: datetime) -> TokenRecord | None: ...

    def find(self, secret: str) -> TokenRecord | None: ...

    def get(self, token_id: str) -> TokenRecord | None: ...

    def issue_codes(
        self,
        complex_id: UUID,
        owner_keys: Sequence[str],
        *,
        ballot_id: UUID | None,
        expires_at: datetime,
        label: str,
        now: datetime,
    ) -> list[str]:
        """One-time codes, one per owner key, each exchanged once for an owner token (issue #16)."""
        ...

    def redeem_code(
        self, code: str, *, now: datetime, token_expires_at: datetime
    ) -> tuple[str, TokenRecord] | None:
        """Spend the code: its owner token, or None for an unknown, used or expired code."""
        ...


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming an idempotency key for a request."""

    state: Literal["new", "replay", "mismatch", "in_progress"]
    response: StoredResponse | None = None


@dataclass(frozen=True, slots=True)
class StoredAnswer:
    """A request's answer, recorded by the event store in the transaction of its events
    (commonfund/recorders.py): a crash leaves both or neither (issue #15)."""

    scope: str
    key: str
    request_hash: str
    response: StoredResponse
    at: datetime


class AnswerTaken(Exception):
    """Another request stored its answer under this key first: nothing of this one was recorded."""


class IdempotencyStore(Protocol):
    def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> Claim: ...

    def complete(
        self, scope: str, key: str, response: StoredResponse, now: datetime
    ) -> StoredResponse | None:
        """Store the key's response unless one is stored already: None when this one was
        stored, else the one that was (a rerun of the same request got there first)."""
        ...

    def release(self, scope: str, key: str) -> None: ...

    def lookup(self, scope: str, key: str, request_hash: str, now: datetime) -> Claim:
        """What the key holds, without claiming it: "new" (nothing, or an abandoned claim, now
        released), "replay", "mismatch" or "in_progress" (a claim of an older version's)."""
        ...

    def keep(
        self, scope: str, key: str, request_hash: str, response: StoredResponse, now: datetime
    ) -> StoredResponse | None:
        """Store an answer that no events carry; None when stored, else the one stored first."""
        ...


# What went wrong with a delivery's last attempt, as a class: never an exception's text or an
# address, which would tell a regulator what answers where (docs/operations.md, "Webhooks")
Failure = Literal[
    "timeout",  # no answer within COMMONFUND_WEBHOOK_TIMEOUT_SECONDS
    "connection_refused",  # nothing listens at the address
    "connection_error",  # unreachable, reset, closed early, or not an HTTP answer
    "tls_error",  # no TLS, or a certificate that is not valid for the name
    "dns_failure",  # the name does not resolve
    "address_refused",  # the URL's host is not public, nor allowed by the operator
    "https_required",  # a plain http URL where https is required
    "http_status",  # an answer other than 2xx, redirects too (last_status_code holds it)
]
FAILURES: tuple[Failure, ...] = get_args(Failure)


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    """One alert sent (or being sent) to one webhook: the outbox row as the API shows it."""

    id: str  # stable: the Webhook-Id header of every attempt
    alert_id: str
    status: Literal["pending", "delivered", "failed"]
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None  # None once delivered or failed
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: Failure | None
    delivered_at: datetime | None


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    """A regulator's webhook subscription (never its secret) and how its deliveries stand."""

    id: str
    url: str
    jurisdiction: str
    severities: tuple[str, ...]  # empty: every severity
    rules: tuple[str, ...]  # empty: every rule
    created_by: str
    created_at: datetime
    since_position: int
    counts: dict[str, int]  # deliveries by status: pending, delivered, failed
    last: DeliveryRecord | None  # the delivery attempted most recently


class WebhookStore(Protocol):
    def subscribe(
        self,
        *,
        url: str,
        jurisdiction: str,
        community_prefix: str,
        severities: tuple[str, ...],
        rules: tuple[str, ...],
        created_by: str,
        since_position: int,
        now: datetime,
    ) -> tuple[str, WebhookRecord]:
        """Store a new subscription; return its signing secret (shown once) and its record."""
        ...

    def subscriptions(self, community_prefix: str | None) -> list[WebhookRecord]:
        """Subscriptions inside a jurisdiction (a code prefix), or all of them (None)."""
        ...

    def subscription(self, webhook_id: str) -> WebhookRecord | None: ...

    def unsubscribe(self, webhook_id: str) -> WebhookRecord | None:
        """Remove a subscription and its deliveries; the record as it was, or None."""
        ...

    def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryRecord]:
        """The subscription's deliveries, newest first."""
        ...


class WebhookTargets(Protocol):
    """Where webhooks may be sent (the operator's policy: public addresses, https)."""

    def refusal(self, url: str) -> str | None:
        """Why webhooks are never sent to ``url`` (a sentence), or None if it may be subscribed."""
        ...


class Worker(Protocol):
    """Background work a serving process runs until stopped (webhook delivery)."""

    name: str

    def run(self, stop: threading.Event) -> None: ...

    def close(self) -> None: ...
