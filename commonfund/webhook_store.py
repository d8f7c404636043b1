"""SQL adapter behind api.ports.WebhookStore: regulators' subscriptions and how their deliveries stand."""

from __future__ import annotations

import json
import secrets
from datetime import datetime
from typing import Any
from uuid import uuid4

from api.ports import DeliveryRecord, WebhookRecord
from commonfund.outbox import parse_time, stamp
from commonfund.webhook_http import failure_of
from commonfund.webhooks import whsec
from projections.db import Database, Tx

_SUBSCRIPTION = (
    "SELECT id, url, jurisdiction, severities, rules, created_by, created_at, since_position"
    " FROM webhook_subscriptions"
)
_DELIVERY = (
    "SELECT delivery_id, alert_id, status, attempts, created_at, next_attempt_at,"
    " last_attempt_at, last_status_code, last_error, delivered_at FROM webhook_deliveries"
)


def _delivery(row: tuple[Any, ...]) -> DeliveryRecord:
    created = parse_time(row[4])
    assert created is not None  # noqa: S101 - NOT NULL column
    return DeliveryRecord(
        id=str(row[0]),
        alert_id=str(row[1]),
        status=row[2],
        attempts=int(row[3]),
        created_at=created,
        next_attempt_at=parse_time(row[5]) if row[2] == "pending" else None,
        last_attempt_at=parse_time(row[6]),
        last_status_code=None if row[7] is None else int(row[7]),
        last_error=failure_of(row[8]),  # a class, never an exception's text
        delivered_at=parse_time(row[9]),
    )


class SqlWebhooks:
    """Subscriptions on the ledger's database (the outbox's own tables, migrations/0006)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def close(self) -> None:
        self.database.close()

    def _record(self, tx: Tx, row: tuple[Any, ...]) -> WebhookRecord:
        sid = str(row[0])
        counts = {"pending": 0, "delivered": 0, "failed": 0, "attempts": 0}
        for status, count, attempts in tx.execute(
            "SELECT status, COUNT(*), COALESCE(SUM(attempts), 0) FROM webhook_deliveries"
            " WHERE subscription_id = ? GROUP BY status",
            (sid,),
        ):
            counts[str(status)] = int(count)
            counts["attempts"] += int(attempts)
        last = tx.execute(
            f"{_DELIVERY} WHERE subscription_id = ? AND last_attempt_at IS NOT NULL"
            " ORDER BY last_attempt_at DESC, delivery_id LIMIT 1",
            (sid,),
        )
        created = parse_time(row[6])
        assert created is not None  # noqa: S101 - NOT NULL column
        return WebhookRecord(
            id=sid,
            url=str(row[1]),
            jurisdiction=str(row[2]),
            severities=tuple(json.loads(row[3])),
            rules=tuple(json.loads(row[4])),
            created_by=str(row[5]),
            created_at=created,
            since_position=int(row[7]),
            counts=counts,
            last=_delivery(last[0]) if last else None,
        )

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
        secret = secrets.token_bytes(32).hex()
        sid = str(uuid4())
        with self.database.transaction() as tx:
            tx.execute(
                "INSERT INTO webhook_subscriptions (id, url, secret, jurisdiction, community_prefix,"
                " severities, rules, created_by, created_at, since_position)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    sid, url, secret, jurisdiction, community_prefix, json.dumps(list(severities)),
                    json.dumps(list(rules)), created_by, stamp(tx.dialect, now), since_position,
                ),
            )  # fmt: skip
            record = self._record(tx, tx.execute(f"{_SUBSCRIPTION} WHERE id = ?", (sid,))[0])
        return whsec(secret), record  # shown once, in the form receivers verify with

    def subscriptions(self, community_prefix: str | None) -> list[WebhookRecord]:
        where, params = ("", ()) if community_prefix is None else (
            " WHERE community_prefix LIKE ?", (f"{community_prefix}%",)
        )  # fmt: skip
        with self.database.reading() as tx:
            rows = tx.execute(f"{_SUBSCRIPTION}{where} ORDER BY created_at, id", params)
            return [self._record(tx, row) for row in rows]

    def subscription(self, webhook_id: str) -> WebhookRecord | None:
        with self.database.reading() as tx:
            rows = tx.execute(f"{_SUBSCRIPTION} WHERE id = ?", (webhook_id,))
            return self._record(tx, rows[0]) if rows else None

    def unsubscribe(self, webhook_id: str) -> WebhookRecord | None:
        with self.database.transaction() as tx:
            rows = tx.execute(f"{_SUBSCRIPTION} WHERE id = ?", (webhook_id,))
            if not rows:
                return None
            record = self._record(tx, rows[0])
            tx.execute("DELETE FROM webhook_deliveries WHERE subscription_id = ?", (webhook_id,))
            tx.execute("DELETE FROM webhook_subscriptions WHERE id = ?", (webhook_id,))
        return record

    def deliveries(self, webhook_id: str, limit: int) -> list[DeliveryRecord]:
        with self.database.reading() as tx:
            rows = tx.execute(
                f"{_DELIVERY} WHERE subscription_id = ? ORDER BY position DESC, delivery_id"
                " LIMIT ?",
                (webhook_id, limit),
            )
        return [_delivery(row) for row in rows]
