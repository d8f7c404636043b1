"""Public masking by rule and by the complex's unit register, against hostile names (issue #12, 12)."""

from __future__ import annotations

import time

import pytest

from ledger.masking import UnitRegister, is_person, mask_person, mask_units, public_name

REGISTER = UnitRegister.of(
    [("A-0101", "A"), ("0101", "2"), ("12-3-1502", "12"), ("1-001", "1"), ("B12", "B")]
)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("王建国", "王*"),  # a person's name declared an organisation
        ("欧阳娜娜", "欧阳*"),
        ("\u200b王\u200d建国", "王*"),  # zero-width characters do not hide the surname
        ("\ufeff李\u2060四", "李*"),
        ("Wang Xiaoming", "W*"),  # mixed scripts
        ("ＷＡＮＧ小明", "W*"),  # full-width Latin
        ("3号楼2单元501张三", "3*"),  # a unit id inside a person's name: masked with it
        ("王 先 生", "王*"),
    ],
)
def test_a_name_that_looks_like_no_organisation_is_masked_whatever_was_declared(
    name: str, shown: str
) -> None:
    assert is_person(name, "organisation")
    assert public_name(name, "organisation") == shown


@pytest.mark.parametrize(
    "name",
    ["青岛某物业服务有限公司", "市南区住房和城乡建设局", "青岛顺通管道维修部", "ACME Co., Ltd.",
     "海韵花园业主委员会", "青岛银行市南支行", "城阳区第二人民医院"],
)  # fmt: skip
def test_an_organisation_is_shown_in_full(name: str) -> None:
    assert not is_person(name, "organisation")
    assert public_name(name, "organisation") == name


def test_an_individual_is_masked_even_with_an_organisation_marker() -> None:
    assert public_name("王小明便利店", "individual") == "王*"


def test_an_organisations_name_with_a_unit_number_in_it_has_the_number_masked() -> None:
    assert public_name("3-2-501室装修有限公司", "organisation") == "3-*-*室装修有限公司"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("A-0101室的场地费", "A-*室的场地费"),  # registered: two parts, a letter
        ("付0101业主", "付2-*业主"),  # registered, not starting with its building
        ("12-3-1502业主", "12-*-*业主"),
        ("1-001，谢谢", "1-*，谢谢"),  # Chinese punctuation stays as written
        ("ａ－０１０１", "a-*"),  # full-width letters, digits and dash
        ("A\u200b-0101", "A-*"),  # a zero-width space inside the id
        ("A\u20130101", "A-*"),  # an en dash for the hyphen
        ("b12号车位", "B-*号车位"),  # case does not matter
        ("3号楼2单元501室漏水", "3号楼*漏水"),  # by rule, not registered
        ("3栋501室", "3栋*"),
        ("5幢 302", "5幢*"),
        ("7-2-301", "7-*-*"),
        ("7 - 2 - 301", "7-*-*"),
    ],
)
def test_unit_numbers_show_their_building_only(text: str, shown: str) -> None:
    assert REGISTER.mask(text) == shown


def test_text_without_unit_numbers_is_unchanged() -> None:
    for text in ("2026年—2027年度保洁费（含税）", "合同WY2026", "account 1b4e28ba-2fa1-11d2-883f"):
        assert REGISTER.mask(text) == text


def test_a_uuid_is_not_taken_for_a_unit_number() -> None:
    uuid = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
    assert mask_units(f"见 {uuid}") == f"见 {uuid}"


def test_mask_person_keeps_only_the_surname() -> None:
    assert mask_person("  诸葛亮 ") == "诸葛*"
    assert mask_person("") == "*"


def test_a_register_of_ten_thousand_units_masks_fast() -> None:
    register = UnitRegister.of((f"{b}-{u:04d}", str(b)) for b in range(1, 21) for u in range(500))
    text = "收到5-0123业主的场地费，3号楼2单元501室门禁维修，谢谢"
    started = time.perf_counter()
    for _ in range(2_000):
        masked = register.mask(text)
    assert masked == "收到5-*业主的场地费，3号楼*门禁维修，谢谢"
    assert time.perf_counter() - started < 2.0  # ~0.1 ms a line: a rebuild is not slowed
