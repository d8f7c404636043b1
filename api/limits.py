"""Request bodies within limits, and a problem for anything unhandled: plain ASGI middleware.

Plain ASGI, not ``@app.middleware("http")``: Starlette's ``BaseHTTPMiddleware`` runs
every request in a task group and passes every response through a memory stream,
which cost the public statement (~95 KB gzipped) and even ``/healthz`` a good part of
their time under 16 readers (docs/benchmarks.md, issue #4). Here a request that is
not a POST/PUT/PATCH passes straight through; a body is read once (to refuse one over
1 MiB even when it came chunked, with no Content-Length) and replayed to the app.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi.responses import Response

from api import problems

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger("commonfund.api")
MAX_BODY = 1024 * 1024  # 1 MiB (spec/api.md: 413 above)
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
CSV_BODIES = ("/units", "/maintenance-fund/deposits")  # bodies that may come as CSV
# HTML forms: the regulator's login and desk actions, the owners' sign-in (issue #17)
FORMS_UNDER = ("/regulator/", "/owner/")
FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded",)
BALLOT_FORMS = (
    "/session",
    "/vote",
    "/logout",
)  # the ballots' pages' forms, /ballots/{id}/… (issue #16)
# A bank file comes as itself (issue #14): camt.053 XML or a CSV export, up to 20 MB by default
BANK_BODIES = "/bank-statements"
BANK_MEDIA_TYPES = ("application/xml", "text/xml", "text/csv")
MAX_BANK_BODY = 20 * 1024 * 1024


class Limits:
    def __init__(self, app: ASGIApp, *, max_bank_body: int = MAX_BANK_BODY) -> None:
        self.app = app
        self.max_bank_body = max_bank_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if scope["method"] in BODY_METHODS:
            limit = self.max_bank_body if path.endswith(BANK_BODIES) else MAX_BODY
            refused, receive = await _checked_body(scope, receive, path, limit)
            if refused is not None:
                await refused(scope, receive, send)
                return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception:
            log.exception("unhandled error on %s %s", scope["method"], path)
            if started:  # too late for a problem: the client sees the connection drop
                raise
            failure = problems.problem("internal-error", "the service failed; retry", instance=path)
            await failure(scope, receive, send)


async def _checked_body(
    scope: Scope, receive: Receive, path: str, limit: int = MAX_BODY
) -> tuple[Response | None, Receive]:
    """A problem if the body is refused (size, media type), else a receive that replays it."""
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
    length = headers.get("content-length")
    if length is not None and (not length.isdigit() or int(length) > limit):
        return _too_large(path, limit), receive
    content_type = media_type(headers.get("content-type", ""))
    forms = path.startswith(FORMS_UNDER) or (
        path.startswith("/ballots/") and path.endswith(BALLOT_FORMS)
    )
    allowed = (FORM_MEDIA_TYPES if forms else ()) or (
        BANK_MEDIA_TYPES
        if path.endswith(BANK_BODIES)
        else ("application/json", "text/csv")
        if path.endswith(CSV_BODIES)
        else ("application/json",)
    )
    if content_type and content_type not in allowed:
        return problems.problem(
            "unsupported-media-type",
            f"{content_type} is not accepted here; send {' or '.join(allowed)}",
            instance=path,
        ), receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None, _replay([message])
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return _too_large(path, limit), receive
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    # Judged on what came, not on Content-Length: a chunked body has none, and FastAPI
    # would take an untyped body for no body at all (422 instead of 415).
    if size and not content_type:
        return problems.problem(
            "unsupported-media-type",
            "a request body needs a Content-Type; send application/json",
            instance=path,
        ), receive
    return None, _replay([{"type": "http.request", "body": b"".join(chunks), "more_body": False}])


def media_type(content_type: str) -> str:
    """The type/subtype of a Content-Type, lower case (RFC 9110 8.3.1), without parameters."""
    return content_type.split(";", maxsplit=1)[0].strip().lower()


def _replay(messages: list[Message]) -> Receive:
    pending = list(messages)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}

    return receive


def _too_large(path: str, limit: int = MAX_BODY) -> Response:
    size = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit} bytes"
    return problems.problem(
        "body-too-large", f"a request body here is at most {size}", instance=path
    )
