"""Wiring: build the ledger on the configured store, and apply migrations to it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import suppress
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing import persistence
from eventsourcing.postgres import ConnectionPool as EventStorePool

from commonfund.outbox import Enqueue
from commonfund.personal_data import PersonalKeys
from commonfund.settings import Settings
from commonfund.webhook_targets import Targets
from commonfund.webhooks import Deliverer, Retry, utcnow
from ledger.application import Ledger
from migrations.runner import (
    applied_postgres,
    applied_sqlite,
    migrate_postgres,
    migrate_sqlite,
    pending,
)
from projections.bank.view import BankView
from projections.db import RECONNECT_SECONDS, Database, LivePool
from projections.maintenance.view import MaintenanceView
from projections.notices import Notices
from projections.runner import Runner
from projections.statements.view import StatementsView
from projections.supervision.catalog import DEFAULT_CATALOG, Catalog
from projections.supervision.view import SupervisionView

# What the drivers raise when the database cannot be reached (a restart, a network cut, a
# pool that found no live connection in time, SQLite locked past its timeout): the API
# answers these 503, retryable (issue #12), never 500.
DATABASE_OUTAGES: tuple[type[Exception], ...] = (
    psycopg.OperationalError,  # includes psycopg_pool.PoolTimeout
    psycopg.InterfaceError,
    persistence.OperationalError,
    persistence.InterfaceError,
    sqlite3.OperationalError,
)


def postgres_conninfo(settings: Settings) -> str:
    return settings.database_url.replace("postgres://", "postgresql://", 1)


def migrate(settings: Settings) -> list[str]:
    if settings.is_postgres:
        return migrate_postgres(postgres_conninfo(settings))
    return migrate_sqlite(settings.sqlite_path)


def personal_keys(settings: Settings) -> PersonalKeys:
    """The keeper of people's data keys, in the ledger's database (migration 0010)."""
    store = (
        {"postgres": postgres_conninfo(settings)}
        if settings.is_postgres
        else {"sqlite_path": settings.sqlite_path}
    )
    return PersonalKeys(
        settings.identity_secret, cache_seconds=settings.personal_key_cache_seconds, **store
    )


def build_ledger(settings: Settings, clock: Callable[[], datetime] | None = None) -> Ledger:
    """The one Ledger of this process, on the migrated store, with its personal-data keeper."""
    ledger = Ledger(
        env=settings.eventsourcing_env(),
        policy=settings.policy(),
        clock=clock,
        personal=personal_keys(settings),
    )
    ledger.bank.tolerance = settings.bank_match_working_days  # the matching's (issue #14)
    check_ledger_connections(ledger)
    return ledger


def check_ledger_connections(ledger: Ledger) -> None:
    """Make the event store's pool a ``LivePool``: no dropped connection lent, fast failure
    while the server is gone, prompt reconnection once it is back (projections/db.py).

    eventsourcing builds its pool itself, as its own subclass of psycopg_pool's, which
    only adds ``get_password_func`` (unused here). ``LivePool`` adds no state and wraps
    public methods (``getconn``, ``reconnect_failed``), so the unopened pool is given its
    class and reconnection bound; tests/integration/test_outage.py checks that it works.
    (``POSTGRES_PRE_PING`` would cost a round trip per command and still pause a second,
    doubling, after every dead connection.)
    """
    pool = getattr(getattr(ledger.recorder, "datastore", None), "pool", None)
    if type(pool) is EventStorePool and pool.get_password_func is None:
        pool.__class__ = LivePool  # type: ignore[assignment]  # a subclass with no state of its own
        pool.reconnect_timeout = RECONNECT_SECONDS


class CommitteeHearer:
    """The ledger hearing every committee change (migrations/0012): a ``projections.notices``
    hearer, so a committee is read fresh only after a notice names it (issue #12)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def listening(self, *, on: bool) -> None:
        self.ledger.hear_committees(on=on)

    def heard(self, complexes: frozenset[str]) -> None:
        for stream in complexes:  # each notice names one committee stream
            with suppress(ValueError):
                self.ledger.committee_changed(UUID(stream))


def committee_notices(settings: Settings, ledger: Ledger) -> Notices:
    """The worker that LISTENs for committee changes on PostgreSQL (SQLite reads fresh)."""
    return Notices(postgres_conninfo(settings), "committees", CommitteeHearer(ledger))


def pending_migrations(settings: Settings) -> list[str]:
    if settings.is_postgres:
        return pending("postgres", applied_postgres(postgres_conninfo(settings)))
    return pending("sqlite", applied_sqlite(settings.sqlite_path))


def read_models(settings: Settings) -> Database:
    """The read models' connection: the same database as the ledger."""
    if settings.is_postgres:
        return Database("postgres", conninfo=postgres_conninfo(settings))
    return Database("sqlite", path=settings.sqlite_path)


def statements_runner(settings: Settings, ledger: Ledger, **options: Any) -> Runner:
    return Runner(ledger, read_models(settings), StatementsView(), **options)


def maintenance_runner(settings: Settings, ledger: Ledger, **options: Any) -> Runner:
    """The maintenance fund's read model (issue #6), with the city's replenishment line (A19)."""
    view = MaintenanceView(settings.policy().maintenance_replenish_ratio_bp)
    return Runner(ledger, read_models(settings), view, **options)


def bank_runner(settings: Settings, ledger: Ledger, **options: Any) -> Runner:
    """The bank feed's read model (issue #14): statements, lines, matches, reconciliation."""
    return Runner(ledger, read_models(settings), BankView(), **options)


def supervision_catalog(settings: Settings) -> Catalog:
    """The rules in force in this city: the spec's defaults, this city's limits and parameters."""
    return (
        replace(
            DEFAULT_CATALOG,
            single_payment_limit=settings.committee_single_payment_limit_fen,
            cash_single_payment_limit=settings.cash_single_payment_limit_fen,
        )
        # A18 and A19 watch the city's own H09 ratio and replenishment line
        .with_params("A18", ratio_bp=settings.maintenance_payout_ratio_bp)
        .with_params("A19", share_bp=settings.maintenance_replenish_ratio_bp)
        .with_overrides(settings.rule_params)
    )


def supervision_runner(settings: Settings, ledger: Ledger, **options: Any) -> Runner:
    catalog = supervision_catalog(settings)
    # the webhook outbox is written in the transaction that raises each alert
    view = SupervisionView(catalog, [Enqueue(utcnow)])
    return Runner(ledger, read_models(settings), view, **options)


def webhook_targets(settings: Settings) -> Targets:
    """Where webhooks may go: checked at registration (the API) and at every delivery."""
    return Targets(settings.webhook_hosts, require_https=settings.webhook_require_https)


def webhook_deliverer(settings: Settings, database: Database | None = None) -> Deliverer:
    retry = Retry(
        base_seconds=settings.webhook_retry_base_seconds,
        cap_seconds=settings.webhook_retry_cap_seconds,
        window=timedelta(hours=settings.webhook_retry_hours),
        timeout_seconds=settings.webhook_timeout_seconds,
    )
    return Deliverer(
        database or read_models(settings),
        retry,
        poll_seconds=settings.webhook_poll_seconds,
        targets=webhook_targets(settings),
        senders=settings.webhook_senders,
    )
