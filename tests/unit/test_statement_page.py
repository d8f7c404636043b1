"""The statement page's wording (issue #17): official period names, categories by amount, short
hashes, the publisher named."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.statements.page import (
    CATEGORIES,
    TOTALS,
    by_amount,
    cents,
    period_label,
    publisher,
    short_hash,
)
from ledger.money import format_fen


def test_quarters_are_written_in_chinese_numerals() -> None:
    assert period_label("2026-Q3") == "2026年第三季度"
    assert [period_label(f"2026-Q{n}")[-4:] for n in range(1, 5)] == [
        "第一季度", "第二季度", "第三季度", "第四季度",
    ]  # fmt: skip
    assert period_label("2026-07") == "2026年7月"


def test_categories_go_largest_first_and_ties_keep_the_fixed_order_not_the_english_key() -> None:
    groups = [
        {"category": "advertising", "total": "300.00"},
        {"category": "parking", "total": "300.00"},
        {"category": "interest", "total": "12.50"},
        {"category": "venue_rent", "total": "1200.00"},
    ]
    assert [g["category"] for g in by_amount(groups)] == [
        "venue_rent", "parking", "advertising", "interest",
    ]  # fmt: skip
    assert list(CATEGORIES).index("parking") < list(CATEGORIES).index("advertising")


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_cents_reads_back_every_formatted_amount(fen: int) -> None:
    assert cents(format_fen(fen)) == fen


def test_a_hash_is_shortened_and_a_short_text_is_left_alone() -> None:
    full = "a" * 64
    assert short_hash(full) == "a" * 12 + "…"
    assert short_hash("abc") == "abc"


def test_the_publisher_is_named_by_role_and_name_never_by_token() -> None:
    members = {"m1": ("赵霞", "chair"), "m2": ("高平红", "member")}
    assert publisher("committee:tok123/m1", members) == "业主委员会主任 赵霞"
    assert publisher("committee:tok123/m2", members) == "业主委员会委员 高平红"
    assert "tok123" not in publisher("committee:tok123/m9", members)
    assert publisher("correction") == "更正分录入账后自动生成"


def test_the_contracted_share_is_not_called_withholding() -> None:
    assert TOTALS["deductions"] == "物业服务企业按合同留存"
