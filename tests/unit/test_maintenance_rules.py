"""H09 and A19 as the pure functions the ledger, the API and the read side share (issue #13)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ledger.maintenance.rules import (
    below_replenishment,
    exceeds_share,
    payable_cap,
    payable_now,
    replenishment_line,
)
from ledger.money import format_fen
from projections.statements.content import yuan

fen = st.integers(min_value=0, max_value=10**12)
ratio = st.integers(min_value=1, max_value=10_000)


def test_before_acceptance_a_project_pays_at_most_70_percent_of_its_contract_within_budget() -> (
    None
):
    assert (
        payable_cap(budget=100_00, contract_sum=100_00, accepted=False, payout_ratio_bp=7_000)
        == 70_00
    )
    assert (
        payable_cap(budget=50_00, contract_sum=100_00, accepted=False, payout_ratio_bp=7_000)
        == 50_00
    )
    assert (
        payable_cap(budget=100_00, contract_sum=100_00, accepted=True, payout_ratio_bp=7_000)
        == 100_00
    )
    assert payable_now(
        budget=100_00, contract_sum=100_00, disbursed=80_00, accepted=False, payout_ratio_bp=7_000
    ) == 0  # fmt: skip


@given(after=fen, budget=fen, contract=fen, accepted=st.booleans(), bp=ratio)
def test_a_total_above_the_payable_cap_is_exactly_what_h09_refuses(
    after: int, budget: int, contract: int, accepted: bool, bp: int
) -> None:
    """The aggregate refuses above the budget, then (before acceptance) above the share of the
    contract, exactly; the API's cap, floored to the fen, draws the same line."""
    refused = after > budget or (not accepted and exceeds_share(after, contract, bp))
    cap = payable_cap(budget=budget, contract_sum=contract, accepted=accepted, payout_ratio_bp=bp)
    assert refused == (after > cap)


@given(balance=st.integers(min_value=-(10**12), max_value=10**12), first=fen, bp=ratio)
def test_a_unit_is_below_the_replenishment_line_only_with_a_first_deposit(
    balance: int, first: int, bp: int
) -> None:
    below = below_replenishment(balance, first, bp)
    if first == 0:
        assert not below
    line = replenishment_line(first, bp)
    assert below == (first > 0 and balance * 10_000 < first * bp)
    if below:
        assert balance <= line  # the shown line is floored: a unit below it never shows above
    elif first > 0:
        assert balance >= line


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_the_read_side_formats_money_as_the_ledger_does(amount: int) -> None:
    assert yuan(amount) == format_fen(amount)
