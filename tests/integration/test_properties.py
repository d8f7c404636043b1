"""Property: whatever mix of income, payments and reversals, the balance identity holds (H03, H10)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.account import CommonFundAccount
from ledger.application import Ledger
from ledger.errors import InsufficientBalance, LedgerError
from tests.plugins.builders import member_actor, world
from tests.plugins.clock import TODAY

# A property of the account's rules, in memory (issue #13 item 6): the stores keep what the
# commands write, and are tested for it where that matters.
pytestmark = pytest.mark.stores("memory")
codes = itertools.count()
operations = st.lists(
    st.one_of(
        st.tuples(st.just("income"), st.integers(min_value=1, max_value=3_000_00)),
        st.tuples(st.just("pay"), st.integers(min_value=1, max_value=3_000_00)),
        st.tuples(st.just("reverse"), st.integers(min_value=0, max_value=50)),
    ),
    min_size=1,
    max_size=12,
)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations)
def test_balance_equals_entries_minus_reversals_and_never_goes_negative(
    ledger: Ledger, ops: list[tuple[str, int]]
) -> None:
    w = world(ledger, code=f"PROP-{next(codes)}")  # a fresh complex per example
    decision = w.decision("日常", 10_000_000_00, on=TODAY - timedelta(days=30))
    reversible: list[str] = []
    model = 0
    for kind, value in ops:
        if kind == "income":
            reversible.append(w.income(value))
            model += value
        elif kind == "pay":
            try:
                reversible.append(
                    w.pay(w.expenditure(value, authorisation=decision, purpose="日常"))
                )
                model -= value
            except InsufficientBalance:
                assert value > model
            except LedgerError:  # H05's yearly limit may refuse; it changes nothing
                pass
        elif reversible:
            target = reversible.pop(value % len(reversible))
            entry = ledger.account(w.account_id).entries[target]
            try:
                ledger.reverse_entry(
                    w.account_id,
                    reverses=target,
                    reason="更正",
                    value_date=TODAY,
                    idempotency_key=w.next_key("rev"),
                    actor=member_actor("m1"),
                )
                model -= entry["amount"]
            except InsufficientBalance:
                assert model + (-entry["amount"]) < 0
        account = ledger.account(w.account_id)
        assert account.balance == model >= 0
    account = ledger.account(w.account_id)
    entries = account.entries.values()
    originals = sum(e["amount"] for e in entries if e["kind"] != "reversal")
    reversals = sum(e["amount"] for e in entries if e["kind"] == "reversal")
    assert account.balance == originals + reversals
    assert ledger.balance_as_of(w.account_id, TODAY) == account.balance
    replayed = sum(
        e.amount
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.IncomeRecorded | CommonFundAccount.EntryReversed)
    ) - sum(
        e.amount
        for e in ledger.events.get(w.account_id)
        if isinstance(e, CommonFundAccount.ExpenditureBooked)
    )
    assert replayed == account.balance
