"""One active runner per read model per database: a PostgreSQL advisory lock or a file lock.

The lock only saves work: correctness does not rest on it, since every batch
re-reads its position inside the transaction that writes it. A runner that
dies (SIGKILL included) drops its connection or its file descriptor and with
it the lock, so a standby takes over.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

import psycopg

CONNECT_TIMEOUT_SECONDS = 5  # a database that does not answer: the runner backs off and retries


class RunnerLock(Protocol):
    def acquire(self) -> bool:
        """Take the lock if it is free; never waits."""

    def held(self) -> bool: ...

    def release(self) -> None: ...


def lock_key(name: str) -> int:
    """A stable signed 64-bit advisory-lock key for a read model."""
    digest = hashlib.sha256(f"commonfund.projection.{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class AdvisoryLock:
    def __init__(self, conninfo: str, name: str) -> None:
        self.conninfo = conninfo
        self.key = lock_key(name)
        self.connection: psycopg.Connection[Any] | None = None

    def acquire(self) -> bool:
        if self.connection is None or self.connection.closed:
            self.connection = psycopg.connect(
                self.conninfo, autocommit=True, connect_timeout=CONNECT_TIMEOUT_SECONDS
            )
        row = self.connection.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
        if row is not None and row[0]:
            return True
        self.release()
        return False

    def held(self) -> bool:
        if self.connection is None or self.connection.closed:
            return False
        try:
            self.connection.execute("SELECT 1")
        except psycopg.Error:
            self.release()
            return False
        return True

    def release(self) -> None:
        if self.connection is not None:
            self.connection.close()  # closing the session releases its advisory locks
            self.connection = None


class FileLock:
    def __init__(self, database: Path, name: str) -> None:
        self.path = database.with_name(f"{database.name}.{name}.lock")
        self.fd: int | None = None

    def acquire(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def held(self) -> bool:
        return self.fd is not None

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
