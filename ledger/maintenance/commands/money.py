"""The maintenance fund's money in (issue #6): deposits, interest (one fund or a city's run), the
account's transfers, a unit's sale, and the annual statement's publication.

Every command runs through the unit of work (ledger/unit_of_work.py): the same process lock,
retry and cache discipline as every other context, and the same idempotency: a client's key
names the stream or the entry it makes, so a replay finds it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from ledger.complexes.complex import Complex
from ledger.errors import IdempotencyConflict, NotFound
from ledger.maintenance.commands.loading import existing_fund, fund_of
from ledger.maintenance.fund import FundBatch, MaintenanceFund
from ledger.maintenance.receipts import FundReceipt, batch_id, fund_id, interest_fingerprint
from ledger.requests import fingerprint
from ledger.unit_of_work import Actor, Load, UnitOfWork

# Funds read ahead at once by the city's interest run: the Ledger's pool has 5 connections.
READ_AHEAD_THREADS = 3


class MaintenanceMoney:
    """Money into a complex's maintenance fund, and its disclosure."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

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
        self._work.not_future(on, "value_date")

        def body(load: Load) -> FundReceipt:
            if self._work.exists(the_batch):
                batch: FundBatch = self._work.fresh(the_batch, FundBatch)
                if batch.fingerprint != request:
                    raise IdempotencyConflict(
                        f"deposit key {idempotency_key!r} was used for a different batch"
                    )
                # the balance the first answer gave: the fund as this batch left it (issue #12)
                then = self._work.at_version(the_fund, MaintenanceFund, batch.fund_version)
                return FundReceipt(str(the_batch), batch.fund_version, then.balance, replayed=True,
                                   parts=len(lines))  # fmt: skip
            complex_: Complex = load(complex_id, Complex)
            fund = fund_of(self._work, load, complex_, on, actor)
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
            self._work.save(fund, batch)
            return FundReceipt(str(the_batch), fund.version, fund.balance, parts=len(lines))

        return self._work.run(body, actor=actor, complex_id=complex_id)

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
        request = interest_fingerprint(amount, period_from, period_to, on, reference)
        self._work.not_future(on, "value_date")

        def body(load: Load) -> FundReceipt:
            fund = existing_fund(self._work, load, complex_id)
            return self._allocate(
                fund, amount, request=request, period_from=period_from, period_to=period_to,
                on=on, reference=reference, actor=actor, save=True,
            )  # fmt: skip

        return self._work.run(body, actor=actor, complex_id=complex_id)

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
            self._work.save(fund)
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
        self._work.not_future(on, "value_date")
        work = self._work
        pending: list[tuple[MaintenanceFund, UUID, int]] = []
        receipts: list[FundReceipt] = []

        def flush() -> Iterator[FundReceipt]:
            if pending:
                funds = [fund for fund, _, _ in pending]
                try:
                    work.save(*funds)
                except IntegrityError:
                    work.evict([f.id for f in funds])
                    again = {str(fund.id): (c, a) for fund, c, a in pending}
                    receipts[:] = [
                        self.record_interest(
                            again[r.id][0], again[r.id][1], period_from=period_from,
                            period_to=period_to, on=on, reference=reference, actor=actor,
                        ) if r.id in again else r
                        for r in receipts
                    ]  # fmt: skip
                finally:
                    work.evict([f.id for f in funds])  # 2.5M units do not stay in memory
                pending.clear()
            yield from receipts
            receipts.clear()

        def allocate(complex_id: UUID, amount: int, stored: Future[MaintenanceFund | None]) -> None:
            request = interest_fingerprint(amount, period_from, period_to, on, reference)
            with work.serialised() as touched:
                the_fund = fund_id(complex_id)
                touched.append(the_fund)
                fund = self._newest(the_fund, stored.result())
                receipt = self._allocate(
                    fund, amount, request=request, period_from=period_from,
                    period_to=period_to, on=on, reference=reference, actor=actor, save=False,
                )  # fmt: skip
                if receipt.replayed:
                    work.evict([the_fund])
                else:
                    pending.append((fund, complex_id, amount))
                receipts.append(receipt)

        for batch in self._read_ahead(advices, per_transaction):
            # One transaction's funds are allocated and written holding the whole process:
            # between allocation and write they carry unsaved events, which no other command
            # may see (ledger/unit_of_work.py, exclusive).
            with work.exclusive():
                for step in batch:
                    allocate(*step)
                written = list(flush())
            yield from written  # the caller runs outside the exclusive hold

    def _read_ahead(
        self, advices: Iterable[tuple[UUID, int]], per_transaction: int
    ) -> Iterator[list[tuple[UUID, int, Future[MaintenanceFund | None]]]]:
        """The advices a transaction at a time, each fund being read from the store, the next
        transaction's funds already on their way."""
        todo = iter(advices)
        ahead: deque[tuple[UUID, int, Future[MaintenanceFund | None]]] = deque()
        with ThreadPoolExecutor(READ_AHEAD_THREADS, thread_name_prefix="fund-read") as reader:
            try:
                while True:
                    while len(ahead) < 2 * per_transaction and (step := next(todo, None)):
                        ahead.append((*step, reader.submit(self._stored_fund, fund_id(step[0]))))
                    if not ahead:
                        return
                    yield [ahead.popleft() for _ in range(min(per_transaction, len(ahead)))]
            finally:
                for _, _, future in ahead:
                    future.cancel()

    def _stored_fund(self, the_id: UUID) -> MaintenanceFund | None:
        """The fund as the store holds it, rebuilt outside the cache (a read-ahead thread)."""
        return self._work.stored(the_id, MaintenanceFund)

    def _newest(self, the_id: UUID, stored: MaintenanceFund | None) -> MaintenanceFund:
        """This process's cached fund unless the store's copy, read ahead, is newer."""
        cached = self._work.cached(the_id)
        if isinstance(cached, MaintenanceFund) and (
            stored is None or cached.version >= stored.version
        ):
            return cached
        if stored is None:
            raise NotFound(f"no maintenancefund {the_id}")
        return stored

    def credit_transfer(
        self,
        load: Load,
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
        fund = fund_of(self._work, load, complex_, on, actor)
        areas = {unit_id: unit["area"] for unit_id, unit in complex_.units.items()}
        fund.transfer_in(account_id, expenditure_id, amount, areas, on=on,
                         principal=actor.principal)  # fmt: skip
        return fund

    def note_sale(
        self,
        load: Load,
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
        if not self._work.exists(the_id):
            return None
        fund: MaintenanceFund = load(the_id, MaintenanceFund)
        fund.note_sale(unit_id, seller, buyer, on=on, principal=actor.principal)
        return fund

    # --- disclosure -----------------------------------------------------------------------------

    def publish_annual_statement(
        self, complex_id: UUID, year: int, *, through: int, content_hash: str, actor: Actor
    ) -> FundReceipt:
        """The committee publishes the fund's annual statement (domain.md, Disclosure; A09)."""
        work = self._work

        def body(load: Load) -> FundReceipt:
            fund = existing_fund(self._work, load, complex_id)
            fund.publish_annual(
                year, through=through, content_hash=content_hash, on=work.today(),
                principal=actor.principal,
            )  # fmt: skip
            work.save(fund)
            return FundReceipt(str(fund.id), fund.version, fund.balance, status="published")

        return work.run(body, actor=actor, complex_id=complex_id)
