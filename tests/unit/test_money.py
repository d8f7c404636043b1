"""Money parsing and exact splits (domain.md, Money; H10)."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.errors import InvalidAmount
from ledger.money import (
    MAX_AMOUNT_FEN,
    format_fen,
    grouped,
    parse_amount,
    parse_deduction,
    parse_rate_bp,
    parse_signed_fen,
    split_exact,
)


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
    assert parse_signed_fen(text) == fen


@pytest.mark.parametrize("bad", ["", "-", "12", "12.3", "1.234", "+1.00", "--1.00", "1e3", " 1.00"])
def test_a_signed_amount_not_written_by_format_fen_is_refused(bad: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_signed_fen(bad)


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


@pytest.mark.parametrize(
    ("text", "bp"), [("0", 0), ("0.15", 1500), ("0.0001", 1), ("1", 10_000), ("1.0000", 10_000)]
)
def test_rates_parse_to_basis_points(text: str, bp: int) -> None:
    assert parse_rate_bp(text) == bp


@pytest.mark.parametrize("bad", ["1.01", "0.00001", "-0.1", ".5", "2", 0.15])
def test_rates_outside_zero_to_one_or_too_precise_are_refused(bad: object) -> None:
    with pytest.raises(InvalidAmount):
        parse_rate_bp(bad)


def test_a_deduction_may_be_zero_but_not_negative() -> None:
    assert parse_deduction("0.00") == 0
    assert parse_deduction("150.00") == 150_00
    with pytest.raises(InvalidAmount):
        parse_deduction("-1.00")


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        ("65628.11", "65,628.11"),
        ("-1234567.80", "-1,234,567.80"),
        ("5.00", "5.00"),
        (123456, "1,234.56"),
        (-5, "-0.05"),
        ("12.3", "12.30"),
        ("—", "—"),  # not an amount: shown as it is
        ("1.2.3", "1.2.3"),
    ],
)
def test_amounts_for_people_have_thousands_separators(amount: str | int, shown: str) -> None:
    """One formatting for the pages, the notices, the desk and the bank page (ledger.money)."""
    assert grouped(amount) == shown
