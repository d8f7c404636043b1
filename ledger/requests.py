"""What every command shares: a request's fingerprint for idempotency, and the stale-read signal."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from ledger.chain import canonical


class StaleRead(Exception):
    """The command read a cached aggregate older than the store: retry on fresh state."""


def fingerprint(body: Mapping[str, Any]) -> str:
    """A request's identity for idempotency: SHA-256 of its canonical encoding."""
    return hashlib.sha256(canonical(body)).hexdigest()
