"""Bearer tokens remembered for a few seconds: a request's credential costs no transaction.

Every request looked its token up in the database (one transaction, issue #15). A token's
record changes only when it is revoked, so each process keeps what it found for
``seconds`` (``COMMONFUND_TOKEN_CACHE_SECONDS``, 5 s by default): a revocation made in this
process takes effect at once, one made in another process within ``seconds``. Expiry is
checked on every request against the clock (api/auth.py), so a cached record never
outlives its token. An unknown token is not remembered: each try is looked up (and counted
by the rate limits).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from api.ports import TokenRecord, TokenStore

MAX_ENTRIES = 10_000  # past this the cache starts again empty: a bound, not an LRU


class CachedTokens:
    """A ``TokenStore`` that remembers what ``find`` returned, for ``seconds``."""

    def __init__(
        self,
        store: TokenStore,
        *,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.seconds = seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._found: dict[bytes, tuple[float, TokenRecord]] = {}  # digest -> (until, record)

    def find(self, secret: str) -> TokenRecord | None:
        digest = hashlib.sha256(secret.encode()).digest()
        now = self._clock()
        with self._lock:
            hit = self._found.get(digest)
        if hit is not None and hit[0] > now:
            return hit[1]
        record = self.store.find(secret)
        if record is not None and self.seconds > 0:
            with self._lock:
                if len(self._found) >= MAX_ENTRIES:
                    self._found.clear()
                self._found[digest] = (now + self.seconds, record)
        return record

    def revoke(self, token_id: str, now: datetime) -> TokenRecord | None:
        record = self.store.revoke(token_id, now)
        with self._lock:  # this process's revocation takes effect at once
            self._found = {d: hit for d, hit in self._found.items() if hit[1].id != token_id}
        return record

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
        return self.store.issue(
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

    def get(self, token_id: str) -> TokenRecord | None:
        return self.store.get(token_id)

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
        return self.store.issue_codes(
            complex_id, owner_keys, ballot_id=ballot_id, expires_at=expires_at, label=label, now=now
        )

    def redeem_code(
        self, code: str, *, now: datetime, token_expires_at: datetime
    ) -> tuple[str, TokenRecord] | None:
        return self.store.redeem_code(code, now=now, token_expires_at=token_expires_at)

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close is not None:
            close()
