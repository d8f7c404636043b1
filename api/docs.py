"""The API's own docs: Swagger UI served from the package, and the OpenAPI a client can use.

No CDN (unreachable offline, unreliable in mainland China and on government intranets):
the Swagger UI 5 files are vendored under ``api/static/swagger-ui`` (swagger-ui-dist,
Apache-2.0, its LICENSE beside them). The document declares the bearer scheme where a route
takes the credential, names operations after their functions, and lists errors as
``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles

from api.problems import MEDIA_TYPE

ASSETS = "/docs/static"
SCHEME = "bearer"
CREDENTIAL_ERRORS = ("401", "403")
TAGS = [
    {"name": "complexes", "description": "Residential complexes and their units (operator)."},
    {"name": "committees", "description": "Owners' committees: filing, members, seal, term."},
    {"name": "resolutions", "description": "Owners' resolutions that authorise a committee."},
    {"name": "accounts", "description": "The supervised common-income account: income, "
     "expenditures (proposed by one member, approved by another), reversals."},
    {"name": "bank feed", "description": "Bank statement files and their reconciliation."},
    {"name": "statements", "description": "Published periodic statements, open to everyone."},
    {"name": "maintenance fund", "description": "The per-unit housing maintenance fund: "
     "deposits, projects, disbursements, interest."},
    {"name": "supervision", "description": "Regulators' alerts (rules A01–A25) and overview."},
    {"name": "webhooks", "description": "Subscriptions that receive new alerts."},
    {"name": "voting", "description": "Owners' assemblies by electronic vote: ballots, votes "
     "with receipts, the live quorum, the tally by Civil Code art. 278, the published list."},
    {"name": "admin", "description": "Bearer tokens: issue and revoke (operator)."},
    {"name": "health", "description": "Liveness and readiness for the operator's probes."},
]  # fmt: skip


def operation_id(route: APIRoute) -> str:
    """``record_income`` → ``recordIncome``: a client's method name, stable across path edits."""
    head, *rest = route.name.split("_")
    return head + "".join(word.capitalize() for word in rest)


def install(app: FastAPI) -> None:
    """Serve ``/docs`` and its assets from the package (FastAPI's own ``docs_url`` is off)."""
    assets = files("api") / "static" / "swagger-ui"
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="swagger-ui")
    redirect = "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title=f"{app.title} API",
            oauth2_redirect_url=redirect,
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )

    @app.get(redirect, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()


def secure(operation: dict[str, Any], *, credential: bool) -> None:
    """Declare the bearer scheme on an operation that takes the credential (the header is
    no longer a plain parameter), and drop 401/403 from one that takes none."""
    if credential:
        operation["security"] = [{SCHEME: []}]
        operation["parameters"] = [
            p
            for p in operation.get("parameters", [])
            if not (p["in"] == "header" and p["name"].lower() == "authorization")
        ]
        if not operation["parameters"]:
            del operation["parameters"]
    else:
        for status in CREDENTIAL_ERRORS:
            operation["responses"].pop(status, None)


def problem_media(document: dict[str, Any]) -> None:
    """Every 4xx/5xx answer as ``application/problem+json`` with the Problem schema, the
    bearer scheme among the components."""
    schema = {"$ref": "#/components/schemas/Problem"}
    for item in document["paths"].values():
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if status[:1] in ("4", "5") and _is_problem(response):
                    response["content"] = {MEDIA_TYPE: {"schema": schema}}
    components = document.setdefault("components", {})
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "http",
        "scheme": "bearer",
        "description": "A token the operator issues (`POST /v1/admin/tokens`); its role and "
        "scope decide what it may do (H15).",
    }
    for unused in ("HTTPValidationError", "ValidationError"):  # our 422s are problems
        components.get("schemas", {}).pop(unused, None)


def _is_problem(response: dict[str, Any]) -> bool:
    """A response FastAPI or ``api.errors_doc`` shaped as an error (not /readyz's report)."""
    refs = str(response.get("content", {}))
    return "#/components/schemas/Problem" in refs or "HTTPValidationError" in refs
