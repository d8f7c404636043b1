"""Two processes writing the same account at once lose nothing and never break H03; nor do
several threads in each (the aggregate locks of issue #15)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.account.entries import IncomeDetails
from ledger.application import Ledger
from ledger.errors import InsufficientBalance
from tests.plugins.builders import COMPANY, World, member_actor, world
from tests.plugins.clock import TODAY, fixed_clock

pytestmark = pytest.mark.slow
PER_PROCESS = 40
THREADS = 4  # per process, in the threaded tests


def record_incomes(url: str, account: str, tag: str, start: Event, *, threads: int = 1) -> int:
    ledger = Ledger(
        personal=personal_keys(Settings(database_url=url)),
        env=Settings(database_url=url).eventsourcing_env(),
        clock=fixed_clock,
    )

    def record(thread: int) -> None:
        for i in range(thread, PER_PROCESS, threads):
            details = IncomeDetails(
                category="parking", payer=COMPANY, amount=100 + i, value_date=TODAY
            )
            ledger.record_income(
                UUID(account), details, idempotency_key=f"{tag}-{i}", actor=member_actor("m1")
            )

    try:
        ledger.account(UUID(account))  # warm the cache, so both writers start from a stale copy
        start.wait(10)
        with ThreadPoolExecutor(threads) as pool:
            for future in [pool.submit(record, t) for t in range(threads)]:
                future.result()
    finally:
        ledger.close()
    return PER_PROCESS


def record_incomes_threaded(url: str, account: str, tag: str, start: Event) -> int:
    return record_incomes(url, account, tag, start, threads=THREADS)


def spend(
    url: str, account: str, decision: str, tag: str, start: Event, *, threads: int = 1
) -> int:
    ledger = Ledger(
        personal=personal_keys(Settings(database_url=url)),
        env=Settings(database_url=url).eventsourcing_env(),
        clock=fixed_clock,
    )

    def pay(thread: int) -> int:
        booked = 0
        for i in range(thread, 15, threads):
            details = World(ledger, UUID(int=0), UUID(int=0), UUID(account), []).expenditure(
                100_00, authorisation=decision
            )
            proposal = ledger.propose_expenditure(
                UUID(account), details, idempotency_key=f"{tag}-{i}", actor=member_actor("m1")
            )
            try:
                ledger.approve_expenditure(UUID(account), proposal.id, actor=member_actor("m2"))
                booked += 1
            except InsufficientBalance:
                pass
        return booked

    try:
        ledger.account(UUID(account))
        start.wait(10)
        with ThreadPoolExecutor(threads) as pool:
            return sum(f.result() for f in [pool.submit(pay, t) for t in range(threads)])
    finally:
        ledger.close()


def spend_threaded(url: str, account: str, decision: str, tag: str, start: Event) -> int:
    return spend(url, account, decision, tag, start, threads=THREADS)


def worker(
    target: Callable[..., int], args: tuple[str, ...], start: Event, out: Queue[int]
) -> None:
    out.put(target(*args, start))


def run_two(target: Callable[..., int], *args: str) -> list[int]:
    """Start both writers, release them together, and collect what each did."""
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out: Queue[int] = context.Queue()
    processes = [
        context.Process(target=worker, args=(target, (*args, tag), start, out))
        for tag in ("a", "b")
    ]
    for process in processes:
        process.start()
    start.set()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return sorted(results)


@pytest.mark.parametrize("writer", [record_incomes, record_incomes_threaded], ids=["1", "4"])
def test_two_processes_recording_income_on_one_account_lose_nothing(
    ledger: Ledger, settings: Settings, writer: Callable[..., int]
) -> None:
    """Two processes, each with one thread or with several (threads per process: the id)."""
    w = world(ledger)
    done = run_two(writer, settings.database_url, str(w.account_id))
    assert done == [PER_PROCESS, PER_PROCESS]
    fresh = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=fixed_clock
    )
    try:
        account = fresh.account(w.account_id)
        assert len(account.entries) == 2 * PER_PROCESS
        assert account.balance == 2 * sum(100 + i for i in range(PER_PROCESS))
    finally:
        fresh.close()


@pytest.mark.parametrize("spender", [spend, spend_threaded], ids=["1", "4"])
def test_two_processes_spending_at_once_never_take_the_balance_below_zero(
    ledger: Ledger, settings: Settings, spender: Callable[..., int]
) -> None:
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 20_000_00, on=TODAY - timedelta(days=1))
    booked = run_two(spender, settings.database_url, str(w.account_id), decision)
    fresh = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=fixed_clock
    )
    try:
        account = fresh.account(w.account_id)
        assert sum(booked) == 10  # exactly what 1,000.00 covers at 100.00 each
        assert account.balance == 0
    finally:
        fresh.close()
