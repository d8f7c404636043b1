"""Bearer credentials and scopes (H15): who is calling, and may they touch this complex.

Outside its scope a caller gets 404 (it may not know the thing exists); inside
its scope but with a role that may not act, 403.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from fastapi import HTTPException

from api.ports import TokenRecord, TokenStore
from ledger.application import Actor

NOT_VISIBLE = "nothing of that id exists that these credentials may see"


@dataclass(frozen=True, slots=True)
class Place:
    """Where a thing lives: its complex and that complex's division codes."""

    complex_id: UUID
    district: str
    street: str
    community: str


def jurisdiction_prefix(code: str) -> str:
    """A division code as a prefix: 370200 (the city of Qingdao) covers every 3702… code."""
    prefix = code
    while len(prefix) > 2 and len(prefix) <= 6 and prefix.endswith("00"):
        prefix = prefix[:-2]
    return prefix


@dataclass(frozen=True, slots=True)
class Principal:
    token: TokenRecord

    @property
    def role(self) -> str:
        return self.token.role

    @property
    def actor(self) -> Actor:
        return Actor(self.token.role, self.token.id, self.token.member_id)

    def in_scope(self, place: Place) -> bool:
        if self.role == "operator":
            return True
        if self.role in ("committee", "owner"):
            return self.token.complex_id == place.complex_id
        if self.role == "regulator" and self.token.jurisdiction:
            return place.community.startswith(jurisdiction_prefix(self.token.jurisdiction))
        return False

    def require(self, place: Place, roles: Iterable[str]) -> None:
        """Allow only ``roles`` inside this principal's scope; 404 outside it, 403 inside."""
        if not self.in_scope(place):
            raise HTTPException(404, NOT_VISIBLE)
        if self.role not in roles:
            raise HTTPException(403, f"a {self.role} token may not do this (H15)")

    def require_role(self, roles: Iterable[str]) -> None:
        if self.role not in roles:
            raise HTTPException(403, f"a {self.role} token may not do this (H15)")


def authenticate(store: TokenStore, header: str | None, now: datetime) -> Principal:
    if not header or not header.startswith("Bearer "):
        raise HTTPException(401, "send Authorization: Bearer <token>")
    record = store.find(header.removeprefix("Bearer ").strip())
    if record is None:
        raise HTTPException(401, "the token is not known")
    if record.revoked_at is not None:
        raise HTTPException(401, "the token was revoked")
    if record.expires_at <= now:
        raise HTTPException(401, "the token has expired")
    return Principal(record)
