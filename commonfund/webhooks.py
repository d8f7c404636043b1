"""Webhook delivery: sign each outbox row, POST it, retry with back-off for a day (at least once).

Signed exactly as Standard Webhooks (standardwebhooks.com) defines it, with its
reference library, so a receiver verifies with standard code: every attempt
carries the same ``webhook-id`` (the delivery id) and body, a fresh
``webhook-timestamp`` (unix seconds) and ``webhook-signature: v1,<base64>``,
the HMAC-SHA256 of ``"<id>.<timestamp>.<body>"`` keyed with the subscription's
32 secret bytes, shown to the regulator as ``whsec_<base64>``. A receiver
rejects old timestamps (a replayed request) and de-duplicates on the id
(docs/operations.md, "Webhooks").
"""

from __future__ import annotations

import base64
import logging
import random
import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from standardwebhooks import Webhook

from api.metrics import DELIVERED, WEBHOOK_ATTEMPTS
from commonfund.outbox import Clock, Due, claim, settle
from commonfund.webhook_http import Outcome, post
from commonfund.webhook_targets import TargetRefused, Targets
from projections.db import Database

log = logging.getLogger("commonfund.webhooks")
USER_AGENT = "commonfund-webhooks/1"


SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret


def whsec(secret: str) -> str:
    """A subscription's secret in Standard Webhooks' form: ``whsec_`` and base64 of its bytes.

    Secrets are stored as 64 hex digits (subscriptions made before the Standard
    Webhooks signature hold those); the same 32 bytes sign in either spelling.
    """
    if secret.startswith(SECRET_PREFIX):
        return secret
    return SECRET_PREFIX + base64.b64encode(bytes.fromhex(secret)).decode()


def sign(secret: str, delivery_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header: ``v1,`` and the base64 HMAC of "<id>.<timestamp>.<body>"."""
    return Webhook(whsec(secret)).sign(delivery_id, datetime.fromtimestamp(timestamp, UTC), body)


def backoff(attempts: int, base: float, cap: float, jitter: Callable[[], float]) -> float:
    """Seconds before the next attempt: base doubling per attempt, capped, with equal jitter."""
    delay = min(cap, base * 2.0 ** max(0, attempts - 1))
    return delay / 2 + jitter() * delay / 2


@dataclass(frozen=True, slots=True)
class Retry:
    """How hard to try: back-off base and cap, for how long, per-request timeout, lease."""

    base_seconds: float = 10.0
    cap_seconds: float = 3600.0
    window: timedelta = timedelta(hours=24)
    timeout_seconds: float = 10.0

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_seconds + 30)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Deliverer:
    """The background worker: a few senders, each attempting one due delivery at a time."""

    name = "webhooks"

    def __init__(
        self,
        database: Database,
        retry: Retry,
        *,
        poll_seconds: float = 1.0,
        targets: Targets | None = None,
        clock: Clock = utcnow,
        jitter: Callable[[], float] = random.random,
        tls: ssl.SSLContext | None = None,
        senders: int = 4,
    ) -> None:
        self.database = database
        self.retry = retry
        self.targets = targets or Targets()  # checked again at every attempt
        self.tls = tls or ssl.create_default_context()
        self.poll_seconds = poll_seconds
        self.clock = clock
        self.jitter = jitter
        self.senders = senders

    def attempt(self, due: Due) -> bool:
        """One attempt at one delivery; True if the receiver took it."""
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": due.delivery_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(due.secret, due.delivery_id, timestamp, due.body),
        }
        outcome = self.send(due.url, due.body.encode(), headers)
        now = self.clock()
        retry_at: datetime | None = None
        deadline = due.created_at + self.retry.window
        if not outcome.delivered and now < deadline:
            pause = backoff(
                due.attempts + 1, self.retry.base_seconds, self.retry.cap_seconds, self.jitter
            )
            retry_at = min(now + timedelta(seconds=pause), deadline)
        settle(
            self.database,
            due,
            now=now,
            status_code=outcome.status,
            error=outcome.failure,
            retry_at=retry_at,
        )
        WEBHOOK_ATTEMPTS.labels(outcome.failure or DELIVERED).inc()  # once its outcome is stored
        if not outcome.delivered:
            log.info(
                "webhook %s: attempt %d failed: %s (%s)",
                due.delivery_id,
                due.attempts + 1,
                outcome.failure,
                outcome.detail,
            )
        return outcome.delivered

    def send(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        """Check the URL again (its host may resolve elsewhere now), then POST to that address."""
        try:
            target = self.targets.target(url)
        except TargetRefused as refused:
            return Outcome(None, refused.failure, refused.reason)
        return post(target, body, headers, self.retry.timeout_seconds, self.tls)

    def deliver_due(self, limit: int = 100) -> int:
        """Attempt the deliveries due now one after another (at most ``limit``); how many."""
        done = 0
        while done < limit:
            due = claim(self.database, self.clock(), self.retry.lease)
            if due is None:
                break
            self.attempt(due)
            done += 1
        return done

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop``, ``senders`` attempts at once; safe beside other workers.

        A sender that waits on a slow receiver holds only its own attempt: the
        others take the next due deliveries, and the subscription's lease keeps
        that receiver from getting a second attempt meanwhile (outbox.claim).
        """
        free = threading.BoundedSemaphore(self.senders)
        with ThreadPoolExecutor(self.senders, thread_name_prefix="webhooks-send") as pool:
            while not stop.is_set():
                if not free.acquire(timeout=self.poll_seconds):
                    continue  # every sender is busy
                try:
                    due = claim(self.database, self.clock(), self.retry.lease)
                except Exception:
                    free.release()
                    log.exception("webhooks: claiming a delivery failed; retrying")
                    stop.wait(1.0)
                    continue
                if due is None:
                    free.release()
                    stop.wait(self.poll_seconds)
                    continue
                pool.submit(self._send_and_free, due, free)
        # leaving the pool waits for the attempts in flight, each bounded by the timeout

    def _send_and_free(self, due: Due, free: threading.BoundedSemaphore) -> None:
        try:
            self.attempt(due)
        except Exception:  # the lease expires and the delivery is tried again
            log.exception("webhook %s: attempt failed unrecorded; retried", due.delivery_id)
        finally:
            free.release()

    def close(self) -> None:
        self.database.close()
