"""Plugin: the tests' business day and the clocks commands read it from (the ``clock`` fixture)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

TODAY = date(2026, 11, 26)
NOON_SHANGHAI = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return NOON_SHANGHAI


class MovableClock:
    """A clock the test can move: commands see "today" in Asia/Shanghai from it."""

    def __init__(self) -> None:
        self.now = NOON_SHANGHAI

    def __call__(self) -> datetime:
        return self.now

    def set_today(self, day: date) -> None:
        self.now = datetime(day.year, day.month, day.day, 4, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()
