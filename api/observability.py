"""Request ids, request metrics and ``/metrics`` (issue #17): what an operator sees of the edge.

Every response carries ``X-Request-ID``: a proxy's id if it is sane (at most 64 characters
of ``[A-Za-z0-9._-]``), else a new one. It is in a context variable for the request, so
problem+json bodies (api/problems.py) and log lines (commonfund/logs.py) carry it too.

Latency is a histogram by route *template* (``/v1/accounts/{account_id}/income``, never the
raw path, which would carry ids and grow without bound), method and status class. Under
several uvicorn workers ``PROMETHEUS_MULTIPROC_DIR`` is set by ``commonfund serve`` and a
scrape sums every worker's files (prometheus_client's multiprocess mode). The metrics
themselves are defined in api/metrics.py, with the writes and webhook attempts counted
elsewhere (commonfund/recorders.py, commonfund/webhooks.py).
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import request_id
from api.deps import PrincipalDep, Services
from api.errors_doc import problems
from api.metrics import LATENCY

SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
HEADER = b"x-request-id"


def incoming_id(value: bytes | None) -> str:
    """The proxy's id when it is sane, else a new one: never an unbounded or odd header."""
    if value is not None:
        text = value.decode("latin-1")
        if SANE_ID.fullmatch(text):
            return text
    return uuid.uuid4().hex


class RequestContext:
    """Pure ASGI middleware (no BaseHTTPMiddleware task group, architecture.md): id and timing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = incoming_id(dict(scope["headers"]).get(HEADER))
        token = request_id.set(rid)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message["headers"] = [*headers, (HEADER, rid.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            template = getattr(route, "path_format", None) or "unmatched"
            LATENCY.labels(template, scope["method"], f"{status // 100}xx").observe(
                time.perf_counter() - started
            )
            request_id.reset(token)


class ReadModels(Collector):
    """Gauges read at scrape time from this process's services: lag and open alerts."""

    def __init__(self, services: Callable[[], Services | None]) -> None:
        self.services = services

    def collect(self) -> Iterable[GaugeMetricFamily]:
        from projections.supervision.queries import open_by_severity  # noqa: PLC0415

        services = self.services()
        if services is None:
            return
        events = GaugeMetricFamily(
            "commonfund_projection_lag_events",
            "Ledger events a read model has not yet applied.",
            labels=["read_model"],
        )
        seconds = GaugeMetricFamily(
            "commonfund_projection_lag_seconds",
            "Age of the oldest ledger event a read model has not yet applied.",
            labels=["read_model"],
        )
        for runner in services.runners:
            lag = runner.lag()
            events.add_metric([runner.view.name], lag.events)
            seconds.add_metric([runner.view.name], lag.seconds)
        alerts = GaugeMetricFamily(
            "commonfund_alerts_open",
            "Alerts not closed, by severity (the supervision read model).",
            labels=["severity"],
        )
        for severity, count in sorted(open_by_severity(services.alerts).items()):
            alerts.add_metric([severity], count)
        yield from (events, seconds, alerts)


def registry(services: Callable[[], Services | None]) -> CollectorRegistry:
    """One worker's own registry, or every worker's files under multiprocess mode."""
    found = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(found)  # type: ignore[no-untyped-call]
    else:
        from prometheus_client import REGISTRY  # noqa: PLC0415

        found.register(_Forward(REGISTRY))
    found.register(ReadModels(services))
    return found


class _Forward(Collector):
    def __init__(self, source: CollectorRegistry) -> None:
        self.source = source

    def collect(self) -> Iterable[Any]:
        return self.source.collect()


router = APIRouter(tags=["health"])


@router.get(
    "/metrics",
    summary="Prometheus metrics (operator token)",
    response_class=Response,
    responses={**problems(), 200: {"content": {CONTENT_TYPE_LATEST: {}}}},
)
def metrics(request: Request, principal: PrincipalDep) -> Response:
    """Counts and timings only, no ids or names: still the operator's, as /v1/admin is."""
    principal.require_role(("operator",))
    found = registry(lambda: getattr(request.app.state, "services", None))
    return Response(generate_latest(found), media_type=CONTENT_TYPE_LATEST)
