"""Edit a stored row behind the ledger's back, as an attacker with SQL access would."""

from __future__ import annotations

import sqlite3
from uuid import UUID

import psycopg

from commonfund.settings import Settings


def edit_event_state(
    settings: Settings, stream: UUID, version: int, old: bytes, new: bytes
) -> None:
    """Replace bytes inside one stored event's state; fail loudly if nothing changed."""
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            cursor = conn.execute(
                "UPDATE ledger_events SET state = decode(replace(encode(state, 'escape'), %s, %s),"
                " 'escape') WHERE originator_id = %s AND originator_version = %s"
                " AND position(%s::bytea in state) > 0",
                (old.decode(), new.decode(), stream, version, old),
            )
            changed = cursor.rowcount
    else:
        changed = _edit_sqlite(settings, stream, version, old, new)
    assert changed == 1, "the tamper helper did not find the bytes to edit"


def _edit_sqlite(settings: Settings, stream: UUID, version: int, old: bytes, new: bytes) -> int:
    lite = sqlite3.connect(settings.sqlite_path)
    try:
        for key in (str(stream), str(stream).replace("-", "")):
            row = lite.execute(
                "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                (key, version),
            ).fetchone()
            if row is not None and old in row[0]:
                lite.execute(
                    "UPDATE stored_events SET state = ? WHERE originator_id = ?"
                    " AND originator_version = ?",
                    (row[0].replace(old, new), key, version),
                )
                lite.commit()
                return 1
        return 0
    finally:
        lite.close()


def delete_event(settings: Settings, stream: UUID, version: int) -> None:
    if settings.is_postgres:
        with psycopg.connect(settings.database_url, autocommit=True) as conn:
            conn.execute(
                "DELETE FROM ledger_events WHERE originator_id = %s AND originator_version = %s",
                (stream, version),
            )
    else:
        lite = sqlite3.connect(settings.sqlite_path)
        try:
            for key in (str(stream), str(stream).replace("-", "")):
                lite.execute(
                    "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = ?",
                    (key, version),
                )
            lite.commit()
        finally:
            lite.close()
