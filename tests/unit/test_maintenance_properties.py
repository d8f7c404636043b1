"""Properties of the maintenance fund (issue #6, H03, H10) on random histories.

The fund aggregate is driven directly (no store): random deposits, backdated
deposits, interest periods and disbursements over random floor areas.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import uuid4

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InsufficientBalance
from ledger.maintenance import MaintenanceFund
from ledger.money import split_exact

START = date(2026, 1, 1)

UNITS = [f"{b}-{n:03d}" for b in range(1, 4) for n in range(1, 11)]
unit_ids = st.lists(st.sampled_from(UNITS), min_size=1, max_size=25, unique=True)
weights = st.dictionaries(
    st.sampled_from(UNITS), st.integers(0, 10**7), min_size=1, max_size=30
).filter(lambda w: sum(w.values()) > 0)


@given(total=st.integers(0, 10**11), weights=weights)
def test_splits_are_exact_and_go_by_largest_remainder(total: int, weights: dict[str, int]) -> None:
    parts = split_exact(total, weights)
    assert sum(parts.values()) == total  # H10
    weight_sum = sum(weights.values())
    for key, weight in weights.items():
        floor = total * weight // weight_sum
        assert parts[key] in (floor, floor + 1)  # nobody gets more than one extra fen
    remainder = {k: total * weights[k] % weight_sum for k in weights}
    leftover = total - sum(total * w // weight_sum for w in weights.values())
    by_largest_remainder = sorted(weights, key=lambda k: (-remainder[k], k))
    got_extra = {k for k in parts if parts[k] > total * weights[k] // weight_sum}
    assert got_extra == set(by_largest_remainder[:leftover])


def test_ties_go_by_unit_id() -> None:
    assert split_exact(2, {"3-001": 1, "1-001": 1, "2-001": 1}) == {
        "1-001": 1,
        "2-001": 1,
        "3-001": 0,
    }


operation = st.one_of(
    st.tuples(st.just("deposit"), st.integers(0, 24), st.integers(1, 500_000), st.integers(0, 30)),
    st.tuples(
        st.just("backdated"), st.integers(0, 24), st.integers(1, 500_000), st.integers(0, 30)
    ),
    st.tuples(
        st.just("disburse"), st.integers(1, 12), st.integers(1, 2_000_000), st.integers(0, 5)
    ),
    st.tuples(st.just("interest"), st.integers(0, 0), st.integers(1, 100_000), st.integers(1, 60)),
)


@settings(max_examples=80, deadline=None)
@given(
    units=unit_ids,
    areas=st.lists(st.integers(1_00, 300_00), min_size=25, max_size=25),
    ops=st.lists(operation, max_size=40),
)
def test_sub_ledgers_always_sum_to_the_fund_and_never_go_negative(
    units: list[str], areas: list[int], ops: list[tuple[str, int, int, int]]
) -> None:
    fund = MaintenanceFund.establish(uuid4(), complex_id=uuid4(), on=START, principal="t")
    area = {u: areas[i] for i, u in enumerate(units)}
    today = START
    for n, (kind, pick, amount, days) in enumerate(ops):
        unit = units[pick % len(units)]
        if kind == "deposit":
            today += timedelta(days=days)
            fund.deposit(f"b{n}", {unit: amount}, kind="additional", known_units=units,
                         on=today, reference="", principal="t")  # fmt: skip
        elif kind == "backdated":
            day = max(date.fromisoformat(fund.period_start), today - timedelta(days=days))
            fund.deposit(f"b{n}", {unit: amount}, kind="additional", known_units=units,
                         on=day, reference="", principal="t")  # fmt: skip
        elif kind == "disburse":
            today += timedelta(days=days)
            affected = {u: area[u] for u in units[: max(1, pick % (len(units) + 1))]}
            before = {u: fund.unit_balance(u) for u in units}
            try:
                parts = fund.apportion(amount, affected)
            except InsufficientBalance:
                assert any(share > before[u] for u, share in split_exact(amount, affected).items())
                continue
            assert sum(parts.values()) == amount
            fund.disburse(uuid4(), f"d{n}", parts, on=today, principal="t")
        else:
            period_to = today + timedelta(days=days)
            weights_ = fund.weights(period_to)
            if not any(weights_.values()):
                continue
            before_total = fund.balance
            fund.allocate_interest(
                amount, period_from=date.fromisoformat(fund.period_start), period_to=period_to,
                on=period_to, reference="", fingerprint=str(n), principal="t",
            )  # fmt: skip
            today = period_to + timedelta(days=1)
            assert fund.balance == before_total + amount
        assert fund.sub_ledgers_sum() == fund.balance  # H10
        assert all(state[0] >= 0 for state in fund.units.values())  # H03
        assert all(w >= 0 for w in fund.weights(today).values())


def test_interest_weights_are_balance_days() -> None:
    fund = MaintenanceFund.establish(uuid4(), complex_id=uuid4(), on=START, principal="t")
    fund.deposit("a", {"1-001": 100, "1-002": 100}, kind="first", known_units=["1-001", "1-002"],
                 on=START, reference="", principal="t")  # fmt: skip
    fund.deposit("b", {"1-002": 100}, kind="additional", known_units=["1-001", "1-002"],
                 on=START + timedelta(days=5), reference="", principal="t")  # fmt: skip
    fund.deposit("c", {"1-001": 10}, kind="additional", known_units=["1-001", "1-002"],
                 on=START + timedelta(days=6), reference="", principal="t")  # fmt: skip
    # recorded after day 6 but dated day 3: it still earns days 3-5
    fund.deposit("d", {"1-001": 50}, kind="additional", known_units=["1-001", "1-002"],
                 on=START + timedelta(days=3), reference="", principal="t")  # fmt: skip
    weights_ = fund.weights(START + timedelta(days=9))  # days 0-9
    assert weights_ == {"1-001": 100 * 3 + 150 * 3 + 160 * 4, "1-002": 100 * 5 + 200 * 5}
