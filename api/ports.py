"""What the HTTP edge needs from outside: credentials and idempotency records (implemented in commonfund/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol
from uuid import UUID

ROLES = ("operator", "committee", "owner", "regulator", "bank")


@dataclass(frozen=True, slots=True)
class TokenRecord:
    """A credential as stored: never the token itself, only its hash (kept by the store)."""

    id: str
    role: str
    complex_id: UUID | None
    member_id: str | None
    owner_key: str | None
    jurisdiction: str | None
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenStore(Protocol):
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
    ) -> tuple[str, TokenRecord]:
        """Store a new token; return the secret (shown once) and its record."""
        ...

    def revoke(self, token_id: str, now: datetime) -> TokenRecord | None: ...

    def find(self, secret: str) -> TokenRecord | None: ...

    def get(self, token_id: str) -> TokenRecord | None: ...


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status_code: int
    content_type: str
    body: bytes


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming an idempotency key for a request."""

    state: Literal["new", "replay", "mismatch", "in_progress"]
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    def claim(self, scope: str, key: str, request_hash: str, now: datetime) -> Claim: ...

    def complete(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None: ...

    def release(self, scope: str, key: str) -> None: ...
