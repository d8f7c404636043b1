"""What the regulator's desk says: place names, amounts with separators, Chinese-only alerts."""

from __future__ import annotations

import re

import pytest

from api.supervision import desk_text as zh
from ledger.errors import InvalidState
from ledger.places import district_name, place_name, street_name
from projections.supervision.catalog import RULES
from projections.supervision.queries import AlertRow


def row(alert_rule: str, zh_text: str, **evidence: object) -> AlertRow:
    return AlertRow(
        "id", alert_rule, 1, "warning", "account", "acc", "cx", "370202", "370202001", "370202001001",
        "t", dict(evidence), zh_text, "english", "2026-11-26", 1, "open", None,
    )  # fmt: skip


def test_places_are_named_and_an_unknown_code_shows_as_itself() -> None:
    assert district_name("370202") == "市南区"
    assert district_name("3702") == "青岛市"  # the city's jurisdiction prefix
    assert street_name("370202001") == "香港中路街道"
    assert street_name("370202003") == "街道 370202003"  # not in the 2023 codes: no invented name
    assert place_name("370202001") == "市南区香港中路街道"


def test_amounts_inside_an_explanation_are_separated_but_dates_and_ids_are_not() -> None:
    text = zh.explanation(
        row("A04", "向青岛某公司支付整数金额50000.00元（2026-11-20，STMT-1234567-0001）。")
    )
    assert text == "向青岛某公司支付整数金额50,000.00元（2026-11-20，STMT-1234567-0001）。"


@pytest.mark.parametrize(
    ("rule", "detail", "words"),
    [
        (
            "H02",
            "no payment can be made: the term of committee x ended on 2026-10-18",
            "业委会任期已届满",
        ),
        ("H02", "payments on account x are suspended by a regulator", "账户已被监管部门暂停付款"),
        ("H07", "a cash payment above 1000.00 is refused", "单笔现金支付超过限额"),
        ("H05", "above the committee's authority", "业主大会决议"),
    ],
)
def test_a24_is_told_in_chinese_whatever_the_ledger_said(
    rule: str, detail: str, words: str
) -> None:
    stored = f"一笔1519.00元的付款被规则{rule}拒绝：{detail}"
    shown = zh.explanation(row("A24", stored, rule=rule, detail=detail, amount="1519.00"))
    assert words in shown
    assert shown.startswith("一笔1,519.00元的付款被规则")
    assert not re.search(r"[A-Za-z]{3,}", shown)


def test_an_entry_id_in_an_explanation_is_shortened_as_the_account_page_shows_it() -> None:
    stored = "账簿于2026-09-18记录的2430.00元（1aac2c1b-8c5d-5a91-8439-9e1fc033206d）未见流水。"
    assert (
        zh.explanation(row("B03", stored))
        == "账簿于2026-09-18记录的2,430.00元（分录1aac2c1b）未见流水。"
    )


def test_every_rule_has_a_chinese_name() -> None:
    assert all(re.search(r"[\u4e00-\u9fff]", zh.rule_name(r)) for r in RULES)
    assert zh.rule_name("Z99") == "Z99"


def test_a_refusal_is_told_in_chinese() -> None:
    assert zh.refusal(InvalidState("alert x is already closed (explained)")) == "这条预警已经关闭。"
    assert "操作未能完成" in zh.refusal(InvalidState("something new"))
