"""Commands lock by aggregate, not by process (issue #15), in memory.

Each test makes two commands meet inside their bodies: with one process-wide
lock (the discipline before issue #15) the first of them would wait for the
second forever, and the test fails on its timeout instead of hanging.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import pytest

from ledger.account.entries import IncomeDetails
from ledger.application import Ledger
from ledger.complexes.complex import Complex, Unit
from ledger.errors import InsufficientBalance
from ledger.unit_of_work import Actor, Load
from tests.plugins.builders import COMPANY, World, member_actor, world
from tests.plugins.clock import TODAY, fixed_clock
from tests.plugins.stores import MemoryKeys

OPERATOR = Actor("operator", "t")
MEET_SECONDS = 10.0  # generous: a slow machine must not fail a test that holds


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, clock=fixed_clock, personal=MemoryKeys()
    )


def two_complexes(ledger: Ledger) -> tuple[UUID, UUID]:
    return world(ledger, code="QD-L-1").complex_id, world(ledger, code="QD-L-2").complex_id


def run_both(*commands: Callable[[], object]) -> list[object]:
    with ThreadPoolExecutor(len(commands)) as pool:
        return [f.result(timeout=2 * MEET_SECONDS) for f in [pool.submit(c) for c in commands]]


def test_commands_on_different_aggregates_run_side_by_side(ledger: Ledger) -> None:
    first, second = two_complexes(ledger)
    inside = {first: threading.Event(), second: threading.Event()}

    def meet(mine: UUID, other: UUID) -> Callable[[], bool]:
        def body(load: Load) -> bool:
            load(mine, Complex)
            inside[mine].set()
            return inside[other].wait(MEET_SECONDS)  # the other command is inside at once

        return lambda: ledger.work.run(body, actor=OPERATOR)

    assert run_both(meet(first, second), meet(second, first)) == [True, True]


def test_commands_on_one_aggregate_take_turns(ledger: Ledger) -> None:
    the_complex, _ = two_complexes(ledger)
    inside = threading.Event()
    second_entered = threading.Event()
    seen_while_inside: list[bool] = []

    def first(load: Load) -> None:
        load(the_complex, Complex)
        inside.set()
        # the second command is started and asks for the same complex meanwhile
        seen_while_inside.append(second_entered.wait(0.5))

    def second(load: Load) -> None:
        load(the_complex, Complex)
        second_entered.set()

    def run_second() -> None:
        assert inside.wait(MEET_SECONDS)
        ledger.work.run(second, actor=OPERATOR)

    run_both(lambda: ledger.work.run(first, actor=OPERATOR), run_second)
    assert seen_while_inside == [False]
    assert second_entered.is_set()


def test_commands_taking_two_aggregates_in_crossing_orders_do_not_deadlock(
    ledger: Ledger,
) -> None:
    """Each holds one complex and asks for the other's: one lets go, waits, and runs again."""
    first, second = two_complexes(ledger)
    holds = {first: threading.Event(), second: threading.Event()}
    runs = {first: 0, second: 0}

    def crossing(mine: UUID, other: UUID) -> Callable[[], str]:
        def body(load: Load) -> str:
            runs[mine] += 1
            load(mine, Complex)
            holds[mine].set()
            holds[other].wait(MEET_SECONDS)  # both hold their first before either asks
            return load(other, Complex).code

        return lambda: ledger.work.run(body, actor=OPERATOR)

    codes = run_both(crossing(first, second), crossing(second, first))
    assert codes == ["QD-L-2", "QD-L-1"]
    assert sorted(runs.values())[1] >= 2  # at least one of them ran its body again


def test_a_command_that_lets_go_leaves_nothing_half_done_in_the_cache(ledger: Ledger) -> None:
    """A command changes a complex, then finds the next lock taken: it lets go, and the
    change it made is not in the cache when it runs again (nor for anyone else)."""
    first, second = two_complexes(ledger)
    stored = ledger.work.stored(first, Complex)
    assert stored is not None
    holder_inside, changer_asks = threading.Event(), threading.Event()
    units_seen: list[int] = []

    def holder(load: Load) -> None:
        load(second, Complex)
        holder_inside.set()
        changer_asks.wait(MEET_SECONDS)
        time.sleep(0.3)  # the changer asks for the second complex meanwhile and must let go

    def changer(load: Load) -> None:
        complex_ = load(first, Complex)
        units_seen.append(len(complex_.units))
        unit = Unit(building="9", area=8_850, owner_key="ab" * 16, developer_held=False)
        complex_.add_units({"9-001": unit}, principal="operator:t", value_date="2026-01-01")
        changer_asks.set()
        load(second, Complex)  # never saved: the command only reads

    def run_changer() -> None:
        assert holder_inside.wait(MEET_SECONDS)
        ledger.work.run(changer, actor=OPERATOR)

    run_both(lambda: ledger.work.run(holder, actor=OPERATOR), run_changer)
    assert units_seen == [len(stored.units)] * 2  # it ran twice, never on its own change


def many_incomes(w: World, *, threads: int, each: int) -> None:
    def record(thread: int) -> None:
        for i in range(each):
            details = IncomeDetails(
                category="parking", payer=COMPANY, amount=100 + i, value_date=TODAY
            )
            w.ledger.record_income(
                w.account_id, details, idempotency_key=f"t{thread}-{i}", actor=member_actor("m1")
            )

    with ThreadPoolExecutor(threads) as pool:
        for future in [pool.submit(record, t) for t in range(threads)]:
            future.result(timeout=60)


def test_many_threads_on_one_account_lose_nothing(ledger: Ledger) -> None:
    w = world(ledger)
    many_incomes(w, threads=8, each=25)
    account = ledger.account(w.account_id)
    assert len(account.entries) == 8 * 25
    assert account.balance == 8 * sum(100 + i for i in range(25))


def test_many_threads_spending_at_once_never_take_the_balance_below_zero(ledger: Ledger) -> None:
    """H03 with the account's lock, not the process's: 10 of 24 payments fit."""
    w = world(ledger)
    w.income(1_000_00)
    decision = w.decision("保洁", 20_000_00, on=TODAY)
    booked: list[bool] = []

    def pay(thread: int) -> None:
        for i in range(3):
            proposal = ledger.propose_expenditure(
                w.account_id, w.expenditure(100_00, authorisation=decision),
                idempotency_key=f"p{thread}-{i}", actor=member_actor("m1"),
            )  # fmt: skip
            try:
                ledger.approve_expenditure(w.account_id, proposal.id, actor=member_actor("m2"))
                booked.append(True)
            except InsufficientBalance:
                booked.append(False)

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(pay, t) for t in range(8)]:
            future.result(timeout=60)
    assert booked.count(True) == 10
    assert ledger.account(w.account_id).balance == 0


def test_an_exclusive_hold_waits_for_running_commands_and_keeps_new_ones_out(
    ledger: Ledger,
) -> None:
    the_complex, _ = two_complexes(ledger)
    work = ledger.work
    running, finish = threading.Event(), threading.Event()
    order: list[str] = []

    def long_command(load: Load) -> None:
        load(the_complex, Complex)
        running.set()
        finish.wait(MEET_SECONDS)
        order.append("command ends")

    def batch() -> None:
        assert running.wait(MEET_SECONDS)
        finish.set()
        with work.exclusive():
            order.append("batch holds")
            later = threading.Thread(target=lambda: work.peek(the_complex, Complex, str))
            later.start()
            later.join(0.3)
            order.append("a new command waits" if later.is_alive() else "a new command ran")
        later.join(MEET_SECONDS)

    run_both(lambda: work.run(long_command, actor=OPERATOR), batch)
    assert order == ["command ends", "batch holds", "a new command waits"]


def test_exclusive_inside_a_command_is_refused(ledger: Ledger) -> None:
    the_complex, _ = two_complexes(ledger)

    def body(load: Load) -> None:
        load(the_complex, Complex)
        with ledger.work.exclusive():
            pass

    with pytest.raises(RuntimeError, match="exclusive"):
        ledger.work.run(body, actor=OPERATOR)
