"""Business dates: ISO strings on events, real calendar dates in rules, today in the city's zone.

Two ways a rule counts days (docs/rules.md, "Counting days", has every rule's table):

- a **deadline** "within N days of" an event does not count the event's own day (Civil Code
  art. 201): the Nth day after it is the last day allowed (:func:`deadline`);
- a **span** that begins on a day it already holds (a term of office from the election day, a
  snooze from the day it is set) counts that day as its first (:func:`last_day_of_span`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta

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


def deadline(event: date, days: int) -> date:
    """The last day to act "within ``days`` days of" ``event``: its own day is not counted.

    Elected on 2026-06-01, a committee files within 30 days: by 2026-07-01.
    """
    return event + timedelta(days=days)


def last_day_of_span(first: date, *, years: int = 0, days: int = 0) -> date:
    """The last day of a span of ``years`` years and ``days`` days whose first day is ``first``.

    Both ends are counted: a five-year term elected on 2021-06-01 lasts until 2026-05-31. Years
    are reckoned as the Civil Code does (art. 202: the corresponding day, or the month's last day
    where there is none) from the day before ``first``, so a term from 2024-02-29 may last until
    2029-02-28.
    """
    return first - timedelta(days=1) + relativedelta(years=years, days=days)
