"""Statement periods: a month (``2026-07``), a quarter (``2026-Q3``) or a year (``2026``).

A period is a closed range of value dates. Statements are made per period
(Disclosure in spec/domain.md); the quarter is the default period.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from ledger.errors import InvalidPeriod

PeriodKind = Literal["month", "quarter", "year"]
_PATTERN = re.compile(r"^(?P<year>[0-9]{4})(?:-(?:Q(?P<quarter>[1-4])|(?P<month>0[1-9]|1[0-2])))?$")
PERIOD_PATTERN = _PATTERN.pattern


@dataclass(frozen=True, slots=True, order=True)
class Period:
    start: date
    end: date  # inclusive
    kind: PeriodKind

    @classmethod
    def parse(cls, text: str) -> Period:
        match = _PATTERN.match(text)
        if match is None or not 2000 <= int(match["year"]) <= 2200:
            raise InvalidPeriod(
                f"{text!r} is not a period: write a month (2026-07), a quarter (2026-Q3)"
                " or a year (2026)"
            )
        year = int(match["year"])
        if match["quarter"]:
            first = 3 * (int(match["quarter"]) - 1) + 1
            return cls(date(year, first, 1), _month_end(year, first + 2), "quarter")
        if match["month"]:
            month = int(match["month"])
            return cls(date(year, month, 1), _month_end(year, month), "month")
        return cls(date(year, 1, 1), date(year, 12, 31), "year")

    @property
    def name(self) -> str:
        if self.kind == "year":
            return f"{self.start.year}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def following(self) -> Period:
        """The next period of the same kind."""
        return Period.containing(self.end + timedelta(days=1), self.kind)

    @classmethod
    def containing(cls, day: date, kind: PeriodKind) -> Period:
        if kind == "year":
            return cls.parse(f"{day.year}")
        if kind == "quarter":
            return cls.parse(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
        return cls.parse(f"{day.year}-{day.month:02d}")

    @classmethod
    def all_containing(cls, day: date) -> list[Period]:
        """The month, quarter and year that a value date falls in."""
        return [cls.containing(day, kind) for kind in ("month", "quarter", "year")]

    def __str__(self) -> str:
        return self.name


def _month_end(year: int, month: int) -> date:
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)
