"""The ASGI factory ``commonfund.server:app`` that uvicorn imports in every worker."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from fastapi import FastAPI

from api.app import create_app
from api.deps import Services
from api.ports import Worker
from api.ratelimit import RateLimits
from api.token_cache import CachedTokens
from commonfund.scheduler import bank_statuses, with_daily_supervision
from commonfund.settings import Settings, load_settings
from commonfund.stores import SqlStores, utcnow
from commonfund.webhook_store import SqlWebhooks
from commonfund.wiring import (
    DATABASE_OUTAGES,
    bank_runner,
    build_ledger,
    committee_notices,
    maintenance_runner,
    pending_migrations,
    postgres_conninfo,
    read_models,
    statements_runner,
    supervision_runner,
    webhook_deliverer,
    webhook_targets,
)
from projections.bank.queries import BankReads
from projections.maintenance.queries import MaintenanceReads
from projections.notices import Notices
from projections.statements.queries import Statements
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
    bank = bank_runner(settings, ledger)
    ratio = settings.policy().maintenance_replenish_ratio_bp
    outbox = read_models(settings)  # webhook subscriptions and deliveries
    statements = Statements(runner.database)
    runner.observe(statements)  # this process's runner: exact around its own commits
    workers: list[Worker] = []
    if settings.is_postgres:  # other processes' runners: their notices
        workers.append(Notices(postgres_conninfo(settings), runner.view.name, statements))
        workers.append(committee_notices(settings, ledger))  # H15's check without a round trip
    if settings.deliver_webhooks:
        workers.append(webhook_deliverer(settings, outbox))
    return Services(
        ledger=ledger,
        tokens=CachedTokens(stores, seconds=settings.token_cache_seconds),
        idempotency=stores,
        now=clock,
        statements=statements,
        statements_runner=runner,
        alerts=Alerts(supervision.database),
        supervision_runner=supervision,
        webhooks=SqlWebhooks(outbox),
        webhook_targets=webhook_targets(settings),
        maintenance_runner=fund,
        maintenance=MaintenanceReads(fund.database, replenish_ratio_bp=ratio),
        bank_runner=bank,
        bank=BankReads(bank.database),
        follow=settings.run_projections,
        workers=tuple(workers),
        public_base_url=settings.public_base_url,
    )


def readiness(services: Services, settings: Settings) -> dict[str, Any]:
    """``/readyz``: the database answers, every migration is applied, the read models keep up.

    Not ready when a read model's runner thread in this process has died (it
    should follow and does not), or when a read model is further behind the
    ledger than ``projection_lag_limit_seconds`` (whoever runs it: a dead
    ``commonfund project`` shows here as lag).
    """
    try:
        missing = pending_migrations(settings)
        last = None if missing else services.ledger.recorder.max_notification_id()
        lags = {} if missing else {r.view.name: r.lag() for r in services.runners}
    except Exception as error:  # noqa: BLE001 - readiness reports any failure as not ready
        return {"ready": False, "database": f"unreachable: {type(error).__name__}"}
    limit = settings.projection_lag_limit_seconds
    reasons: list[str] = []
    projections: dict[str, Any] = {}
    for runner in services.runners:
        name, lag, health = runner.view.name, lags.get(runner.view.name), runner.health.report()
        if services.follow and not health["running"]:
            reasons.append(f"{name}: its runner in this process is not running")
        if lag is not None and lag.seconds > limit:
            reasons.append(f"{name}: {lag.seconds:.1f} s behind the ledger (limit {limit:g} s)")
        if lag is not None:
            projections[name] = {
                "position": lag.position,
                "lag_events": lag.events,
                "lag_seconds": lag.seconds,
                **({"runner": health} if services.follow else {}),
            }
    return {
        "ready": not missing and not reasons,
        "database": "ok",
        "pending_migrations": missing,
        "last_event": last or 0,
        "projections": projections,
        **({"reasons": reasons} if reasons else {}),
    }


def app() -> FastAPI:
    settings = load_settings()

    def ready_check(services: Services) -> dict[str, Any]:
        return readiness(services, settings)

    policy = settings.rate_limit_policy()
    limits = RateLimits(policy) if policy is not None else None
    application = create_app(
        lambda: build_services(settings), ready_check, DATABASE_OUTAGES, rate_limits=limits,
        bank_body_limit=settings.bank_statement_max_bytes,
    )  # fmt: skip
    if settings.supervise_daily:
        application.router.lifespan_context = with_daily_supervision(
            application.router.lifespan_context,
            lambda app: app.state.services.ledger,
            lambda app: app.state.services.bank.feed_accounts,
            lambda app: partial(
                bank_statuses, app.state.services.statements, app.state.services.bank
            ),
        )
    return application
