"""The read models' own connection to the ledger's database: PostgreSQL or SQLite.

SQL in projections/ is written once with ``?`` placeholders; on PostgreSQL they
become ``%s``. A transaction on SQLite is ``BEGIN IMMEDIATE`` (the write lock
at once), so two writers never interleave a batch.
"""

from __future__ import annotations

import select
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal, Protocol

import psycopg
from psycopg import sql as pgsql
from psycopg_pool import ConnectionPool

Dialect = Literal["postgres", "sqlite"]
RECONNECT_SECONDS = 2.0  # a pool gives up a failing reconnection after this (LivePool)
OUTAGE_WAIT_SECONDS = 0.25  # how long a request waits for a connection while the server is gone
# how long a request waits for a connection at most (psycopg_pool's default is 30 s, a client's
# usual timeout): a restart that has not yet failed a reconnection still answers 503 in time
POOL_WAIT_SECONDS = 10.0
Row = tuple[Any, ...]


class Tx(Protocol):
    dialect: Dialect

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows at once, with no conflict handling (``COPY`` on PostgreSQL)."""
        ...


def dropped(connection: psycopg.Connection[Any]) -> bool:
    """Whether the server has ended this idle connection, mostly without a round trip.

    A server that restarted or ended the session has sent its last words (or an end of
    file) to the idle socket, so the socket reads ready: only then is the connection
    asked for real (one round trip). An idle connection with nothing to read costs one
    ``select`` of zero timeout.
    """
    if connection.closed:
        return True
    readable, _, _ = select.select([connection.fileno()], [], [], 0)
    if not readable:
        return False
    try:
        ConnectionPool.check_connection(connection)
    except psycopg.Error:
        return True
    return False


class LivePool(ConnectionPool[Any]):
    """A pool that never lends a connection the server has dropped, and fails fast while the
    server is gone (issue #12).

    After a PostgreSQL restart every idle connection of every pool is dead. Lent as they
    were, each failed the request it was lent to; psycopg_pool's own ``check`` callback
    discards them but pauses after each (a second, doubling), so a pool of five needed
    half a minute to lend a live one. Here the first dead connection found makes the
    pool check all its idle ones at once (``check()`` replaces the dead in the
    background) and the request waits only for a fresh connection.

    While the server is gone, a failed reconnection is given up after
    ``RECONNECT_SECONDS`` (the next request starts a fresh attempt at once, instead of
    waiting out a back-off that doubles to minutes), and requests wait at most
    ``OUTAGE_WAIT_SECONDS`` for a connection, so they answer 503 within seconds.
    """

    unreachable: bool = False  # a reconnection failed and no connection was lent since

    def __init__(self, conninfo: str, **options: Any) -> None:
        super().__init__(conninfo, reconnect_timeout=RECONNECT_SECONDS, **options)

    def getconn(self, timeout: float | None = None) -> Any:
        if self.unreachable:
            timeout = min(self.timeout if timeout is None else timeout, OUTAGE_WAIT_SECONDS)
        connection = super().getconn(timeout)
        self.unreachable = False
        if not dropped(connection):
            return connection
        self.putconn(connection)  # broken: the pool closes it and opens another
        self.check()  # the others the restart dropped, found and replaced now
        return super().getconn(timeout)

    def reconnect_failed(self) -> None:
        self.unreachable = True
        super().reconnect_failed()


def connection_pool(conninfo: str, *, max_size: int, min_size: int = 1, **options: Any) -> LivePool:
    """A pool (of at least one connection, by default) that never lends a dropped one."""
    options.setdefault("timeout", POOL_WAIT_SECONDS)
    return LivePool(conninfo, min_size=min_size, max_size=max_size, open=True, **options)


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """The plain INSERT that ``append`` runs for each row where there is no COPY (SQLite)."""
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608


class _PostgresTx:
    dialect: Dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s"), params)
            return cursor.fetchall() if cursor.description else []

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self.connection.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        copy = pgsql.SQL("COPY {} ({}) FROM STDIN").format(
            pgsql.Identifier(table), pgsql.SQL(", ").join(pgsql.Identifier(c) for c in columns)
        )
        with self.connection.cursor() as cursor, cursor.copy(copy) as rows_in:
            for row in rows:
                rows_in.write_row(row)


class _SqliteTx:
    dialect: Dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        return self.connection.execute(sql, tuple(params)).fetchall()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(sql, rows)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.connection.executemany(insert_sql(table, columns), rows)


class Database:
    """Where the read models live: the ledger's own database (a small pool on PostgreSQL)."""

    def __init__(self, dialect: Dialect, *, conninfo: str = "", path: Path = Path()) -> None:
        self.dialect = dialect
        self.conninfo = conninfo
        self.path = path
        self._pool: LivePool | None = None
        self._autocommit: LivePool | None = None
        self._lock = threading.Lock()

    def pool(self) -> LivePool:
        with self._lock:
            if self._pool is None:
                self._pool = connection_pool(self.conninfo, max_size=8)
            return self._pool

    def close(self) -> None:
        with self._lock:
            for pool in (self._pool, self._autocommit):
                if pool is not None:
                    pool.close()
            self._pool = self._autocommit = None

    def read_once(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """One read-only statement, consistent by itself: one round trip, no transaction around it.

        For hot reads (a published statement's metadata) that need no second query
        to agree with the first.
        """
        if self.dialect == "postgres":
            with self._lock:
                if self._autocommit is None:
                    self._autocommit = connection_pool(
                        self.conninfo, max_size=8, kwargs={"autocommit": True}
                    )
                pool = self._autocommit
            with pool.connection() as connection:
                return list(connection.execute(sql.replace("?", "%s"), tuple(params)).fetchall())
        lite = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            return lite.execute(sql, tuple(params)).fetchall()
        finally:
            lite.close()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        if self.dialect == "postgres":
            with self.pool().connection() as connection:
                yield _PostgresTx(connection)  # commits on clean exit, rolls back otherwise
            return
        lite = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
            try:
                yield _SqliteTx(lite)
            except BaseException:
                lite.execute("ROLLBACK")
                raise
            lite.execute("COMMIT")
        finally:
            lite.close()

    @contextmanager
    def reading(self) -> Iterator[Tx]:
        """A read-only snapshot (one transaction, so a statement never mixes two positions)."""
        if self.dialect == "postgres":
            with self.pool().connection() as connection:
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                yield _PostgresTx(connection)
            return
        lite = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            lite.execute("BEGIN")
            yield _SqliteTx(lite)
            lite.execute("COMMIT")
        finally:
            lite.close()


# --- many rows, many values: one statement each, whichever the store ------------------------

SQLITE_IN_LIMIT = 500  # values per IN list, far below SQLite's parameter limit


def insert_many(
    tx: Tx, table: str, columns: str, types: Sequence[str], rows: Sequence[Sequence[Any]],
    *, conflict: str = "",
) -> None:  # fmt: skip
    """Many rows in one statement: on PostgreSQL one ``unnest`` of a column array each (one
    short statement text, prepared once; arrays sent in binary, ``%b``, as the text format
    escapes every element in Python), on SQLite ``executemany``."""
    if not rows:
        return
    if tx.dialect == "postgres":
        arrays = ", ".join(f"%b::{t}[]" for t in types)
        tx.execute(
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}){conflict}",  # noqa: S608
            [list(column) for column in zip(*rows, strict=True)],
        )
        return
    marks = ", ".join("?" * len(types))
    tx.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks}){conflict}", rows)  # noqa: S608


def among(tx: Tx, column: str, values: Sequence[str]) -> Iterable[tuple[str, list[Any]]]:
    """``column`` among ``values``: a condition and its parameters, in as many parts as needed."""
    if tx.dialect == "postgres":
        yield f"{column} = ANY(%b::text[])", [list(values)]
        return
    for start in range(0, len(values), SQLITE_IN_LIMIT):
        part = list(values[start : start + SQLITE_IN_LIMIT])
        yield f"{column} IN ({', '.join('?' * len(part))})", part
