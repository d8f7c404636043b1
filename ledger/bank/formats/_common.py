"""What the bank-file parsers share: exact amounts in fen, the file's hash, the content key."""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from ledger.bank.statement import StatementRefused

# Digits with an optional sign and point; "1,234.56" is accepted where the caller allows groups
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?")


def to_fen(
    text: str | None, where: str, *, signed: bool = False, grouped: bool = False, field: str = ""
) -> int:
    """An amount written in yuan ("1234.56", "1,234.56" when ``grouped``) as exact integer fen.

    More than two decimal places of value is refused (issue #14: money is exact); so is a sign
    unless ``signed``. Never a float on the way.
    """
    raw = (text or "").strip()
    label = f"{field}: " if field else ""
    if grouped and _GROUPED.fullmatch(raw):
        raw = raw.replace(",", "")
    if not _NUMBER.fullmatch(raw) or (not signed and raw[0] in "+-"):
        raise StatementRefused(
            f"{label}{raw!r} is not an amount (a decimal number of yuan)",
            where=where,
            problem="invalid-amount",
        )
    fen = Decimal(raw) * 100
    if fen != fen.to_integral_value():
        raise StatementRefused(
            f"{label}{raw!r} has more than two decimal places; amounts are exact to the fen",
            where=where,
            problem="invalid-amount",
        )
    return int(fen)


def sha256_hex(data: bytes) -> str:
    """The hex SHA-256 of the bytes received."""
    return hashlib.sha256(data).hexdigest()


def content_key(parts: tuple[str, ...], seen: dict[tuple[str, ...], int]) -> str:
    """``content:`` + a hash of a line's content and its occurrence of that content in the file.

    For a line without the bank's reference (issue #14 "Exactly once"): a re-import of the same
    file gives the same keys, and two identical lines stay two (the second has occurrence 1).
    """
    occurrence = seen.get(parts, 0)
    seen[parts] = occurrence + 1
    text = "\x1f".join((*parts, str(occurrence)))
    return "content:" + hashlib.sha256(text.encode()).hexdigest()


def yuan(fen: int) -> str:
    """Fen as yuan with two places, for messages: -123456 -> "-1234.56"."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
