"""Money parsing and exact splits (domain.md, Money; H10)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidAmount
from ledger.money import MAX_AMOUNT_FEN, format_fen, parse_amount, split_exact


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("1234.56", 123456),
        ("0.01", 1),
        ("1", 100),
        ("1.5", 150),
        ("10000000000.00", MAX_AMOUNT_FEN),
    ],
)
def test_amounts_parse_exactly(text: str, fen: int) -> None:
    assert parse_amount(text) == fen


@pytest.mark.parametrize(
    "bad",
    [
        "0",
        "0.00",
        "-1.00",
        "1.234",
        "1e3",
        "01.00",
        "1,000.00",
        " 1.00",
        "",
        "10000000000.01",
        "NaN",
        "１２",
    ],
)
def test_inexact_zero_negative_and_oversized_amounts_are_refused(bad: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_amount(bad)


def test_floats_are_refused_even_when_they_look_exact() -> None:
    with pytest.raises(InvalidAmount, match="not an amount"):
        parse_amount(12.5)


@given(st.integers(min_value=-MAX_AMOUNT_FEN, max_value=MAX_AMOUNT_FEN))
def test_format_round_trips(fen: int) -> None:
    text = format_fen(fen)
    if fen > 0:
        assert parse_amount(text) == fen
    assert text.count(".") == 1
    assert len(text.split(".")[1]) == 2


weights = st.dictionaries(
    st.text(alphabet="abcdefgh0123456789-", min_size=1, max_size=6),
    st.integers(min_value=0, max_value=10**7),
    min_size=1,
    max_size=40,
).filter(lambda w: sum(w.values()) > 0)


@given(st.integers(min_value=0, max_value=10**12), weights)
def test_split_sums_exactly_and_follows_largest_remainder(total: int, w: dict[str, int]) -> None:
    parts = split_exact(total, w)
    assert sum(parts.values()) == total
    weight_sum = sum(w.values())
    exact = {k: Fraction(total * v, weight_sum) for k, v in w.items()}
    for k, part in parts.items():
        assert part - exact[k] < 1
        assert exact[k] - part < 1
    # Reference: floors, then +1 to the largest remainders, ties broken by key.
    floors = {k: int(exact[k]) for k in w}
    order = sorted(w, key=lambda k: (-(exact[k] - floors[k]), k))
    for k in order[: total - sum(floors.values())]:
        floors[k] += 1
    assert parts == floors


def test_ties_go_to_the_smaller_unit_id() -> None:
    assert split_exact(1, {"b": 1, "a": 1}) == {"a": 1, "b": 0}
    assert split_exact(100, {"1-2": 1, "1-1": 1, "1-3": 1}) == {"1-1": 34, "1-2": 33, "1-3": 33}
