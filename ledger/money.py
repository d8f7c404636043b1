"""Exact money and floor area: parsing, formatting and largest-remainder splits.

Amounts are integers in fen (分); floor areas are integers in hundredths of a
square metre. Nothing here ever touches a float.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ledger.errors import InvalidAmount, InvalidArea

FEN_PER_YUAN = 100
MAX_AMOUNT_FEN = 10_000_000_000 * FEN_PER_YUAN  # 10,000,000,000.00 yuan (domain.md, Money)
MAX_AREA_CENTI = 100_000_000  # 1,000,000.00 m²: no single unit is larger

_DECIMAL = re.compile(r"(0|[1-9][0-9]{0,12})(?:\.([0-9]{1,2}))?")
_RATE = re.compile(r"0(\.[0-9]{1,4})?|1(\.0{1,4})?")


def _parse_hundredths(text: object) -> int | None:
    if not isinstance(text, str):
        return None
    match = _DECIMAL.fullmatch(text)
    if match is None:
        return None
    whole, cents = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(cents)


def parse_amount(text: object, field: str = "amount") -> int:
    """Parse a decimal string such as "1234.56" into fen; refuse anything inexact."""
    fen = _parse_hundredths(text)
    if fen is None:
        raise InvalidAmount(
            f"{field}: {text!r} is not an amount; write a decimal string with at most two"
            ' places, such as "1234.56" (no floats, exponents or signs)'
        )
    if fen <= 0:
        raise InvalidAmount(f"{field}: the amount must be greater than zero")
    if fen > MAX_AMOUNT_FEN:
        raise InvalidAmount(f"{field}: the amount is above the maximum of 10000000000.00")
    return fen


def parse_deduction(text: object, field: str = "deduction") -> int:
    """Like :func:`parse_amount`, but zero is allowed: what a collector kept may be nothing."""
    if text in ("0", "0.0", "0.00"):
        return 0
    return parse_amount(text, field)


def parse_rate_bp(text: object, field: str = "contracted_rate") -> int:
    """A rate from 0 to 1 with at most four places ("0.15") in basis points (1500)."""
    if not isinstance(text, str) or _RATE.fullmatch(text) is None:
        raise InvalidAmount(f"{field}: {text!r} is not a rate from 0 to 1 with at most 4 places")
    whole, _, fraction = text.partition(".")
    return int(whole) * 10_000 + int((fraction + "0000")[:4])


def parse_area(text: object, field: str = "floor_area") -> int:
    """Parse a floor area in m² with at most two places into hundredths of a m²."""
    centi = _parse_hundredths(text)
    if centi is None or centi <= 0 or centi > MAX_AREA_CENTI:
        raise InvalidArea(
            f"{field}: {text!r} is not a floor area; write m² as a decimal string with at"
            ' most two places, greater than zero, such as "89.50"'
        )
    return centi


def format_fen(fen: int) -> str:
    """Format fen as a decimal string with two places ("-12.30" for negatives)."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}{whole}.{cents:02d}"


def grouped(amount: int | str) -> str:
    """Yuan with thousands separated, as people read it (pages, notices, the desk): fen ``-1234560``
    or yuan ``"-12345.6"`` as ``"-12,345.60"``. Text that is not an amount is returned as it is."""
    text = format_fen(amount) if isinstance(amount, int) else amount
    sign, digits = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _, cents = digits.partition(".")
    if not whole.isdigit() or not (cents.isdigit() or cents == ""):
        return text
    return f"{sign}{int(whole):,}.{cents.ljust(2, '0')}"


def parse_signed_fen(text: str) -> int:
    """The inverse of :func:`format_fen`: ``"-12.30"`` is -1230 fen; anything it would not write is refused."""
    sign, digits = (-1, text[1:]) if text.startswith("-") else (1, text)
    fen = _parse_hundredths(digits)
    if fen is None or "." not in digits or len(digits.partition(".")[2]) != 2:
        raise InvalidAmount(f"{text!r} is not an amount as the ledger writes it (such as -12.30)")
    return sign * fen


format_area = format_fen  # hundredths of a m², the same two-place decimal


def check_fen(fen: int, field: str = "amount") -> int:
    """Validate an amount already in fen (used by internal callers and generators)."""
    if isinstance(fen, bool) or not isinstance(fen, int) or fen <= 0 or fen > MAX_AMOUNT_FEN:
        raise InvalidAmount(f"{field}: {fen!r} fen is not a positive amount within the maximum")
    return fen


def split_exact(total: int, weights: Mapping[str, int]) -> dict[str, int]:
    """Split ``total`` in proportion to ``weights`` so that the parts sum exactly.

    Each key first gets the floor of its share; the remaining units go one each
    to the keys with the largest remainders, ties broken by key (domain.md,
    Money; H10).
    """
    if total < 0:
        raise ValueError("split_exact splits a non-negative total")
    if not weights:
        if total:
            raise ValueError("cannot split a non-zero total over no weights")
        return {}
    if min(weights.values()) < 0:
        raise ValueError("weights must not be negative")
    weight_sum = sum(weights.values())
    if weight_sum == 0:
        raise ValueError("cannot split over weights that sum to zero")
    # A split may run over the 10,000 units of a complex on a command's path, so the
    # remainders are ranked as plain integers and only the keys tied at the last one
    # that gets a fen are sorted: the same result as sorting (-remainder, key) pairs.
    parts: dict[str, int] = {}
    remainders: list[int] = []
    for key, weight in weights.items():
        part, remainder = divmod(total * weight, weight_sum)
        parts[key] = part
        remainders.append(remainder)
    leftover = total - sum(parts.values())
    if leftover:
        cut = sorted(remainders, reverse=True)[leftover - 1]  # the smallest remainder served
        tied: list[str] = []
        for key, remainder in zip(parts, remainders, strict=True):
            if remainder > cut:
                parts[key] += 1
                leftover -= 1
            elif remainder == cut:
                tied.append(key)
        for key in sorted(tied)[:leftover]:
            parts[key] += 1
    return parts
