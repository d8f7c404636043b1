"""The daily clock-rule run inside ``serve``: one tick per date (Asia/Shanghai), by any worker.

Every worker tries once a minute; the ledger keeps one ``SupervisionClock``
stream per date, so the first worker records the day's tick and the others
find it there (their attempt records nothing). The supervision read model
raises the clock alerts when it applies the tick.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ledger.application import Actor, Ledger, Receipt
from ledger.complexes.complex import BankStatus
from ledger.errors import LedgerError
from ledger.periods import Period
from projections.bank.queries import BankReads, bank_status_of
from projections.statements.queries import Statements

log = logging.getLogger("commonfund.supervise")
SCHEDULER = Actor("system", "daily-supervision")
# A published period's bank status is followed for this long after the period ended.
RECONCILED_PERIODS_DAYS = 400
Status = tuple[str, str, BankStatus]  # complex, period, its bank status now


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


def reconcile_statements(
    ledger: Ledger, statuses: Iterable[Status], actor: Actor = SCHEDULER
) -> int:
    """Record the bank status of every published period whose status has changed since it
    was published or last reconciled (issue #14): the statements read model makes a new
    version of each. A period that already shows its status records nothing. Returns the
    periods recorded."""
    made = 0
    for complex_id, period, status in statuses:
        try:
            receipt = ledger.reconcile_statement(
                UUID(complex_id), period=period, reconciliation=status, actor=actor
            )
        except LedgerError:  # a publication the read model knows and the ledger not yet
            log.warning("bank status: %s of complex %s could not be recorded", period, complex_id)
            continue
        made += receipt.status == "reconciled"
    return made


def bank_statuses(statements: Statements, bank: BankReads, today: date) -> list[Status]:
    """The bank status, as of each period's end, of the published periods that ended within
    ``RECONCILED_PERIODS_DAYS`` of complexes with a bank feed (the bank read model as it
    stands: a day's matches show in the next day's run)."""
    since = today - timedelta(days=RECONCILED_PERIODS_DAYS)
    found: list[Status] = []
    for complex_id, name in statements.published_periods(bank.feed_complexes()):
        period = Period.parse(name)
        if period.end < since:
            continue
        public = bank.public_status(complex_id, period.end)
        status = None if public is None else bank_status_of(public)
        if status is not None:
            found.append((complex_id, name, status))
    return found


class DailySupervision:
    def __init__(
        self,
        ledger: Ledger,
        *,
        check_seconds: float = 60.0,
        feeds: Callable[[], list[str]] = list,
        statuses: Callable[[date], list[Status]] = lambda today: [],
    ) -> None:
        self.ledger = ledger
        self.check_seconds = check_seconds
        self.feeds = feeds  # the accounts with a bank feed (the bank read model)
        self.statuses = statuses  # published periods' bank statuses (``bank_statuses``)
        self.done: date | None = None

    def run_once(self) -> Receipt | None:
        """Record today's tick unless this process has seen it recorded; the receipt, or None.

        First the published periods' bank statuses (from yesterday's matches, which the bank
        read model has applied), then today's matching, then the clock rules."""
        today = self.ledger.today()
        if today == self.done:
            return None
        reconcile_statements(self.ledger, self.statuses(today))
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
    statuses_of: Callable[[Any], Callable[[date], list[Status]]] = lambda app: lambda today: [],
) -> Lifespan:
    """Wrap an app's lifespan: once its services are built, run the daily tick beside them."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as state:
            stop = threading.Event()
            daily = DailySupervision(ledger_of(app), feeds=feeds_of(app), statuses=statuses_of(app))
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
