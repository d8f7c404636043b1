"""Apply the numbered SQL files once each, in order, under a lock, recording a checksum of each.

PostgreSQL: a session advisory lock serialises concurrent ``commonfund migrate``
runs; each file is applied in its own transaction with its bookkeeping row.
SQLite: ``BEGIN IMMEDIATE`` takes the write lock for the same effect.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import psycopg

Dialect = Literal["postgres", "sqlite"]
ADVISORY_LOCK_KEY = 0x636F6D6D6F6E66  # "commonf"
_NAME = re.compile(r"(\d{4})_([a-z0-9_]+)(?:\.(postgres|sqlite))?\.sql")
_TRACKING = (
    "CREATE TABLE IF NOT EXISTS commonfund_schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " checksum text NOT NULL,"
    " applied_at text NOT NULL)"
)


class MigrationError(RuntimeError):
    """A migration could not be applied, or an applied one was changed afterwards."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available(dialect: Dialect) -> list[Migration]:
    """The migrations for one dialect: shared files and that dialect's own, by number."""
    found: dict[int, Migration] = {}
    for entry in resources.files("migrations").iterdir():
        match = _NAME.fullmatch(entry.name)
        if match is None or match.group(3) not in (None, dialect):
            continue
        version = int(match.group(1))
        if version in found:
            raise MigrationError(f"two migrations numbered {version:04d} for {dialect}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]


def _check_applied(applied: dict[int, str], migrations: list[Migration]) -> list[Migration]:
    by_version = {m.version: m for m in migrations}
    for version, checksum in applied.items():
        known = by_version.get(version)
        if known is None:
            raise MigrationError(f"the database has migration {version:04d}, unknown to this code")
        if known.checksum != checksum:
            raise MigrationError(
                f"migration {version:04d}_{known.name} changed after it was applied;"
                " add a new migration instead of editing an applied one"
            )
    return [m for m in migrations if m.version not in applied]


def migrate_postgres(conninfo: str) -> list[str]:
    """Apply pending migrations to PostgreSQL; return the names applied."""
    migrations = available("postgres")
    done: list[str] = []
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK_KEY,))
        try:
            conn.execute(_TRACKING)
            rows = conn.execute(
                "SELECT version, checksum FROM commonfund_schema_migrations"
            ).fetchall()
            for migration in _check_applied(dict(rows), migrations):
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO commonfund_schema_migrations VALUES (%s, %s, %s, now()::text)",
                        (migration.version, migration.name, migration.checksum),
                    )
                done.append(f"{migration.version:04d}_{migration.name}")
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ADVISORY_LOCK_KEY,))
    return done


def migrate_sqlite(path: Path) -> list[str]:
    """Apply pending migrations to a SQLite file; return the names applied."""
    migrations = available("sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    done: list[str] = []
    conn = sqlite3.connect(path, isolation_level=None, timeout=30)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(_TRACKING)
            rows = conn.execute("SELECT version, checksum FROM commonfund_schema_migrations")
            for migration in _check_applied(dict(rows.fetchall()), migrations):
                for statement in _statements(migration.sql):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO commonfund_schema_migrations VALUES (?, ?, ?, datetime('now'))",
                    (migration.version, migration.name, migration.checksum),
                )
                done.append(f"{migration.version:04d}_{migration.name}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    finally:
        conn.close()
    return done


def pending(dialect: Dialect, applied_versions: set[int]) -> list[str]:
    return [
        f"{m.version:04d}_{m.name}" for m in available(dialect) if m.version not in applied_versions
    ]


def _statements(sql: str) -> list[str]:
    """Split a migration into statements (our SQLite files hold no semicolons inside strings)."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def applied_postgres(conninfo: str) -> set[int]:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT to_regclass('commonfund_schema_migrations')").fetchone()
        if exists is None or exists[0] is None:
            return set()
        rows = conn.execute("SELECT version FROM commonfund_schema_migrations").fetchall()
        return {row[0] for row in rows}


def applied_sqlite(path: Path) -> set[int]:
    if not path.exists():
        return set()
    conn = sqlite3.connect(path)
    try:
        table = conn.execute(
            "SELECT name FROM sqlite_master WHERE name = 'commonfund_schema_migrations'"
        ).fetchone()
        if table is None:
            return set()
        return {row[0] for row in conn.execute("SELECT version FROM commonfund_schema_migrations")}
    finally:
        conn.close()
