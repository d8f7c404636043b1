"""The service's Prometheus metrics, defined once; every process that counts imports them here.

Under several uvicorn workers ``PROMETHEUS_MULTIPROC_DIR`` is set before any worker imports
this module (commonfund/serving.py), so each worker writes its counts to its own files and a
scrape (api/observability.py) sums them. Labels are bounded sets: a route template, an event
class, a failure class; never an id.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Histogram

from api.ports import FAILURES

LATENCY = Histogram(
    "commonfund_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status class.",
    ("route", "method", "status"),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

WRITES = Counter(
    "commonfund_writes",
    "Ledger events recorded, by kind (the event's class, e.g. Complex.Registered),"
    " counted once their transaction has committed.",
    ("kind",),
)

DELIVERED = "delivered"
DELIVERY_OUTCOMES = (DELIVERED, *FAILURES)
WEBHOOK_ATTEMPTS = Counter(
    "commonfund_webhook_delivery_attempts",
    "Webhook delivery attempts, by outcome (delivered, or the failure's class),"
    " counted once the attempt's outcome is recorded.",
    ("outcome",),
)
for _outcome in DELIVERY_OUTCOMES:  # every outcome listed from the start, at 0 until it happens
    WEBHOOK_ATTEMPTS.labels(_outcome)


def kind_of(topic: str) -> str:
    """An event's kind from its stored topic ``module:Qualname``: the qualname, which moves
    of modules never change (ledger/topics.py)."""
    return topic.rpartition(":")[2]


def count_writes(topics: Iterable[str]) -> None:
    """One more write of each event's kind: call it after the commit, never before."""
    for topic in topics:
        WRITES.labels(kind_of(topic)).inc()
