"""An account's entries and as-of balance for the API: from the statements read model, never
older than the account's own stream when the request came in (issue #13, item 5).

Read-your-writes, for every reader and without asking: a read first learns the
account stream's latest version in the ledger (one primary-key probe), then reads the
read model only once its copy has applied that version (the stream's head in
``stmt_streams`` moves in the same transaction as the lines). Usually it has: the
runner follows the ledger within milliseconds. Otherwise the read waits, polling, up to
``WAIT_SECONDS``, and past that answers from the stream itself (``Ledger.entries``, a
replay), as it does while the serving copy holds lines made before migration 0014
(until ``commonfund rebuild statements``). So a committee member who has just recorded
an entry, in whichever worker, sees it in the very next read, with or without
``Prefer: read-your-writes`` (which still makes the write itself wait for every read
model, api/idempotency.py). Writes made after the read began may or may not be in it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from uuid import UUID

from api.deps import Services
from ledger.account.views import EntryView
from projections.statements.entries import Page, Unavailable

WAIT_SECONDS = 2.0  # for the read model to apply the account's own latest event
POLL_SECONDS = 0.01
T = TypeVar("T")


def stream_version(services: Services, account_id: UUID) -> int:
    """The account stream's latest version in the ledger (0: no such stream)."""
    last = services.ledger.recorder.select_events(account_id, desc=True, limit=1)
    return last[0].originator_version if last else 0


def _fresh(
    services: Services, account_id: UUID, ask: Callable[[int], T | None], replay: Callable[[], T]
) -> T:
    """``ask(wanted)`` of the read model once it has applied the stream's version ``wanted``
    (waiting up to ``WAIT_SECONDS``), else ``replay()`` from the stream."""
    wanted = stream_version(services, account_id)
    deadline = time.monotonic() + WAIT_SECONDS
    try:
        while True:
            found = ask(wanted)
            if found is not None:
                return found
            if time.monotonic() >= deadline:
                break
            time.sleep(POLL_SECONDS)
    except Unavailable:
        pass
    return replay()


def entries_page(
    services: Services,
    account_id: UUID,
    *,
    after: int = 0,
    limit: int | None = None,
    low: date = date.min,
    high: date = date.max,
    category: str | None = None,
) -> Page:
    """The entries after stream version ``after`` (a cursor's), at most ``limit``, with a value
    date in ``[low, high]`` and of ``category`` if given, in recording order."""

    def ask(wanted: int) -> Page | None:
        return services.statements.entries.page(
            str(account_id), after=after, limit=limit, category=category, wanted=wanted,
            low=None if low == date.min else low, high=None if high == date.max else high,
        )  # fmt: skip

    def replay() -> Page:
        matching = [
            e
            for e in services.ledger.entries(account_id)
            if e.position > after
            and low <= date.fromisoformat(e.value_date) <= high
            and (category is None or e.category == category)
        ]
        page = matching if limit is None else matching[:limit]
        return Page(page, limit is not None and len(matching) > limit, 0)

    return _fresh(services, account_id, ask, replay)


def entry(services: Services, account_id: UUID, entry_id: str) -> EntryView:
    """One entry that the account's stream holds (a write just made it)."""

    def ask(wanted: int) -> EntryView | None:
        return services.statements.entries.entry(str(account_id), entry_id, wanted=wanted)

    def replay() -> EntryView:
        return next(e for e in services.ledger.entries(account_id) if e.id == entry_id)

    return _fresh(services, account_id, ask, replay)


def balance_as_of(services: Services, account_id: UUID, day: date) -> int:
    """The balance from every entry with a value date on or before ``day``."""

    def ask(wanted: int) -> int | None:
        return services.statements.entries.balance_as_of(str(account_id), day, wanted=wanted)

    def replay() -> int:
        return services.ledger.balance_as_of(account_id, day)

    return _fresh(services, account_id, ask, replay)
