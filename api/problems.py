"""problem+json (RFC 9457) for every error, one stable type per kind, each a page (api/problem_pages.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from api.context import request_id
from ledger import errors as ledger_errors
from ledger.errors import LedgerError

log = logging.getLogger("commonfund.api")
MEDIA_TYPE = "application/problem+json"
STATUS_BY_KIND = {
    "invalid": 422, "not_found": 404, "conflict": 409, "refused": 422, "forbidden": 403,
}  # fmt: skip
# What a refusal may carry besides its message, as members of the problem (RFC 9457
# extensions): H03 on the maintenance fund lists the units that fall short.
EXTENSIONS = ("shortfalls", "where", "reason")  # reason, where: a refused bank file (issue #14)


@dataclass(frozen=True, slots=True)
class ProblemType:
    slug: str
    title: str
    status: int
    description: str
    rule: str | None = None  # the hard rule (H01–H15) that refuses with it


def _ledger_types() -> dict[str, ProblemType]:
    found: dict[str, ProblemType] = {}
    for value in vars(ledger_errors).values():
        if isinstance(value, type) and issubclass(value, LedgerError):
            rule = f" ({value.rule})" if value.rule else ""
            found[value.problem] = ProblemType(
                slug=value.problem,
                title=_title(value.problem) + rule,
                status=STATUS_BY_KIND[value.kind],
                description=(value.__doc__ or "").strip(),
                rule=value.rule or None,
            )
    return found


def _title(slug: str) -> str:
    return slug.replace("-", " ").capitalize()


EDGE_TYPES = {
    t.slug: t
    for t in (
        ProblemType(
            "validation-error",
            "Invalid request",
            422,
            "A field is missing, of the wrong type or format, or not allowed. `errors`"
            " names each field by its path.",
        ),
        ProblemType(
            "unauthenticated",
            "No valid credentials",
            401,
            "Send `Authorization: Bearer <token>` with a token that is neither expired"
            " nor revoked.",
        ),
        ProblemType(
            "forbidden",
            "Not allowed for this role",
            403,
            "The credentials are valid but their role may not do this here (H15).",
        ),
        ProblemType(
            "not-found",
            "Not found",
            404,
            "Nothing of that id exists that these credentials may see.",
        ),
        ProblemType(
            "method-not-allowed", "Method not allowed", 405, "The path does not take this method."
        ),
        ProblemType(
            "body-too-large", "Request body too large", 413, "A request body is at most 1 MiB."
        ),
        ProblemType(
            "unsupported-media-type",
            "Unsupported media type",
            415,
            "Send JSON (`Content-Type: application/json`).",
        ),
        ProblemType(
            "idempotency-key-required",
            "Idempotency-Key required",
            428,
            "Every request that moves money carries an `Idempotency-Key` header.",
        ),
        ProblemType(
            "request-in-progress",
            "Same request in progress",
            409,
            "A request with this Idempotency-Key is still being processed; retry shortly.",
        ),
        ProblemType(
            "rate-limited",
            "Too many requests",
            429,
            "Too many failed authentications from this address, or too many writes with this"
            " token, in a short time. Nothing was done: wait the seconds `Retry-After` gives,"
            " then retry.",
        ),
        ProblemType(
            "catching-up",
            "Read models catching up",
            503,
            "The statements have not yet applied the latest ledger events; retry in a few"
            " seconds. Nothing was recorded.",
        ),
        ProblemType(
            "service-unavailable",
            "Service unavailable",
            503,
            "The database could not be reached. Retry after the seconds in `Retry-After`, with"
            " the same Idempotency-Key: a write that did go through is answered as it was"
            " recorded, never made twice.",
        ),
        ProblemType(
            "internal-error",
            "Internal error",
            500,
            "The service failed; nothing was recorded twice. Retry, and report it if it persists.",
        ),
    )
}
PROBLEM_TYPES: dict[str, ProblemType] = {**_ledger_types(), **EDGE_TYPES}


def problem(
    slug: str,
    detail: str,
    *,
    status: int | None = None,
    instance: str | None = None,
    retry_after: int = 1,
    **extra: Any,
) -> JSONResponse:
    kind = PROBLEM_TYPES.get(slug) or PROBLEM_TYPES["internal-error"]
    body: dict[str, Any] = {
        "type": f"/problems/{kind.slug}",
        "title": kind.title,
        "status": status or kind.status,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    rid = request_id.get()
    if rid is not None:  # the id the response's X-Request-ID carries, to quote (issue #17)
        body["request_id"] = rid
    body.update({k: v for k, v in extra.items() if v is not None})
    headers = {"Retry-After": str(retry_after)} if extra.get("retryable") else None
    return JSONResponse(body, status_code=body["status"], media_type=MEDIA_TYPE, headers=headers)


def from_ledger_error(error: LedgerError, instance: str) -> JSONResponse:
    extra: dict[str, Any] = dict(getattr(error, "extra", None) or {})
    for name in EXTENSIONS:
        value = getattr(error, name, None)
        if value is not None:
            extra.setdefault(name, value)
    return problem(
        error.problem,
        error.detail,
        instance=instance,
        rule=error.rule,
        retryable=True if getattr(error, "retryable", False) else None,
        **extra,
    )


OUTAGE_RETRY_AFTER_SECONDS = 2  # a restarted PostgreSQL takes a second or two to answer again


def install(app: FastAPI, outages: tuple[type[Exception], ...] = ()) -> None:
    """Map every error to problem+json, once (the type pages are api/problem_pages.py).

    ``outages``: the errors that mean the database could not be reached (the composition
    root knows the drivers'); they answer 503, retryable, with ``Retry-After``.
    """

    def outage(request: Request, error: Exception) -> Response:
        log.warning(
            "database unavailable on %s %s: %s", request.method, request.url.path,
            type(error).__name__,
        )  # fmt: skip
        return problem(
            "service-unavailable",
            "the database could not be reached; retry with the same Idempotency-Key",
            instance=request.url.path,
            retryable=True,
            retry_after=OUTAGE_RETRY_AFTER_SECONDS,
        )

    for kind in outages:
        app.add_exception_handler(kind, outage)

    @app.exception_handler(LedgerError)
    def ledger_error(request: Request, error: LedgerError) -> Response:
        return from_ledger_error(error, request.url.path)

    @app.exception_handler(RequestValidationError)
    def validation_error(request: Request, error: RequestValidationError) -> Response:
        fields = [
            {
                "field": ".".join(str(p) for p in item.get("loc", ())),
                "message": str(item.get("msg", "invalid")),
            }
            for item in error.errors()
        ]
        names = ", ".join(f["field"] for f in fields[:5])
        return problem(
            "validation-error", f"invalid fields: {names}", instance=request.url.path, errors=fields
        )

    # Starlette's own class: FastAPI raises it too (unknown path 404, wrong method 405, a
    # body it cannot parse 400), and it is the base of fastapi.HTTPException.
    @app.exception_handler(HTTPException)
    def http_error(request: Request, error: HTTPException) -> Response:
        slug = {
            401: "unauthenticated",
            403: "forbidden",
            404: "not-found",
            405: "method-not-allowed",
            413: "body-too-large",
            415: "unsupported-media-type",
            428: "idempotency-key-required",
            429: "rate-limited",
            503: "catching-up",
        }.get(error.status_code, "validation-error")
        detail = error.detail if isinstance(error.detail, str) else PROBLEM_TYPES[slug].description
        fields = [{"field": "body", "message": detail}] if error.status_code == 400 else None
        response = problem(
            slug, detail, status=error.status_code, instance=request.url.path, errors=fields
        )
        if error.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        response.headers.update(error.headers or {})  # Retry-After of a 429
        return response
