"""Working days on China's official calendar: public holidays off, make-up working days on.

The supervision rules (A02, A14, A15, B01–B05) and the bank feed's matching (issue #14) count
with it, so it is kernel: ledger/ uses the ``chinese-calendar`` data package for it.

The State Council publishes each year's arrangement late in the year before;
the ``chinese-calendar`` package carries every published year (2004–2026 in
1.11). For a year it does not know yet, weekdays count as working days and
weekends do not, and ``covered`` says so, so that evidence can name it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

SOURCE = "chinese-calendar"


@lru_cache(maxsize=8192)
def covered(day: date) -> bool:
    """Whether the official arrangement of ``day``'s year is known."""
    try:
        chinese_calendar.is_workday(day)
    except NotImplementedError:
        return False
    return True


@lru_cache(maxsize=8192)
def is_working_day(day: date) -> bool:
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        return day.weekday() < 5


def working_days(first: date, last: date) -> int:
    """How many working days lie from ``first`` to ``last``, both included (0 if reversed)."""
    count, day = 0, first
    while day <= last:
        count += is_working_day(day)
        day += timedelta(days=1)
    return count


def within(first: date, last: date, span: int) -> bool:
    """Whether ``first`` and ``last`` lie within ``span`` working days of each other (in order)."""
    return first <= last and working_days(first, last) <= span


def note(first: date, last: date) -> str:
    """How the working days between two dates were counted, for an alert's evidence."""
    if covered(first) and covered(last):
        return SOURCE
    return f"{SOURCE}; weekdays only where the year's arrangement is not yet published"


def apart(first: date, second: date) -> int:
    """How many working days lie between two dates: those after the earlier, up to and
    including the later (0 for the same day; Friday to Monday is 1). Two look-ups, so the
    bank feed's matching can ask it for every candidate pair of 100,000 lines."""
    return abs(_rank(second) - _rank(first))


@lru_cache(maxsize=64)
def _year(year: int) -> tuple[int, ...]:
    """For each day of ``year``, the working days from its 1 January up to that day."""
    counts: list[int] = []
    count, day = 0, date(year, 1, 1)
    while day.year == year:
        count += is_working_day(day)
        counts.append(count)
        day += timedelta(days=1)
    return tuple(counts)


_BEFORE: dict[int, int] = {}  # year -> working days from EPOCH_YEAR up to its 1 January
EPOCH_YEAR = 1990


def _rank(day: date) -> int:
    """The working days from 1 January ``EPOCH_YEAR`` (negative before it) up to ``day``."""
    year = day.year
    if year not in _BEFORE:
        step = 1 if year >= EPOCH_YEAR else -1
        known = (
            max((y for y in _BEFORE if y <= year), default=EPOCH_YEAR)
            if step == 1
            else (min((y for y in _BEFORE if y >= year), default=EPOCH_YEAR))
        )
        total = _BEFORE.get(known, 0)
        for y in range(known, year, step):
            total += _year(y)[-1] if step == 1 else -_year(y - 1)[-1]
            _BEFORE[y + step] = total
        _BEFORE.setdefault(year, total)
    return _BEFORE[year] + _year(year)[day.timetuple().tm_yday - 1]
