"""The FastAPI application: one Ledger per process, built in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

from ledger.application import Ledger

ReadyCheck = Callable[[Ledger], dict[str, Any]]


def create_app(build_ledger: Callable[[], Ledger], ready_check: ReadyCheck) -> FastAPI:
    """The app; the composition root passes how to build the ledger and check readiness."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        ledger = build_ledger()
        app.state.ledger = ledger
        try:
            yield
        finally:
            ledger.close()

    app = FastAPI(
        title="commonfund",
        version="0.1.0",
        summary="Supervision of residential owners' common funds: ledger, statements, alerts.",
        lifespan=lifespan,
    )

    @app.get("/healthz", summary="The process is up", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        summary="The database is reachable and migrated",
        tags=["health"],
        responses={503: {"description": "Not ready: the body says what is missing"}},
    )
    def readyz() -> JSONResponse:
        report = ready_check(app.state.ledger)
        status = 200 if report.get("ready") else 503
        return JSONResponse(report, status_code=status)

    return app
