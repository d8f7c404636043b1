"""Published versions' small columns kept in memory, and forgotten exactly when they change.

projections/statements/queries.py keeps which versions a (complex, period) has while the process
hears the statements runner's notices (projections/notices.py, PostgreSQL LISTEN); a
runner in the same process also tells it before and after its commit. These tests
count the reader's round trips to show what it keeps, and that a correction, a rebuild,
a change in the middle of a read and a lost connection each make it ask again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import psycopg
import pytest

from commonfund.settings import Settings
from commonfund.wiring import personal_keys, postgres_conninfo, read_models, statements_runner
from ledger.application import Ledger
from projections.notices import Notices
from projections.runner import Runner
from projections.statements.queries import Statements, Version
from tests.integration.test_statements import OCTOBER, october_world, publish, reverse
from tests.plugins.builders import World

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_settings(migrated_postgres: str) -> Settings:
    from tests.plugins.stores import reset_postgres  # noqa: PLC0415

    reset_postgres(migrated_postgres)
    return Settings(database_url=migrated_postgres)


@pytest.fixture
def pg_ledger(pg_settings: Settings) -> Iterator[Ledger]:
    app = Ledger(
        personal=personal_keys(pg_settings),
        env=pg_settings.eventsourcing_env(),
        policy=pg_settings.policy(),
    )
    yield app
    app.close()


@pytest.fixture
def writer(pg_settings: Settings, pg_ledger: Ledger) -> Iterator[Runner]:
    """The statements runner of another process: no observer here, only its notices."""
    runner = statements_runner(pg_settings, pg_ledger, batch_size=50)
    yield runner
    runner.database.close()


class Counted(Statements):
    """A reader (its own connections) that counts its round trips for the small columns."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(read_models(settings))
        self.round_trips = 0
        read_once = self.database.read_once

        def counted(sql: str, params: Any = ()) -> list[Any]:
            self.round_trips += 1
            return read_once(sql, params)

        self.database.read_once = counted  # type: ignore[method-assign]


def latest(reader: Statements, w: World) -> Version:
    found = reader.version(str(w.complex_id), OCTOBER)
    assert found is not None
    return found


@pytest.fixture
def reader(pg_settings: Settings) -> Iterator[Counted]:
    made = Counted(pg_settings)
    yield made
    made.database.close()


@pytest.fixture
def hearing(pg_settings: Settings, reader: Counted) -> Iterator[tuple[Counted, Notices]]:
    notices = Notices(postgres_conninfo(pg_settings), "statements", reader)
    stop = threading.Event()
    thread = threading.Thread(target=notices.run, args=(stop,), daemon=True)
    thread.start()
    assert notices.listening.wait(10)
    yield reader, notices
    stop.set()
    thread.join(timeout=10)
    assert not reader.remembering


def test_a_hearing_reader_keeps_the_versions_and_forgets_them_on_a_correction(
    pg_ledger: Ledger, writer: Runner, hearing: tuple[Counted, Notices]
) -> None:
    reader, notices = hearing
    w, ids = october_world(pg_ledger)
    publish(w, reader, writer, OCTOBER)
    notices.heard.clear()
    before = reader.round_trips
    assert latest(reader, w).version == 1
    assert latest(reader, w).version == 1
    assert reader.round_trips == before + 1  # the second read asked nothing

    reverse(w, ids["ads"], on=date(2026, 10, 30))
    writer.catch_up()  # another process's runner: only its notice reaches this reader
    assert notices.heard.wait(10)
    second = latest(reader, w)
    assert (second.version, second.superseded_by) == (2, None)
    assert reader.round_trips == before + 2
    first = reader.version(str(w.complex_id), OCTOBER, 1)
    assert first is not None
    assert first.superseded_by == 2


def test_a_runner_in_the_same_process_makes_its_change_visible_at_once(
    pg_ledger: Ledger, writer: Runner, reader: Counted
) -> None:
    """No waiting for a notice: the runner tells its observers around its commit."""
    writer.observe(reader)
    reader.listening(on=True)  # as if notices were heard, but none will be delivered here
    w, ids = october_world(pg_ledger)
    publish(w, reader, writer, OCTOBER)
    assert latest(reader, w).version == 1
    trips = reader.round_trips
    assert latest(reader, w).version == 1
    assert reader.round_trips == trips  # kept
    reverse(w, ids["ads"], on=date(2026, 10, 30))
    writer.catch_up()
    assert latest(reader, w).version == 2
    assert reader.round_trips == trips + 1

    # a rebuild's swap changes everything: the copy read from is the new generation
    assert writer.rebuild() == writer.head()
    rebuilt = latest(reader, w)
    assert (rebuilt.version, rebuilt.generation) == (2, 2)


def test_a_read_that_spans_a_change_keeps_nothing(
    pg_ledger: Ledger, writer: Runner, reader: Counted
) -> None:
    reader.listening(on=True)
    w, _ = october_world(pg_ledger)
    publish(w, reader, writer, OCTOBER)
    read_once = reader.database.read_once

    def read_during_a_notice(sql: str, params: Any = ()) -> list[Any]:
        rows = read_once(sql, params)
        reader.heard(frozenset({str(w.complex_id)}))  # a notice arrives as the rows come back
        return rows

    reader.database.read_once = read_during_a_notice  # type: ignore[method-assign]
    latest(reader, w)
    latest(reader, w)
    assert reader.round_trips == 2  # what the first read got was not kept
    reader.database.read_once = read_once  # type: ignore[method-assign]
    latest(reader, w)
    latest(reader, w)
    assert reader.round_trips == 3  # now it is


def test_a_lost_connection_stops_the_keeping_until_it_listens_again(
    pg_settings: Settings, pg_ledger: Ledger, writer: Runner, hearing: tuple[Counted, Notices]
) -> None:
    reader, notices = hearing
    w, _ = october_world(pg_ledger)
    publish(w, reader, writer, OCTOBER)
    latest(reader, w)
    assert reader.remembering
    with psycopg.connect(postgres_conninfo(pg_settings), autocommit=True) as admin:
        killed = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query LIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
        ).fetchall()
    assert killed
    deadline = time.monotonic() + 10  # the thread notices within its wake interval
    while notices.listening.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not reader.remembering  # every read asks the database meanwhile
    assert notices.listening.wait(10)  # and it listens again a second later
    assert reader.remembering
    trips = reader.round_trips
    latest(reader, w)
    assert reader.round_trips == trips + 1  # what it kept before was forgotten
