"""The FastAPI application: routers, problem+json errors, body limits; one Ledger per process."""

from __future__ import annotations

import copy
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts

from api import admin, docs, notices, observability, pages, problem_pages, problems
from api.account import routes as accounts
from api.bank import pages as bank_pages
from api.bank import routes as bank
from api.committees import resolutions
from api.committees import routes as committees
from api.complexes import pages as complex_pages
from api.complexes import routes as complexes
from api.cors import PublicCors
from api.deps import Services, get_principal, money_key
from api.errors_doc import DESCRIBED
from api.limits import MAX_BANK_BODY, Limits
from api.maintenance import owner as owner_pages
from api.maintenance import pages as maintenance_pages
from api.maintenance import routes as maintenance
from api.maintenance.schemas import DepositCreate
from api.privacy import Privacy
from api.ratelimit import RateLimits
from api.schemas import UnitsCreate
from api.statements import routes as statements
from api.supervision import actions, alerts, desk, overview, regulator, webhooks
from api.supervision.webhook_schemas import AlertRaised
from api.voting import codes as voting_codes
from api.voting import pages as voting_pages
from api.voting import routes as voting

ReadyCheck = Callable[[Services], dict[str, Any]]
DESCRIPTION = """
commonfund records the money residential owners hold in common and supervises it.
Every write that moves money takes an `Idempotency-Key`; amounts are decimal strings
(`"1234.56"`), dates `YYYY-MM-DD`; errors are `application/problem+json` with the rule
(H01–H15) that refused. Authenticate with `Authorization: Bearer <token>`.

The main flow: register a complex (operator) → record the election resolution and the
committee (regulator or committee) → filing → seal → open the account → record income →
propose an expenditure (member A) → approve it (member B): booked.
"""


def create_app(
    build: Callable[[], Services],
    ready_check: ReadyCheck,
    outages: tuple[type[Exception], ...] = (),
    rate_limits: RateLimits | None = None,
    bank_body_limit: int = MAX_BANK_BODY,
) -> FastAPI:
    """The app; the composition root passes how to build its services and check readiness,
    which errors mean the database is unreachable (answered 503, api/problems.py), and the
    rate limits (none: no limits, as in most tests)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = build()
        app.state.services = services
        stop = threading.Event()
        followers = [
            threading.Thread(target=r.run, args=(stop,), name=r.view.name, daemon=True)
            for r in services.runners
        ]
        if services.follow:
            for follower in followers:
                follower.start()
        workers = [
            threading.Thread(target=w.run, args=(stop,), name=w.name, daemon=True)
            for w in services.workers
        ]
        for worker in workers:
            worker.start()
        try:
            yield
        finally:
            stop.set()
            for thread in (*followers, *workers):
                if thread.is_alive():
                    thread.join(timeout=10)
            for runner in services.runners:
                runner.database.close()
            for work in services.workers:
                work.close()
            services.ledger.close()
            for store in (services.tokens, services.webhooks):
                close = getattr(store, "close", None)
                if close is not None:
                    close()

    app = FastAPI(
        title="commonfund",
        version="0.2.0",
        description=DESCRIPTION,
        summary="Supervision of residential owners' common funds",
        lifespan=lifespan,
        docs_url=None,  # served from the package, no CDN (api/docs.py)
        redoc_url=None,
        openapi_tags=docs.TAGS,
        generate_unique_id_function=docs.operation_id,
    )
    problems.install(app, outages)
    docs.install(app)
    app.state.rate_limits = rate_limits  # read where credentials are (api/deps.py)

    app.add_middleware(Limits, max_bank_body=bank_body_limit)
    app.state.bank_body_limit = bank_body_limit  # a bank file's size limit (issue #14)
    app.add_middleware(Privacy)  # outside Limits: its last-resort problem is marked too
    app.add_middleware(PublicCors)  # the open data only (api/cors.py)
    app.add_middleware(observability.RequestContext)  # outermost: every answer has its id

    @app.get("/healthz", summary="The process is up", tags=["health"])
    async def healthz() -> dict[str, str]:
        """200 while the process runs, without touching the database: for a liveness probe."""
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="The database is reachable and migrated",
        tags=["health"],
        responses={503: {"description": "Not ready: the body says what is missing"}},
    )
    def readyz(request: Request) -> JSONResponse:
        """200 when the database answers, every migration is applied and each read model keeps up
        (its runner alive, its lag within COMMONFUND_PROJECTION_LAG_LIMIT_SECONDS); otherwise 503
        with a report naming what is missing. For a readiness probe."""
        report = ready_check(request.app.state.services)
        return JSONResponse(report, status_code=200 if report.get("ready") else 503)

    for module in (
        complexes,
        committees,
        resolutions,
        accounts,
        bank,
        admin,
        observability,
        statements,
        maintenance,
        alerts,
        webhooks,
        overview,
        pages,
        problem_pages,
        complex_pages,
        maintenance_pages,
        owner_pages,
        regulator,
        desk,
        actions,
        bank_pages,
        voting,
        voting_codes,
        voting_pages,
        notices,
    ):
        app.include_router(module.router)
    _document_webhooks(app)
    _document_hand_parsed_bodies(app)
    return app


def _document_webhooks(app: FastAPI) -> None:
    """What a subscription receives (OpenAPI ``webhooks``): the alert as the API answers it."""

    @app.webhooks.post(
        "alert.raised",
        summary="A new alert, POSTed to each subscription it matches",
        tags=["webhooks"],
    )
    def alert_raised(body: AlertRaised) -> None:
        """Signed as Standard Webhooks (``webhook-id``, ``webhook-timestamp``,
        ``webhook-signature``); a 2xx answer takes it, anything else is retried for a day."""


def _document_hand_parsed_bodies(app: FastAPI) -> None:
    """Put the schemas of bodies a route parses itself (JSON or CSV units) into the document."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schema = UnitsCreate.model_json_schema(ref_template="#/components/schemas/{model}")
            components = document.setdefault("components", {}).setdefault("schemas", {})
            components.update(schema.pop("$defs", {}))
            components["UnitsCreate"] = schema
            deposits = DepositCreate.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(deposits.pop("$defs", {}))
            components["DepositCreate"] = deposits
            _document_dependencies(app, document)
            docs.problem_media(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _document_dependencies(app: FastAPI, document: dict[str, Any]) -> None:
    """What a route's dependencies may answer, in its operation, so the document follows the
    code: a route taking the principal may answer 429 (api/ratelimit.py); one taking
    ``MoneyKey`` shows ``Idempotency-Key`` as required and lists the 428 it answers without."""
    paths = document["paths"]
    for route in iter_route_contexts(app.routes):
        dependant: Dependant | None = getattr(route, "dependant", None)
        if dependant is None or route.path_format not in paths:  # a page, not in the document
            continue
        for method in route.methods or ():
            operation = paths[route.path_format].get(method.lower())
            if operation is None:  # HEAD, Starlette's twin of a GET
                continue
            takes_credential = _takes(dependant, get_principal)
            docs.secure(operation, credential=takes_credential)
            if takes_credential:
                _list_problem(operation, 429)
            if _takes(dependant, money_key):
                _require_key(operation)
                _list_problem(operation, 428)


def _list_problem(operation: dict[str, Any], status: int) -> None:
    """List ``status`` as a problem, shaped like the 422 every operation lists."""
    responses = operation["responses"]
    responses[str(status)] = {**copy.deepcopy(responses["422"]), "description": DESCRIBED[status]}


def _require_key(operation: dict[str, Any]) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"] == "Idempotency-Key":
            parameter["required"] = True
            schema = parameter["schema"]  # optional to FastAPI: "string or null"
            strings = [s for s in schema.pop("anyOf", []) if s.get("type") != "null"]
            schema.update(strings[0] if strings else {"type": "string"})


def _takes(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _takes(d, call) for d in dependant.dependencies)
