"""The maintenance fund (专项维修资金, issue #6): one fund per complex with a sub-ledger per unit.

**Aggregate boundaries** (docs/architecture.md, "Maintenance fund"):

- :class:`MaintenanceFund`, one per complex, holds what every money movement
  must check at once: each unit's balance (H03), its first deposit (A19) and
  its balance-days in the current interest period (the weight of interest,
  H10). Its state grows with the number of units, never with the number of
  movements: each event carries its per-unit parts, and ``apply`` folds them
  into the sub-ledgers. A movement over 10,000 units is one event of one
  stream.
- :class:`RepairProject`, one per use of the fund (normal or emergency): the
  plan, its authority (H08), its contractor (H07), acceptance and the
  disbursements against its contract and budget (H09). A disbursement writes
  the project and the fund in one transaction.
- :class:`FundBatch`, one per deposit batch: the request's fingerprint, so a
  replayed idempotency key finds what it made without the fund remembering
  every batch it ever took.

A unit's own ledger is a read model (projections/maintenance/view.py): reading it
never loads the complex's history.

Interest is split pro rata to each unit's **balance over the period**: its
balance-days (fen × days) from the period's first day to its last, kept exactly
in integers. A credit may be dated back inside the current interest period (the
days it missed are added to the unit's weight); a debit may not be dated
before the fund's latest movement, so no unit's past balance ever goes
negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any, NotRequired, TypedDict
from uuid import UUID

from ledger.account.entries import Party
from ledger.base import ChainedAggregate
from ledger.committees.resolution import MATTER_MAINTENANCE_FUND, Resolution
from ledger.dates import parse_date
from ledger.errors import (
    AlreadyExists,
    IdempotencyConflict,
    InvalidCommand,
    InvalidState,
    LedgerError,
    MaintenancePayeeRefused,
    MaintenanceUseRefused,
    NotFound,
    PayoutLimitExceeded,
    Shortfall,
    SubLedgerShortfall,
)
from ledger.maintenance.rules import exceeds_share, share_of
from ledger.money import check_fen, format_fen, split_exact

# A unit's sub-ledger in the fund's state: [balance, first deposit, balance-days, since].
BALANCE, FIRST, WEIGHT, SINCE = 0, 1, 2, 3

DEPOSIT_KINDS = ("first", "additional", "initial_transfer")
MAX_LINES = 20_000  # units in one batch: the largest complex, twice


def _ordinal(day: str) -> int:
    return date.fromisoformat(day).toordinal()


class MaintenanceFund(ChainedAggregate):
    """The maintenance fund of one complex: the unit sub-ledgers and their sum (H03, H10)."""

    complex_id: str
    balance: int
    units: dict[str, list[int]]  # unit -> [balance, first deposit, balance-days, since (ordinal)]
    period_start: str  # first day of the current interest period
    latest: str  # the latest value date of any movement
    interest_periods: dict[str, str]  # "from/to" -> fingerprint
    transfers_in: list[str]  # common-fund expenditures received
    project_ids: list[str]
    disclosures: dict[str, str]  # year -> content hash of the annual statement (A09)
    initial_transfer: bool

    def __init__(self) -> None:
        super().__init__()
        self.balance = 0
        self.units = {}
        self.interest_periods = {}
        self.transfers_in = []
        self.project_ids = []
        self.disclosures = {}
        self.initial_transfer = False

    # --- events: each only assigns (it runs again on every replay) -----------------

    class Established(ChainedAggregate.Created):
        complex_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.complex_id = self.complex_id
            aggregate.period_start = self.value_date
            aggregate.latest = self.value_date

    class Deposited(ChainedAggregate.Event):
        """Money in, per unit: first deposits, top-ups, or the authority's initial transfer."""

        batch_id: str
        kind: str
        total: int
        parts: dict[str, int]
        first_deposits: dict[str, int]  # units whose first deposit this sets
        reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate._credit(self.parts, self.value_date)
            for unit_id, amount in self.first_deposits.items():
                aggregate.units[unit_id][FIRST] = amount
            if self.kind == "initial_transfer":
                aggregate.initial_transfer = True

    class TransferredIn(ChainedAggregate.Event):
        """A transfer from the common-fund account (transfer_to_maintenance_fund), by floor area."""

        account_id: str
        expenditure_id: str
        total: int
        parts: dict[str, int]

        def apply(self, aggregate: Any) -> None:
            aggregate._credit(self.parts, self.value_date)
            aggregate.transfers_in.append(self.expenditure_id)

    class InterestAllocated(ChainedAggregate.Event):
        """Interest received for a period, split exactly by the units' balance-days (H10)."""

        period_from: str
        period_to: str
        total: int
        parts: dict[str, int]
        weights: dict[str, int]  # the balance-days each unit's share was computed from
        reference: str
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            next_start = (parse_date(self.period_to) + timedelta(days=1)).isoformat()
            aggregate._close_period(next_start)
            # received on or before the period's last day, it earns from the next period on
            aggregate._credit(self.parts, max(self.value_date, next_start))
            aggregate.interest_periods[f"{self.period_from}/{self.period_to}"] = self.fingerprint

    class Disbursed(ChainedAggregate.Event):
        """A project's payment to its contractor, apportioned to the affected units by floor area."""

        project_id: str
        disbursement_id: str
        total: int
        parts: dict[str, int]

        def apply(self, aggregate: Any) -> None:
            aggregate._debit(self.parts, self.value_date)

    class SubLedgerTransferred(ChainedAggregate.Event):
        """The unit was sold: its sub-ledger goes with it to the new owner."""

        unit_id: str
        from_owner_key: str
        to_owner_key: str
        balance: int

        def apply(self, aggregate: Any) -> None:
            pass  # the sub-ledger stays keyed by the unit; ownership lives on the Complex

    class ProjectNoted(ChainedAggregate.Event):
        project_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.project_ids.append(self.project_id)

    class UseRefused(ChainedAggregate.Event):
        """A repair plan refused under H08, kept as a signal (A17: an emergency without confirmation)."""

        project_id: str  # the id the project would have had
        kind: str  # normal | emergency
        category: str  # the emergency's category, or ""
        rule: str
        problem: str
        detail: str
        budget: int

        def apply(self, aggregate: Any) -> None:
            pass

    class AnnualStatementPublished(ChainedAggregate.Event):
        """The fund's annual disclosure (domain.md, Disclosure; A09)."""

        year: str
        through: int
        content_hash: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disclosures[self.year] = self.content_hash

    # --- state changes shared by the events --------------------------------------

    def _unit(self, unit_id: str) -> list[int]:
        state = self.units.get(unit_id)
        if state is None:
            state = self.units[unit_id] = [0, 0, 0, _ordinal(self.period_start)]
        return state

    # The two folds below run once per unit of an event (10,000 in a large complex) on
    # every write and every replay: locals and one lookup per unit, nothing per unit
    # that could be done once per event (bench/maintenance.py).

    def _credit(self, parts: Mapping[str, int], value_date: str) -> None:
        day = _ordinal(value_date)
        units = self.units
        start = _ordinal(self.period_start)
        total = 0
        for unit_id, amount in parts.items():
            state = units.get(unit_id)
            if state is None:
                state = units[unit_id] = [0, 0, 0, start]
            since = state[SINCE]
            if day >= since:
                state[WEIGHT] += state[BALANCE] * (day - since)
                state[SINCE] = day
            else:  # dated back inside the period: the days it missed count too
                state[WEIGHT] += amount * (since - day)
            state[BALANCE] += amount
            total += amount
        self.balance += total
        self.latest = max(self.latest, value_date)

    def _debit(self, parts: Mapping[str, int], value_date: str) -> None:
        day = _ordinal(value_date)
        units = self.units
        start = _ordinal(self.period_start)
        total = 0
        for unit_id, amount in parts.items():
            state = units.get(unit_id)
            if state is None:  # a unit with no sub-ledger yet may have a zero share
                state = units[unit_id] = [0, 0, 0, start]
            state[WEIGHT] += state[BALANCE] * (day - state[SINCE])
            state[SINCE] = day
            state[BALANCE] -= amount
            total += amount
        self.balance -= total
        self.latest = max(self.latest, value_date)

    def _close_period(self, next_start: str) -> None:
        start = _ordinal(next_start)
        for state in self.units.values():
            state[WEIGHT] = 0
            state[SINCE] = start
        self.period_start = next_start
        self.latest = max(self.latest, next_start)

    # --- reading ---------------------------------------------------------------------

    def unit_balance(self, unit_id: str) -> int:
        state = self.units.get(unit_id)
        return state[BALANCE] if state else 0

    def first_deposit(self, unit_id: str) -> int:
        state = self.units.get(unit_id)
        return state[FIRST] if state else 0

    def weights(self, period_to: date) -> dict[str, int]:
        """Each unit's balance-days from the period's start to ``period_to`` inclusive."""
        end = period_to.toordinal() + 1
        return {
            unit_id: state[WEIGHT] + state[BALANCE] * (end - state[SINCE])
            for unit_id, state in self.units.items()
        }

    def sub_ledgers_sum(self) -> int:
        return sum(state[BALANCE] for state in self.units.values())

    # --- commands ----------------------------------------------------------------------

    @classmethod
    def establish(
        cls, fund_id: UUID, *, complex_id: UUID, on: date, principal: str
    ) -> MaintenanceFund:
        return cls._create_chained(
            cls.Established,
            fund_id,
            complex_id=str(complex_id),
            principal=principal,
            value_date=on.isoformat(),
        )

    def _check_credit_date(self, on: date) -> str:
        day = on.isoformat()
        if day < self.period_start:
            raise InvalidCommand(
                f"value_date: {day} falls in an interest period already allocated (the current"
                f" one starts on {self.period_start}); record it in the current period"
            )
        return day

    def deposit(
        self,
        batch_id: str,
        parts: Mapping[str, int],
        *,
        kind: str,
        known_units: Iterable[str],
        on: date,
        reference: str,
        first_deposits: Mapping[str, int] | None = None,
        principal: str,
    ) -> None:
        if kind not in DEPOSIT_KINDS:
            raise InvalidCommand(f"kind: {kind!r} is not one of {', '.join(DEPOSIT_KINDS)}")
        check_lines(parts, known_units)
        day = self._check_credit_date(on)
        firsts: dict[str, int] = {}
        if kind == "first":
            again = sorted(u for u in parts if self.first_deposit(u))
            if again:
                raise AlreadyExists(
                    f"units {again[:5]} already have their first deposit: record this as"
                    ' kind "additional"'
                )
            firsts = dict(parts)
        elif kind == "initial_transfer":
            if self.initial_transfer:
                raise AlreadyExists("the authority's initial transfer is already recorded")
            if self.balance or self.version > 1:
                raise InvalidState(
                    "the authority's initial transfer is the fund's first movement; this fund"
                    " has moved money already"
                )
            given = dict(first_deposits or {})
            unknown = sorted(set(given) - set(parts))
            if unknown:
                raise InvalidCommand(f"first_deposits: units not in the transfer: {unknown[:5]}")
            for unit_id, amount in given.items():
                check_fen(amount, f"first_deposits[{unit_id}]")
            firsts = {u: given.get(u, amount) for u, amount in parts.items()}
        self.trigger_event(
            self.Deposited,
            batch_id=batch_id,
            kind=kind,
            total=sum(parts.values()),
            parts=dict(parts),
            first_deposits=firsts,
            reference=reference.strip(),
            principal=principal,
            value_date=day,
        )

    def transfer_in(
        self,
        account_id: UUID,
        expenditure_id: str,
        amount: int,
        areas: Mapping[str, int],
        *,
        on: date,
        principal: str,
    ) -> None:
        if expenditure_id in self.transfers_in:
            raise AlreadyExists(f"expenditure {expenditure_id} is already in the fund")
        if not areas:
            raise InvalidState("the complex has no units to credit the transfer to")
        day = max(on.isoformat(), self.period_start)  # it arrives in the current period
        self.trigger_event(
            self.TransferredIn,
            account_id=str(account_id),
            expenditure_id=expenditure_id,
            total=amount,
            parts=split_exact(amount, areas),
            principal=principal,
            value_date=day,
        )

    def allocate_interest(
        self,
        amount: int,
        *,
        period_from: date,
        period_to: date,
        on: date,
        reference: str,
        fingerprint: str,
        principal: str,
    ) -> None:
        check_fen(amount, "amount")
        key = f"{period_from.isoformat()}/{period_to.isoformat()}"
        if key in self.interest_periods:
            raise AlreadyExists(f"the interest of {key} is already allocated")
        first = not self.interest_periods
        if period_from.isoformat() != self.period_start and not (
            first and period_from.isoformat() < self.period_start
        ):  # a fund opened during its first period earns from its first movement
            raise InvalidCommand(
                f"period_from: the current interest period starts on {self.period_start};"
                " interest periods follow each other without gaps"
            )
        if period_to < period_from or period_to.isoformat() < self.latest:
            raise InvalidCommand(
                f"period_to: the period must end on or after the fund's latest movement"
                f" ({self.latest})"
            )
        if on < period_to:
            raise InvalidCommand("value_date: interest is received after its period ends")
        end = period_to.toordinal() + 1
        weights = {
            unit_id: weight
            for unit_id, state in self.units.items()
            if (weight := state[WEIGHT] + state[BALANCE] * (end - state[SINCE])) > 0
        }  # self.weights(period_to) without its zeros, in one pass
        if not weights:
            raise InvalidState(
                "no unit held a balance in the period: interest cannot be allocated pro rata"
            )
        self.trigger_event(
            self.InterestAllocated,
            period_from=period_from.isoformat(),
            period_to=period_to.isoformat(),
            total=amount,
            parts=split_exact(amount, weights),
            weights=weights,
            reference=reference.strip(),
            fingerprint=fingerprint,
            principal=principal,
            value_date=on.isoformat(),
        )

    def apportion(self, amount: int, areas: Mapping[str, int]) -> dict[str, int]:
        """H03: split a debit by floor area; refuse, naming every unit that falls short."""
        parts = split_exact(amount, areas)
        units = self.units
        falling_short = [
            u for u, part in parts.items() if part > (units[u][BALANCE] if u in units else 0)
        ]
        if not falling_short:
            return parts
        short: list[Shortfall] = []
        for unit_id in sorted(falling_short):
            have = self.unit_balance(unit_id)
            if parts[unit_id] > have:
                short.append(
                    Shortfall(
                        unit_id=unit_id,
                        balance=format_fen(have),
                        share=format_fen(parts[unit_id]),
                        shortfall=format_fen(parts[unit_id] - have),
                    )
                )
        if short:
            raise SubLedgerShortfall(
                f"{len(short)} of {len(parts)} affected units would go below zero (H03): their"
                f" owners must top up first, e.g. unit {short[0]['unit_id']} is short of"
                f" {short[0]['shortfall']}",
                short,
                [(u, self.unit_balance(u), parts[u]) for u in (s["unit_id"] for s in short)],
            )
        return parts

    def check_debit_date(self, on: date) -> str:
        """A debit is dated on or after the fund's latest movement (no past balance goes negative)."""
        day = on.isoformat()
        if day < self.latest:
            raise InvalidCommand(
                f"value_date: a disbursement is dated on or after the fund's latest movement"
                f" ({self.latest})"
            )
        return day

    def disburse(
        self,
        project_id: UUID,
        disbursement_id: str,
        parts: Mapping[str, int],
        *,
        on: date,
        principal: str,
    ) -> None:
        day = self.check_debit_date(on)
        self.trigger_event(
            self.Disbursed,
            project_id=str(project_id),
            disbursement_id=disbursement_id,
            total=sum(parts.values()),
            parts=dict(parts),
            principal=principal,
            value_date=day,
        )

    def note_sale(
        self, unit_id: str, from_owner_key: str, to_owner_key: str, *, on: date, principal: str
    ) -> None:
        self.trigger_event(
            self.SubLedgerTransferred,
            unit_id=unit_id,
            from_owner_key=from_owner_key,
            to_owner_key=to_owner_key,
            balance=self.unit_balance(unit_id),
            principal=principal,
            value_date=on.isoformat(),
        )

    def note_project(self, project_id: UUID, *, on: date, principal: str) -> None:
        self.trigger_event(
            self.ProjectNoted, project_id=str(project_id), principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip

    def record_use_refusal(
        self,
        project_id: UUID,
        refusal: LedgerError,
        *,
        emergency_category: str | None,
        budget: int,
        on: date,
        principal: str,
    ) -> None:
        self.trigger_event(
            self.UseRefused,
            project_id=str(project_id),
            kind="normal" if emergency_category is None else "emergency",
            category=emergency_category or "",
            rule=refusal.rule or "",
            problem=refusal.problem,
            detail=refusal.detail,
            budget=budget,
            principal=principal,
            value_date=on.isoformat(),
        )

    def publish_annual(
        self, year: int, *, through: int, content_hash: str, on: date, principal: str
    ) -> None:
        if str(year) in self.disclosures:
            raise AlreadyExists(f"the maintenance-fund statement of {year} is already published")
        if on.year <= year:
            raise InvalidCommand(f"year: {year} has not ended; publish it from {year + 1}-01-01")
        self.trigger_event(
            self.AnnualStatementPublished,
            year=str(year),
            through=through,
            content_hash=content_hash,
            principal=principal,
            value_date=on.isoformat(),
        )


def check_lines(parts: Mapping[str, int], known_units: Iterable[str]) -> None:
    """A batch names known units, each once, each with a positive amount in fen."""
    if not parts:
        raise InvalidCommand("lines: give at least one unit and amount")
    if len(parts) > MAX_LINES:
        raise InvalidCommand(f"lines: at most {MAX_LINES:,} units in one batch")
    known = known_units if isinstance(known_units, (set, dict)) else set(known_units)
    unknown = sorted(u for u in parts if u not in known)
    if unknown:
        raise NotFound(f"lines: not units of this complex: {unknown[:5]}")
    for unit_id, amount in parts.items():
        check_fen(amount, f"lines[{unit_id}].amount")


# --- repair projects -----------------------------------------------------------------


class Contractor(TypedDict):
    name: str
    bank_account: str
    # the keyed identity of its proprietor or legal representative, where the plan names one:
    # a committee member with it never approves its payouts (H06)
    identity_key: NotRequired[str]


class Payout(TypedDict):
    """A payout to the contractor, proposed by one member and approved by signatories (H06)."""

    amount: int
    payee: str
    method: str
    reference: str
    value_date: str
    fingerprint: str
    proposer: str
    approvals: list[str]
    status: str  # proposed | booked | rejected | withdrawn


class Emergency(TypedDict):
    category: str
    street_office: str
    confirmation_ref: str
    confirmed_on: str


class Item(TypedDict):
    description: str
    amount: int


EMERGENCY_CATEGORIES = (
    "lift_stopped_by_inspection",
    "roof_or_wall_leak",
    "high_rise_water_supply_failure",
    "facade_falling_risk",
    "drainage_collapse_or_burst",
    "fire_system_failure_ordered",
)


class RepairProject(ChainedAggregate):
    """One use of the maintenance fund: its plan, authority (H08), contractor (H07) and payouts (H09)."""

    complex_id: str
    fund_id: str
    kind: str  # normal | emergency
    title: str
    items: list[Item]
    budget: int
    contract_sum: int
    contractor: Contractor
    affected: dict[str, int]  # unit -> floor area (hundredths of m²) at planning
    plan_published_on: str | None
    resolution_id: str | None
    emergency: Emergency | None
    accepted_on: str | None
    disbursed: int
    disbursements: dict[str, list[Any]]  # booked: id -> [amount, fingerprint]
    payouts: dict[str, Payout]  # proposed through the maker-checker (issue #12), by id
    disclosed_on: str | None
    fingerprint: str
    planned_on: str

    class_version = 2  # 2: payouts (a snapshot taken before them has none)

    def __init__(self) -> None:
        super().__init__()
        self.accepted_on = None
        self.disbursed = 0
        self.disbursements = {}
        self.payouts = {}
        self.disclosed_on = None

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["payouts"] = {}

    class Planned(ChainedAggregate.Created):
        complex_id: str
        fund_id: str
        kind: str
        title: str
        items: list[Item]
        budget: int
        contract_sum: int
        contractor: Contractor
        affected: dict[str, int]
        plan_published_on: str | None
        resolution_id: str | None
        emergency: Emergency | None
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            for name in (
                "complex_id", "fund_id", "kind", "title", "items", "budget", "contract_sum",
                "contractor", "affected", "plan_published_on", "resolution_id", "emergency",
                "fingerprint",
            ):  # fmt: skip
                setattr(aggregate, name, getattr(self, name))
            aggregate.planned_on = self.value_date

    class Accepted(ChainedAggregate.Event):
        reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate.accepted_on = self.value_date

    class DisbursementProposed(ChainedAggregate.Event):
        """A member proposes a payout (the maker); it moves no money until approved (H06)."""

        disbursement_id: str
        amount: int
        payee: str
        method: str
        reference: str
        fingerprint: str
        proposer: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payouts[self.disbursement_id] = Payout(
                amount=self.amount, payee=self.payee, method=self.method,
                reference=self.reference, value_date=self.value_date,
                fingerprint=self.fingerprint, proposer=self.proposer, approvals=[],
                status="proposed",
            )  # fmt: skip

    class DisbursementApproved(ChainedAggregate.Event):
        disbursement_id: str
        member_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payouts[self.disbursement_id]["approvals"].append(self.member_id)

    class DisbursementRejected(ChainedAggregate.Event):
        disbursement_id: str
        member_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payouts[self.disbursement_id]["status"] = "rejected"

    class DisbursementWithdrawn(ChainedAggregate.Event):
        disbursement_id: str
        member_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.payouts[self.disbursement_id]["status"] = "withdrawn"

    class Disbursed(ChainedAggregate.Event):
        """The payout is booked: the money moves (with the fund's ``Disbursed``, one write).

        Since issue #12 it follows the approval that reached two signatories; one stored
        before then stands alone (a single member's command) and replays the same.
        """

        disbursement_id: str
        amount: int
        payee: str
        reference: str
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disbursed += self.amount
            aggregate.disbursements[self.disbursement_id] = [self.amount, self.fingerprint]
            payout = aggregate.payouts.get(self.disbursement_id)
            if payout is not None:
                payout["status"] = "booked"

    class DisbursementRefused(ChainedAggregate.Event):
        """A refused payout, kept as a signal for supervision (A17, A18, A24, A26)."""

        disbursement_id: str
        amount: int
        rule: str
        problem: str
        detail: str
        disbursed_before: int
        # an H03 refusal's short units, [unit, balance, share] in fen (A26); a refusal stored
        # before issue #12 has none
        shortfalls: tuple[Any, ...] = ()

        def apply(self, aggregate: Any) -> None:
            pass

    class Disclosed(ChainedAggregate.Event):
        """The project's use was made public (emergencies: within 7 days, A17)."""

        reference: str

        def apply(self, aggregate: Any) -> None:
            aggregate.disclosed_on = self.value_date

    @classmethod
    def plan(
        cls,
        project_id: UUID,
        *,
        complex_id: UUID,
        fund_id: UUID,
        title: str,
        items: list[Item],
        budget: int,
        contract_sum: int,
        contractor: Contractor,
        affected: dict[str, int],
        plan_published_on: date | None,
        resolution: Resolution | None,
        emergency: Emergency | None,
        emergency_categories: Iterable[str],
        min_publicity_days: int,
        on: date,
        fingerprint: str,
        principal: str,
    ) -> RepairProject:
        if not title.strip():
            raise InvalidCommand("title: say what the project repairs")
        check_fen(budget, "budget")
        check_fen(contract_sum, "contract_sum")
        if contract_sum > budget:
            raise PayoutLimitExceeded(
                f"contract_sum {format_fen(contract_sum)} is above the budget"
                f" {format_fen(budget)} (H09)"
            )
        if not items:
            raise InvalidCommand("items: list what the budget pays for")
        for index, item in enumerate(items):
            if not item["description"].strip():
                raise InvalidCommand(f"items[{index}].description: say what it is")
            check_fen(item["amount"], f"items[{index}].amount")
        if sum(i["amount"] for i in items) != budget:
            raise InvalidCommand(
                f"items: they sum to {format_fen(sum(i['amount'] for i in items))}, the budget is"
                f" {format_fen(budget)}"
            )
        if not contractor["name"].strip() or not contractor["bank_account"].strip():
            raise MaintenancePayeeRefused(
                "contractor: name the contracting organisation and its bank account (H07)"
            )
        if not affected:
            raise InvalidCommand("affected_units: name the units the repair serves")
        kind = "emergency" if emergency is not None else "normal"
        resolution_id: str | None = None
        if emergency is not None:
            _check_emergency(emergency, emergency_categories, on)
        else:
            if resolution is None:
                raise MaintenanceUseRefused(
                    "resolution_id: normal use needs a passed resolution of matter 5 (H08);"
                    " for an emergency give the emergency and its street-office confirmation"
                )
            _check_resolution(
                resolution, affected=affected, budget=budget,
                plan_published_on=plan_published_on, min_publicity_days=min_publicity_days,
                complex_id=str(complex_id), on=on,
            )  # fmt: skip
            resolution_id = str(resolution.id)
        return cls._create_chained(
            cls.Planned,
            project_id,
            complex_id=str(complex_id),
            fund_id=str(fund_id),
            kind=kind,
            title=title.strip(),
            items=items,
            budget=budget,
            contract_sum=contract_sum,
            contractor=_contractor(contractor),
            affected=dict(sorted(affected.items())),
            plan_published_on=plan_published_on.isoformat() if plan_published_on else None,
            resolution_id=resolution_id,
            emergency=emergency,
            fingerprint=fingerprint,
            principal=principal,
            value_date=on.isoformat(),
        )

    def accept(self, *, on: date, reference: str, principal: str) -> None:
        if self.accepted_on is not None:
            raise AlreadyExists(f"the project was accepted on {self.accepted_on}")
        if on.isoformat() < self.planned_on:
            raise InvalidCommand(
                f"accepted_on: acceptance comes after the plan ({self.planned_on})"
            )
        self.trigger_event(
            self.Accepted, reference=reference.strip(), principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip

    def check_disbursement(
        self, amount: int, *, payee: str, method: str, payout_ratio_bp: int
    ) -> None:
        """H07 and H09, in that order; raises the refusal without recording it."""
        check_fen(amount, "amount")
        if method != "transfer":
            raise MaintenancePayeeRefused(
                "method: the maintenance fund never pays cash, only by bank transfer (H07)"
            )
        if payee.strip() != self.contractor["name"]:
            raise MaintenancePayeeRefused(
                f"payee: the fund pays only the project's contractor, {self.contractor['name']}"
                " (H07)"
            )
        after = self.disbursed + amount
        if after > self.budget:
            raise PayoutLimitExceeded(
                f"amount: {format_fen(amount)} would take the project to {format_fen(after)},"
                f" above its budget of {format_fen(self.budget)} (H09)"
            )
        if self.accepted_on is None and exceeds_share(after, self.contract_sum, payout_ratio_bp):
            limit = share_of(self.contract_sum, payout_ratio_bp)
            raise PayoutLimitExceeded(
                f"amount: before completion acceptance the project may pay at most"
                f" {payout_ratio_bp / 100:.2f}% of its contract ({format_fen(limit)}); it has"
                f" paid {format_fen(self.disbursed)} and this would make {format_fen(after)} (H09)"
            )

    def contractor_party(self) -> Party:
        """The contractor as a payee, for H06's payee check (an organisation, maybe with the
        identity key of its proprietor)."""
        c = self.contractor
        return Party(name=c["name"], kind="organisation", identity_key=c.get("identity_key", ""),
                     bank_account=c["bank_account"])  # fmt: skip

    def replayed(self, disbursement_id: str, fingerprint: str) -> bool:
        """True when this payout id was made by the same request before; refuse another one."""
        payout = self.payouts.get(disbursement_id)
        seen = payout["fingerprint"] if payout is not None else None
        if seen is None and disbursement_id in self.disbursements:
            seen = self.disbursements[disbursement_id][1]  # a one-step payout (issue #6)
        if seen is None:
            return False
        if seen != fingerprint:
            raise IdempotencyConflict(
                f"the idempotency key of payout {disbursement_id} was used for a different payment"
            )
        return True

    def payout(self, disbursement_id: str) -> Payout:
        try:
            return self.payouts[disbursement_id]
        except KeyError:
            raise NotFound(
                f"payout {disbursement_id} is not proposed on project {self.id}"
            ) from None

    def propose_disbursement(
        self,
        disbursement_id: str,
        amount: int,
        *,
        payee: str,
        method: str,
        reference: str,
        fingerprint: str,
        proposer: str,
        signatory: bool,
        on: date,
        principal: str,
    ) -> None:
        """The maker: the proposal, and the proposer's approval when they are a signatory.

        The caller has checked it as a booking now would be (H03, H07, H09); it is checked
        again when the approval that books it comes (``approvals_after``).
        """
        day = on.isoformat()
        self.trigger_event(
            self.DisbursementProposed, disbursement_id=disbursement_id, amount=amount,
            payee=payee.strip(), method=method, reference=reference.strip(),
            fingerprint=fingerprint, proposer=proposer, principal=principal, value_date=day,
        )  # fmt: skip
        if signatory:
            self.trigger_event(
                self.DisbursementApproved, disbursement_id=disbursement_id, member_id=proposer,
                principal=principal, value_date=day,
            )  # fmt: skip

    def approvals_after(self, disbursement_id: str, member_id: str) -> list[str] | None:
        """The approvals once ``member_id`` approves, or None when that changes nothing (it
        counted already). Refuses a payout that is no longer proposed."""
        payout = self.payout(disbursement_id)
        if member_id in payout["approvals"] and payout["status"] in ("proposed", "booked"):
            return None
        if payout["status"] != "proposed":
            raise InvalidState(f"payout {disbursement_id} is {payout['status']}")
        return [*payout["approvals"], member_id]

    def approve_disbursement(self, disbursement_id: str, *, member_id: str, principal: str) -> None:
        """A checker's approval; the caller books the payout when it is the one H06 waits for."""
        self.trigger_event(
            self.DisbursementApproved, disbursement_id=disbursement_id, member_id=member_id,
            principal=principal, value_date=self.payouts[disbursement_id]["value_date"],
        )  # fmt: skip

    def book_disbursement(self, disbursement_id: str, *, principal: str) -> None:
        payout = self.payouts[disbursement_id]
        self.disburse(
            disbursement_id, payout["amount"], payee=payout["payee"],
            reference=payout["reference"], fingerprint=payout["fingerprint"],
            on=date.fromisoformat(payout["value_date"]), principal=principal,
        )  # fmt: skip

    def reject_disbursement(
        self, disbursement_id: str, *, member_id: str, reason: str, principal: str
    ) -> None:
        payout = self.payout(disbursement_id)
        if payout["status"] != "proposed":
            raise InvalidState(f"payout {disbursement_id} is {payout['status']}")
        if not reason.strip():
            raise InvalidCommand("reason: say why the payout is rejected")
        self.trigger_event(
            self.DisbursementRejected, disbursement_id=disbursement_id, member_id=member_id,
            reason=reason.strip(), principal=principal, value_date=payout["value_date"],
        )  # fmt: skip

    def withdraw_disbursement(
        self, disbursement_id: str, *, member_id: str, principal: str
    ) -> None:
        payout = self.payout(disbursement_id)
        if payout["status"] != "proposed":
            raise InvalidState(f"payout {disbursement_id} is {payout['status']}")
        if member_id != payout["proposer"]:
            raise InvalidState(
                "only the member who proposed a payout can withdraw it, while proposed"
            )
        self.trigger_event(
            self.DisbursementWithdrawn, disbursement_id=disbursement_id, member_id=member_id,
            principal=principal, value_date=payout["value_date"],
        )  # fmt: skip

    def disburse(
        self,
        disbursement_id: str,
        amount: int,
        *,
        payee: str,
        reference: str,
        fingerprint: str,
        on: date,
        principal: str,
    ) -> None:
        """Book a payout (``Disbursed``): since issue #12 only through ``book_disbursement``."""
        self.trigger_event(
            self.Disbursed,
            disbursement_id=disbursement_id,
            amount=amount,
            payee=payee.strip(),
            reference=reference.strip(),
            fingerprint=fingerprint,
            principal=principal,
            value_date=on.isoformat(),
        )

    def record_refusal(
        self, disbursement_id: str, amount: int, refusal: LedgerError, *, on: date, principal: str
    ) -> None:
        short = refusal.fen if isinstance(refusal, SubLedgerShortfall) else []
        self.trigger_event(
            self.DisbursementRefused,
            disbursement_id=disbursement_id,
            amount=amount,
            rule=refusal.rule or "",
            problem=refusal.problem,
            detail=refusal.detail,
            disbursed_before=self.disbursed,
            shortfalls=[list(s) for s in short],
            principal=principal,
            value_date=on.isoformat(),
        )

    def disclose(self, *, on: date, reference: str, principal: str) -> None:
        if self.disclosed_on is not None:
            raise AlreadyExists(f"the project was disclosed on {self.disclosed_on}")
        if on.isoformat() < self.planned_on:
            raise InvalidCommand(
                f"disclosed_on: the disclosure comes after the plan ({self.planned_on})"
            )
        self.trigger_event(
            self.Disclosed, reference=reference.strip(), principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip


def _contractor(given: Contractor) -> Contractor:
    """The contractor as planned: trimmed; an identity key only when one is named."""
    contractor = Contractor(name=given["name"].strip(), bank_account=given["bank_account"].strip())
    identity_key = given.get("identity_key", "").strip()
    if identity_key:
        contractor["identity_key"] = identity_key
    return contractor


def _check_emergency(emergency: Emergency, categories: Iterable[str], on: date) -> None:
    allowed = tuple(categories)
    if emergency["category"] not in allowed:
        raise MaintenanceUseRefused(
            f"emergency.category: {emergency['category']!r} is not on the city's emergency list"
            f" ({', '.join(allowed)}) (H08)"
        )
    if not (
        emergency["street_office"].strip()
        and emergency["confirmation_ref"].strip()
        and emergency["confirmed_on"]
    ):
        raise MaintenanceUseRefused(
            "emergency: record the street office's confirmation (office, reference, date)"
            " before using the fund (H08)"
        )
    if parse_date(emergency["confirmed_on"], "emergency.confirmed_on") > on:
        raise InvalidCommand("emergency.confirmed_on: the confirmation is dated in the future")


def _check_resolution(
    resolution: Resolution,
    *,
    affected: Mapping[str, int],
    budget: int,
    plan_published_on: date | None,
    min_publicity_days: int,
    complex_id: str,
    on: date,
) -> None:
    where = f"resolution {resolution.id}"
    if resolution.complex_id != complex_id:
        raise MaintenanceUseRefused(f"{where} belongs to another complex (H08)")
    if resolution.matter != MATTER_MAINTENANCE_FUND:
        raise MaintenanceUseRefused(
            f"{where} decides matter {resolution.matter}; using the fund needs matter 5 (H08)"
        )
    if not resolution.passed:
        raise MaintenanceUseRefused(f"{where} did not pass (H04, H08)")
    if not resolution.in_force(on):
        raise MaintenanceUseRefused(f"{where} {resolution.why_not_in_force(on)} (H08)")
    if resolution.scope_units is not None:
        missing = sorted(set(affected) - set(resolution.scope_units))
        if missing:
            raise MaintenanceUseRefused(
                f"{where}: its scope misses affected units {missing[:5]}"
                f"{' and more' if len(missing) > 5 else ''}; the owners of every affected"
                " unit vote (H08)"
            )
    if resolution.amount_cap is not None and budget > resolution.amount_cap:
        raise MaintenanceUseRefused(
            f"budget {format_fen(budget)} is above the {format_fen(resolution.amount_cap)} the"
            f" owners approved in {where} (H08)"
        )
    if plan_published_on is None:
        raise MaintenanceUseRefused(
            "plan_published_on: record when the plan was made public; it must be public at"
            f" least {min_publicity_days} days before the vote closes (H08)"
        )
    closed_on = parse_date(resolution.closed_on)
    if (closed_on - plan_published_on).days < min_publicity_days:
        raise MaintenanceUseRefused(
            f"plan_published_on: the plan was public {(closed_on - plan_published_on).days}"
            f" days before the vote closed on {closed_on.isoformat()}; it must be at least"
            f" {min_publicity_days} (H08)"
        )


class FundBatch(ChainedAggregate):
    """A deposit batch's receipt: its fingerprint, for idempotent replays."""

    fund_id: str
    fingerprint: str
    fund_version: int

    def __init__(self) -> None:
        super().__init__()

    class Recorded(ChainedAggregate.Created):
        fund_id: str
        fingerprint: str
        fund_version: int
        lines: int
        total: int

        def apply(self, aggregate: Any) -> None:
            aggregate.fund_id = self.fund_id
            aggregate.fingerprint = self.fingerprint
            aggregate.fund_version = self.fund_version

    @classmethod
    def record(
        cls, batch_id: UUID, fund: MaintenanceFund, *, fingerprint: str, lines: int, total: int,
        principal: str, value_date: str,
    ) -> FundBatch:  # fmt: skip
        return cls._create_chained(
            cls.Recorded,
            batch_id,
            fund_id=str(fund.id),
            fingerprint=fingerprint,
            fund_version=fund.version,
            lines=lines,
            total=total,
            principal=principal,
            value_date=value_date,
        )
