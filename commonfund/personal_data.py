"""The personal-data keeper: one AES-GCM key per person in ``personal_keys``, wrapped, cached.

Implements ``ledger.personal.PersonalData`` on SQLite or PostgreSQL (migration
0010). A person's data key is made on first use (``INSERT … ON CONFLICT DO
NOTHING``, then read back, so two processes sealing for the same new person
agree on one key) and stored wrapped under a key derived from the deployment
secret (``COMMONFUND_IDENTITY_SECRET``): the database alone opens nothing.
Keys are cached per process for ``COMMONFUND_PERSONAL_KEY_CACHE_SECONDS``
(5 s), which is how long an erasure takes to reach every serving process.

Sealed text is ``pd1:<person>:<base64url(nonce ‖ ciphertext ‖ tag)>``, the person
bound as associated data: a changed byte, another person's key or an erased key
all fail authentication, and ``reveal`` answers None.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from commonfund.stores import SqlStore
from ledger.personal import PERSON, SEALED, person_of

NONCE = 12


class KeysUnreadable(RuntimeError):
    """A wrapped key does not open: a configuration error, never taken for an erasure."""


def derive(secret: str, label: str) -> bytes:
    """A 256-bit key for one use of the deployment secret (HMAC-SHA256 as the KDF)."""
    return hmac.new(secret.encode(), f"commonfund/{label}".encode(), hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# a new person, or one erased before and named again (their old data stays erased: it was
# sealed under the key that is gone)
INSERT_KEY = (
    "INSERT INTO personal_keys (person, wrapped_key, created_at) VALUES (?, ?, ?)"
    " ON CONFLICT (person) DO UPDATE SET wrapped_key = excluded.wrapped_key,"
    " created_at = excluded.created_at, erased_at = NULL"
    " WHERE personal_keys.wrapped_key IS NULL"
)
BATCH = 500  # persons per query
PREPARED_SECONDS = 60.0  # how long keys prepared for a bank import stay cached


class PersonalKeys(SqlStore):
    """``PersonalData`` over the ``personal_keys`` table of the ledger's own database."""

    def __init__(
        self,
        secret: str,
        *,
        sqlite_path: Path | None = None,
        postgres: str | None = None,
        cache_seconds: float = 5.0,
    ) -> None:
        # keys are cached, and loaded under the keeper's lock: one connection is all it uses,
        # opened when a person is new or a cached key expires
        super().__init__(sqlite_path=sqlite_path, postgres=postgres, min_size=0, max_size=1)
        self._wrap = AESGCM(derive(secret, "personal-data/wrap"))
        self._hash_key = derive(secret, "personal-data/pseudonym")
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, AESGCM | None]] = {}
        self._lock = threading.Lock()

    # --- the port --------------------------------------------------------------------

    def pseudonym(self, purpose: str, text: str) -> str:
        message = f"{purpose}\x00{text}".encode()
        return hmac.new(self._hash_key, message, hashlib.sha256).hexdigest()

    def seal(self, person: str, text: str) -> str:
        if not PERSON.fullmatch(person):
            raise ValueError(f"a person is 16-128 letters and digits, not {person!r}")
        key = self._key(person, create=True)
        assert key is not None  # noqa: S101 - create=True always yields a key
        nonce = os.urandom(NONCE)
        sealed = key.encrypt(nonce, text.encode(), f"{SEALED}{person}".encode())
        return f"{SEALED}{person}:{_b64(nonce + sealed)}"

    def reveal(self, sealed: str) -> str | None:
        person = person_of(sealed)
        if person is None:
            return None
        key = self._key(person, create=False)
        if key is None:
            return None
        data = _unb64(sealed.rsplit(":", 1)[1])
        try:
            plain = key.decrypt(data[:NONCE], data[NONCE:], f"{SEALED}{person}".encode())
        except (InvalidTag, ValueError):
            return None
        return plain.decode()

    def prepare(self, persons: Iterable[str]) -> None:
        """Load the keys of many persons in one transaction, making the missing ones, into the
        cache (issue #14: a bank file of 100,000 lines names thousands of payers; one round
        trip each cost more than the rest of the import)."""
        if self._cache_seconds <= 0:
            return
        now = time.monotonic()
        with self._lock:
            wanted = sorted(
                p
                for p in set(persons)
                if PERSON.fullmatch(p)
                and not ((c := self._cache.get(p)) and c[0] > now and c[1] is not None)
            )
            if not wanted:
                return
            wrapped = self._load_many(wanted)
            # held long enough for the import that asked to seal with them (100,000 lines take
            # some seconds): an erasure reaches this process at most PREPARED_SECONDS later
            until = time.monotonic() + max(self._cache_seconds, PREPARED_SECONDS)
            if len(self._cache) + len(wrapped) > 100_000:
                self._cache.clear()
            for person, key in wrapped.items():
                self._cache[person] = (until, self._unwrap(person, key))

    def _load_many(self, persons: list[str]) -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        with self._transaction() as conn:
            for start in range(0, len(persons), BATCH):
                chunk = persons[start : start + BATCH]
                marks = ", ".join("?" * len(chunk))
                rows = self._run(
                    conn,
                    f"SELECT person, wrapped_key FROM personal_keys WHERE person IN ({marks})",  # noqa: S608 - placeholders only
                    chunk,
                )
                found.update({str(p): bytes(w) for p, w in rows if w is not None})
            now = self._time(datetime.now(UTC))
            for person in persons:
                if person in found:
                    continue
                fresh = AESGCM.generate_key(bit_length=256)
                nonce = os.urandom(NONCE)
                sealed = nonce + self._wrap.encrypt(nonce, fresh, person.encode())
                self._run(conn, INSERT_KEY, (person, sealed, now))
                wrapped = self._wrapped(conn, person)  # another process may have won
                if wrapped is not None:
                    found[person] = wrapped
        return found

    def _unwrap(self, person: str, wrapped: bytes) -> AESGCM:
        try:
            return AESGCM(self._wrap.decrypt(wrapped[:NONCE], wrapped[NONCE:], person.encode()))
        except InvalidTag:
            raise KeysUnreadable(
                "the personal-data keys do not open with this COMMONFUND_IDENTITY_SECRET:"
                " the deployment secret was changed, or the keys table was altered"
            ) from None

    # --- erasure ------------------------------------------------------------------------

    def erase(self, person: str, *, now: datetime) -> bool:
        """Destroy the person's key; False when there was none to destroy (already erased)."""
        with self._transaction() as conn:
            rows = self._run(
                conn,
                "UPDATE personal_keys SET wrapped_key = NULL, erased_at = ?"
                " WHERE person = ? AND wrapped_key IS NOT NULL RETURNING person",
                (self._time(now), person),
            )
        with self._lock:
            self._cache.pop(person, None)
        return bool(rows)

    def erased_at(self, person: str) -> str | None:
        with self._transaction() as conn:
            rows = self._run(
                conn, "SELECT erased_at FROM personal_keys WHERE person = ?", (person,)
            )
        return str(rows[0][0]) if rows and rows[0][0] is not None else None

    def record_erasure(self, person: str, *, by: str, report: str, now: datetime) -> None:
        with self._transaction() as conn:
            self._run(
                conn,
                "INSERT INTO personal_erasures (person, erased_at, erased_by, report)"
                " VALUES (?, ?, ?, ?)",
                (person, self._time(now), by, report),
            )

    def forget(self) -> None:
        """Drop every cached key (a test, or after an erasure in this process)."""
        with self._lock:
            self._cache.clear()

    # --- keys -----------------------------------------------------------------------

    def _key(self, person: str, *, create: bool) -> AESGCM | None:
        with self._lock:
            cached = self._cache.get(person)
            fresh = cached is not None and cached[0] > time.monotonic()
            if cached is not None and fresh and (cached[1] is not None or not create):
                return cached[1]
            key = self._load(person, create=create)
            if self._cache_seconds > 0:
                if len(self._cache) > 100_000:
                    self._cache.clear()
                self._cache[person] = (time.monotonic() + self._cache_seconds, key)
            return key

    def _load(self, person: str, *, create: bool) -> AESGCM | None:
        with self._transaction() as conn:
            wrapped = self._wrapped(conn, person)
            if wrapped is None and create:
                fresh = AESGCM.generate_key(bit_length=256)
                nonce = os.urandom(NONCE)
                sealed = nonce + self._wrap.encrypt(nonce, fresh, person.encode())
                now = self._time(datetime.now(UTC))
                # a new person, or one erased before and named again (their old data stays
                # erased: it was sealed under the key that is gone)
                self._run(conn, INSERT_KEY, (person, sealed, now))
                wrapped = self._wrapped(conn, person)
        if wrapped is None:
            return None
        return self._unwrap(person, wrapped)

    def _wrapped(self, conn: Any, person: str) -> bytes | None:
        rows = self._run(conn, "SELECT wrapped_key FROM personal_keys WHERE person = ?", (person,))
        return bytes(rows[0][0]) if rows and rows[0][0] is not None else None
