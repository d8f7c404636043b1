"""The printed notice's publicity period (公示期, issue #17): from the day of publication.

A statement stays on the notice board for ``NOTICE_DAYS`` days from its publication; the
next quarter's is due within 15 days of that quarter's end (Disclosure), so a board always
shows a current one. The period is printed; the online version stays readable for good.
"""

from __future__ import annotations

from datetime import date, timedelta

NOTICE_DAYS = 30


def notice_period(published_on: date, days: int = NOTICE_DAYS) -> tuple[date, date]:
    """The first and last day of the 公示期: ``days`` days counting the day of publication."""
    return published_on, published_on + timedelta(days=days - 1)
