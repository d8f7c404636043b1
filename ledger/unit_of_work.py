"""The unit of work: how every command of every context loads, decides and saves, once.

A command is a body run by :meth:`UnitOfWork.run` with a typed loader
(:class:`Load`: ``load(id, Kind) -> Kind``). Aggregates are cached without deep
copies or fast-forwarding (the fast path measured in bench/ledger_write.py),
which is safe because: a command holds the lock of every aggregate it has
loaded until it ends (:class:`AggregateLocks`: commands on different aggregates
run side by side, on the same one one at a time, issue #15); every
aggregate a command touches is evicted from the cache if the command fails; a
write that collides with another process's write (stale cache) is retried on
fresh state a bounded number of times; and aggregates a command only reads
(the committee, a cited resolution) are brought up to date from the store
first (:meth:`UnitOfWork.fresh`). A refusal is let through only once the store
shows nothing newer than what the command judged it on, and a refusal
supervision must see is kept one way (:meth:`UnitOfWork.keep_refusal`, A24).

The context command modules (ledger/complexes, committees, account,
maintenance, supervision) use only this module's public names; where one
context's command carries another's along in the same write (a unit's sale
moves its maintenance sub-ledger, a booked transfer reaches the fund), it goes
through :class:`Handoffs`, wired by the facade (ledger/application.py).
"""

from __future__ import annotations

import copy
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger.committees.committee import Committee
from ledger.complexes.complex import Complex
from ledger.dates import local_today
from ledger.errors import (
    ConcurrencyConflict,
    InvalidCommand,
    InvalidState,
    LedgerError,
    MemberNotInOffice,
    NotFound,
)
from ledger.personal import PersonalData
from ledger.policy import Policy
from ledger.requests import StaleRead

A = TypeVar("A", bound=Aggregate)
R = TypeVar("R")
T = TypeVar("T")

MAX_ATTEMPTS = 16
OUTAGE_RETRY_SECONDS = 1.0  # a failing database: retry for this long, then let the outage show
REPLAY_PAGE = 64  # events read at a time when a replay looks for what its request recorded
BACKOFF_CAP_SECONDS = 0.05
SETTLED_FACTS_MAX = 200_000
# After a collision, an aggregate is caught up from the store before each command for this
# long: one query instead of a rollback and a rebuild when several workers share it.
CONTENDED_SECONDS = 60.0
# Aggregate locks are striped: a fixed table, so memory does not grow with the aggregates a
# process has seen; two aggregates share a stripe with a chance of 1 in LOCK_STRIPES.
LOCK_STRIPES = 4096
# A command that finds an aggregate's lock taken while it holds others lets all go, waits for
# that one, and starts again; this many times in one attempt, then it counts as a collision.
BUSY_RESTARTS = 64


class _Busy(BaseException):
    """An aggregate's lock is held by another thread while this one holds other locks.

    A BaseException, so that no ``except Exception`` in a command body swallows it:
    :meth:`UnitOfWork.run` catches it, lets every lock go and waits for this one.
    """

    def __init__(self, stripe: int) -> None:
        super().__init__(stripe)
        self.stripe = stripe


@dataclass(slots=True)
class _Holding:
    """What one thread holds: the stripes it has locked, how deep its commands nest, and
    whether it holds the whole process (:meth:`UnitOfWork.exclusive`)."""

    locks: dict[int, threading.Lock] = field(default_factory=dict)
    depth: int = 0
    exclusive: bool = False
    caught_up: set[UUID] | None = None
    # the cached originals of this attempt's drafts (UnitOfWork.draft), by id
    spared: dict[UUID, Aggregate] = field(default_factory=dict)


class _Gate:
    """Commands pass together; :meth:`UnitOfWork.exclusive` waits for them to leave and keeps
    new ones out (a city-wide batch that holds many aggregates at once)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._inside = 0
        self._closed = False
        self._closing = 0  # a closer waits: new commands wait behind it, it is not starved

    def enter(self) -> None:
        with self._cond:
            while self._closed or self._closing:
                self._cond.wait()
            self._inside += 1

    def leave(self) -> None:
        with self._cond:
            self._inside -= 1
            if not self._inside:
                self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closing += 1
            try:
                while self._closed or self._inside:
                    self._cond.wait()
            finally:
                self._closing -= 1
            self._closed = True

    def open(self) -> None:
        with self._cond:
            self._closed = False
            self._cond.notify_all()


class AggregateLocks:
    """One lock per aggregate (striped), taken as a command loads it and held until it ends.

    Locks are taken in the order a command happens to load, so two commands could each
    hold what the other wants. They never wait for each other: a thread blocks on a lock
    only while it holds none; holding some, it only tries, and when the try fails the
    command lets go of everything (:class:`_Busy`), waits for that one lock alone, and
    runs again with it taken first. No thread waits while holding, so none deadlocks.
    """

    def __init__(self, stripes: int = LOCK_STRIPES) -> None:
        self._stripes = [threading.Lock() for _ in range(stripes)]
        self._local = threading.local()

    def holding(self) -> _Holding:
        holding: _Holding | None = getattr(self._local, "holding", None)
        if holding is None:
            holding = self._local.holding = _Holding()
        return holding

    def stripe(self, aggregate_id: UUID) -> int:
        return hash(aggregate_id) % len(self._stripes)

    def take(self, aggregate_id: UUID) -> None:
        """Lock an aggregate for the thread's running command (none running: nothing)."""
        holding = self.holding()
        if not holding.depth or holding.exclusive:
            return
        stripe = self.stripe(aggregate_id)
        if stripe in holding.locks:
            return
        lock = self._stripes[stripe]
        if holding.locks:
            if not lock.acquire(blocking=False):
                raise _Busy(stripe)
        else:
            lock.acquire()
        holding.locks[stripe] = lock

    def take_stripe(self, stripe: int) -> None:
        """Block for one stripe (the thread holds nothing yet)."""
        holding = self.holding()
        lock = self._stripes[stripe]
        lock.acquire()
        holding.locks[stripe] = lock

    def release_all(self) -> None:
        holding = self.holding()
        for lock in holding.locks.values():
            lock.release()
        holding.locks.clear()


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts: a role, an id, and for a committee token the member it acts as."""

    role: str
    id: str
    member_id: str | None = None

    @property
    def principal(self) -> str:
        member = f"/{self.member_id}" if self.member_id else ""
        return f"{self.role}:{self.id}{member}"

    def require_member(self) -> str:
        if self.role != "committee" or not self.member_id:
            raise InvalidCommand("this step is taken by a committee member")
        return self.member_id


SYSTEM = Actor("system", "commonfund")


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a command made: the id, the stream version after it, and whether it was a replay."""

    id: str
    version: int
    replayed: bool = False
    status: str = ""
    balance: int | None = None
    recorded_at: str = ""  # when the entry was recorded (on a replay too: from its event)
    recorded_by: str = (
        ""  # who recorded it (on a replay: the principal of its event, not the caller)
    )


class Load(Protocol):
    """The loader a command body is given: the aggregate of that id, of that kind, recorded as
    touched (evicted if the command fails) and as judged at the version it had."""

    def __call__(self, aggregate_id: UUID, kind: type[A], /) -> A: ...


class UnitSold(Protocol):
    """Another context's aggregate that follows a unit's sale in the same write (or None)."""

    def __call__(
        self, load: Load, complex_id: UUID, unit_id: str, seller: str, buyer: str, *,
        on: date, actor: Actor,
    ) -> Aggregate | None: ...  # fmt: skip


class TransferBooked(Protocol):
    """The aggregate a booked transfer out of the account reaches, saved in the same write."""

    def __call__(
        self, load: Load, complex_id: UUID, account_id: UUID, expenditure_id: str, amount: int,
        *, on: date, actor: Actor,
    ) -> Aggregate: ...  # fmt: skip


def _nothing_follows_a_sale(
    load: Load, complex_id: UUID, unit_id: str, seller: str, buyer: str, *, on: date,
    actor: Actor,
) -> Aggregate | None:  # fmt: skip
    return None


def _no_transfer_target(
    load: Load, complex_id: UUID, account_id: UUID, expenditure_id: str, amount: int, *,
    on: date, actor: Actor,
) -> Aggregate:  # fmt: skip
    raise InvalidState("no context receives a transfer out of the account")


@dataclass(slots=True)
class Handoffs:
    """Where a command of one context hands over to another's, in the same transaction."""

    unit_sold: UnitSold = _nothing_follows_a_sale
    transfer_booked: TransferBooked = _no_transfer_target


_DONE, _PAUSE, _AGAIN, _GIVE_UP = object(), object(), object(), object()


class _LockingList(list[UUID]):
    """The aggregates a block touched: appending one locks it (evicted on failure, so it
    must not be changed by another thread meanwhile)."""

    def __init__(self, locks: AggregateLocks) -> None:
        super().__init__()
        self._locks = locks

    def append(self, aggregate_id: UUID) -> None:
        self._locks.take(aggregate_id)
        super().append(aggregate_id)


@dataclass(slots=True)
class _Held:
    """A write held open by :meth:`UnitOfWork.written_along`: the events its commands saved,
    in order, and their aggregates, recorded in one transaction with what goes along."""

    events: list[Aggregate.Event]
    aggregates: dict[UUID, Aggregate]
    touched: list[UUID]
    spared: dict[UUID, Aggregate] = field(default_factory=dict)  # see UnitOfWork.draft


@dataclass(frozen=True, slots=True)
class Written:
    """What :meth:`UnitOfWork.written_along` ran: its result, and whether events were recorded
    with what went along (False: the commands saved nothing, a replay; nothing went along)."""

    result: object
    recorded: bool


class UnitOfWork:
    """The command discipline of one ledger application (one per process)."""

    def __init__(
        self,
        app: Application[UUID],
        *,
        policy: Policy,
        clock: Callable[[], datetime],
        personal: PersonalData,
    ) -> None:
        self.app = app
        self.policy = policy
        self.clock = clock
        # names of people are sealed per person (ledger/personal.py); without a keeper the
        # ledger still reads, but refuses to record a person
        self.personal = personal
        self.handoffs = Handoffs()
        self.locks = AggregateLocks()
        self._gate = _Gate()
        self._settled: dict[tuple[str, UUID], object] = {}
        self._contended: dict[UUID, float] = {}  # aggregate -> until (monotonic seconds)
        # While something hears every committee change of every process (``hear_committees``;
        # on PostgreSQL a LISTEN, commonfund/wiring.py), a committee read fresh once is taken
        # from the cache until a notice names it: the member-in-office check (H15) of every
        # command and H02 then cost no round trip while the committee stays as it was.
        self._hearing_committees = False
        self._heard_fresh: set[UUID] = set()
        self._holding = threading.local()  # .write: the _Held write of this thread, if any

    # --- the day ---------------------------------------------------------------------------

    def today(self) -> date:
        return local_today(self.clock(), self.policy.timezone)

    def not_future(self, day: date, field: str) -> date:
        if day > self.today():
            raise InvalidCommand(f"{field}: {day.isoformat()} is in the future")
        return day

    # --- running a command -------------------------------------------------------------------

    def run(self, body: Callable[[Load], R], *, actor: Actor, complex_id: UUID | None = None) -> R:
        """Run ``body`` with a loader; retry on a write collision or a refusal made on stale state.

        ``actor`` acts on ``complex_id`` (None: on no one complex). A committee
        credential acts only for a member of that complex's committee in office
        at that moment (H15/H01), checked here for every command before its body
        runs: a member removed by a recorded change loses every power at once.

        A cached aggregate may lag behind another process's writes. A write from
        it collides (IntegrityError); a refusal computed from it would not, so a
        refusal is only let through once the store shows nothing newer than what
        the command loaded.
        """
        started = time.monotonic()
        for attempt in range(MAX_ATTEMPTS):
            outcome, result = self._attempt(body, actor, complex_id, last=attempt == MAX_ATTEMPTS - 1,
                                            started=started)  # fmt: skip
            if outcome is _DONE:
                return cast(R, result)
            if outcome is _PAUSE:
                # Full jitter, exponential up to a cap: colliding writers drift apart.
                time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, 0.002 * 2**attempt)))  # noqa: S311
        raise ConcurrencyConflict(
            "another writer kept changing the same record; the request changed nothing: retry it"
        )

    def _attempt(
        self, body: Callable[[Load], R], actor: Actor, complex_id: UUID | None, *, last: bool,
        started: float,
    ) -> tuple[object, R | None]:  # fmt: skip
        """One attempt of a command: done, or retry (after a pause or at once).

        A lock found taken mid-command (:class:`_Busy`) starts the attempt again with that
        lock taken first; it is not a collision and costs no attempt.
        """
        first: int | None = None
        for _ in range(BUSY_RESTARTS):
            try:
                with self.serialised(first=first) as touched:
                    loaded: dict[UUID, int] = {}
                    holding = self.locks.holding()
                    outer_caught_up = holding.caught_up
                    holding.caught_up = set()
                    outer_spared, holding.spared = holding.spared, {}
                    try:
                        self._require_member_in_office(actor, complex_id)
                        result = body(self._loader(touched, loaded))
                        return _DONE, self._keep_for_held_write(result, touched)
                    except (IntegrityError, StaleRead):
                        self._evict_sparing(touched, holding.spared)
                        self._mark_contended(touched)
                        return (_GIVE_UP if last else _PAUSE), None
                    except OperationalError:
                        # The database failed us (a dropped connection, SQLite still locked
                        # after its timeout, a server gone): another connection may do. An
                        # outage is raised as itself once retries have taken
                        # OUTAGE_RETRY_SECONDS, so the caller answers 503, not the 409 of a
                        # contention it is not (issue #12).
                        self.evict(touched)
                        if time.monotonic() - started >= OUTAGE_RETRY_SECONDS or last:
                            raise
                        return _PAUSE, None
                    except LedgerError as refusal:
                        if refusal.on_fresh_state or not self._any_newer(loaded):
                            raise
                        self.evict(touched)
                        return _AGAIN, None
                    finally:
                        holding.caught_up = outer_caught_up
                        holding.spared = outer_spared
            except _Busy as busy:
                if self.locks.holding().depth:
                    raise  # a command inside a command: the outer one lets go and waits
                first = busy.stripe
        return (_GIVE_UP if last else _PAUSE), None

    @contextmanager
    def serialised(self, *, first: int | None = None) -> Iterator[list[UUID]]:
        """Run under aggregate locks; the aggregates appended to the list are evicted on failure.

        Every aggregate the block loads is locked until the outermost block ends (a command
        inside a command shares its locks). ``first``: a stripe to wait for before anything.
        An aggregate only appended to ``touched`` is locked here too.
        """
        locks = self.locks
        holding = locks.holding()
        outermost = not holding.depth
        if outermost and not holding.exclusive:
            self._gate.enter()
        holding.depth += 1
        touched: list[UUID] = _LockingList(locks)
        try:
            if first is not None and not holding.exclusive:
                locks.take_stripe(first)
            yield touched
        except BaseException:
            self.evict(touched)
            raise
        finally:
            holding.depth -= 1
            if outermost:
                locks.release_all()
                if not holding.exclusive:
                    self._gate.leave()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the whole process: wait for every running command to end, keep new ones out.

        For a batch that changes many aggregates between its reads and its one write (the
        city's yearly interest); its own commands inside run without locks. Not inside a
        command.
        """
        holding = self.locks.holding()
        if holding.exclusive:
            yield
            return
        if holding.depth:
            raise RuntimeError("exclusive() inside a command would wait for itself")
        self._gate.close()
        holding.exclusive = True
        try:
            yield
        finally:
            holding.exclusive = False
            self._gate.open()

    def evict(self, touched: list[UUID]) -> None:
        """Drop these aggregates from the cache: the next load reads them from the store."""
        cache = self.app.repository.cache
        if cache is None:
            return
        for aggregate_id in touched:
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def draft(self, aggregate: A) -> A:
        """A copy of ``aggregate`` for a command to change and save instead of the cached one.

        For aggregates whose events rebind what they change and never mutate it in place (the
        ballot's ``VotesCast``), so the cached original stays as stored. If the write then
        collides with another process's, the original is kept in the cache and the next
        attempt catches it up with the few events written since (:meth:`fresh`), instead of
        rebuilding it from its snapshot: on a ballot of 10,000 votes that rebuild was 40% of
        a cast's time (docs/benchmarks.md). Any other failure evicts it as usual.
        """
        copied = copy.copy(aggregate)
        copied._pending_events = []  # eventsourcing's list of unsaved events: its own
        self.unchanged(aggregate)
        return copied

    def unchanged(self, aggregate: Aggregate) -> None:
        """Say that this command only reads ``aggregate`` (or changes a :meth:`draft` of it):
        after a collision it stays cached and is caught up, not evicted and rebuilt (a cast
        reads the complex's 10,000 units and changes nothing of it)."""
        held: _Held | None = getattr(self._holding, "write", None)
        if held is not None and aggregate.id in held.aggregates:
            return  # changed by an earlier command of this held write: not as stored
        self._spared().setdefault(aggregate.id, aggregate)

    def _spared(self) -> dict[UUID, Aggregate]:
        held: _Held | None = getattr(self._holding, "write", None)
        return held.spared if held is not None else self.locks.holding().spared

    def _evict_sparing(self, touched: list[UUID], spared: Mapping[UUID, Aggregate]) -> None:
        """After a collision: the drafted aggregates' clean originals back in the cache (their
        drafts may be there, in a held write), everything else evicted."""
        self.evict([aggregate_id for aggregate_id in touched if aggregate_id not in spared])
        cache = self.app.repository.cache
        if cache is not None:
            for aggregate_id, original in spared.items():
                cache.put(aggregate_id, original)

    def save(self, *aggregates: Aggregate) -> None:
        """Save in one transaction, all or nothing; inside :meth:`written_along`, held for it."""
        spared = self._spared()
        for aggregate in aggregates:  # a spared original changed and saved after all is not
            if spared.get(aggregate.id) is aggregate:
                del spared[aggregate.id]
        held: _Held | None = getattr(self._holding, "write", None)
        if held is None:
            self.app.save(*aggregates)
            return
        cache = self.app.repository.cache
        for aggregate in aggregates:
            self.locks.take(aggregate.id)  # a new one too: no one sees it before the commit
            held.events.extend(cast(list[Aggregate.Event], aggregate.collect_events()))
            held.aggregates[aggregate.id] = aggregate
            held.touched.append(aggregate.id)
            if cache is not None:  # a new aggregate is found by a later load, as once saved
                cache.put(aggregate.id, aggregate)

    def written_along(self, body: Callable[[], T], along: Callable[[T], object]) -> Written:
        """Run ``body`` (commands) holding their saves; record them in one transaction with
        ``along(result)`` (the store writes it beside the events: the request's stored answer).

        The commands run inside one outer block (:meth:`serialised`), so the lock of every
        aggregate they loaded or saved is kept until that transaction has committed or
        failed: no other thread sees the held, unsaved state of a cached aggregate, and
        commands on other aggregates go on meanwhile. A lock found taken mid-way lets all go
        and runs ``body`` again (as :meth:`run` does); so does a collision at the commit
        (another process wrote a stream), on fresh state. Anything else raised leaves nothing
        recorded and nothing cached. When the commands saved nothing (a replay) nothing is
        recorded or passed along.
        """
        if getattr(self._holding, "write", None) is not None:
            raise AssertionError("written_along does not nest")
        if self.locks.holding().depth:
            raise AssertionError("written_along inside a command")
        first: int | None = None
        attempt = restarts = 0
        while attempt < MAX_ATTEMPTS and restarts < BUSY_RESTARTS:
            held = _Held([], {}, [])
            try:
                with self.serialised(first=first):
                    self._holding.write = held
                    try:
                        result = body()
                        if not held.events:
                            return Written(result, recorded=False)
                        self.app.save(*held.events, *held.aggregates.values(), along=along(result))
                        return Written(result, recorded=True)
                    except IntegrityError:
                        self._evict_sparing(held.touched, held.spared)
                        self._mark_contended(held.touched)
                    except BaseException:
                        self.evict(held.touched)
                        raise
                    finally:
                        self._holding.write = None
            except _Busy as busy:
                first, restarts = busy.stripe, restarts + 1
                continue
            first = None
            time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, 0.002 * 2**attempt)))  # noqa: S311
            attempt += 1
        raise ConcurrencyConflict(
            "another writer kept changing the same record; the request changed nothing: retry it"
        )

    def _keep_for_held_write(self, result: R, touched: list[UUID]) -> R:
        """Inside :meth:`written_along`: what the command touched is evicted if the write
        fails (its locks are the outer block's, kept until the commit); the result passes."""
        held: _Held | None = getattr(self._holding, "write", None)
        if held is not None:
            held.touched.extend(touched)
        return result

    def _loader(self, touched: list[UUID], loaded: dict[UUID, int]) -> Load:
        """A load function that records what a command touched and the versions it saw."""

        def load(aggregate_id: UUID, kind: type[A], /) -> A:
            touched.append(aggregate_id)
            aggregate = (
                self.fresh(aggregate_id, kind)
                if self._is_contended(aggregate_id)
                else self.load(aggregate_id, kind)
            )
            loaded.setdefault(aggregate_id, aggregate.version)
            return aggregate

        return load

    def _mark_contended(self, touched: list[UUID]) -> None:
        """Another process writes these too: catch them up before use for a while."""
        until = time.monotonic() + CONTENDED_SECONDS
        if len(self._contended) >= SETTLED_FACTS_MAX:
            self._contended.clear()
        for aggregate_id in touched:
            self._contended[aggregate_id] = until

    def _is_contended(self, aggregate_id: UUID) -> bool:
        until = self._contended.get(aggregate_id)
        if until is None:
            return False
        if until < time.monotonic():
            self._contended.pop(aggregate_id, None)  # another thread may have dropped it first
            return False
        return True

    def _any_newer(self, loaded: Mapping[UUID, int]) -> bool:
        """Whether the store holds events newer than the versions a command loaded."""
        return any(
            list(self.app.events.get(aggregate_id, gt=version, limit=1))
            for aggregate_id, version in loaded.items()
        )

    # --- loading -------------------------------------------------------------------------------

    def load(self, aggregate_id: UUID, kind: type[A]) -> A:
        """The aggregate as this process has it (the cache), not recorded as touched; locked
        for the rest of the command when a command is running."""
        self.locks.take(aggregate_id)
        try:
            aggregate: Aggregate = self.app.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{aggregate_id} is not a {kind.__name__.lower()}")
        return aggregate

    def fresh(self, aggregate_id: UUID, kind: type[A]) -> A:
        """Load and bring up to date with events other processes may have written.

        Once per command attempt: a second read in the same attempt is as fresh as a
        command that read it once.
        """
        aggregate = self.load(aggregate_id, kind)
        caught_up = self.locks.holding().caught_up
        if caught_up is not None and aggregate_id in caught_up:
            return aggregate
        held: _Held | None = getattr(self._holding, "write", None)
        if held is not None and aggregate_id in held.aggregates:
            # Its unsaved events are on it: another process's newer events do not apply on
            # top of them. If there are any, the held write's commit collides on the version
            # and runs its commands again on fresh state, answer and all (issue #15).
            return aggregate
        if kind is Committee and self._hearing_committees:
            if aggregate_id in self._heard_fresh:
                return aggregate  # no notice has named it since it was last read fresh
            # trusted from before the read on: a notice that arrives during it takes it back
            self._heard_fresh.add(aggregate_id)
        for event in self.app.events.get(aggregate_id, gt=aggregate.version):
            cast(Aggregate.Event, event).mutate(aggregate)
        if caught_up is not None:
            caught_up.add(aggregate_id)
        return aggregate

    def at_version(self, aggregate_id: UUID, kind: type[A], version: int) -> A:
        """The aggregate as it stood at ``version`` (what a replayed request first answered)."""
        aggregate: Aggregate = self.app.repository.get(aggregate_id, version=version)
        if not isinstance(aggregate, kind):
            raise NotFound(f"{aggregate_id} is not a {kind.__name__.lower()}")
        return aggregate

    def stored(self, aggregate_id: UUID, kind: type[A]) -> A | None:
        """The aggregate as the store holds it, rebuilt outside the cache (safe in a thread)."""
        app = self.app
        snapshots = (
            list(app.snapshots.get(aggregate_id, desc=True, limit=1)) if app.snapshots else []
        )
        after = snapshots[0].originator_version if snapshots else None
        aggregate: Any = None
        for event in (*snapshots, *app.events.get(aggregate_id, gt=after)):
            aggregate = cast(Any, event).mutate(aggregate)
        return aggregate if isinstance(aggregate, kind) else None

    def cached(self, aggregate_id: UUID) -> Aggregate | None:
        """This process's cached copy, if it holds one (never read from the store)."""
        cache = self.app.repository.cache
        if cache is None:
            return None
        with suppress(KeyError):
            return cast(Aggregate, cache.get(aggregate_id))
        return None

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(list(self.app.events.get(aggregate_id, limit=1)))

    def recorded(
        self, stream_id: UUID, match: Callable[[Aggregate.Event], bool]
    ) -> Aggregate.Event:
        """The newest event of a stream that ``match``es, read backwards a page at a time
        (a replay is usually of a recent request, so this reads a page or two)."""
        upper: int | None = None
        while True:
            page = list(self.app.events.get(stream_id, lte=upper, desc=True, limit=REPLAY_PAGE))
            for event in page:
                if match(cast(Aggregate.Event, event)):
                    return cast(Aggregate.Event, event)
            if len(page) < REPLAY_PAGE:
                raise NotFound(f"no recorded event of {stream_id} matches the replayed request")
            upper = page[-1].originator_version - 1

    def read(self, aggregate_id: UUID, kind: type[A]) -> A:
        """A private, up-to-date copy of an aggregate, safe to inspect outside the lock.

        A deep copy costs about 30 ms for an account with 5,000 entries: answer
        frequent questions with :meth:`peek` instead.
        """
        return self.peek(aggregate_id, kind, copy.deepcopy)

    def peek(self, aggregate_id: UUID, kind: type[A], view: Callable[[A], R]) -> R:
        """Apply ``view`` to the up-to-date aggregate under the lock; ``view`` returns a copy."""
        with self.serialised() as touched:
            touched.append(aggregate_id)
            return view(self.fresh(aggregate_id, kind))

    # --- facts that never change -------------------------------------------------------------

    def complex_of(self, aggregate_id: UUID, kind: type[Aggregate]) -> UUID:
        """The complex a committee, account, resolution or project belongs to (it never changes)."""
        key = (kind.__name__, aggregate_id)
        known = self._settled.get(key)
        if not isinstance(known, UUID):
            known = self.peek(aggregate_id, kind, lambda a: UUID(getattr(a, "complex_id")))  # noqa: B009
            self._settle(key, known)
        return known

    def place_of(self, complex_id: UUID) -> tuple[str, str, str]:
        """A complex's district, street and community codes (fixed at registration)."""
        key = ("place", complex_id)
        known = self._settled.get(key)
        if known is None:
            known = self.peek(complex_id, Complex, lambda c: (c.district, c.street, c.community))
            self._settle(key, known)
        return cast(tuple[str, str, str], known)

    def _settle(self, key: tuple[str, UUID], value: object) -> None:
        """Remember a fact that cannot change; asked on every request for scope checks (H15)."""
        if len(self._settled) >= SETTLED_FACTS_MAX:
            self._settled.clear()
        self._settled[key] = value

    # --- the committee in office (H15, H01, H11) -----------------------------------------------

    def _require_member_in_office(self, actor: Actor, complex_id: UUID | None) -> None:
        """H15/H01: a committee credential's member sits on the complex's committee in office."""
        if actor.role != "committee":
            return
        member_id = actor.require_member()
        committee = None if complex_id is None else self._committee_in_office(complex_id)
        if committee is None:
            raise MemberNotInOffice(
                f"{member_id} acts for a committee, and there is no committee in office here"
                " (no committee yet): the operator or a regulator records the first election"
            )
        committee.require_member_in_office(member_id)

    def _committee_in_office(self, complex_id: UUID) -> Committee | None:
        """The complex's current committee, up to date (None before the first election).

        The complex is read from the cache first: while its current committee has
        not ended, no later election can have happened (an election supersedes the
        committee in the same transaction), so only a committee that has ended
        sends the question to the store's newest complex.
        """
        committee: Committee | None = None
        for up_to_date in (False, True):
            complex_ = (
                self.fresh(complex_id, Complex) if up_to_date else self.load(complex_id, Complex)
            )
            current = complex_.current_committee_id
            committee = None if current is None else self.fresh(UUID(current), Committee)
            if committee is not None and not committee.ended:
                return committee
        return committee

    def committee_in_office(
        self, complex_: Complex, action: str, member_id: str | None = None
    ) -> Committee:
        """The complex's committee, refusing unless it is in office today (filed, in its term,
        neither succeeded nor dissolved) and, when given, ``member_id`` is one of its members.

        Read fresh from the store: a stale copy would not collide. Every command a committee
        member takes for the complex can ask it (the maintenance fund's payouts do).
        """
        if complex_.current_committee_id is None:
            raise InvalidState(f"complex {complex_.code} has no committee to {action}")
        committee = self.fresh(UUID(complex_.current_committee_id), Committee)
        if member_id is not None:
            committee.member(member_id)
        committee.require_operating(self.today(), action)
        return committee

    def hear_committees(self, *, on: bool) -> None:
        """Whether every committee change by any process now reaches :meth:`committee_changed`
        (a listener holds). Either way, what was trusted before is read fresh again."""
        self._heard_fresh.clear()
        self._hearing_committees = on

    def committee_changed(self, committee_id: UUID) -> None:
        """A notice: this committee's stream has new events; read it fresh next time."""
        self._heard_fresh.discard(committee_id)

    # --- refusals that are kept (A24) ------------------------------------------------------------

    def keep_refusal(
        self,
        refusal: LedgerError,
        *,
        judged_on: Mapping[UUID, int],
        stream: UUID,
        kind: type[A],
        record: Callable[[A], object],
    ) -> None:
        """Keep a refused attempt in ``stream`` in its own write; the caller still raises it.

        The one way a refusal is kept. A blocked attempt is a supervision signal and the log
        its only record (the account's ``PaymentRefused``, the fund's ``UseRefused``, a
        project's ``DisbursementRefused``). Only a refusal made on up-to-date state is kept:
        when an aggregate it was judged on (``judged_on``: id -> version loaded) has newer
        events, the command is retried instead (StaleRead), and may well succeed.
        """
        if self._any_newer(judged_on):
            raise StaleRead
        refusal.on_fresh_state = True
        self.evict([stream])
        fresh = self.load(stream, kind)
        record(fresh)
        self.app.save(fresh)  # its own write, also inside written_along: the request fails
