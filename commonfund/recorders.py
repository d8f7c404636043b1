"""The event store's recorders, writing a request's answer in the transaction of its events.

The ledger saves with ``along=`` (ledger/unit_of_work.py ``written_along``); eventsourcing
hands save keywords to the recorder. On PostgreSQL the answer's row, the events table's
``LOCK TABLE … IN EXCLUSIVE MODE``, ``NOTIFY``, the insert and the commit are one statement
of an autocommit session (``commonfund_append_events``, migrations/0017): commit order still
equals notification order, so no follower misses an event, and the lock is held for the
server's work alone. The library's own path sends the commit only once the insert's result
is back, so the lock was held across a round trip to a client process that must first get
its GIL back; under load ten writers queued behind a holder sitting "idle in transaction"
(issue #15, docs/benchmarks.md). The answer's row is inserted before the lock is asked for,
so a statement holding the lock never waits for a key; one that finds the key taken (a
racing request with the same key) fails whole and raises ``AnswerTaken``, which is no
collision to retry. On SQLite the answer is written in the library's transaction, after the
events. Configured by ``APPLICATION_RECORDER_TOPIC`` (commonfund/settings.py).

Both count the events they recorded by kind (``commonfund_writes_total``, api/metrics.py)
once ``insert_events`` returns, that is once the transaction has committed: a write that
fails or rolls back is never counted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow

from api.metrics import count_writes
from api.ports import AnswerTaken, StoredAnswer

INSERT_ANSWER = (
    "INSERT INTO api_idempotency (scope, idempotency_key, request_hash, status_code,"
    " content_type, body, claimed_at, completed_at) VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)
TABLE = "api_idempotency"
APPEND = (
    "SELECT n FROM commonfund_append_events(%s::stored_event_uuid[], %s, %s, %s, %s, %s, %s, %s)"
    " AS n"
)


def _answer(kwargs: dict[str, Any]) -> StoredAnswer | None:
    along = kwargs.get("along")
    return along if isinstance(along, StoredAnswer) else None


def _row(answer: StoredAnswer, at: object) -> tuple[object, ...]:
    r = answer.response
    return (
        answer.scope, answer.key, answer.request_hash, r.status_code, r.content_type, r.body,
        at, at,
    )  # fmt: skip


def before_commit(cursor: object) -> None:
    """Called with the session's cursor just before the write of the events and the answer
    (on SQLite: once both are written, before the commit): tests crash the session here to
    show that a crash then leaves neither."""


class AnsweringPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, with the request's answer in the events' transaction."""

    insert_answer = INSERT_ANSWER.format("%s")

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            if self.datastore.enable_db_functions or not stored_events:
                ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            else:
                ids = self._insert_and_commit(stored_events, **kwargs)
        except IntegrityError as error:
            diag = getattr(error.__cause__, "diag", None)
            if _answer(kwargs) is not None and getattr(diag, "table_name", None) == TABLE:
                raise AnswerTaken(AnswerTaken.__doc__) from error
            raise
        count_writes(e.topic for e in stored_events)
        return ids

    def _insert_and_commit(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The events (and the answer) in one statement of an autocommit session, committed as
        it ends (migrations/0017_append_events.postgres.sql): the table lock is taken and let
        go by the server alone. A failure (a collision, the key taken, the session gone)
        leaves nothing, and is raised as the library's error."""
        events = [
            self.construct_pg_stored_event(e.originator_id, e.originator_version, e.topic, e.state)
            for e in stored_events
        ]
        answer = _answer(kwargs)
        given = _row(answer, answer.at)[:7] if answer is not None else (None,) * 7
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            if answer is not None:
                before_commit(curs)
            curs.execute(APPEND, (events, *given), prepare=True)
            return [row["n"] for row in curs.fetchall()]

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        answer = _answer(kwargs)
        if answer is not None:  # before the table lock: a transaction holding it never waits
            curs.execute(self.insert_answer, _row(answer, answer.at), prepare=True)
        super()._insert_events(curs, stored_events, **kwargs)


class AnsweringSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, with the request's answer in the events' transaction."""

    insert_answer = INSERT_ANSWER.format("?") + " ON CONFLICT DO NOTHING"

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super().insert_events(stored_events, **kwargs)  # committed when it returns
        count_writes(e.topic for e in stored_events)
        return ids

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        answer = _answer(kwargs)
        if answer is not None:
            c.execute(self.insert_answer, _row(answer, answer.at.isoformat()))
            if c.sqlite_cursor.rowcount != 1:
                raise AnswerTaken(AnswerTaken.__doc__)  # the transaction rolls back whole
            before_commit(c)
        return ids
