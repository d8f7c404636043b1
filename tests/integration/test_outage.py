"""The pools after the server dropped their connections: none lends a dead one (issue #12).

Terminating every other backend of the test database is what a PostgreSQL restart does
to a client's idle connections, without stopping the server that other tests share:
each pool's next request must get a live connection, not an error.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from commonfund.server import build_stores
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, statements_runner
from projections.db import LivePool
from tests.plugins.builders import world
from tests.plugins.clock import fixed_clock
from tests.plugins.stores import reset_postgres

pytestmark = pytest.mark.postgres


def drop_connections(url: str) -> int:
    """End every session of the database but this one, as a restart does; how many."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    time.sleep(0.2)  # the ended sessions' last words reach their sockets
    return len(rows)


@pytest.fixture
def postgres(migrated_postgres: str) -> Settings:
    reset_postgres(migrated_postgres)
    return Settings(database_url=migrated_postgres)


def test_no_pool_lends_a_connection_the_server_dropped(postgres: Settings) -> None:
    ledger = build_ledger(postgres, fixed_clock)
    stores = build_stores(postgres)
    runner = statements_runner(postgres, ledger)
    try:
        w = world(ledger)
        now = datetime.now(UTC)
        secret, _ = stores.issue(
            role="operator", complex_id=None, member_id=None, owner_key=None, jurisdiction=None,
            expires_at=now + timedelta(days=1), label="t", now=now,
        )  # fmt: skip
        runner.catch_up()
        assert drop_connections(postgres.database_url) >= 3  # the three pools' idle ones
        # each first use after the drop: a live connection, no error
        assert stores.find(secret) is not None
        assert (
            ledger.account_summary(w.account_id).balance == w.ledger.account(w.account_id).balance
        )
        assert runner.position() == runner.head()
        w.income(12_34)
        assert runner.catch_up() == 1
    finally:
        runner.database.close()
        stores.close()
        ledger.close()


def test_the_event_stores_pool_is_a_live_pool(postgres: Settings) -> None:
    ledger = build_ledger(postgres, fixed_clock)
    try:
        assert isinstance(ledger.recorder.datastore.pool, LivePool)  # type: ignore[attr-defined]
    finally:
        ledger.close()
