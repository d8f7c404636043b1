"""The maintenance-fund commands of the ledger (issue #6): deposits, interest, projects, payouts.

A payout is proposed by one member and booked by the approval of a second distinct signatory
of the committee in office (H06, issue #12), like an account's expenditure.

``Ledger.fund`` is a :class:`FundCommands` bound to its ledger: the same
process lock, retry and cache discipline as every other command
(ledger/application.py), and the same idempotency: a client's key names the
stream or the entry it makes, so a replay finds it.
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID, uuid5

from eventsourcing.persistence import IntegrityError

from ledger import ids
from ledger.account.payment_rules import (
    approvals_as_proposed,
    check_approver,
    check_payee_not_approver,
)
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex
from ledger.errors import (
    IdempotencyConflict,
    InvalidCommand,
    LedgerError,
    MaintenancePayeeRefused,
    MaintenanceUseRefused,
    NotFound,
    PayoutLimitExceeded,
    SubLedgerShortfall,
)
from ledger.maintenance.fund import (
    Contractor,
    Emergency,
    FundBatch,
    Item,
    MaintenanceFund,
    Payout,
    RepairProject,
)
from ledger.requests import fingerprint

if TYPE_CHECKING:
    from ledger.application import Actor, Ledger

# A refused payout that supervision must see (A17, A18) is recorded before it is raised.
# A shortfall (H03) is kept too: it is when owners must top up, and supervision should see it.
RECORDED_PAYOUT_REFUSALS = (PayoutLimitExceeded, MaintenancePayeeRefused, SubLedgerShortfall)
# Funds read ahead at once by the city's interest run: the Ledger's pool has 5 connections.
READ_AHEAD_THREADS = 3


def fund_id(complex_id: UUID) -> UUID:
    return uuid5(ids.NAMESPACE, f"maintenance-fund/{complex_id}")


def project_id(complex_id: UUID, idempotency_key: str) -> UUID:
    return uuid5(ids.NAMESPACE, f"maintenance-project/{complex_id}/{idempotency_key}")


def batch_id(fund: UUID, idempotency_key: str) -> UUID:
    return uuid5(fund, f"batch/{idempotency_key}")


@dataclass(frozen=True, slots=True)
class FundReceipt:
    """What a fund command made: the id, the stream version, the fund's balance after it."""

    id: str
    version: int
    fund_balance: int
    replayed: bool = False
    parts: int = 0  # how many unit sub-ledgers it moved
    status: str = ""


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    """A repair project as the committee submits it (H07–H09)."""

    title: str
    items: list[Item]
    budget: int
    contract_sum: int
    contractor: Contractor
    affected_units: list[str]
    plan_published_on: date | None = None
    resolution_id: UUID | None = None
    emergency: Emergency | None = None


class FundCommands:
    """Commands on a complex's maintenance fund and its repair projects."""

    def __init__(self, ledger: Ledger) -> None:
        self._ledger = ledger

    # --- plumbing -------------------------------------------------------------------------

    def _fund(
        self, load: Callable[[UUID, type[Any]], Any], complex_: Complex, on: date, actor: Actor
    ) -> MaintenanceFund:
        """The complex's fund, established by its first movement."""
        the_id = fund_id(complex_.id)
        if self._ledger._exists(the_id):
            fund: MaintenanceFund = load(the_id, MaintenanceFund)
            return fund
        return MaintenanceFund.establish(
            the_id, complex_id=complex_.id, on=on, principal=actor.principal
        )

    def _existing_fund(
        self, load: Callable[[UUID, type[Any]], Any], complex_id: UUID
    ) -> MaintenanceFund:
        the_id = fund_id(complex_id)
        if not self._ledger._exists(the_id):
            raise NotFound(
                f"complex {complex_id} has no maintenance fund yet: record its first deposits"
                " or the authority's initial transfer"
            )
        fund: MaintenanceFund = load(the_id, MaintenanceFund)
        return fund

    def _not_future(self, day: date, field: str) -> date:
        return self._ledger._not_future(day, field)

    def _complex_of(self, project: UUID) -> UUID:
        return self._ledger.complex_of(project, RepairProject)

    # --- money in -----------------------------------------------------------------------------

    def record_deposits(
        self,
        complex_id: UUID,
        lines: Mapping[str, int],
        *,
        kind: str,
        on: date,
        reference: str,
        idempotency_key: str,
        actor: Actor,
        first_deposits: Mapping[str, int] | None = None,
    ) -> FundReceipt:
        """Deposits per unit in one batch (a CSV of unit and amount becomes ``lines``)."""
        the_fund = fund_id(complex_id)
        the_batch = batch_id(the_fund, idempotency_key)
        request = fingerprint(
            {
                "kind": kind,
                "lines": dict(sorted(lines.items())),
                "first_deposits": dict(sorted((first_deposits or {}).items())),
                "on": on,
                "reference": reference,
            }
        )
        self._not_future(on, "value_date")

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            if self._ledger._exists(the_batch):
                batch: FundBatch = self._ledger._fresh(the_batch, FundBatch)
                if batch.fingerprint != request:
                    raise IdempotencyConflict(
                        f"deposit key {idempotency_key!r} was used for a different batch"
                    )
                # the balance the first answer gave: the fund as this batch left it (issue #12)
                then: MaintenanceFund = self._ledger.repository.get(
                    the_fund, version=batch.fund_version
                )
                return FundReceipt(str(the_batch), batch.fund_version, then.balance, replayed=True,
                                   parts=len(lines))  # fmt: skip
            complex_: Complex = load(complex_id, Complex)
            fund = self._fund(load, complex_, on, actor)
            fund.deposit(
                str(the_batch),
                lines,
                kind=kind,
                known_units=complex_.units,
                on=on,
                reference=reference,
                first_deposits=first_deposits,
                principal=actor.principal,
            )
            batch = FundBatch.record(
                the_batch, fund, fingerprint=request, lines=len(lines),
                total=sum(lines.values()), principal=actor.principal, value_date=on.isoformat(),
            )  # fmt: skip
            self._ledger.save(fund, batch)
            return FundReceipt(str(the_batch), fund.version, fund.balance, parts=len(lines))

        return self._ledger._command(body, actor=actor, complex_id=complex_id)

    def record_interest(
        self,
        complex_id: UUID,
        amount: int,
        *,
        period_from: date,
        period_to: date,
        on: date,
        reference: str,
        actor: Actor,
    ) -> FundReceipt:
        """Interest the bank paid for a period, allocated to the units at once (H10).

        The period names the allocation: the same period again with the same
        figures is a replay; with other figures a conflict.
        """
        request = _interest_fingerprint(amount, period_from, period_to, on, reference)
        self._not_future(on, "value_date")

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            fund = self._existing_fund(load, complex_id)
            return self._allocate(
                fund, amount, request=request, period_from=period_from, period_to=period_to,
                on=on, reference=reference, actor=actor, save=True,
            )  # fmt: skip

        return self._ledger._command(body, actor=actor, complex_id=complex_id)

    def _allocate(
        self,
        fund: MaintenanceFund,
        amount: int,
        *,
        request: str,
        period_from: date,
        period_to: date,
        on: date,
        reference: str,
        actor: Actor,
        save: bool,
    ) -> FundReceipt:
        key = f"{period_from.isoformat()}/{period_to.isoformat()}"
        seen = fund.interest_periods.get(key)
        if seen is not None:
            if seen != request:
                raise IdempotencyConflict(
                    f"the interest of {key} is already allocated with other figures"
                )
            return FundReceipt(str(fund.id), fund.version, fund.balance, replayed=True)
        fund.allocate_interest(
            amount, period_from=period_from, period_to=period_to, on=on, reference=reference,
            fingerprint=request, principal=actor.principal,
        )  # fmt: skip
        if save:
            self._ledger.save(fund)
        return FundReceipt(str(fund.id), fund.version, fund.balance, parts=len(fund.units))

    def allocate_interest_for_city(
        self,
        advices: Iterable[tuple[UUID, int]],
        *,
        period_from: date,
        period_to: date,
        on: date,
        reference: str,
        actor: Actor,
        per_transaction: int = 50,
    ) -> Iterator[FundReceipt]:
        """The yearly interest of many funds in one run: ``per_transaction`` funds per write.

        Each fund's allocation is the same as :meth:`record_interest` makes; a
        fund already allocated for the period is skipped (a rerun after a crash
        resumes). Yields a receipt per fund as its transaction commits.

        Reading a fund is two round trips, most of the run's waiting on a busy
        machine (bench/maintenance.py), so a few threads read the next funds
        from the store while earlier ones are allocated and written. A fund this
        process has cached is taken from the cache when it is as new. If another
        process wrote a fund after it was read, its transaction collides; then
        that transaction's funds are allocated one by one, as
        :meth:`record_interest` does, on fresh state.
        """
        self._not_future(on, "value_date")
        ledger = self._ledger
        pending: list[tuple[MaintenanceFund, UUID, int]] = []
        receipts: list[FundReceipt] = []

        def flush() -> Iterator[FundReceipt]:
            if pending:
                funds = [fund for fund, _, _ in pending]
                try:
                    ledger.save(*funds)
                except IntegrityError:
                    ledger._evict([f.id for f in funds])
                    again = {str(fund.id): (c, a) for fund, c, a in pending}
                    receipts[:] = [
                        self.record_interest(
                            again[r.id][0], again[r.id][1], period_from=period_from,
                            period_to=period_to, on=on, reference=reference, actor=actor,
                        ) if r.id in again else r
                        for r in receipts
                    ]  # fmt: skip
                finally:
                    ledger._evict([f.id for f in funds])  # 2.5M units do not stay in memory
                pending.clear()
            yield from receipts
            receipts.clear()

        todo = iter(advices)
        ahead: deque[tuple[UUID, int, Future[MaintenanceFund | None]]] = deque()
        with ThreadPoolExecutor(READ_AHEAD_THREADS, thread_name_prefix="fund-read") as reader:
            try:
                while True:
                    while (
                        len(ahead) < 2 * per_transaction and (step := next(todo, None)) is not None
                    ):
                        the_fund = fund_id(step[0])
                        ahead.append((*step, reader.submit(self._stored_fund, the_fund)))
                    if not ahead:
                        break
                    complex_id, amount, stored = ahead.popleft()
                    request = _interest_fingerprint(amount, period_from, period_to, on, reference)
                    with ledger._serialised() as touched:
                        the_fund = fund_id(complex_id)
                        touched.append(the_fund)
                        fund = self._newest(the_fund, stored.result())
                        receipt = self._allocate(
                            fund, amount, request=request, period_from=period_from,
                            period_to=period_to, on=on, reference=reference, actor=actor,
                            save=False,
                        )  # fmt: skip
                        if receipt.replayed:
                            ledger._evict([the_fund])
                        else:
                            pending.append((fund, complex_id, amount))
                        receipts.append(receipt)
                    if len(pending) >= per_transaction:
                        with ledger._serialised():
                            yield from flush()
            finally:
                for _, _, future in ahead:
                    future.cancel()
        with ledger._serialised():
            yield from flush()

    def _stored_fund(self, the_id: UUID) -> MaintenanceFund | None:
        """The fund as the store holds it, rebuilt outside the cache (a read-ahead thread)."""
        ledger = self._ledger
        snapshots = (
            list(ledger.snapshots.get(the_id, desc=True, limit=1)) if ledger.snapshots else []
        )
        after = snapshots[0].originator_version if snapshots else None
        fund: Any = None
        for event in (*snapshots, *ledger.events.get(the_id, gt=after)):
            fund = cast(Any, event).mutate(fund)
        return fund if isinstance(fund, MaintenanceFund) else None

    def _newest(self, the_id: UUID, stored: MaintenanceFund | None) -> MaintenanceFund:
        """This process's cached fund unless the store's copy, read ahead, is newer."""
        cache = self._ledger.repository.cache
        cached: Any = None
        if cache is not None:
            with suppress(KeyError):
                cached = cache.get(the_id)
        if isinstance(cached, MaintenanceFund) and (
            stored is None or cached.version >= stored.version
        ):
            return cached
        if stored is None:
            raise NotFound(f"no maintenancefund {the_id}")
        return stored

    def credit_transfer(
        self,
        load: Callable[[UUID, type[Any]], Any],
        complex_id: UUID,
        account_id: UUID,
        expenditure_id: str,
        amount: int,
        *,
        on: date,
        actor: Actor,
    ) -> MaintenanceFund:
        """A booked ``transfer_to_maintenance_fund`` payment arrives in the fund (by floor area).

        Called inside the account command that booked it, so both are saved together.
        """
        complex_: Complex = load(complex_id, Complex)
        fund = self._fund(load, complex_, on, actor)
        areas = {unit_id: unit["area"] for unit_id, unit in complex_.units.items()}
        fund.transfer_in(account_id, expenditure_id, amount, areas, on=on,
                         principal=actor.principal)  # fmt: skip
        return fund

    def note_sale(
        self,
        load: Callable[[UUID, type[Any]], Any],
        complex_id: UUID,
        unit_id: str,
        seller: str,
        buyer: str,
        *,
        on: date,
        actor: Actor,
    ) -> MaintenanceFund | None:
        """The unit's sub-ledger follows it to the new owner (called by ``transfer_unit``)."""
        the_id = fund_id(complex_id)
        if not self._ledger._exists(the_id):
            return None
        fund: MaintenanceFund = load(the_id, MaintenanceFund)
        fund.note_sale(unit_id, seller, buyer, on=on, principal=actor.principal)
        return fund

    # --- projects ---------------------------------------------------------------------------

    def plan_project(
        self, complex_id: UUID, plan: ProjectPlan, *, idempotency_key: str, actor: Actor
    ) -> FundReceipt:
        the_project = project_id(complex_id, idempotency_key)
        request = fingerprint(
            {
                "title": plan.title,
                "items": plan.items,
                "budget": plan.budget,
                "contract_sum": plan.contract_sum,
                "contractor": plan.contractor,
                "affected_units": sorted(plan.affected_units),
                "plan_published_on": plan.plan_published_on,
                "resolution_id": str(plan.resolution_id) if plan.resolution_id else None,
                "emergency": plan.emergency,
            }
        )
        ledger = self._ledger
        today = ledger.today()

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            if ledger._exists(the_project):
                existing: RepairProject = ledger._fresh(the_project, RepairProject)
                if existing.fingerprint != request:
                    raise IdempotencyConflict(
                        f"project key {idempotency_key!r} was used for a different project"
                    )
                fund_now = self._existing_fund(load, complex_id)
                return FundReceipt(str(the_project), existing.version, fund_now.balance,
                                   replayed=True, status=existing.kind)  # fmt: skip
            complex_: Complex = load(complex_id, Complex)
            fund = self._existing_fund(load, complex_id)
            if len(set(plan.affected_units)) != len(plan.affected_units):
                raise InvalidCommand("affected_units: a unit is listed twice")
            unknown = sorted(u for u in plan.affected_units if u not in complex_.units)
            if unknown:
                raise NotFound(f"affected_units: not units of this complex: {unknown[:5]}")
            resolution: Resolution | None = None
            if plan.emergency is None and plan.resolution_id is not None:
                if str(plan.resolution_id) not in complex_.resolution_ids:
                    raise NotFound(
                        f"resolution_id: no resolution {plan.resolution_id} in this complex"
                    )
                resolution = ledger._fresh(plan.resolution_id, Resolution)
            if plan.plan_published_on is not None:
                self._not_future(plan.plan_published_on, "plan_published_on")
            try:
                project = RepairProject.plan(
                    the_project,
                    complex_id=complex_id,
                    fund_id=fund.id,
                    title=plan.title,
                    items=plan.items,
                    budget=plan.budget,
                    contract_sum=plan.contract_sum,
                    contractor=plan.contractor,
                    affected={u: complex_.units[u]["area"] for u in plan.affected_units},
                    plan_published_on=plan.plan_published_on,
                    resolution=resolution,
                    emergency=plan.emergency,
                    emergency_categories=ledger.policy.maintenance_emergency_categories,
                    min_publicity_days=ledger.policy.maintenance_plan_publicity_days,
                    on=today,
                    fingerprint=request,
                    principal=actor.principal,
                )
            except MaintenanceUseRefused as refusal:
                self._keep_use_refusal(
                    fund, the_project, refusal, complex_=complex_, plan=plan, on=today, actor=actor
                )
                raise
            fund.note_project(the_project, on=today, principal=actor.principal)
            ledger.save(project, fund)
            return FundReceipt(str(the_project), project.version, fund.balance,
                               status=project.kind)  # fmt: skip

        return ledger._command(body, actor=actor, complex_id=complex_id)

    def accept_project(
        self, project: UUID, *, on: date, reference: str, actor: Actor
    ) -> FundReceipt:
        """Completion acceptance: from now on the budget, not 70% of the contract, is the limit (H09)."""
        self._not_future(on, "accepted_on")
        return self._project_step(
            project, "accepted", actor,
            lambda p: p.accept(on=on, reference=reference, principal=actor.principal),
        )  # fmt: skip

    def disclose_project(
        self, project: UUID, *, on: date, reference: str, actor: Actor
    ) -> FundReceipt:
        """The use made public (an emergency within 7 days, A17)."""
        self._not_future(on, "disclosed_on")
        return self._project_step(
            project, "disclosed", actor,
            lambda p: p.disclose(on=on, reference=reference, principal=actor.principal),
        )  # fmt: skip

    def _project_step(
        self, project: UUID, status: str, actor: Actor, step: Callable[[RepairProject], None]
    ) -> FundReceipt:
        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            step(the_project)
            self._ledger.save(the_project)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            return FundReceipt(str(project), the_project.version, fund.balance, status=status)

        return self._ledger._command(body, actor=actor, complex_id=self._complex_of(project))

    def propose_disbursement(
        self,
        project: UUID,
        amount: int,
        *,
        payee: str,
        method: str,
        on: date,
        reference: str,
        idempotency_key: str,
        actor: Actor,
    ) -> FundReceipt:
        """A member proposes a payout to the contractor (H06: the maker); nothing moves yet.

        Refused now if it could not be booked now (H03, H07, H09, recorded for supervision),
        and checked again when a signatory's approval would book it. The proposer's approval
        counts as the first when they are a signatory.
        """
        disbursement_id = ids.child_id(project, idempotency_key)
        request = fingerprint(
            {"amount": amount, "payee": payee, "method": method, "on": on, "reference": reference}
        )
        member_id = actor.require_member()
        self._not_future(on, "value_date")
        ledger = self._ledger

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            if the_project.replayed(disbursement_id, request):
                return self._payout_receipt(load, the_project, disbursement_id, replayed=True)
            complex_: Complex = ledger._fresh(UUID(the_project.complex_id), Complex)
            committee = ledger.committee_in_office(complex_, "propose a payout for", member_id)
            check_payee_not_approver(the_project.contractor_party(), committee, member_id)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            self._check_booking(
                the_project, fund, disbursement_id, amount=amount, payee=payee, method=method,
                on=on, actor=actor,
            )  # fmt: skip
            the_project.propose_disbursement(
                disbursement_id, amount, payee=payee, method=method, reference=reference,
                fingerprint=request, proposer=member_id,
                signatory=member_id in committee.signatories(), on=on, principal=actor.principal,
            )  # fmt: skip
            ledger.save(the_project)
            return FundReceipt(disbursement_id, the_project.version, fund.balance,
                               status="proposed")  # fmt: skip

        return ledger._command(body, actor=actor, complex_id=self._complex_of(project))

    def approve_disbursement(
        self, project: UUID, disbursement_id: str, *, actor: Actor
    ) -> FundReceipt:
        """A further signatory of the committee in office approves (the checker); the approval
        that reaches two distinct signatories books the payout in the same write: the money
        leaves the affected units by floor area (H03, H07, H09 checked again)."""
        member_id = actor.require_member()
        ledger = self._ledger

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            approvals = the_project.approvals_after(disbursement_id, member_id)
            if approvals is None:  # this member's approval counted already
                return self._payout_receipt(load, the_project, disbursement_id, replayed=True)
            complex_: Complex = ledger._fresh(UUID(the_project.complex_id), Complex)
            committee = ledger.committee_in_office(complex_, "approve a payout for")
            signatories = committee.signatories()
            contractor = the_project.contractor_party()
            for approver in approvals:
                check_approver(approver, committee, signatories, of="the committee")
                check_payee_not_approver(contractor, committee, approver)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            payout = the_project.payouts[disbursement_id]
            books = len(approvals) >= ledger.policy.required_approvers
            parts: dict[str, int] = {}
            if books:
                parts = self._check_booking(
                    the_project, fund, disbursement_id, amount=payout["amount"],
                    payee=payout["payee"], method=payout["method"],
                    on=date.fromisoformat(payout["value_date"]), actor=actor,
                )  # fmt: skip
            the_project.approve_disbursement(
                disbursement_id, member_id=member_id, principal=actor.principal
            )
            if not books:
                ledger.save(the_project)
                return self._payout_receipt(load, the_project, disbursement_id)
            fund.disburse(
                project, disbursement_id, parts, on=date.fromisoformat(payout["value_date"]),
                principal=actor.principal,
            )  # fmt: skip
            the_project.book_disbursement(disbursement_id, principal=actor.principal)
            ledger.save(the_project, fund)
            return FundReceipt(disbursement_id, the_project.version, fund.balance,
                               parts=len(parts), status="booked")  # fmt: skip

        return ledger._command(body, actor=actor, complex_id=self._complex_of(project))

    def reject_disbursement(
        self, project: UUID, disbursement_id: str, *, reason: str, actor: Actor
    ) -> FundReceipt:
        """A member of the committee in office rejects a proposed payout."""
        return self._payout_step(
            project, disbursement_id, actor, "reject a payout for",
            lambda p, member: p.reject_disbursement(
                disbursement_id, member_id=member, reason=reason, principal=actor.principal
            ),
        )  # fmt: skip

    def withdraw_disbursement(
        self, project: UUID, disbursement_id: str, *, actor: Actor
    ) -> FundReceipt:
        """Its proposer withdraws a payout that is not booked."""
        return self._payout_step(
            project, disbursement_id, actor, "withdraw a payout for",
            lambda p, member: p.withdraw_disbursement(
                disbursement_id, member_id=member, principal=actor.principal
            ),
        )  # fmt: skip

    def _payout_step(
        self,
        project: UUID,
        disbursement_id: str,
        actor: Actor,
        action: str,
        step: Callable[[RepairProject, str], None],
    ) -> FundReceipt:
        member_id = actor.require_member()
        ledger = self._ledger

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            the_project.payout(disbursement_id)
            complex_: Complex = ledger._fresh(UUID(the_project.complex_id), Complex)
            ledger.committee_in_office(complex_, action, member_id)
            step(the_project, member_id)
            ledger.save(the_project)
            return self._payout_receipt(load, the_project, disbursement_id)

        return ledger._command(body, actor=actor, complex_id=self._complex_of(project))

    def _check_booking(
        self,
        project: RepairProject,
        fund: MaintenanceFund,
        disbursement_id: str,
        *,
        amount: int,
        payee: str,
        method: str,
        on: date,
        actor: Actor,
    ) -> dict[str, int]:
        """H07, H09, then H03 and the fund's date, as booking the payout now would meet them:
        each unit's part. A refusal supervision must see is recorded, then raised."""
        try:
            project.check_disbursement(
                amount, payee=payee, method=method,
                payout_ratio_bp=self._ledger.policy.maintenance_payout_ratio_bp,
            )  # fmt: skip
            parts = fund.apportion(amount, project.affected)
        except RECORDED_PAYOUT_REFUSALS as refusal:
            self._keep_refusal(
                project, disbursement_id=disbursement_id, amount=amount, refusal=refusal, on=on,
                actor=actor, fund=fund,
            )  # fmt: skip
            raise
        fund.check_debit_date(on)
        return parts

    def _payout_receipt(
        self,
        load: Callable[[UUID, type[Any]], Any],
        project: RepairProject,
        disbursement_id: str,
        *,
        replayed: bool = False,
    ) -> FundReceipt:
        fund: MaintenanceFund = load(UUID(project.fund_id), MaintenanceFund)
        payout = project.payouts.get(disbursement_id)
        status = payout["status"] if payout is not None else "booked"  # a one-step payout
        parts = len(project.affected) if status == "booked" else 0
        balance = fund.balance
        if replayed and status == "booked":  # the balance the booking left (issue #12)
            booking = self._ledger._recorded(
                fund.id,
                lambda e: (
                    isinstance(e, MaintenanceFund.Disbursed)
                    and e.disbursement_id == disbursement_id
                ),
            )
            then: MaintenanceFund = self._ledger.repository.get(
                fund.id, version=booking.originator_version
            )
            balance = then.balance
        return FundReceipt(disbursement_id, project.version, balance, replayed=replayed,
                           parts=parts, status=status)  # fmt: skip

    def _keep_use_refusal(
        self,
        fund: MaintenanceFund,
        project_id: UUID,
        refusal: MaintenanceUseRefused,
        *,
        complex_: Complex,
        plan: ProjectPlan,
        on: date,
        actor: Actor,
    ) -> None:
        """Record a plan refused under H08 on the fund (A17); the refusal is still raised.

        Judged on the complex (its resolutions) and the fund (``Ledger.keep_refusal``).
        """
        self._ledger.keep_refusal(
            refusal,
            judged_on={fund.id: fund.version, complex_.id: complex_.version},
            stream=fund.id,
            kind=MaintenanceFund,
            record=lambda fresh: fresh.record_use_refusal(
                project_id, refusal,
                emergency_category=plan.emergency["category"] if plan.emergency else None,
                budget=plan.budget, on=on, principal=actor.principal,
            ),
        )  # fmt: skip

    def _keep_refusal(
        self,
        project: RepairProject,
        *,
        disbursement_id: str,
        amount: int,
        refusal: LedgerError,
        on: date,
        actor: Actor,
        fund: MaintenanceFund,
    ) -> None:
        """Record the refused payout (A17/A18/A24, H03 for A26) on the project; still raised.

        Judged on the project and, for a shortfall, the fund (``Ledger.keep_refusal``).
        """
        self._ledger.keep_refusal(
            refusal,
            judged_on={project.id: project.version, fund.id: fund.version},
            stream=project.id,
            kind=RepairProject,
            record=lambda fresh: fresh.record_refusal(
                disbursement_id, amount, refusal, on=on, principal=actor.principal
            ),
        )

    # --- disclosure -----------------------------------------------------------------------------

    def publish_annual_statement(
        self, complex_id: UUID, year: int, *, through: int, content_hash: str, actor: Actor
    ) -> FundReceipt:
        """The committee publishes the fund's annual statement (domain.md, Disclosure; A09)."""
        ledger = self._ledger

        def body(load: Callable[[UUID, type[Any]], Any]) -> FundReceipt:
            fund = self._existing_fund(load, complex_id)
            fund.publish_annual(
                year, through=through, content_hash=content_hash, on=ledger.today(),
                principal=actor.principal,
            )  # fmt: skip
            ledger.save(fund)
            return FundReceipt(str(fund.id), fund.version, fund.balance, status="published")

        return ledger._command(body, actor=actor, complex_id=complex_id)

    # --- reading ---------------------------------------------------------------------------------

    def fund(self, complex_id: UUID) -> MaintenanceFund:
        """A private copy of the fund (tests, the CLI); the API reads the read model."""
        return self._ledger.read(fund_id(complex_id), MaintenanceFund)

    def project(self, project: UUID) -> RepairProject:
        return self._ledger.read(project, RepairProject)

    def payout(
        self, project: UUID, disbursement_id: str, *, as_proposed: bool = False
    ) -> tuple[Payout, int]:
        """A proposed payout and its approvals so far (a copy), and the units it charges;
        ``as_proposed``: as its proposing command left it (a replay's answer, issue #12)."""
        payout, affected = self._ledger.peek(
            project, RepairProject,
            lambda p: (copy.deepcopy(p.payout(disbursement_id)), len(p.affected)),
        )  # fmt: skip
        if as_proposed:
            payout["approvals"] = approvals_as_proposed(payout["proposer"], payout["approvals"])
            payout["status"] = "proposed"
        return payout, affected

    def streams(self, complex_id: UUID) -> list[str]:
        """The fund's stream and its projects', for the complex's digest (H12)."""
        the_id = fund_id(complex_id)
        if not self._ledger._exists(the_id):
            return []
        projects = self._ledger.peek(the_id, MaintenanceFund, lambda f: list(f.project_ids))
        return [str(the_id), *projects]


def _interest_fingerprint(
    amount: int, period_from: date, period_to: date, on: date, reference: str
) -> str:
    return fingerprint(
        {"amount": amount, "period": [period_from, period_to], "on": on, "reference": reference}
    )
