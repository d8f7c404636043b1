"""The reconciliation's pure functions (issue #14): the balance identities and reconciled-through."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from projections.bank.reconciliation import (
    Balances,
    EntryRow,
    LineRow,
    StatementRow,
    ledger_balance,
    public_sentence,
    reconciled_through,
    status,
)
from projections.supervision.bank_rules import beyond, covers

START = date(2026, 11, 2)
day_offsets = st.integers(min_value=0, max_value=40)
amounts = st.integers(min_value=-1_000_000, max_value=1_000_000).filter(bool)


@given(st.lists(st.tuples(day_offsets, amounts), max_size=30), day_offsets)
def test_the_ledger_balance_on_a_day_is_the_sum_of_entries_dated_by_it(
    moves: list[tuple[int, int]], on: int
) -> None:
    entries = [
        EntryRow(f"e{i}", "income", a, START + timedelta(days=d), matched=False)
        for i, (d, a) in enumerate(moves)
    ]
    day = START + timedelta(days=on)
    assert Balances(entries).on(day) == ledger_balance(entries, day)


@given(st.lists(st.tuples(day_offsets, amounts), min_size=1, max_size=30))
def test_a_feed_that_shows_every_entry_is_reconciled_through_its_last_statement(
    moves: list[tuple[int, int]],
) -> None:
    entries = [
        EntryRow(f"e{i}", "income", a, START + timedelta(days=d), matched=True)
        for i, (d, a) in enumerate(moves)
    ]
    lines = [
        LineRow(f"r{i}", "credit" if a > 0 else "debit", abs(a), START + timedelta(days=d), True)
        for i, (d, a) in enumerate(moves)
    ]
    end = START + timedelta(days=40)
    statements = [StatementRow("S1", end, sum(a for _, a in moves), 1, START)]
    got = status(statements, lines, entries, end)
    assert (got.difference, got.reconciled_through) == (0, end)
    assert got.bank_balance == got.ledger_balance
    # one entry left unmatched: reconciled through no statement ending on or after it
    loose = [EntryRow(e.entry_id, e.kind, e.amount, e.value_on, matched=False) for e in entries[:1]]
    assert reconciled_through(statements, lines, loose + entries[1:], end) is None


def test_reconciled_through_the_last_agreeing_statement_before_a_loose_line() -> None:
    s1 = StatementRow("S1", date(2026, 11, 20), 100_00, 1, date(2026, 11, 20))
    s2 = StatementRow("S2", date(2026, 11, 23), -100_00, 2, date(2026, 11, 23))
    entries = [EntryRow("e1", "income", 100_00, date(2026, 11, 20), matched=True)]
    lines = [
        LineRow("R1", "credit", 100_00, date(2026, 11, 20), matched=True),
        LineRow("R2", "debit", 200_00, date(2026, 11, 23), matched=False),
    ]
    got = status([s2, s1], lines, entries, date(2026, 11, 26))
    assert (got.bank_balance, got.ledger_balance, got.difference) == (-100_00, 100_00, -200_00)
    assert got.reconciled_through == date(2026, 11, 20)
    assert [ln.key for ln in got.unmatched_bank] == ["R2"]
    # as of the Friday, only S1 counts and all agrees
    friday = status([s2, s1], lines, entries, date(2026, 11, 20))
    assert (friday.difference, friday.reconciled_through, friday.statements) == (
        0,
        date(2026, 11, 20),
        1,
    )


def test_the_owners_sentence_groups_thousands() -> None:
    assert public_sentence(date(2026, 9, 30), 1_234_56, 0) == (
        "已与银行对账至 2026-09-30，银行余额 1,234.56 元，差额 0.00 元"
    )
    assert public_sentence(None, None, None) == "尚未收到银行对账单"


def test_working_days_after_a_date_count_as_the_calendar_does() -> None:
    monday, wednesday = date(2026, 11, 23), date(2026, 11, 25)
    assert not beyond(monday, monday + timedelta(days=1), 1)  # Tuesday: one working day
    assert beyond(monday, wednesday, 1)
    assert covers(date(2026, 11, 20), wednesday, 3)  # Fri -> Mon, Tue, Wed
    assert not covers(date(2026, 11, 20), wednesday, 4)
    assert covers(monday, monday, 0)
    # the National Day holidays of 2026 (1–7 October) are not working days
    assert not beyond(date(2026, 9, 30), date(2026, 10, 7), 0)
