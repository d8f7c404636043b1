"""The ASGI factory ``commonfund.server:app`` that uvicorn imports in every worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from api.ports import Worker
from api.ratelimit import RateLimits
from commonfund.scheduler import with_daily_supervision
from commonfund.settings import Settings, load_settings
from commonfund.stores import SqlStores, utcnow
from commonfund.webhook_store import SqlWebhooks
from commonfund.wiring import (
    build_ledger,
    maintenance_runner,
    pending_migrations,
    postgres_conninfo,
    read_models,
    statements_runner,
    supervision_runner,
    webhook_deliverer,
)
from projections.fund_queries import FundReads
from projections.notices import Notices
from projections.queries import Statements
from projections.supervision.queries import Alerts


def build_stores(settings: Settings) -> SqlStores:
    if settings.is_postgres:
        return SqlStores(postgres=postgres_conninfo(settings))
    return SqlStores(sqlite_path=settings.sqlite_path)


def build_services(settings: Settings, clock: Callable[[], datetime] = utcnow) -> Services:
    stores = build_stores(settings)
    ledger = build_ledger(settings, clock)
    runner = statements_runner(settings, ledger)
    supervision = supervision_runner(settings, ledger)
    fund = maintenance_runner(settings, ledger)
    ratio = settings.policy().maintenance_replenish_ratio_bp
    outbox = read_models(settings)  # webhook subscriptions and deliveries
    statements = Statements(runner.database)
    runner.observe(statements)  # this process's runner: exact around its own commits
    workers: list[Worker] = []
    if settings.is_postgres:  # other processes' runners: their notices
        workers.append(Notices(postgres_conninfo(settings), runner.view.name, statements))
    if settings.deliver_webhooks:
        workers.append(webhook_deliverer(settings, outbox))
    return Services(
        ledger=ledger,
        tokens=stores,
        idempotency=stores,
        now=clock,
        statements=statements,
        projection=runner,
        alerts=Alerts(supervision.database),
        supervision=supervision,
        webhooks=SqlWebhooks(outbox),
        maintenance=fund,
        fund=FundReads(fund.database, replenish_ratio_bp=ratio),
        follow=settings.run_projections,
        workers=tuple(workers),
    )


def app() -> FastAPI:
    settings = load_settings()

    def ready_check(services: Services) -> dict[str, Any]:
        try:
            missing = pending_migrations(settings)
            last = None if missing else services.ledger.recorder.max_notification_id()
            lags = {} if missing else {r.view.name: r.lag() for r in services.runners}
        except Exception as error:  # noqa: BLE001 - readiness reports any failure as not ready
            return {"ready": False, "database": f"unreachable: {type(error).__name__}"}
        return {
            "ready": not missing,
            "database": "ok",
            "pending_migrations": missing,
            "last_event": last or 0,
            "projections": {
                name: {
                    "position": lag.position,
                    "lag_events": lag.events,
                    "lag_seconds": lag.seconds,
                }
                for name, lag in lags.items()
            },
        }

    policy = settings.rate_limit_policy()
    limits = RateLimits(policy) if policy is not None else None
    application = create_app(lambda: build_services(settings), ready_check, limits)
    if settings.supervise_daily:
        application.router.lifespan_context = with_daily_supervision(
            application.router.lifespan_context, lambda app: app.state.services.ledger
        )
    return application
