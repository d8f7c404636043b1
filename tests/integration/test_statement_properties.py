"""Property: on any history, statements add up and periods chain (issue #4 acceptance).

opening + income − expenditure + reversals = closing; every total is the sum of
its lines; each period's closing is the next one's opening; the quarter and the
year agree with their months and with the account's balance.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commonfund.settings import Settings
from commonfund.wiring import statements_runner
from ledger.application import Ledger
from ledger.errors import InsufficientBalance, LedgerError
from ledger.periods import Period
from projections.runner import Runner
from projections.statements.content import yuan
from projections.statements.queries import Statements
from tests.plugins.builders import member_actor, world
from tests.plugins.clock import TODAY

OPENED = date(2026, 10, 17)  # tests.plugins.builders.world opens the account 40 days before TODAY
DAYS = (TODAY - OPENED).days
codes = itertools.count()
operations = st.lists(
    st.one_of(
        st.tuples(st.just("income"), st.integers(1, 3_000_00), st.integers(0, DAYS)),
        st.tuples(st.just("pay"), st.integers(1, 3_000_00), st.integers(0, DAYS)),
        st.tuples(st.just("reverse"), st.integers(0, 50), st.integers(0, DAYS)),
    ),
    min_size=1,
    max_size=14,
)


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = statements_runner(settings, ledger)
    yield runner
    runner.database.close()


def fen(amount: str) -> int:
    sign = -1 if amount.startswith("-") else 1
    whole, cents = amount.lstrip("-").split(".")
    return sign * (int(whole) * 100 + int(cents))


def check_adds_up(s: dict[str, Any]) -> None:
    for section in ("income", "expenditure"):
        part = s[section]
        for category in part["categories"]:
            assert fen(category["total"]) == sum(fen(x["amount"]) for x in category["lines"])
        assert fen(part["total"]) == sum(fen(c["total"]) for c in part["categories"])
    reversals = s["reversals"]
    assert fen(reversals["total"]) == sum(fen(x["amount"]) for x in reversals["lines"])
    assert fen(s["closing_balance"]) == (
        fen(s["opening_balance"])
        + fen(s["income"]["total"])
        - fen(s["expenditure"]["total"])
        + fen(reversals["total"])
    )
    lines = sum(len(c["lines"]) for p in ("income", "expenditure") for c in s[p]["categories"])
    assert s["line_count"] == lines + len(reversals["lines"])


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations)
def test_statements_add_up_and_chain_on_any_history(
    ledger: Ledger, runner: Runner, ops: list[tuple[str, int, int]]
) -> None:
    w = world(ledger, code=f"STMT-PROP-{next(codes)}")
    decision = w.decision("日常", 10_000_000_00, on=OPENED)
    booked: list[tuple[str, date]] = []
    for kind, value, offset in ops:
        on = OPENED + timedelta(days=offset)
        try:
            if kind == "income":
                booked.append((w.income(value, on=on), on))
            elif kind == "pay":
                spend = w.expenditure(value, authorisation=decision, purpose="日常", on=on)
                booked.append((w.pay(spend), on))
            elif booked:
                entry, day = booked.pop(value % len(booked))
                ledger.reverse_entry(
                    w.account_id, reverses=entry, reason="更正", value_date=max(day, on),
                    idempotency_key=w.next_key("rev"), actor=member_actor("m1"),
                )  # fmt: skip
        except InsufficientBalance:
            continue  # H03 refused it: nothing recorded
        except LedgerError as refusal:  # pragma: no cover - the history must be valid
            raise AssertionError(refusal.detail) from refusal
    runner.catch_up()
    statements = Statements(runner.database)
    cid = str(w.complex_id)

    def of(name: str) -> dict[str, Any]:
        return statements.draft(cid, Period.parse(name))[1]

    october, november, q4, year = of("2026-10"), of("2026-11"), of("2026-Q4"), of("2026")
    for s in (october, november, q4, year, of("2026-12")):
        check_adds_up(s)
    assert october["opening_balance"] == q4["opening_balance"] == year["opening_balance"] == "0.00"
    assert november["opening_balance"] == october["closing_balance"]
    balance = yuan(ledger.account_summary(w.account_id).balance)
    assert (
        november["closing_balance"] == q4["closing_balance"] == year["closing_balance"] == balance
    )
    assert q4["line_count"] == october["line_count"] + november["line_count"]
    assert of("2026-12")["opening_balance"] == balance
