"""Business dates: ISO strings on events, real calendar dates in rules, today in the city's zone."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from ledger.errors import InvalidDate

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(text: object, field: str = "date") -> date:
    """Parse YYYY-MM-DD strictly; impossible dates (2026-02-30) are refused."""
    if isinstance(text, date) and not isinstance(text, datetime):
        return text
    if not isinstance(text, str) or _ISO_DATE.fullmatch(text) is None:
        raise InvalidDate(f"{field}: {text!r} is not a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InvalidDate(f"{field}: {text} is not a real calendar date") from None


def iso(day: date) -> str:
    return day.isoformat()


def local_today(now: datetime, timezone: str) -> date:
    """The business date of an instant in the city's time zone (Asia/Shanghai by default)."""
    return now.astimezone(ZoneInfo(timezone)).date()
