"""The projection runner: follows the ledger's log and applies it to one read model.

Each batch is one transaction that writes the view's rows and the tracking
position together, so every event is applied exactly once whatever crashes.
PostgreSQL and SQLite are both followed by polling ``select_notifications``
(the library's subscriptions do not cover SQLite; one mechanism is simpler to
trust than two). On PostgreSQL the events table is locked on insert, so
commit order equals notification-id order and a poll never skips a late
commit; ids left by rolled-back inserts are gaps, which the runner passes.

Notices: a view may say which keys of its readers' memory a batch changed
(``changes()``, e.g. the complexes whose published versions moved). The runner
then sends them with the batch (``NOTIFY commonfund_<view>``, delivered at
commit, on PostgreSQL) for other processes (projections/notices.py), and tells
this process's observers before and after the commit (``changing``,
``settled``), so a reader here never keeps what the batch is changing.

Generations: the rows of a read model carry the generation of the copy they
belong to. ``rebuild`` fills a new generation from the start of the log while
the serving one goes on, and flips ``projection_state`` in the transaction of
its last batch; the live runner reads the serving generation inside each
batch's transaction, so after the flip it carries on with the new copy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

from ledger.application import Ledger
from projections.db import Database, Tx
from projections.health import Health
from projections.legacy import decoded
from projections.locks import AdvisoryLock, FileLock, RunnerLock

log = logging.getLogger(__name__)

Batch = Sequence[tuple[int, Any]]  # (notification id, domain event)
S = TypeVar("S")  # what a view's handlers write through (its batch, its step)
E = TypeVar("E")  # an event class
EVERYTHING = "*"  # a notice that may have changed every key (a rebuild's swap)
# ``commonfund rebuild``'s batches: a copy nobody reads yet is filled in fewer, larger
# transactions (at a million events no slower than 500 a batch; docs/benchmarks.md)
REBUILD_BATCH = 2_000
Release = Callable[[Tx | None, int], None]  # a view's ``release`` (StatementsView.release)
NOTICE_BYTES = 7_000  # PostgreSQL refuses a NOTIFY payload of 8,000 bytes or more
# After a failure outside a batch (the lock, its connection, the database gone): pauses of
# 0.5 s doubling to 5 s, so a restarted database is found again within seconds
OUTAGE_BACKOFF_BASE = 0.5
OUTAGE_BACKOFF_CAP = 5.0
BATCH_RETRY_SECONDS = 1.0
# Live, after a batch that took everything there was, the runner waits this long before the
# next, so that under a write load a batch takes what accumulated meanwhile: its fixed cost
# (a transaction, the tracking row, the head, the notices) is paid per ~25 ms of writes,
# not per write (issue #15). An idle runner polls every ``poll_seconds`` as before.
GATHER_SECONDS = 0.025


def on(
    event: type[E], handler: Callable[[S, int, E], None]
) -> tuple[str, Callable[[S, int, Any], None]]:
    """A view's handler of one event class, keyed by the class's name as the view looks it up
    (``type(event).__qualname__``); mypy checks that the handler takes that class."""
    return event.__qualname__, handler


class Observer(Protocol):
    """A reader in this process that keeps what a view's batches may change."""

    def changing(self, keys: frozenset[str]) -> None: ...

    def settled(self, keys: frozenset[str]) -> None: ...


def channel(view_name: str) -> str:
    return f"commonfund_{view_name}"


class View(Protocol):
    """A read model: what it does with a batch of events, and how to empty a generation."""

    name: str

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None: ...

    def clear(self, tx: Tx, generation: int) -> None: ...


@dataclass(frozen=True, slots=True)
class Lag:
    position: int
    head: int
    events: int
    seconds: float


class Runner:
    def __init__(
        self,
        ledger: Ledger,
        database: Database,
        view: View,
        *,
        batch_size: int = 500,
        poll_seconds: float = 0.05,
        gather_seconds: float = GATHER_SECONDS,
    ) -> None:
        self.ledger = ledger
        self.database = database
        self.view = view
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.gather_seconds = gather_seconds
        self.lock: RunnerLock = (
            AdvisoryLock(database.conninfo, view.name)
            if database.dialect == "postgres"
            else FileLock(database.path, view.name)
        )
        self._written: dict[int, int] = {}  # generation -> the position this runner committed
        self.observers: list[Observer] = []
        self._announced: list[frozenset[str]] = []  # in the batch's transaction, not yet settled
        self.health = Health()  # what ``run`` reports about itself (/readyz)

    def observe(self, observer: Observer) -> None:
        self.observers.append(observer)

    # --- where things stand ----------------------------------------------------------

    def head(self) -> int:
        return self.ledger.recorder.max_notification_id() or 0

    def generation(self, tx: Tx, *, lock: bool = False) -> int:
        tx.execute(
            "INSERT INTO projection_state (name, generation) VALUES (?, 1) ON CONFLICT DO NOTHING",
            (self.view.name,),
        )
        suffix = " FOR UPDATE" if lock and tx.dialect == "postgres" else ""
        rows = tx.execute(
            f"SELECT generation FROM projection_state WHERE name = ?{suffix}",  # noqa: S608 (constant)
            (self.view.name,),
        )
        return int(rows[0][0])

    def tracked(self, tx: Tx, generation: int) -> int:
        rows = tx.execute(
            "SELECT position FROM projection_tracking WHERE name = ? AND generation = ?",
            (self.view.name, generation),
        )
        return int(rows[0][0]) if rows else 0

    def position(self) -> int:
        """How far the serving copy has got."""
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT t.position FROM projection_tracking t JOIN projection_state s"
                " ON s.name = t.name AND s.generation = t.generation WHERE t.name = ?",
                (self.view.name,),
            )
        return int(rows[0][0]) if rows else 0

    def lag(self) -> Lag:
        position, head = self.position(), self.head()
        seconds = 0.0
        if head > position:
            waiting = self.ledger.recorder.select_notifications(start=position + 1, limit=1)
            if waiting:
                event: Any = self.ledger.mapper.to_domain_event(waiting[0])
                seconds = max(0.0, (datetime.now(UTC) - event.timestamp).total_seconds())
        return Lag(position, head, head - position, round(seconds, 3))

    def wait_for(self, position: int, timeout: float) -> bool:
        """Wait (bounded) until the serving copy has applied ``position``."""
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)
        return True

    # --- applying the log --------------------------------------------------------------

    def _read(self, after: int, head: int) -> tuple[Batch, int]:
        notifications = self.ledger.recorder.select_notifications(
            start=after + 1, limit=self.batch_size, stop=head
        )
        batch = decoded(self.ledger, notifications)
        # A short batch read everything up to head: gaps (rolled-back ids) are passed too.
        reached = head if len(batch) < self.batch_size else batch[-1][0]
        return batch, reached

    def _read_ahead(self, after: int) -> tuple[Batch, int]:
        return self._read(after, self.head())

    def _write(
        self, tx: Tx, generation: int, batch: Batch, reached: int, *, serving: bool = True
    ) -> None:
        if batch:
            self.view.apply(tx, generation, batch)
            changes = getattr(self.view, "changes", None)
            if serving and changes is not None:
                self._announce(tx, changes())
        tx.execute(
            "INSERT INTO projection_tracking (name, generation, position, updated_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (name, generation)"
            " DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
            (self.view.name, generation, reached, datetime.now(UTC).isoformat()),
        )

    def _follows(self, generation: int, position: int) -> None:
        """Tell the view when this batch does not follow the last one this runner committed
        (the first batch, another runner's batches in between, a failed batch): a view that
        remembers things across batches (an optional ``resync(generation, position)``)
        forgets what it cannot be sure of. Position 0 means the copy starts empty."""
        if self._written.get(generation) != position:
            resync = getattr(self.view, "resync", None)
            if resync is not None:
                resync(generation, position)

    def _announce(self, tx: Tx, keys: frozenset[str]) -> None:
        """Say what the batch changes: a notice delivered at commit, and this process's
        observers now (they keep nothing until ``settled``)."""
        if not keys:
            return
        if tx.dialect == "postgres":
            payload = ",".join(sorted(keys))
            tx.execute(
                "SELECT pg_notify(?, ?)",
                (channel(self.view.name), payload if len(payload) <= NOTICE_BYTES else EVERYTHING),
            )
        for observer in self.observers:
            observer.changing(keys)
        self._announced.append(keys)

    @contextmanager
    def _batch(self) -> Iterator[Tx]:
        """A batch's transaction; if it fails, every view memory is suspect."""
        try:
            with self.database.transaction() as tx:
                yield tx
        except BaseException:
            self._written.clear()
            raise
        finally:  # committed or rolled back: the observers may keep things again
            announced, self._announced = self._announced, []
            for keys in announced:
                for observer in self.observers:
                    observer.settled(keys)

    def step(self) -> int:
        """Apply one batch to the serving copy; the number of events applied (0: caught up)."""
        with self._batch() as tx:
            generation = self.generation(tx, lock=True)
            position = self.tracked(tx, generation)
            head = self.head()
            if head <= position:
                return 0
            self._follows(generation, position)
            batch, reached = self._read(position, head)
            self._write(tx, generation, batch, reached)
        self._written[generation] = reached
        return max(1, len(batch))

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Apply batches until the serving copy has reached the head seen at the start;
        ``progress`` hears the position after each batch (a CLI's bar)."""
        target, applied, position = self.head(), 0, self.position()
        while position < target:
            applied += self.step()
            position = self.position()
            if progress is not None:
                progress(position)
        return applied

    def run(self, stop: threading.Event, *, standby_seconds: float = 1.0) -> None:
        """Follow the log until ``stop``: active while holding the lock, standby otherwise.

        Survives any database outage: a failure anywhere (taking the lock, a batch,
        the lock's own connection) drops the lock, backs off (doubling up to
        ``OUTAGE_BACKOFF_CAP`` seconds) and starts again from the lock. A batch is
        one transaction with its tracking position, so the runner resumes from the
        position the database holds, whichever process applied it last.
        """
        self.health.started()
        failures = 0
        try:
            while not stop.is_set():
                self.health.beat()
                try:
                    if not self.lock.acquire():
                        self.health.standing_by()
                        failures = 0
                        stop.wait(standby_seconds)
                        continue
                    log.info("projection %s: active", self.view.name)
                    self.health.activated()
                    failures = 0
                    self._follow(stop)
                except Exception as error:  # noqa: BLE001 - any outage: back off and start again
                    failures += 1
                    pause = min(OUTAGE_BACKOFF_CAP, OUTAGE_BACKOFF_BASE * 2 ** (failures - 1))
                    self.health.failed(error)
                    log.warning(
                        "projection %s: %s: %s; starting again in %.1f s",
                        self.view.name, type(error).__name__, error, pause,
                    )  # fmt: skip
                    stop.wait(pause)
                finally:
                    self.lock.release()
        finally:
            self.health.stopped()

    def _follow(self, stop: threading.Event) -> None:
        """Apply batches while the lock holds; a failed batch is retried after a pause."""
        while not stop.is_set() and self.lock.held():
            self.health.beat()
            try:
                applied = self.step()
            except Exception as error:
                self.health.failed(error)
                log.exception("projection %s: batch failed; retrying", self.view.name)
                stop.wait(BATCH_RETRY_SECONDS)
                continue
            self.health.applied()
            if applied == 0:
                stop.wait(self.poll_seconds)
            elif applied < self.batch_size:  # took all there was: let the next batch gather
                stop.wait(self.gather_seconds)

    # --- rebuilding -----------------------------------------------------------------

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Replay the whole log into a fresh copy while the old one serves, then swap;
        ``progress`` hears the position the copy reached after each batch (a CLI's bar)."""
        with self.database.transaction() as tx:
            serving = self.generation(tx)
            rows = tx.execute(
                "SELECT MAX(generation) FROM projection_tracking WHERE name = ?", (self.view.name,)
            )
            fresh = max(serving, int(rows[0][0] or 0)) + 1
            self.view.clear(tx, fresh)
            self._write(tx, fresh, [], 0)
        hold, release = getattr(self.view, "hold", None), getattr(self.view, "release", None)
        if hold is not None and release is not None:
            hold(fresh)  # what only the fresh copy's own batches read: in memory until the swap
        try:
            events = self._fill(fresh, release, progress)
        except BaseException:
            if release is not None:
                release(None, fresh)
            raise
        with self.database.transaction() as tx:
            for old in tx.execute(
                "SELECT generation FROM projection_tracking WHERE name = ? AND generation <> ?",
                (self.view.name, fresh),
            ):
                self.view.clear(tx, int(old[0]))
            tx.execute(
                "DELETE FROM projection_tracking WHERE name = ? AND generation <> ?",
                (self.view.name, fresh),
            )
        return events

    def _fill(
        self, fresh: int, release: Release | None, progress: Callable[[int], None] | None
    ) -> int:
        """Apply the whole log to the fresh copy; in its last batch, swap it in."""
        events = 0
        # The next batch is read and decoded by a thread while this one is applied (its wait
        # for the database leaves the interpreter to the other); it is used only if the copy
        # has reached exactly where it was read from.
        with ThreadPoolExecutor(1, thread_name_prefix=f"rebuild-{self.view.name}") as reader:
            ahead: tuple[int, Future[tuple[Batch, int]]] | None = None
            while True:
                with self._batch() as tx:
                    position = self.tracked(tx, fresh)
                    self._follows(fresh, position)
                    if ahead is not None and ahead[0] == position:
                        batch, reached = ahead[1].result()
                    else:
                        batch, reached = self._read(position, self.head())
                    last = len(batch) < self.batch_size
                    ahead = None if last else (reached, reader.submit(self._read_ahead, reached))
                    if last:
                        self.generation(tx, lock=True)  # wait for the live runner's batch to end
                    elif tx.dialect == "postgres":
                        # The copy serves no one yet: a crash may lose its last batches (each
                        # with its tracking position, so they are applied again), not break it.
                        tx.execute("SET LOCAL synchronous_commit TO OFF")
                    self._write(tx, fresh, batch, reached, serving=False)
                    events += len(batch)
                    if last:
                        if release is not None:
                            release(tx, fresh)
                        tx.execute(
                            "UPDATE projection_state SET generation = ? WHERE name = ?",
                            (fresh, self.view.name),
                        )
                        self._announce(tx, frozenset({EVERYTHING}))
                self._written[fresh] = reached
                if progress is not None:
                    progress(reached)
                if last:
                    break
        return events
