"""The ASGI factory ``commonfund.server:app`` that uvicorn imports in every worker."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.app import create_app
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, pending_migrations
from ledger.application import Ledger


def app() -> FastAPI:
    settings = Settings()

    def ready_check(ledger: Ledger) -> dict[str, Any]:
        try:
            missing = pending_migrations(settings)
            last = None if missing else ledger.recorder.max_notification_id()
        except Exception as error:  # noqa: BLE001 - readiness reports any failure as not ready
            return {"ready": False, "database": f"unreachable: {type(error).__name__}"}
        return {
            "ready": not missing,
            "database": "ok",
            "pending_migrations": missing,
            "last_event": last or 0,
        }

    return create_app(lambda: build_ledger(settings), ready_check)
