"""The maintenance fund's rules that the read side and the API show, as pure functions.

One place for each: the ledger refuses by them (H09), the API shows what a project may
still pay, and the read models and supervision flag by them (A18, A19). Ratios are in basis
points (1/10,000), amounts in integer fen; the comparisons are exact (no rounding before a
comparison), the shown limits are floored to the fen.
"""

from __future__ import annotations

BASIS_POINTS = 10_000


def share_of(amount: int, ratio_bp: int) -> int:
    """``ratio_bp`` of ``amount``, floored to the fen."""
    return amount * ratio_bp // BASIS_POINTS


def exceeds_share(total: int, whole: int, ratio_bp: int) -> bool:
    """Whether ``total`` is above ``ratio_bp`` of ``whole`` (exact, no rounding)."""
    return total * BASIS_POINTS > whole * ratio_bp


def payable_cap(*, budget: int, contract_sum: int, accepted: bool, payout_ratio_bp: int) -> int:
    """H09: what a project may pay in all: before completion acceptance at most
    ``payout_ratio_bp`` (70%) of its contract and never above its budget; after, its budget."""
    if accepted:
        return budget
    return min(share_of(contract_sum, payout_ratio_bp), budget)


def payable_now(
    *, budget: int, contract_sum: int, disbursed: int, accepted: bool, payout_ratio_bp: int
) -> int:
    """H09: what a project may still pay now (never below zero)."""
    cap = payable_cap(
        budget=budget, contract_sum=contract_sum, accepted=accepted,
        payout_ratio_bp=payout_ratio_bp,
    )  # fmt: skip
    return max(0, cap - disbursed)


def replenishment_line(first_deposit: int, replenish_ratio_bp: int) -> int:
    """A19: the balance below which a unit must top up (a share of its first deposit)."""
    return share_of(first_deposit, replenish_ratio_bp)


def below_replenishment(balance: int, first_deposit: int, replenish_ratio_bp: int) -> bool:
    """A19: a unit whose balance is below the replenishment line (exact: a unit with no first
    deposit known is never below it)."""
    return first_deposit > 0 and balance * BASIS_POINTS < first_deposit * replenish_ratio_bp
