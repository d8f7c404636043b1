"""The webhook outbox: a raised alert enqueued for each matching subscription, claimed, settled.

Enqueueing is a hook of the supervision read model (``OnRaise``): it runs in
the batch transaction that writes the alert, so an alert and its deliveries
are stored together or not at all. A delivery's id is uuid5(subscription,
alert) and the outbox is unique on it, so a replay of the log (a rebuild)
never enqueues an alert twice; and only alerts raised by an event after the
subscription (``since_position``) are enqueued, so a rebuild never sends a new
subscriber the alerts of the past.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from api.supervision.schemas import alert_public
from api.supervision.webhook_schemas import AlertRaised
from projections.db import Database, Dialect, Tx
from projections.supervision.queries import raised_row

NAMESPACE = UUID("6b1e3f0a-2c47-4d8e-9a51-0e7c4b2d9f36")
Clock = Callable[[], datetime]


def delivery_id(subscription_id: str, alert_id: str) -> str:
    """The same alert to the same subscription is always the same delivery (Webhook-Id)."""
    return str(uuid5(NAMESPACE, f"{subscription_id}/{alert_id}"))


def stamp(dialect: Dialect, when: datetime) -> Any:
    """A time as stored: timestamptz on PostgreSQL, fixed-width ISO text (sortable) on SQLite."""
    if dialect == "postgres":
        return when
    return when.astimezone(UTC).isoformat(timespec="microseconds")


def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def alert_body(delivery: str, subscription_id: str, alert: dict[str, Any]) -> str:
    """The JSON a receiver gets, fixed at enqueueing so every attempt sends the same bytes: the
    alert in the API's shape (``AlertPublic``), in an ``AlertRaised`` envelope."""
    payload = AlertRaised(
        type="alert.raised",
        delivery_id=delivery,
        subscription_id=subscription_id,
        alert=alert_public(raised_row(alert)),
    ).model_dump(mode="json")
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def matches(alert: dict[str, Any], prefix: str, severities: list[str], rules: list[str]) -> bool:
    return (
        str(alert["community"]).startswith(prefix)
        and (not severities or alert["severity"] in severities)
        and (not rules or alert["rule"] in rules)
    )


class Enqueue:
    """The supervision view's hook: one outbox row per subscription the new alert matches."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def __call__(self, tx: Tx, alert: dict[str, Any]) -> None:
        self.many(tx, [alert])

    def many(self, tx: Tx, alerts: Sequence[dict[str, Any]]) -> None:
        """The alerts one read model batch raised (a clock-rule sweep raises thousands at
        once): the subscriptions are read once per position, the deliveries written together."""
        subscriptions: dict[int, list[tuple[Any, ...]]] = {}
        now = stamp(tx.dialect, self.clock())
        deliveries = []
        for alert in alerts:
            if alert["status"] != "open":
                continue  # a snoozed subject's alerts are recorded, not pushed
            position = alert["position"]
            if position not in subscriptions:
                subscriptions[position] = tx.execute(
                    "SELECT id, community_prefix, severities, rules FROM webhook_subscriptions"
                    " WHERE since_position < ?",
                    (position,),
                )
            for sid, prefix, severities, rules in subscriptions[position]:
                if not matches(alert, str(prefix), json.loads(severities), json.loads(rules)):
                    continue
                identity = delivery_id(str(sid), alert["alert_id"])
                deliveries.append(
                    (
                        identity, str(sid), alert["alert_id"], position,
                        alert_body(identity, str(sid), alert), now, now,
                    )
                )  # fmt: skip
        tx.executemany(
            "INSERT INTO webhook_deliveries (delivery_id, subscription_id, alert_id, position,"
            " body, status, attempts, created_at, next_attempt_at)"
            " VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT (delivery_id) DO NOTHING",
            deliveries,
        )


_DUE = (
    "SELECT d.delivery_id, s.id, s.url, s.secret, d.body, d.attempts, d.created_at"
    " FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id"
    " WHERE d.status = 'pending' AND d.next_attempt_at <= ?"
    " AND (s.leased_until IS NULL OR s.leased_until <= ?)"
    " ORDER BY d.next_attempt_at LIMIT 1"
)

_ANY_DUE = (
    "SELECT 1 FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= ? LIMIT 1"
)


@dataclass(frozen=True, slots=True)
class Due:
    """A delivery claimed for one attempt, with what it takes to sign and send it."""

    delivery_id: str
    subscription_id: str
    url: str
    secret: str
    body: str
    attempts: int
    created_at: datetime
    leased_until: datetime  # the lease on the delivery and its subscription


def claim(database: Database, now: datetime, lease: timedelta) -> Due | None:
    """Take the delivery due first of a subscription with none in flight, and lease both.

    The subscription's lease keeps its other deliveries back meanwhile, so a
    receiver that hangs holds one sender and gets one attempt at a time, while
    other subscriptions' deliveries go out beside it. The rows are locked only
    while they are leased (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write
    lock of ``BEGIN IMMEDIATE`` on SQLite), never during the HTTP request: a
    worker that dies mid-request leaves leases that expire, and the delivery is
    sent again (at least once).
    """
    with database.reading() as tx:  # idle workers look without taking SQLite's write lock
        if not tx.execute(_ANY_DUE, (stamp(tx.dialect, now),)):
            return None
    until = now + lease
    with database.transaction() as tx:
        lock = " FOR UPDATE OF d, s SKIP LOCKED" if tx.dialect == "postgres" else ""
        at = stamp(tx.dialect, now)
        rows = tx.execute(_DUE + lock, (at, at))
        if not rows:
            return None
        identity, sid, url, secret, body, attempts, created = rows[0]
        leased = stamp(tx.dialect, until)
        tx.execute(
            "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE delivery_id = ?",
            (leased, identity),
        )
        tx.execute("UPDATE webhook_subscriptions SET leased_until = ? WHERE id = ?", (leased, sid))
    created_at = parse_time(created)
    assert created_at is not None  # noqa: S101 - NOT NULL column
    return Due(
        str(identity), str(sid), str(url), str(secret), str(body), int(attempts), created_at, until
    )


def settle(
    database: Database,
    due: Due,
    *,
    now: datetime,
    status_code: int | None,
    error: str | None,
    retry_at: datetime | None,
) -> None:
    """Record an attempt: delivered (2xx), retried at ``retry_at``, or failed for good (None).

    The subscription's lease is released if it is still this attempt's (another
    worker may have taken it over after it expired)."""
    delivered = status_code is not None and 200 <= status_code < 300
    status = "delivered" if delivered else ("pending" if retry_at is not None else "failed")
    with database.transaction() as tx:
        at = stamp(tx.dialect, now)
        tx.execute(
            "UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1,"
            " last_attempt_at = ?, last_status_code = ?, last_error = ?, next_attempt_at = ?,"
            " delivered_at = ? WHERE delivery_id = ? AND status = 'pending'",
            (
                status, at, status_code, error,
                stamp(tx.dialect, retry_at) if retry_at is not None else at,
                at if delivered else None, due.delivery_id,
            ),
        )  # fmt: skip
        tx.execute(
            "UPDATE webhook_subscriptions SET leased_until = NULL"
            " WHERE id = ? AND leased_until = ?",
            (due.subscription_id, stamp(tx.dialect, due.leased_until)),
        )
