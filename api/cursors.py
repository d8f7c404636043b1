"""Opaque page cursors over a log position: ``tag:position`` in URL-safe base64.

The tag names the list a cursor belongs to, so a cursor from one list is
refused by another rather than read as a position in it.
"""

from __future__ import annotations

import base64
import binascii

from ledger.errors import InvalidCommand


def cursor_of(tag: str, position: int) -> str:
    return base64.urlsafe_b64encode(f"{tag}:{position}".encode()).decode()


def position_of(tag: str, cursor: str | None) -> int:
    """The position a cursor of list ``tag`` stands for; 0 without one; 422 for anything else."""
    if cursor is None:
        return 0
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
        position = int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        kind, position = "", -1
    if kind != tag or position < 0:
        raise InvalidCommand("cursor: not a cursor this service gave out")
    return position
