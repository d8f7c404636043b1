"""The daily clock-rule run inside ``serve``: one tick per date (Asia/Shanghai), by any worker.

Every worker tries once a minute; the ledger keeps one ``SupervisionClock``
stream per date, so the first worker records the day's tick and the others
find it there (their attempt records nothing). The supervision read model
raises the clock alerts when it applies the tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date
from typing import Any
from uuid import UUID

from ledger.application import Actor, Ledger, Receipt
from ledger.errors import LedgerError

log = logging.getLogger("commonfund.supervise")
SCHEDULER = Actor("system", "daily-supervision")


def reconcile_feeds(ledger: Ledger, accounts: list[str], actor: Actor = SCHEDULER) -> int:
    """Match every account with a bank feed again (issue #14): entries recorded since its last
    import or link are matched before the clock rules judge B01–B03. Returns the matches made."""
    made = 0
    for account_id in accounts:
        try:
            made += ledger.reconcile(UUID(account_id), actor=actor).matched
        except LedgerError:  # a feed the read model knows and the ledger not yet: next day
            log.warning("bank feed: account %s could not be matched", account_id)
    return made


class DailySupervision:
    def __init__(
        self,
        ledger: Ledger,
        *,
        check_seconds: float = 60.0,
        feeds: Callable[[], list[str]] = list,
    ) -> None:
        self.ledger = ledger
        self.check_seconds = check_seconds
        self.feeds = feeds  # the accounts with a bank feed (the bank read model)
        self.done: date | None = None

    def run_once(self) -> Receipt | None:
        """Record today's tick unless this process has seen it recorded; the receipt, or None."""
        today = self.ledger.today()
        if today == self.done:
            return None
        reconcile_feeds(self.ledger, self.feeds())
        receipt = self.ledger.tick_supervision(today, actor=SCHEDULER)
        self.done = today
        if not receipt.replayed:
            log.info("clock rules: run recorded for %s", today.isoformat())
        return receipt

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.run_once()
            except Exception:  # a database that is down or not migrated yet: try again later
                log.exception("clock rules: the daily run could not be recorded; retrying")
            stop.wait(self.check_seconds)


Lifespan = Callable[[Any], AbstractAsyncContextManager[Any]]


def with_daily_supervision(
    inner: Lifespan,
    ledger_of: Callable[[Any], Ledger],
    feeds_of: Callable[[Any], Callable[[], list[str]]] = lambda app: list,
) -> Lifespan:
    """Wrap an app's lifespan: once its services are built, run the daily tick beside them."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            stop = threading.Event()
            daily = DailySupervision(ledger_of(app), feeds=feeds_of(app))
            thread = threading.Thread(
                target=daily.run, args=(stop,), name="daily-supervision", daemon=True
            )
            thread.start()
            try:
                yield state
            finally:
                stop.set()
                thread.join(timeout=10)

    return lifespan
