"""Deterministic ids: the same request names the same stream, so a replay finds what it made."""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("5d1c3a52-6f0e-4d8e-9a57-3c0b8f1e2a10")


def complex_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"complex/{code}")


def committee_id(complex_: UUID, election_resolution: UUID) -> UUID:
    return uuid5(NAMESPACE, f"committee/{complex_}/{election_resolution}")


def resolution_id(complex_: UUID, idempotency_key: str) -> UUID:
    return uuid5(NAMESPACE, f"resolution/{complex_}/{idempotency_key}")


def account_id(complex_: UUID, committee: UUID) -> UUID:
    return uuid5(NAMESPACE, f"account/{complex_}/{committee}")


def child_id(parent: UUID, idempotency_key: str) -> str:
    """An entry, expenditure or decision id inside its parent stream."""
    return str(uuid5(parent, idempotency_key))
