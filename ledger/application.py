"""The ledger application service: commands in, hash-chained events out, on SQLite or PostgreSQL.

One ``Ledger`` per process. Aggregates are cached without deep copies or
fast-forwarding (the fast path measured in bench/ledger_write.py), which is
safe because: every command runs under one process lock; every aggregate a
command touches is evicted from the cache if the command fails; a write that
collides with another process's write (stale cache) is retried on fresh state
a bounded number of times; and aggregates a command only reads (the committee,
a cited resolution) are brought up to date from the store first.
"""

from __future__ import annotations

import copy
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, TypeVar, cast
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    ProjectorFunction,
    project_aggregate,
)
from eventsourcing.domain import Aggregate, MutableOrImmutableAggregate
from eventsourcing.persistence import IntegrityError, OperationalError

from ledger import ids
from ledger.account.account import RECORDED_REFUSALS, CommonFundAccount, balance_effect
from ledger.account.entries import Authority, ExpenditureDetails, IncomeDetails, Proposal
from ledger.account.payment_rules import approvals_as_proposed
from ledger.account.views import EntryView, entry_views
from ledger.base import ChainedAggregate
from ledger.chain import root_of
from ledger.committees.committee import Committee, Member
from ledger.committees.resolution import MATTER_ELECT_COMMITTEE, Resolution
from ledger.complexes.complex import Complex, Unit
from ledger.dates import local_today, parse_date
from ledger.errors import (
    AccountOpeningRefused,
    AlreadyExists,
    AuthorisationMissing,
    ClosureRefused,
    CommitteeNotSealed,
    ConcurrencyConflict,
    IdempotencyConflict,
    InvalidCommand,
    InvalidState,
    LedgerError,
    MemberNotInOffice,
    NotFound,
)
from ledger.fund_service import FundCommands
from ledger.maintenance.fund import MaintenanceFund, RepairProject
from ledger.periods import Period
from ledger.personal import PersonalData, StoredParty, Unavailable, blind_party, store_party
from ledger.policy import DEFAULT_POLICY, Policy
from ledger.requests import StaleRead, fingerprint
from ledger.supervision.cases import AlertCase, Snooze, SupervisionClock, clock_id, snooze_id

A = TypeVar("A", bound=Aggregate)
TO_MAINTENANCE_FUND = "transfer_to_maintenance_fund"
R = TypeVar("R")

MAX_ATTEMPTS = 16
OUTAGE_RETRY_SECONDS = 1.0  # a failing database: retry for this long, then let the outage show
REPLAY_PAGE = 64  # events read at a time when a replay looks for what its request recorded
BACKOFF_CAP_SECONDS = 0.05
SETTLED_FACTS_MAX = 200_000
# After a collision, an aggregate is caught up from the store before each command for this
# long: one query instead of a rollback and a rebuild when several workers share it.
CONTENDED_SECONDS = 60.0

# The fast command path: see the module docstring and docs/benchmarks.md.
DEFAULT_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": "5000",
    "AGGREGATE_CACHE_FASTFORWARD": "n",
    "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
}


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


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account's standing: what a treasurer or regulator asks for most."""

    id: str
    complex_id: str
    committee_id: str
    bank: str
    account_number: str
    signatories: tuple[str, ...]
    opened_on: str
    status: str
    suspended: bool
    balance: int
    version: int
    entries: int
    pending_expenditures: int

    @classmethod
    def of(cls, account: CommonFundAccount) -> AccountSummary:
        return cls(
            id=str(account.id),
            complex_id=account.complex_id,
            committee_id=account.committee_id,
            bank=account.bank,
            account_number=account.account_number,
            signatories=tuple(account.signatories),
            opened_on=account.opened_on,
            status=account.status,
            suspended=account.suspended,
            balance=account.balance,
            version=account.version,
            entries=len(account.entries),
            pending_expenditures=sum(
                1 for p in account.proposals.values() if p["status"] == "proposed"
            ),
        )


@dataclass(frozen=True, slots=True)
class ComplexSummary:
    """A complex's identity and place, without its units."""

    id: UUID
    code: str
    name: str
    district: str
    street: str
    community: str
    unit_count: int
    floor_area: int  # hundredths of a m²
    current_committee_id: str | None
    current_account_id: str | None
    version: int

    @classmethod
    def of(cls, complex_: Complex) -> ComplexSummary:
        return cls(
            id=complex_.id,
            code=complex_.code,
            name=complex_.name,
            district=complex_.district,
            street=complex_.street,
            community=complex_.community,
            unit_count=len(complex_.units),
            floor_area=sum(u["area"] for u in complex_.units.values()),
            current_committee_id=complex_.current_committee_id,
            current_account_id=complex_.current_account_id,
            version=complex_.version,
        )


class Ledger(Application[UUID]):
    """The commonfund ledger: complexes, committees, resolutions and common-fund accounts."""

    name = "Ledger"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        CommonFundAccount: 200,
        Complex: 50,
        Committee: 50,
        # A fund's state is its units (not its history); an event may move 10,000 of them,
        # so a short interval keeps a cold load to one snapshot and a few events.
        MaintenanceFund: 10,
        RepairProject: 50,
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        policy: Policy = DEFAULT_POLICY,
        clock: Callable[[], datetime] | None = None,
        personal: PersonalData | None = None,
    ) -> None:
        super().__init__(env={**DEFAULT_ENV, **(env or {})})
        self.policy = policy
        self.clock = clock or (lambda: datetime.now(UTC))
        # names of people are sealed per person (ledger/personal.py); without a keeper the
        # ledger still reads, but refuses to record a person
        self.personal: PersonalData = personal or Unavailable()
        self._lock = threading.RLock()
        self._settled: dict[tuple[str, UUID], object] = {}
        self._contended: dict[UUID, float] = {}  # aggregate -> until (monotonic seconds)
        self.fund = FundCommands(self)  # the maintenance fund (issue #6)
        self._saving: dict[UUID, Any] = {}  # the aggregates of the save taking snapshots
        # What the running command attempt has brought up to date: read twice in one attempt
        # (the committee for H15, H02 and a decision), an aggregate is asked for once.
        self._caught_up: set[UUID] | None = None
        # While something hears every committee change of every process (``hear_committees``;
        # on PostgreSQL a LISTEN, commonfund/wiring.py), a committee read fresh once is taken
        # from the cache until a notice names it: the member-in-office check (H15) of every
        # command and H02 then cost no round trip while the committee stays as it was.
        self._hearing_committees = False
        self._heard_fresh: set[UUID] = set()

    def close(self) -> None:
        super().close()
        close = getattr(self.personal, "close", None)  # the keeper's connections go with it
        if close is not None:
            close()

    # --- plumbing ---------------------------------------------------------------

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        self._saving = processing_event.aggregates
        try:
            super()._take_snapshots(processing_event)
        finally:
            self._saving = {}

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """A fund's snapshot is taken from the fund just saved, not rebuilt from the store.

        The library rebuilds an aggregate from its previous snapshot and events to
        snapshot it: for a fund, ten events of up to 10,000 unit parts decoded and
        folded again on every tenth command (~0.9 s under load instead of ~0.1 s,
        bench/maintenance.py). The fund just saved at that version is that state.
        """
        saved = self._saving.get(aggregate_id)
        snapshot_class = getattr(type(saved), "Snapshot", type(self).snapshot_class)
        if (
            isinstance(saved, MaintenanceFund)
            and saved.version == version
            and self.snapshots is not None
            and snapshot_class is not None
        ):
            self.snapshots.put([snapshot_class.take(saved)])
            return
        super().take_snapshot(aggregate_id, version, projector_func)

    def today(self) -> date:
        return local_today(self.clock(), self.policy.timezone)

    def _not_future(self, day: date, field: str) -> date:
        if day > self.today():
            raise InvalidCommand(f"{field}: {day.isoformat()} is in the future")
        return day

    @contextmanager
    def _serialised(self) -> Iterator[list[UUID]]:
        touched: list[UUID] = []
        with self._lock:
            try:
                yield touched
            except BaseException:
                self._evict(touched)
                raise

    def _evict(self, touched: list[UUID]) -> None:
        cache = self.repository.cache
        if cache is None:
            return
        for aggregate_id in touched:
            with suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    def _command(
        self,
        body: Callable[[Callable[[UUID, type[A]], A]], R],
        *,
        actor: Actor,
        complex_id: UUID | None = None,
    ) -> R:
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
            with self._serialised() as touched:
                loaded: dict[UUID, int] = {}
                self._caught_up = set()
                try:
                    self._require_member_in_office(actor, complex_id)
                    return body(self._loader(touched, loaded))
                except (IntegrityError, StaleRead):
                    self._evict(touched)
                    self._mark_contended(touched)
                    if attempt == MAX_ATTEMPTS - 1:
                        break
                except OperationalError:
                    # The database failed us (a dropped connection, SQLite still locked after
                    # its timeout, a server gone): another connection may do. An outage is
                    # raised as itself once retries have taken OUTAGE_RETRY_SECONDS, so the
                    # caller answers 503, not the 409 of a contention it is not (issue #12).
                    self._evict(touched)
                    spent = time.monotonic() - started
                    if spent >= OUTAGE_RETRY_SECONDS or attempt == MAX_ATTEMPTS - 1:
                        raise
                except LedgerError as refusal:
                    if refusal.on_fresh_state or not self._any_newer(loaded):
                        raise
                    self._evict(touched)
                    continue
                finally:
                    self._caught_up = None
            # Full jitter, exponential up to a cap: colliding writers drift apart.
            time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS, 0.002 * 2**attempt)))  # noqa: S311
        raise ConcurrencyConflict(
            "another writer kept changing the same record; the request changed nothing: retry it"
        )

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
                self._fresh(complex_id, Complex) if up_to_date else self._load(complex_id, Complex)
            )
            current = complex_.current_committee_id
            committee = None if current is None else self._fresh(UUID(current), Committee)
            if committee is not None and not committee.ended:
                return committee
        return committee

    def _loader(self, touched: list[UUID], loaded: dict[UUID, int]) -> Callable[[UUID, type[A]], A]:
        """A load function that records what a command touched and the versions it saw."""

        def load(aggregate_id: UUID, kind: type[A]) -> A:
            touched.append(aggregate_id)
            aggregate = (
                self._fresh(aggregate_id, kind)
                if self._is_contended(aggregate_id)
                else self._load(aggregate_id, kind)
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
            del self._contended[aggregate_id]
            return False
        return True

    def _any_newer(self, loaded: Mapping[UUID, int]) -> bool:
        """Whether the store holds events newer than the versions a command loaded."""
        return any(
            list(self.events.get(aggregate_id, gt=version, limit=1))
            for aggregate_id, version in loaded.items()
        )

    def _load(self, aggregate_id: UUID, kind: type[A]) -> A:
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise NotFound(f"no {kind.__name__.lower()} {aggregate_id}") from None
        if not isinstance(aggregate, kind):
            raise NotFound(f"{aggregate_id} is not a {kind.__name__.lower()}")
        return aggregate

    def _fresh(self, aggregate_id: UUID, kind: type[A]) -> A:
        """Load and bring up to date with events other processes may have written.

        Once per command attempt: a second read in the same attempt is as fresh as a
        command that read it once.
        """
        aggregate = self._load(aggregate_id, kind)
        caught_up = self._caught_up
        if caught_up is not None and aggregate_id in caught_up:
            return aggregate
        if kind is Committee and self._hearing_committees:
            if aggregate_id in self._heard_fresh:
                return aggregate  # no notice has named it since it was last read fresh
            # trusted from before the read on: a notice that arrives during it takes it back
            self._heard_fresh.add(aggregate_id)
        for event in self.events.get(aggregate_id, gt=aggregate.version):
            cast(Aggregate.Event, event).mutate(aggregate)
        if caught_up is not None:
            caught_up.add(aggregate_id)
        return aggregate

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(list(self.events.get(aggregate_id, limit=1)))

    def hear_committees(self, *, on: bool) -> None:
        """Whether every committee change by any process now reaches :meth:`committee_changed`
        (a listener holds). Either way, what was trusted before is read fresh again."""
        self._heard_fresh.clear()
        self._hearing_committees = on

    def committee_changed(self, committee_id: UUID) -> None:
        """A notice: this committee's stream has new events; read it fresh next time."""
        self._heard_fresh.discard(committee_id)

    def read(self, aggregate_id: UUID, kind: type[A]) -> A:
        """A private, up-to-date copy of an aggregate, safe to inspect outside the lock.

        A deep copy costs about 30 ms for an account with 5,000 entries: answer
        frequent questions with :meth:`peek` instead.
        """
        return self.peek(aggregate_id, kind, copy.deepcopy)

    def peek(self, aggregate_id: UUID, kind: type[A], view: Callable[[A], R]) -> R:
        """Apply ``view`` to the up-to-date aggregate under the lock; ``view`` returns a copy."""
        with self._serialised() as touched:
            touched.append(aggregate_id)
            return view(self._fresh(aggregate_id, kind))

    # --- complexes ---------------------------------------------------------------

    def register_complex(
        self,
        *,
        code: str,
        name: str,
        district: str,
        street: str,
        community: str,
        units: Mapping[str, Unit] | None = None,
        actor: Actor,
    ) -> Receipt:
        complex_id = ids.complex_id(code)

        def body(load: Callable[[UUID, type[Complex]], Complex]) -> Receipt:
            if self._exists(complex_id):
                raise AlreadyExists(f"a complex with code {code} is already registered")
            today = self.today().isoformat()
            complex_ = Complex.register(
                complex_id,
                code=code,
                name=name,
                district=district,
                street=street,
                community=community,
                principal=actor.principal,
                value_date=today,
            )
            if units:
                complex_.add_units(dict(units), principal=actor.principal, value_date=today)
            self.save(complex_)
            return Receipt(str(complex_id), complex_.version)

        return self._command(body, actor=actor)

    def add_units(self, complex_id: UUID, units: Mapping[str, Unit], *, actor: Actor) -> Receipt:
        def body(load: Callable[[UUID, type[Complex]], Complex]) -> Receipt:
            complex_ = load(complex_id, Complex)
            complex_.add_units(
                dict(units), principal=actor.principal, value_date=self.today().isoformat()
            )
            self.save(complex_)
            return Receipt(str(complex_id), complex_.version)

        return self._command(body, actor=actor, complex_id=complex_id)

    def transfer_unit(
        self, complex_id: UUID, unit_id: str, new_owner_key: str, *, on: date, actor: Actor
    ) -> Receipt:
        self._not_future(on, "sold_on")

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            complex_: Complex = load(complex_id, Complex)
            seller = complex_.unit(unit_id)["owner_key"]
            complex_.transfer_unit(
                unit_id, new_owner_key, principal=actor.principal, value_date=on.isoformat()
            )
            fund = self.fund.note_sale(
                load, complex_.id, unit_id, seller, new_owner_key, on=on, actor=actor
            )
            self.save(complex_, *([fund] if fund is not None else []))  # the sub-ledger goes along
            return Receipt(str(complex_id), complex_.version)

        return self._command(body, actor=actor, complex_id=complex_id)

    # --- resolutions ---------------------------------------------------------------

    def record_resolution(
        self,
        complex_id: UUID,
        *,
        idempotency_key: str,
        matter: int,
        purpose: str,
        amount_cap: int | None,
        period_from: date,
        period_to: date,
        scope_units: list[str] | None,
        participated: list[str],
        consented: list[str],
        closed_on: date,
        actor: Actor,
        budget_category: str | None = None,
    ) -> Receipt:
        """Record a resolution; ``budget_category`` with ``amount_cap`` makes it a budget (H05)."""
        resolution_id = ids.resolution_id(complex_id, idempotency_key)
        request = fingerprint(
            {
                "matter": matter,
                "purpose": purpose,
                "amount_cap": amount_cap,
                "period": [period_from, period_to],
                "scope_units": sorted(scope_units) if scope_units is not None else None,
                "participated": sorted(participated),
                "consented": sorted(consented),
                "closed_on": closed_on,
                # only when given: a request recorded before budgets keeps its fingerprint
                **({"budget_category": budget_category} if budget_category is not None else {}),
            }
        )

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            complex_: Complex = load(complex_id, Complex)
            if str(resolution_id) in complex_.resolution_ids:
                existing: Resolution = self._fresh(resolution_id, Resolution)
                if existing.request_fingerprint() != request:
                    raise IdempotencyConflict(
                        f"resolution key {idempotency_key!r} was used for a different resolution"
                    )
                return Receipt(
                    str(resolution_id),
                    existing.version,
                    replayed=True,
                    status="passed" if existing.passed else "failed",
                )
            if closed_on > self.today():
                raise InvalidCommand("closed_on: record a resolution once its vote has closed")
            resolution = Resolution.record(
                resolution_id,
                complex_,
                matter=matter,
                purpose=purpose,
                amount_cap=amount_cap,
                period_from=period_from,
                period_to=period_to,
                scope_units=scope_units,
                participated=participated,
                consented=consented,
                closed_on=closed_on,
                budget_category=budget_category,
                request_fingerprint=request,
                policy=self.policy,
                principal=actor.principal,
            )
            complex_.note_resolution(
                resolution_id, principal=actor.principal, value_date=closed_on.isoformat()
            )
            self.save(resolution, complex_)
            return Receipt(
                str(resolution_id),
                resolution.version,
                status="passed" if resolution.passed else "failed",
            )

        return self._command(body, actor=actor, complex_id=complex_id)

    # --- committees -----------------------------------------------------------------

    def elect_committee(
        self,
        complex_id: UUID,
        *,
        election_resolution_id: UUID,
        elected_on: date,
        term_end: date,
        members: list[Member],
        actor: Actor,
    ) -> Receipt:
        committee_id = ids.committee_id(complex_id, election_resolution_id)

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            complex_: Complex = load(complex_id, Complex)
            if str(committee_id) in complex_.committee_ids:
                raise AlreadyExists(
                    f"committee {committee_id} was already elected by that resolution"
                )
            resolution: Resolution = self._fresh(election_resolution_id, Resolution)
            if resolution.complex_id != str(complex_id):
                raise NotFound(f"resolution {election_resolution_id} is not of this complex")
            if resolution.matter != MATTER_ELECT_COMMITTEE or not resolution.passed:
                raise InvalidCommand(
                    f"election_resolution_id: resolution {election_resolution_id} is not a passed"
                    " resolution electing the committee (art. 278 item 3)"
                )
            if elected_on < parse_date(resolution.closed_on):
                raise InvalidCommand("elected_on: a committee is elected when the vote closes")
            committee = Committee.elect(
                committee_id,
                complex_id=complex_id,
                election_resolution_id=election_resolution_id,
                elected_on=self._not_future(elected_on, "elected_on"),
                term_end=term_end,
                members=members,
                policy=self.policy,
                principal=actor.principal,
                personal=self.personal,
            )
            to_save: list[Aggregate] = [committee, complex_]
            previous_id = complex_.current_committee_id
            if previous_id is not None:
                previous: Committee = load(UUID(previous_id), Committee)
                if previous.status not in ("superseded", "dissolved"):
                    previous.supersede(committee_id, on=elected_on, principal=actor.principal)
                    to_save.append(previous)
            complex_.note_committee(
                committee_id, principal=actor.principal, value_date=elected_on.isoformat()
            )
            self.save(*to_save)
            return Receipt(str(committee_id), committee.version, status=committee.status)

        return self._command(body, actor=actor, complex_id=complex_id)

    def _committee_step(
        self, committee_id: UUID, actor: Actor, step: Callable[[Committee], object]
    ) -> Receipt:
        def body(load: Callable[[UUID, type[Committee]], Committee]) -> Receipt:
            committee = load(committee_id, Committee)
            step(committee)
            self.save(committee)
            return Receipt(str(committee_id), committee.version, status=committee.status)

        return self._command(body, actor=actor, complex_id=self.complex_of(committee_id, Committee))

    def file_committee(
        self, committee_id: UUID, *, number: str, authority: str, filed_on: date, actor: Actor
    ) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.file(
                number=number,
                authority=authority,
                filed_on=self._not_future(filed_on, "filed_on"),
                policy=self.policy,
                principal=actor.principal,
            ),
        )

    def seal_committee(
        self, committee_id: UUID, *, seal_number: str, sealed_on: date, actor: Actor
    ) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.seal(
                seal_number=seal_number,
                sealed_on=self._not_future(sealed_on, "sealed_on"),
                principal=actor.principal,
            ),
        )

    def change_members(
        self,
        committee_id: UUID,
        *,
        added: list[Member],
        removed: list[str],
        changed_on: date,
        actor: Actor,
    ) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.change_members(
                added=added,
                removed=removed,
                changed_on=self._not_future(changed_on, "changed_on"),
                policy=self.policy,
                principal=actor.principal,
                personal=self.personal,
            ),
        )

    def record_decision(
        self,
        committee_id: UUID,
        *,
        idempotency_key: str,
        purpose: str,
        amount_cap: int,
        decided_on: date,
        approvers: list[str],
        actor: Actor,
    ) -> Receipt:
        decision_id = ids.child_id(committee_id, idempotency_key)
        request = fingerprint(
            {
                "purpose": purpose,
                "amount_cap": amount_cap,
                "decided_on": decided_on,
                "approvers": sorted(approvers),
            }
        )

        def body(load: Callable[[UUID, type[Committee]], Committee]) -> Receipt:
            committee = load(committee_id, Committee)
            replay = decision_id in committee.decisions
            decision = committee.record_decision(
                decision_id,
                purpose=purpose,
                amount_cap=amount_cap,
                decided_on=self._not_future(decided_on, "decided_on"),
                approvers=approvers,
                fingerprint=request,
                principal=actor.principal,
            )
            if not replay:
                self.save(committee)
            return Receipt(
                decision_id,
                committee.version,
                replayed=replay,
                status="approved" if decision["approved"] else "not_approved",
            )

        return self._command(body, actor=actor, complex_id=self.complex_of(committee_id, Committee))

    def hand_over(self, committee_id: UUID, *, on: date, actor: Actor) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.hand_over(on=on, today=self.today(), principal=actor.principal),
        )

    def dissolve_committee(
        self, committee_id: UUID, *, reason: str, on: date, actor: Actor
    ) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.dissolve(reason=reason, on=on, principal=actor.principal),
        )

    # --- the common-fund account -------------------------------------------------------

    def open_account(
        self,
        complex_id: UUID,
        *,
        bank: str,
        account_number: str,
        signatories: list[str],
        opened_on: date,
        actor: Actor,
    ) -> Receipt:
        """H01: only for a filed and sealed committee in its term, with two member signatories."""
        request = fingerprint(
            {
                "bank": bank,
                "account_number": account_number,
                "signatories": sorted(signatories),
                "opened_on": opened_on,
            }
        )

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            complex_: Complex = load(complex_id, Complex)
            if complex_.current_committee_id is None:
                raise AccountOpeningRefused(
                    f"complex {complex_.code} has no elected committee: record the election,"
                    " filing and seal before opening the account"
                )
            committee: Committee = self._fresh(UUID(complex_.current_committee_id), Committee)
            account_id = ids.account_id(complex_id, committee.id)
            if str(account_id) in complex_.account_ids:
                account: CommonFundAccount = load(account_id, CommonFundAccount)
                if account.opening_fingerprint != request:
                    raise AlreadyExists(
                        f"committee {committee.id} has already opened account {account_id}"
                    )
                return Receipt(
                    str(account_id),
                    account.version,
                    replayed=True,
                    status=account.status,
                    balance=account.balance,
                )
            _check_opening(committee, signatories, opened_on, self.today())
            account = CommonFundAccount.open(
                account_id,
                complex_id=complex_id,
                committee=committee,
                bank=bank,
                account_number=account_number,
                signatories=signatories,
                opened_on=opened_on,
                fingerprint=request,
                principal=actor.principal,
            )
            complex_.note_account(
                account_id, principal=actor.principal, value_date=opened_on.isoformat()
            )
            self.save(account, complex_)
            return Receipt(str(account_id), account.version, status="open", balance=0)

        return self._command(body, actor=actor, complex_id=complex_id)

    def record_income(
        self, account_id: UUID, details: IncomeDetails, *, idempotency_key: str, actor: Actor
    ) -> Receipt:
        entry_id = ids.child_id(account_id, idempotency_key)
        request = fingerprint({"income": _as_body(details, self.personal)})

        def body(load: Callable[[UUID, type[CommonFundAccount]], CommonFundAccount]) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(entry_id, request):
                return self._replay_receipt(account, entry_id, "entry_id")
            account.record_income(
                entry_id,
                details,
                fingerprint=request,
                policy=self.policy,
                today=self.today(),
                principal=actor.principal,
                personal=self.personal,
            )
            self.save(account)
            return Receipt(
                entry_id,
                account.version,
                balance=account.balance,
                recorded_at=account.modified_on.isoformat(),
                recorded_by=actor.principal,
            )

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def _replay_receipt(self, account: CommonFundAccount, entry_id: str, field: str) -> Receipt:
        """A replay's receipt from the ledger's record: when and by whom the entry was recorded.

        Issue #12: a retry after a crash that lost the stored response must answer what
        the first request answered, not the retrying caller's principal and no time.
        """
        event = self._recorded(account.id, lambda e: getattr(e, field, None) == entry_id)
        return Receipt(
            entry_id,
            account.version,
            replayed=True,
            balance=account.balance,
            recorded_at=event.timestamp.isoformat(),
            recorded_by=getattr(event, "principal", ""),
        )

    def _recorded(
        self, stream_id: UUID, match: Callable[[Aggregate.Event], bool]
    ) -> Aggregate.Event:
        """The newest event of a stream that ``match``es, read backwards a page at a time
        (a replay is usually of a recent request, so this reads a page or two)."""
        upper: int | None = None
        while True:
            page = list(self.events.get(stream_id, lte=upper, desc=True, limit=REPLAY_PAGE))
            for event in page:
                if match(cast(Aggregate.Event, event)):
                    return cast(Aggregate.Event, event)
            if len(page) < REPLAY_PAGE:
                raise NotFound(f"no recorded event of {stream_id} matches the replayed request")
            upper = page[-1].originator_version - 1

    def _authority(self, account: CommonFundAccount, kind: str, authorisation_id: str) -> Authority:
        if kind == "resolution":
            try:
                resolution_uuid = UUID(authorisation_id)
            except ValueError:
                raise NotFound(f"no resolution {authorisation_id}") from None
            resolution: Resolution = self._fresh(resolution_uuid, Resolution)
            if resolution.complex_id != account.complex_id:
                raise NotFound(f"resolution {authorisation_id} is not of this complex")
            if resolution.scope_units is not None:
                raise AuthorisationMissing(
                    f"resolution {authorisation_id} was put to some units only; common funds are"
                    " spent on a resolution of the whole assembly"
                )
            if resolution.amount_cap is None:
                raise AuthorisationMissing(
                    f"resolution {authorisation_id} sets no amount cap; a resolution authorises"
                    " spending up to its cap"
                )
            return Authority(
                kind="resolution",
                id=authorisation_id,
                valid=resolution.passed,
                purpose_key=resolution.purpose_key,
                amount_cap=resolution.amount_cap,
                valid_from=parse_date(resolution.period_from),
                valid_to=parse_date(resolution.period_to),
                category=resolution.budget_category,
            )
        if kind == "decision":
            committee: Committee = self._fresh(UUID(account.committee_id), Committee)
            decision = committee.decisions.get(authorisation_id)
            if decision is None:
                raise NotFound(f"no decision {authorisation_id} of committee {committee.id}")
            return Authority(
                kind="decision",
                id=authorisation_id,
                valid=decision["approved"],
                purpose_key=decision["purpose_key"],
                amount_cap=decision["amount_cap"],
                valid_from=parse_date(decision["decided_on"]),
                valid_to=parse_date(committee.term_end),
            )
        raise InvalidCommand(f"authorisation.kind: {kind!r} is not resolution or decision")

    def propose_expenditure(
        self,
        account_id: UUID,
        details: ExpenditureDetails,
        *,
        idempotency_key: str,
        actor: Actor,
    ) -> Receipt:
        expenditure_id = ids.child_id(account_id, idempotency_key)
        request = fingerprint({"expenditure": _as_body(details, self.personal)})
        member_id = actor.require_member()

        def body(load: Callable[[UUID, type[CommonFundAccount]], CommonFundAccount]) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(expenditure_id, request):
                proposal = account.proposals[expenditure_id]
                return Receipt(
                    expenditure_id,
                    account.version,
                    replayed=True,
                    status=proposal["status"],
                    balance=account.balance,
                )
            committee: Committee = self._fresh(UUID(account.committee_id), Committee)
            try:
                authority = self._authority(
                    account, details.authorisation_kind, details.authorisation_id
                )
                account.propose_expenditure(
                    expenditure_id,
                    details,
                    proposer=member_id,
                    committee=committee,
                    authority=authority,
                    fingerprint=request,
                    policy=self.policy,
                    today=self.today(),
                    principal=actor.principal,
                    personal=self.personal,
                )
            except RECORDED_REFUSALS as refusal:
                self._keep_refusal(
                    account,
                    expenditure_id,
                    refusal,
                    member_id=member_id,
                    amount=details.amount,
                    payee=store_party(self.personal, details.payee),
                    method=details.method,
                    value_date=details.value_date,
                    actor=actor,
                )
                raise
            self.save(account)
            return Receipt(
                expenditure_id, account.version, status="proposed", balance=account.balance
            )

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def approve_expenditure(
        self, account_id: UUID, expenditure_id: str, *, actor: Actor
    ) -> Receipt:
        member_id = actor.require_member()

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            account: CommonFundAccount = load(account_id, CommonFundAccount)
            proposal = account.proposal(expenditure_id)
            committee: Committee = self._fresh(UUID(account.committee_id), Committee)
            before = account.version
            try:
                authority = self._authority(
                    account, proposal["authorisation_kind"], proposal["authorisation_id"]
                )
                account.approve_expenditure(
                    expenditure_id,
                    member_id=member_id,
                    committee=committee,
                    authority=authority,
                    policy=self.policy,
                    today=self.today(),
                    principal=actor.principal,
                )
            except RECORDED_REFUSALS as refusal:
                self._keep_refusal(
                    account,
                    expenditure_id,
                    refusal,
                    member_id=member_id,
                    amount=proposal["amount"],
                    payee=proposal["payee"],
                    method=proposal["method"],
                    value_date=parse_date(proposal["value_date"]),
                    actor=actor,
                )
                raise
            replayed = account.version == before
            if not replayed:
                booked = account.proposals[expenditure_id]
                if booked["status"] == "booked" and booked["category"] == TO_MAINTENANCE_FUND:
                    fund = self.fund.credit_transfer(
                        load, UUID(account.complex_id), account_id, expenditure_id,
                        booked["amount"], on=parse_date(booked["value_date"]), actor=actor,
                    )  # fmt: skip
                    self.save(account, fund)  # the money leaves the account and reaches the fund
                else:
                    self.save(account)
            return Receipt(
                expenditure_id,
                account.version,
                replayed=replayed,
                status=account.proposals[expenditure_id]["status"],
                balance=account.balance,
            )

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def _keep_refusal(
        self,
        account: CommonFundAccount,
        expenditure_id: str,
        refusal: LedgerError,
        *,
        member_id: str,
        amount: int,
        payee: StoredParty,
        method: str,
        value_date: date,
        actor: Actor,
    ) -> None:
        """Record the refused attempt (A24) on the account; the refusal is still raised."""
        self.keep_refusal(
            refusal,
            judged_on={account.id: account.version},
            stream=account.id,
            kind=CommonFundAccount,
            record=lambda fresh: fresh.record_refusal(
                expenditure_id,
                refusal,
                member_id=member_id,
                amount=amount,
                payee=payee,
                method=method,
                value_date=value_date,
                principal=actor.principal,
            ),
        )

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

        A blocked attempt is a supervision signal and the log its only record (the account's
        ``PaymentRefused``, the fund's ``UseRefused``, a project's ``DisbursementRefused``).
        Only a refusal made on up-to-date state is kept: when an aggregate it was judged on
        (``judged_on``: id -> version loaded) has newer events, the command is retried instead
        (StaleRead), and may well succeed.
        """
        if self._any_newer(judged_on):
            raise StaleRead
        refusal.on_fresh_state = True
        self._evict([stream])
        fresh = self._load(stream, kind)
        record(fresh)
        self.save(fresh)

    def reject_expenditure(
        self, account_id: UUID, expenditure_id: str, *, reason: str, actor: Actor
    ) -> Receipt:
        member_id = actor.require_member()

        def body(load: Callable[[UUID, type[CommonFundAccount]], CommonFundAccount]) -> Receipt:
            account = load(account_id, CommonFundAccount)
            committee: Committee = self._fresh(UUID(account.committee_id), Committee)
            account.reject_expenditure(
                expenditure_id,
                member_id=member_id,
                reason=reason,
                committee=committee,
                principal=actor.principal,
            )
            self.save(account)
            return Receipt(expenditure_id, account.version, status="rejected")

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def withdraw_expenditure(
        self, account_id: UUID, expenditure_id: str, *, actor: Actor
    ) -> Receipt:
        member_id = actor.require_member()
        return self._account_step(
            account_id,
            lambda a: a.withdraw_expenditure(
                expenditure_id, member_id=member_id, principal=actor.principal
            ),
            receipt_id=expenditure_id,
            actor=actor,
            status="withdrawn",
        )

    def reverse_entry(
        self,
        account_id: UUID,
        *,
        reverses: str,
        reason: str,
        value_date: date,
        idempotency_key: str,
        actor: Actor,
    ) -> Receipt:
        entry_id = ids.child_id(account_id, idempotency_key)
        request = fingerprint(
            {"reversal": {"reverses": reverses, "reason": reason, "value_date": value_date}}
        )

        def body(load: Callable[[UUID, type[CommonFundAccount]], CommonFundAccount]) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(entry_id, request):
                return self._replay_receipt(account, entry_id, "entry_id")
            committee: Committee = self._fresh(UUID(account.committee_id), Committee)
            reversed_ = account.proposals.get(reverses)
            if reversed_ is not None and reversed_["category"] == TO_MAINTENANCE_FUND:
                raise InvalidState(
                    f"expenditure {reverses} was transferred into the maintenance fund, which"
                    " now holds it per unit; it cannot be reversed on the account"
                )
            account.reverse(
                entry_id,
                reverses=reverses,
                reason=reason,
                value_date=value_date,
                fingerprint=request,
                committee=committee,
                today=self.today(),
                principal=actor.principal,
            )
            self.save(account)
            return Receipt(
                entry_id,
                account.version,
                balance=account.balance,
                recorded_at=account.modified_on.isoformat(),
                recorded_by=actor.principal,
            )

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def suspend_payments(self, account_id: UUID, *, reason: str, actor: Actor) -> Receipt:
        return self._account_step(
            account_id,
            lambda a: a.suspend_payments(reason=reason, on=self.today(), principal=actor.principal),
            actor=actor,
            status="suspended",
        )

    def resume_payments(self, account_id: UUID, *, reason: str, actor: Actor) -> Receipt:
        return self._account_step(
            account_id,
            lambda a: a.resume_payments(reason=reason, on=self.today(), principal=actor.principal),
            actor=actor,
            status="open",
        )

    def _account_step(
        self,
        account_id: UUID,
        step: Callable[[CommonFundAccount], object],
        *,
        actor: Actor,
        status: str,
        receipt_id: str | None = None,
    ) -> Receipt:
        """A command on one account alone: load, apply ``step``, save."""

        def body(load: Callable[[UUID, type[CommonFundAccount]], CommonFundAccount]) -> Receipt:
            account = load(account_id, CommonFundAccount)
            step(account)
            self.save(account)
            return Receipt(receipt_id or str(account_id), account.version, status=status)

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    def close_account(
        self,
        account_id: UUID,
        *,
        successor_id: UUID | None,
        reason: str,
        actor: Actor,
    ) -> Receipt:
        """H13: by the committee in office, or a regulator once the committee is dissolved."""

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            account: CommonFundAccount = load(account_id, CommonFundAccount)
            complex_: Complex = self._fresh(UUID(account.complex_id), Complex)
            today = self.today()
            own: Committee = self._fresh(UUID(account.committee_id), Committee)
            if actor.role == "regulator":
                if own.status != "dissolved":
                    raise ClosureRefused(
                        f"a regulator closes an account only after its committee is dissolved;"
                        f" committee {own.id} is {own.status}"
                    )
            else:  # the command checked that the member sits on the current committee
                actor.require_member()
                current_id = complex_.current_committee_id
                current: Committee = self._fresh(UUID(str(current_id)), Committee)
                if not current.in_office(today):
                    raise ClosureRefused(
                        "only the committee in office (filed, within its term) can close the"
                        " account"
                    )
            if account.suspended and actor.role != "regulator":
                raise ClosureRefused(
                    f"payments on account {account_id} are suspended by a regulator: only a"
                    " regulator may close it now (H02)"
                )
            successor: CommonFundAccount | None = None
            if successor_id is not None:
                successor = load(successor_id, CommonFundAccount)
            account.close(successor=successor, reason=reason, on=today, principal=actor.principal)
            self.save(*(a for a in (account, successor) if a is not None))
            return Receipt(str(account_id), account.version, status="closed", balance=0)

        return self._command(
            body, actor=actor, complex_id=self.complex_of(account_id, CommonFundAccount)
        )

    # --- queries ---------------------------------------------------------------------

    def publish_statement(
        self, complex_id: UUID, *, period: str, through: int, content_hash: str, actor: Actor
    ) -> Receipt:
        """H11: a committee member in office publishes a period that has ended.

        ``through`` and ``content_hash`` come from the statements read model: the
        statement as it stood at that ledger position, which the read model
        freezes as version 1 when it meets this event.
        """
        member_id = actor.require_member()
        stated = Period.parse(period)
        if stated.end >= self.today():
            raise InvalidState(
                f"{stated} has not ended yet: a statement is published after its period"
                f" (from {stated.end + timedelta(days=1)})"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", content_hash) or through < 0:
            raise InvalidCommand("a publication names a SHA-256 content hash and a position")

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            complex_: Complex = load(complex_id, Complex)
            self.committee_in_office(complex_, "publish a statement for", member_id)
            complex_.publish_statement(
                stated.name,
                through=through,
                content_hash=content_hash,
                member_id=member_id,
                principal=actor.principal,
                value_date=self.today().isoformat(),
            )
            self.save(complex_)
            return Receipt(stated.name, complex_.version, status="published")

        return self._command(body, actor=actor, complex_id=complex_id)

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
        committee: Committee = self._fresh(UUID(complex_.current_committee_id), Committee)
        if member_id is not None:
            committee.member(member_id)
        committee.require_operating(self.today(), action)
        return committee

    # --- supervision: the alert lifecycle and snoozes (spec/alerts.md) -----------------

    def _alert_step(
        self,
        alert_id: UUID,
        rule: str,
        actor: Actor,
        step: Callable[[AlertCase], object],
        complex_id: UUID | None = None,
    ) -> Receipt:
        """A step on one alert's case; ``complex_id`` is the alert's complex, where it has one."""

        def body(load: Callable[[UUID, type[AlertCase]], AlertCase]) -> Receipt:
            case = self._alert_case(load, alert_id, rule, actor)
            step(case)
            self.save(case)
            return Receipt(str(alert_id), case.version, status=case.status)

        return self._command(body, actor=actor, complex_id=complex_id)

    def _alert_case(
        self, load: Callable[[UUID, type[AlertCase]], AlertCase], alert_id: UUID, rule: str,
        actor: Actor,
    ) -> AlertCase:  # fmt: skip
        """The alert's case stream, opened by its first step."""
        if self._exists(alert_id):
            return load(alert_id, AlertCase)
        return AlertCase.open(
            alert_id, rule=rule, principal=actor.principal, value_date=self.today().isoformat()
        )

    def acknowledge_alert(self, alert_id: UUID, *, rule: str, note: str, actor: Actor) -> Receipt:
        return self._alert_step(
            alert_id, rule, actor,
            lambda c: c.acknowledge(note=note, principal=actor.principal, on=self.today()),
        )  # fmt: skip

    def explain_alert(
        self,
        alert_id: UUID,
        *,
        rule: str,
        complex_id: UUID,
        text: str,
        evidence: list[str],
        actor: Actor,
    ) -> Receipt:
        """The committee of the alert's complex answers it (H15: a member in office)."""
        return self._alert_step(
            alert_id, rule, actor,
            lambda c: c.explain(
                text=text, evidence=evidence, principal=actor.principal, on=self.today()
            ),
            complex_id,
        )  # fmt: skip

    def close_alert(
        self,
        alert_id: UUID,
        *,
        rule: str,
        outcome: str,
        reason: str,
        action: str,
        actor: Actor,
        suspend: tuple[UUID, str] | None = None,
    ) -> Receipt:
        """Close an alert; ``suspend``: (account, reason) also suspends payments on the
        account, in the same transaction (issue #12: two commands let a crash between them
        leave the alert confirmed and the account open). Only a confirmed alert suspends."""
        if suspend is None:
            return self._alert_step(
                alert_id, rule, actor,
                lambda c: c.close(
                    outcome=outcome, reason=reason, action=action, principal=actor.principal,
                    on=self.today(),
                ),
            )  # fmt: skip
        account_id, why = suspend
        if outcome != "confirmed":
            raise InvalidCommand("suspend_payments: payments are suspended on a confirmed alert")

        def body(load: Callable[[UUID, type[Any]], Any]) -> Receipt:
            case = self._alert_case(load, alert_id, rule, actor)
            case.close(
                outcome=outcome, reason=reason, action=action, principal=actor.principal,
                on=self.today(),
            )  # fmt: skip
            account: CommonFundAccount = load(account_id, CommonFundAccount)
            if account.status != "open":
                raise InvalidCommand(f"suspend_payments: account {account_id} is {account.status}")
            if account.suspended:  # suspended already (by another regulator): the alert closes
                self.save(case)
            else:
                account.suspend_payments(reason=why, on=self.today(), principal=actor.principal)
                self.save(case, account)
            return Receipt(str(alert_id), case.version, status=case.status)

        return self._command(body, actor=actor)

    def snooze_rule(
        self, rule: str, subject: str, *, until: date, reason: str, actor: Actor
    ) -> Receipt:
        """At most 180 days for one subject; a later snooze of the same pair extends it."""
        snooze = snooze_id(rule, subject)

        def body(load: Callable[[UUID, type[Snooze]], Snooze]) -> Receipt:
            if self._exists(snooze):
                current = load(snooze, Snooze)
                current.extend(
                    until=until, reason=reason, principal=actor.principal, on=self.today()
                )
            else:
                current = Snooze.start(
                    rule, subject, until=until, reason=reason, principal=actor.principal,
                    on=self.today(),
                )  # fmt: skip
            self.save(current)
            return Receipt(str(snooze), current.version, status="snoozed")

        return self._command(body, actor=actor)

    def tick_supervision(self, as_of: date, *, actor: Actor = SYSTEM) -> Receipt:
        """Record a run of the clock rules for ``as_of``; a second run of a date records nothing.

        The supervision read model evaluates the clock rules when it meets the
        event, so a replay of the log raises the same clock alerts again, once.
        """
        clock = clock_id(as_of)

        def body(load: Callable[[UUID, type[SupervisionClock]], SupervisionClock]) -> Receipt:
            if self._exists(clock):
                current = load(clock, SupervisionClock)
                return Receipt(str(clock), current.version, replayed=True, status="ticked")
            current = SupervisionClock.tick(as_of, principal=actor.principal, today=self.today())
            self.save(current)
            return Receipt(str(clock), current.version, status="ticked")

        return self._command(body, actor=actor)

    def account(self, account_id: UUID) -> CommonFundAccount:
        return self.read(account_id, CommonFundAccount)

    def account_summary(self, account_id: UUID) -> AccountSummary:
        """The account's standing without copying its entries (cheap at any size)."""
        return self.peek(account_id, CommonFundAccount, AccountSummary.of)

    def complex_ids(self) -> list[UUID]:
        """Every registered complex, in registration order (reads the whole log)."""
        found: list[UUID] = []
        start = 1
        while batch := self.recorder.select_notifications(start=start, limit=1000):
            found.extend(
                UUID(str(n.originator_id))
                for n in batch
                if n.originator_version == 1 and n.topic.endswith("Complex.Registered")
            )
            start = batch[-1].id + 1
        return found

    def complex_summary(self, complex_id: UUID) -> ComplexSummary:
        return self.peek(complex_id, Complex, ComplexSummary.of)

    def complex_of(
        self,
        aggregate_id: UUID,
        kind: type[Committee | CommonFundAccount | Resolution | RepairProject],
    ) -> UUID:
        """The complex a committee, account, resolution or project belongs to (it never changes)."""
        key = (kind.__name__, aggregate_id)
        known = self._settled.get(key)
        if known is None:
            known = self.peek(aggregate_id, kind, lambda a: UUID(a.complex_id))
            self._settle(key, known)
        return known  # type: ignore[return-value]

    def place_of(self, complex_id: UUID) -> tuple[str, str, str]:
        """A complex's district, street and community codes (fixed at registration)."""
        key = ("place", complex_id)
        known = self._settled.get(key)
        if known is None:
            known = self.peek(complex_id, Complex, lambda c: (c.district, c.street, c.community))
            self._settle(key, known)
        return known  # type: ignore[return-value]

    def _settle(self, key: tuple[str, UUID], value: object) -> None:
        """Remember a fact that cannot change; asked on every request for scope checks (H15)."""
        if len(self._settled) >= SETTLED_FACTS_MAX:
            self._settled.clear()
        self._settled[key] = value

    def committee(self, committee_id: UUID) -> Committee:
        return self.read(committee_id, Committee)

    def complex(self, complex_id: UUID) -> Complex:
        return self.read(complex_id, Complex)

    def resolution(self, resolution_id: UUID) -> Resolution:
        return self.read(resolution_id, Resolution)

    def entries(self, account_id: UUID) -> list[EntryView]:
        """Every entry of the account in recording order (read from its stream)."""
        events = list(self.events.get(account_id))
        if not events:
            raise NotFound(f"no account {account_id}")
        return entry_views(events)

    def expenditure(
        self, account_id: UUID, expenditure_id: str, *, as_proposed: bool = False
    ) -> Proposal:
        """A proposal and its approvals so far (a copy); ``as_proposed``: as its proposing
        command left it (a replay's answer, issue #12), still proposed, approved only by
        its proposer when the proposer was a signatory (their approval is then the first)."""
        proposal = self.peek(
            account_id, CommonFundAccount, lambda a: copy.deepcopy(a.proposal(expenditure_id))
        )
        if as_proposed:
            proposal["approvals"] = approvals_as_proposed(
                proposal["proposer"], proposal["approvals"]
            )
            proposal["status"] = "proposed"
        return proposal

    def balance_as_of(self, account_id: UUID, as_of: date) -> int:
        """The balance from every entry with a value date on or before ``as_of``."""
        balance = 0
        found = False
        for event in self.events.get(account_id):
            found = True
            amount = balance_effect(event)
            if amount and parse_date(event.value_date) <= as_of:  # type: ignore[attr-defined]
                balance += amount
        if not found:
            raise NotFound(f"no account {account_id}")
        return balance

    def digest(self, complex_id: UUID) -> dict[str, Any]:
        """H12: the chain head of every stream of a complex, and one root over them."""
        streams = self.peek(complex_id, Complex, Complex.stream_ids) + self.fund.streams(complex_id)
        heads = [(stream, *self.peek(UUID(stream), ChainedAggregate, _head)) for stream in streams]
        return {
            "complex_id": str(complex_id),
            "heads": [{"stream_id": s, "version": v, "head": h} for s, v, h in sorted(heads)],
            "root": root_of(heads),
        }


def _head(aggregate: ChainedAggregate) -> tuple[int, str]:
    return aggregate.version, aggregate.chain_head


def _check_opening(
    committee: Committee, signatories: list[str], opened_on: date, today: date
) -> None:
    if committee.status == "elected":
        raise CommitteeNotSealed(
            f"committee {committee.id} is not filed or sealed: record the filing and the seal"
            " before opening the account"
        )
    if committee.status == "filed":
        raise CommitteeNotSealed(
            f"committee {committee.id} is not sealed: record the seal before opening the account"
        )
    if committee.status != "sealed":
        raise AccountOpeningRefused(f"committee {committee.id} is {committee.status}")
    if committee.term_expired(today) or committee.term_expired(opened_on):
        raise AccountOpeningRefused(
            f"the term of committee {committee.id} ended on {committee.term_end}"
        )
    sealed_on = parse_date(committee.sealed_on or committee.elected_on)
    if opened_on > today or opened_on < sealed_on:
        raise InvalidCommand(
            f"opened_on: the account opens after the seal ({sealed_on.isoformat()}) and not"
            " later than today"
        )
    named = set(signatories)
    if len(named) < 2:
        raise AccountOpeningRefused("name at least two signatories from the committee")
    outsiders = sorted(named - committee.members.keys())
    if outsiders:
        raise AccountOpeningRefused(
            f"signatories must be members of committee {committee.id}; not members: {outsiders}"
        )


def _as_body(details: IncomeDetails | ExpenditureDetails, personal: PersonalData) -> dict[str, Any]:
    """The request's fields for its fingerprint (shallow: ``asdict`` deep-copies, and costs), a
    person's name blinded (the fingerprint is kept in the event and must outlive an erasure)."""
    body = {f.name: getattr(details, f.name) for f in fields(details)}
    for party in ("payer", "payee"):
        if party in body:
            body[party] = blind_party(personal, body[party])
    return body
