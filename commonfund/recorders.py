"""The event store's recorders, writing a request's answer in the transaction of its events.

The ledger saves with ``along=`` (ledger/unit_of_work.py ``written_along``); eventsourcing
hands save keywords to the recorder's ``_insert_events`` inside its transaction, the hook its
own process recorder uses for tracking rows. On PostgreSQL the answer's row is sent first in
the same pipeline, then the library's ``LOCK TABLE … IN EXCLUSIVE MODE``, ``NOTIFY`` and the
insert, then the commit: commit order still equals notification order, so no follower misses
an event. The row is inserted before the table lock is asked for, so a transaction that holds
the lock never waits for a key; one that finds the key taken (a racing request with the same
key) is rolled back whole and raises ``AnswerTaken``, which is no collision to retry.
Configured by ``APPLICATION_RECORDER_TOPIC`` (commonfund/settings.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import IntegrityError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor
from psycopg import Cursor
from psycopg.rows import DictRow

from api.ports import AnswerTaken, StoredAnswer

INSERT_ANSWER = (
    "INSERT INTO api_idempotency (scope, idempotency_key, request_hash, status_code,"
    " content_type, body, claimed_at, completed_at) VALUES ({0}, {0}, {0}, {0}, {0}, {0}, {0}, {0})"
)
TABLE = "api_idempotency"


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
    """Called with the transaction's cursor once the events and the answer are written, before
    the commit: tests crash the session here to show that a crash then leaves neither."""


class AnsweringPostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, with the request's answer in the events' transaction."""

    insert_answer = INSERT_ANSWER.format("%s")

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except IntegrityError as error:
            diag = getattr(error.__cause__, "diag", None)
            if _answer(kwargs) is not None and getattr(diag, "table_name", None) == TABLE:
                raise AnswerTaken(AnswerTaken.__doc__) from error
            raise
        return ids

    def _insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> None:
        answer = _answer(kwargs)
        if answer is not None:  # before the table lock: a transaction holding it never waits
            curs.execute(self.insert_answer, _row(answer, answer.at), prepare=True)
        super()._insert_events(curs, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        if _answer(kwargs) is not None:
            before_commit(curs)
        return ids


class AnsweringSQLiteRecorder(SQLiteApplicationRecorder):
    """The library's SQLite recorder, with the request's answer in the events' transaction."""

    insert_answer = INSERT_ANSWER.format("?") + " ON CONFLICT DO NOTHING"

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
