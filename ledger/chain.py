"""The hash chain of every stream (H12): a canonical encoding of an event and its SHA-256.

Each event carries ``chain_prev`` (the hash of the event before it in its stream,
or ``GENESIS``) and ``chain_hash`` (SHA-256 over the canonical encoding of every
other field of the event, ``chain_prev`` included, and the event's topic). An
edited field changes that event's hash; a deleted or reordered event breaks the
next event's ``chain_prev``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any
from uuid import UUID

GENESIS = "0" * 64


def _encode(value: object) -> object:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no canonical encoding")


def canonical(fields: Mapping[str, Any]) -> bytes:
    """Sorted keys, no spaces, UTF-8, lists for tuples; floats refused by design (exact money)."""
    for value in fields.values():
        if isinstance(value, float):
            raise TypeError("floats have no canonical encoding; use integers (fen)")
    return json.dumps(
        fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_encode
    ).encode()


def event_hash(topic: str, fields: Mapping[str, Any]) -> str:
    """The hash an event commits to: its topic and all its fields except ``chain_hash``."""
    body = {k: v for k, v in fields.items() if k != "chain_hash"}
    body["topic"] = topic
    return hashlib.sha256(canonical(body)).hexdigest()


def root_of(heads: Iterable[tuple[str, int, str]]) -> str:
    """One root over chain heads given as (stream id, version, head hash)."""
    lines = "".join(f"{sid} {version} {head}\n" for sid, version, head in sorted(heads))
    return hashlib.sha256(lines.encode()).hexdigest()
