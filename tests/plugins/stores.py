"""Plugin: the stores a test runs on (``store``, ``settings``, ``ledger`` fixtures).

A test that asks for ``ledger`` or ``settings`` runs once per store: on SQLite and on
PostgreSQL by default. ``@pytest.mark.stores("memory")`` runs it instead on
eventsourcing's in-memory (POPO) persistence, with no database at all: for tests of the
aggregates' and commands' rules, where a store adds nothing (its behaviour is covered by
the tests left on both stores: concurrency, snapshots, outages, verify, stored events).
A memory test cannot ask for ``settings``: there is no database to point them at.
``pytest --every-store`` runs the memory tests on SQLite and PostgreSQL as well.

PostgreSQL tests need COMMONFUND_TEST_POSTGRES_URL; without it they are skipped with a
visible reason, unless COMMONFUND_REQUIRE_POSTGRES=1 (as in .ci/run), which turns the skip
into a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from commonfund.personal_data import PersonalKeys
from commonfund.settings import Settings
from commonfund.wiring import migrate, personal_keys
from ledger.application import Ledger
from tests.plugins.clock import MovableClock

POSTGRES_URL = os.environ.get("COMMONFUND_TEST_POSTGRES_URL", "")
REQUIRE_POSTGRES = os.environ.get("COMMONFUND_REQUIRE_POSTGRES") == "1"
# Settings refuse the built-in demo identity secret on PostgreSQL (issue #12 item 9): the
# tests hold no real data, so they have a secret of their own, set before any Settings is
# built and inherited by every command and server they start.
TEST_IDENTITY_SECRET = "commonfund-test-identity-secret"  # noqa: S105 - test data only
os.environ.setdefault("COMMONFUND_IDENTITY_SECRET", TEST_IDENTITY_SECRET)

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1… under pytest -n
STORES = ("sqlite", "postgres")  # what a test runs on unless marked ``stores(...)``
KINDS = ("memory", "sqlite", "postgres")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--every-store",
        action="store_true",
        help="run the tests marked to run in memory on SQLite and PostgreSQL as well",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stores(*kinds): the stores the test's ledger runs on, of memory, sqlite, postgres"
        " (default: sqlite and postgres)",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("stores")
    kinds = marker.args if marker is not None else STORES
    if "memory" in kinds and metafunc.config.getoption("every_store"):
        kinds = KINDS
    unknown = set(kinds) - set(KINDS)
    if unknown:
        raise pytest.UsageError(f"unknown store(s) {sorted(unknown)}: use {KINDS}")
    metafunc.parametrize(
        "store",
        [pytest.param(k, marks=pytest.mark.postgres) if k == "postgres" else k for k in kinds],
        indirect=True,
    )


def postgres_url_or_skip() -> str:
    """The test database; under pytest-xdist each worker gets its own (``<name>_gw0``…)."""
    if POSTGRES_URL and WORKER:
        return worker_database(POSTGRES_URL, WORKER)
    if POSTGRES_URL:
        return POSTGRES_URL
    if REQUIRE_POSTGRES:
        pytest.fail("COMMONFUND_REQUIRE_POSTGRES=1 but COMMONFUND_TEST_POSTGRES_URL is not set")
    pytest.skip("PostgreSQL tests need COMMONFUND_TEST_POSTGRES_URL (set by .ci/run)")


def worker_database(url: str, worker: str) -> str:
    base, name = url.rsplit("/", 1)
    mine = f"{name}_{worker}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (mine,)).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{mine}"')
    return f"{base}/{mine}"


def reset_postgres(url: str) -> None:
    """Empty every table of the test database (faster than a new database per test)."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            " AND tablename <> 'commonfund_schema_migrations'"
        ).fetchall()
        if rows:
            names = ", ".join(f'"{r[0]}"' for r in rows)
            conn.execute(f"TRUNCATE {names} RESTART IDENTITY")


class MemoryKeys(PersonalKeys):
    """The personal-data keeper with its keys in a dict: sealing, revealing and pseudonyms
    are the production keeper's own code; only where the keys live differs."""

    def __init__(self, secret: str = TEST_IDENTITY_SECRET) -> None:
        super().__init__(secret, sqlite_path=Path(os.devnull), cache_seconds=0)
        self._keys: dict[str, bytes | None] = {}
        self._erased: dict[str, str] = {}

    def _load(self, person: str, *, create: bool) -> AESGCM | None:
        with_key = self._keys.get(person)
        if with_key is None and create:
            with_key = self._keys[person] = AESGCM.generate_key(bit_length=256)
            self._erased.pop(person, None)
        return AESGCM(with_key) if with_key is not None else None

    def erase(self, person: str, *, now: datetime) -> bool:
        if self._keys.get(person) is None:
            return False
        self._keys[person] = None
        self._erased[person] = now.astimezone(UTC).isoformat()
        return True

    def erased_at(self, person: str) -> str | None:
        return self._erased.get(person)

    def record_erasure(self, person: str, *, by: str, report: str, now: datetime) -> None:
        """Nothing to keep in memory: the erasure report is the database's record."""

    def close(self) -> None:
        """No connections to close."""


@pytest.fixture(scope="session")
def migrated_postgres() -> str:
    url = postgres_url_or_skip()
    migrate(Settings(database_url=url))
    return url


@pytest.fixture
def store(request: pytest.FixtureRequest) -> str:
    """The kind of store of this run of the test (parametrised by ``pytest_generate_tests``)."""
    return str(request.param)


@pytest.fixture
def settings(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for a migrated, empty store of each kind."""
    if store == "memory":
        pytest.fail("a test on the memory store has no database settings: mark it sqlite/postgres")
    if store == "postgres":
        url = request.getfixturevalue("migrated_postgres")
        reset_postgres(url)
        return Settings(database_url=url)
    result = Settings(database_url=f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    migrate(result)
    return result


@pytest.fixture
def ledger(store: str, request: pytest.FixtureRequest, clock: MovableClock) -> Iterator[Ledger]:
    if store == "memory":
        defaults = Settings()  # the policy and cache size of the environment, no database
        app = Ledger(
            env={
                "PERSISTENCE_MODULE": "eventsourcing.popo",
                "AGGREGATE_CACHE_MAXSIZE": str(defaults.aggregate_cache_size),
            },
            policy=defaults.policy(),
            clock=clock,
            personal=MemoryKeys(),
        )
    else:
        settings: Settings = request.getfixturevalue("settings")
        app = Ledger(
            env=settings.eventsourcing_env(),
            policy=settings.policy(),
            clock=clock,
            personal=personal_keys(settings),
        )
    yield app
    app.close()
