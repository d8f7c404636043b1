"""SQL adapters behind api.ports: bearer tokens (hashed) and idempotency records, on SQLite or PostgreSQL."""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from api.ports import Claim, StoredResponse, TokenRecord
from projections.db import connection_pool

TOKEN_PREFIX = "cf_"
ABANDONED_AFTER = timedelta(seconds=30)  # a claim left by a crashed request may be retaken
_TOKEN_COLUMNS = (
    "id, role, complex_id, member_id, owner_key, jurisdiction, label, created_at, expires_at,"
    " revoked_at, bank_code"
)


CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud and typed by hand
CODE_LENGTH = 12  # 60 bits


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def normalised(code: str) -> str:
    return code.strip().upper().replace(" ", "").replace("-", "")


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class SqlStore:
    """Short transactions on SQLite or PostgreSQL; ``?`` placeholders are rewritten for psycopg."""

    def __init__(
        self,
        *,
        sqlite_path: Path | None = None,
        postgres: str | None = None,
        min_size: int = 1,
        max_size: int = 4,
    ) -> None:
        self._sqlite_path = sqlite_path
        self._pool = (
            connection_pool(postgres, min_size=min_size, max_size=max_size) if postgres else None
        )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        if self._pool is not None:
            with self._pool.connection() as conn, conn.transaction():
                yield conn
            return
        assert self._sqlite_path is not None  # noqa: S101 - constructor guarantees one store
        lite = sqlite3.connect(self._sqlite_path, timeout=30, isolation_level=None)
        try:
            lite.execute("BEGIN IMMEDIATE")
            try:
                yield lite
            except BaseException:
                lite.execute("ROLLBACK")
                raise
            lite.execute("COMMIT")
        finally:
            lite.close()

    def _run(self, conn: Any, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._pool is not None:
            sql = sql.replace("?", "%s")
        cursor = conn.execute(sql, tuple(params))
        return list(cursor.fetchall()) if cursor.description else []

    def _time(self, value: datetime) -> Any:
        return value if self._pool is not None else value.isoformat()

    @staticmethod
    def _parse_time(value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value
        return datetime.fromisoformat(str(value))


class SqlStores(SqlStore):
    """Both stores of the HTTP edge over one database: bearer tokens and idempotency records."""

    # --- tokens -----------------------------------------------------------------------

    def _record(self, row: tuple[Any, ...]) -> TokenRecord:
        created, expires = self._parse_time(row[7]), self._parse_time(row[8])
        assert created is not None  # noqa: S101 - NOT NULL columns
        assert expires is not None  # noqa: S101
        return TokenRecord(
            id=row[0],
            role=row[1],
            complex_id=UUID(str(row[2])) if row[2] else None,
            member_id=row[3],
            owner_key=row[4],
            jurisdiction=row[5],
            label=row[6],
            created_at=created,
            expires_at=expires,
            revoked_at=self._parse_time(row[9]),
            bank_code=row[10],
        )

    def issue(
        self,
        *,
        role: str,
        complex_id: UUID | None,
        member_id: str | None,
        owner_key: str | None,
        jurisdiction: str | None,
        expires_at: datetime,
        label: str,
        now: datetime,
        bank_code: str | None = None,
    ) -> tuple[str, TokenRecord]:
        with self._transaction() as conn:
            return self._issue_in(
                conn,
                role=role,
                complex_id=complex_id,
                member_id=member_id,
                owner_key=owner_key,
                jurisdiction=jurisdiction,
                expires_at=expires_at,
                label=label,
                now=now,
                bank_code=bank_code,
            )

    def _issue_in(
        self,
        conn: Any,
        *,
        role: str,
        complex_id: UUID | None,
        member_id: str | None,
        owner_key: str | None,
        jurisdiction: str | None,
        expires_at: datetime,
        label: str,
        now: datetime,
        bank_code: str | None = None,
    ) -> tuple[str, TokenRecord]:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(8)
        complex_value = str(complex_id) if complex_id else None
        self._run(
            conn,
            f"INSERT INTO api_tokens ({_TOKEN_COLUMNS}, token_hash)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                token_id,
                role,
                complex_value,
                member_id,
                owner_key,
                jurisdiction,
                label,
                self._time(now),
                self._time(expires_at),
                None,
                bank_code,
                token_hash(secret),
            ),
        )
        record = TokenRecord(
            token_id,
            role,
            complex_id,
            member_id,
            owner_key,
            jurisdiction,
            label,
            now,
            expires_at,
            None,
            bank_code,
        )
        return secret, record

    def find(self, secret: str) -> TokenRecord | None:
        with self._transaction() as conn:
            rows = self._run(
                conn,
                f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?",
                (token_hash(secret),),
            )
        return self._record(rows[0]) if rows else None

    def get(self, token_id: str) -> TokenRecord | None:
        with self._transaction() as conn:
            rows = self._run(
                conn, f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
            )
        return self._record(rows[0]) if rows else None

    def revoke(self, token_id: str, now: datetime) -> TokenRecord | None:
        with self._transaction() as conn:
            self._run(
                conn,
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                (self._time(now), token_id),
            )
            rows = self._run(
                conn, f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE id = ?", (token_id,)
            )
        return self._record(rows[0]) if rows else None

    # --- one-time owner codes (issue #16) -----------------------------------------------

    def issue_codes(
        self,
        complex_id: UUID,
        owner_keys: Sequence[str],
        *,
        ballot_id: UUID | None,
        expires_at: datetime,
        label: str,
        now: datetime,
    ) -> list[str]:
        codes = [new_code() for _ in owner_keys]
        with self._transaction() as conn:
            for code, owner_key in zip(codes, owner_keys, strict=True):
                self._run(
                    conn,
                    "INSERT INTO owner_codes (code_hash, complex_id, owner_key, ballot_id, label,"
                    " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        token_hash(normalised(code)),
                        str(complex_id),
                        owner_key,
                        None if ballot_id is None else str(ballot_id),
                        label,
                        self._time(now),
                        self._time(expires_at),
                    ),
                )
        return codes

    def redeem_code(
        self, code: str, *, now: datetime, token_expires_at: datetime
    ) -> tuple[str, TokenRecord] | None:
        """The owner token for an unused, unexpired code (None otherwise); the code is spent."""
        with self._transaction() as conn:
            rows = self._run(
                conn,
                "UPDATE owner_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL"
                " AND expires_at > ? RETURNING complex_id, owner_key",
                (self._time(now), token_hash(normalised(code)), self._time(now)),
            )
            if not rows:
                return None
            complex_id, owner_key = UUID(str(rows[0][0])), str(rows[0][1])
            secret, record = self._issue_in(
                conn,
                role="owner",
                complex_id=complex_id,
                member_id=None,
                owner_key=owner_key,
                jurisdiction=None,
                expires_at=token_expires_at,
                label="owner code",
                now=now,
            )
            self._run(
                conn,
                "UPDATE owner_codes SET token_id = ? WHERE code_hash = ?",
                (record.id, token_hash(normalised(code))),
            )
        return secret, record

    # --- idempotency --------------------------------------------------------------------

    def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> Claim:
        """Claim the key for this request; a concurrent claimant waits for the insert to settle."""
        with self._transaction() as conn:
            inserted = self._run(
                conn,
                "INSERT INTO api_idempotency (scope, idempotency_key, request_hash, claimed_at)"
                " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING scope",
                (scope, key, request_hash, self._time(now)),
            )
            if inserted:
                return Claim("new")
            found = self._stored_key(conn, scope, key, request_hash, now)
            if found is not None and found.state != "new":
                return found
            self._run(  # abandoned: this request takes the claim over
                conn,
                "UPDATE api_idempotency SET claimed_at = ? WHERE scope = ? AND idempotency_key = ?",
                (self._time(now), scope, key),
            )
            return Claim("new")

    def _stored_key(
        self, conn: Any, scope: str, key: str, request_hash: str, now: datetime
    ) -> Claim | None:
        """What a stored key holds for this request (None: no row): ``mismatch``, ``replay``
        with its answer, ``in_progress`` while its claim is fresh, or ``new`` for a claim
        abandoned unanswered (the caller takes it over)."""
        rows = self._run(
            conn,
            "SELECT request_hash, status_code, content_type, body, claimed_at"
            " FROM api_idempotency WHERE scope = ? AND idempotency_key = ?",
            (scope, key),
        )
        if not rows:
            return None
        stored_hash, status, content_type, body, claimed_at = rows[0]
        if stored_hash != request_hash:
            return Claim("mismatch")
        if status is not None:
            return Claim("replay", StoredResponse(int(status), str(content_type), bytes(body)))
        claimed = self._parse_time(claimed_at)
        if claimed is not None and now - claimed <= ABANDONED_AFTER:
            return Claim("in_progress")
        return Claim("new")

    def complete(
        self, scope: str, key: str, response: StoredResponse, now: datetime
    ) -> StoredResponse | None:
        """The first response stored for a key stays: a rerun never replaces it."""
        with self._transaction() as conn:
            stored = self._run(
                conn,
                "UPDATE api_idempotency SET status_code = ?, content_type = ?, body = ?,"
                " completed_at = ? WHERE scope = ? AND idempotency_key = ?"
                " AND status_code IS NULL RETURNING scope",
                (
                    response.status_code,
                    response.content_type,
                    response.body,
                    self._time(now),
                    scope,
                    key,
                ),
            )
            if stored:
                return None
            rows = self._run(
                conn,
                "SELECT status_code, content_type, body FROM api_idempotency"
                " WHERE scope = ? AND idempotency_key = ?",
                (scope, key),
            )
        if not rows or rows[0][0] is None:  # released meanwhile: nothing stored, ours stands
            return None
        status, content_type, body = rows[0]
        return StoredResponse(int(status), str(content_type), bytes(body))

    def lookup(self, scope: str, key: str, request_hash: str, now: datetime) -> Claim:
        """What the key holds, without claiming it (one read; the answer is written with the
        request's events, commonfund/recorders.py). An unanswered claim left by an older
        version's request is released once abandoned, and "new" is answered."""
        with self._transaction() as conn:
            found = self._stored_key(conn, scope, key, request_hash, now)
            if found is None or found.state != "new":
                return found or Claim("new")
            self._run(  # abandoned: released, so the request runs
                conn,
                "DELETE FROM api_idempotency WHERE scope = ? AND idempotency_key = ?"
                " AND status_code IS NULL",
                (scope, key),
            )
            return Claim("new")

    def keep(
        self, scope: str, key: str, request_hash: str, response: StoredResponse, now: datetime
    ) -> StoredResponse | None:
        """Store an answer whose request recorded no events (a replay the ledger answered from
        its record); None when stored, else the answer stored first under the key."""
        with self._transaction() as conn:
            inserted = self._run(
                conn,
                "INSERT INTO api_idempotency (scope, idempotency_key, request_hash, status_code,"
                " content_type, body, claimed_at, completed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT DO NOTHING RETURNING scope",
                (
                    scope,
                    key,
                    request_hash,
                    response.status_code,
                    response.content_type,
                    response.body,
                    self._time(now),
                    self._time(now),
                ),
            )
            if inserted:
                return None
        return self.complete(scope, key, response, now)

    def release(self, scope: str, key: str) -> None:
        with self._transaction() as conn:
            self._run(
                conn,
                "DELETE FROM api_idempotency WHERE scope = ? AND idempotency_key = ?"
                " AND status_code IS NULL",
                (scope, key),
            )


def utcnow() -> datetime:
    return datetime.now(UTC)
