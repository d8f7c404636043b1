"""CSV intake (issue #14): each shipped profile in GBK and UTF-8, hostile exports refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from ledger.bank.checks import check_file
from ledger.bank.formats import PROFILES, parse
from ledger.bank.formats.csv_profiles import parse_csv
from ledger.bank.statement import StatementRefused

DATA = Path(__file__).resolve().parents[2] / "data" / "bank"
ACCOUNT = "3803 0201 0900 1234 567"


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_gbk_and_utf8_exports_read_the_same(profile: str) -> None:
    gbk = (DATA / f"{profile}_gbk.csv").read_bytes()
    utf8 = (DATA / f"{profile}_utf8.csv").read_bytes()
    assert b"\r\n" in gbk
    from_gbk, from_utf8 = parse_csv(gbk, profile), parse_csv(utf8, profile)
    assert from_gbk.statements[0].lines == from_utf8.statements[0].lines
    assert from_gbk.sha256 != from_utf8.sha256
    assert from_gbk.message_id == from_gbk.statements[0].statement_id == f"csv:{from_gbk.sha256}"
    check_file(from_gbk, account_number=ACCOUNT, today=date(2026, 12, 31))  # balances chain


def test_icbc_split_amounts_thousands_and_the_footer() -> None:
    file = parse((DATA / "icbc_gbk.csv").read_bytes(), "text/csv", "icbc")
    (statement,) = file.statements
    assert file.format == "csv:icbc"
    assert statement.account_number == "3803020109001234567"
    assert len(statement.lines) == 4  # 合计 is not a line
    first, _, repair, _ = statement.lines
    assert (first.amount, first.direction, first.balance_after) == (127_500, "credit", 123_534_050)
    assert statement.opening == 123_534_050 - 127_500
    assert statement.closing == 123_607_550
    assert (repair.direction, repair.amount, repair.key) == ("debit", 864_000, "ICBC0512D00007")
    assert repair.remittance == "网银转账 3号楼消防水泵维修"
    assert repair.where == "line 7"


def test_ccb_account_column_and_date_with_time() -> None:
    (statement,) = parse_csv((DATA / "ccb_utf8.csv").read_bytes(), "ccb").statements
    assert statement.account_number == "3803020109001234567"
    assert statement.lines[0].booked_on == date(2026, 6, 3)
    assert statement.lines[1].counterparty == "青岛海景停车管理有限公司"


def test_qdbank_signed_amounts_and_content_keys_keep_identical_rows_two() -> None:
    data = (DATA / "qdbank_utf8.csv").read_bytes()
    (statement,) = parse_csv(data, "qdbank").statements
    first, second, repair, fee = statement.lines
    assert statement.account_number == ACCOUNT
    assert (
        (first.amount, first.direction) == (second.amount, second.direction) == (85_000, "credit")
    )
    assert first.key.startswith("content:")
    assert first.key != second.key
    assert (repair.direction, repair.amount, fee.amount) == ("debit", 240_000, 12_000)
    again = parse_csv(data, "qdbank").statements[0].lines
    assert [line.key for line in again] == [line.key for line in statement.lines]


def test_identical_rows_without_balance_stay_two() -> None:
    text = "青岛银行\n账号：1\n交易日期,交易金额,账户余额,对方户名,对方账号,摘要\n"
    row = "2026/07/01,+850.00,,李秀英,,停车费\n"
    file = parse_csv((text + row + row).encode(), "qdbank")
    first, second = file.statements[0].lines
    assert first.key != second.key


def refusal(data: bytes, profile: str = "qdbank") -> StatementRefused:
    with pytest.raises(StatementRefused) as refused:
        parse_csv(data, profile)
    return refused.value


HEAD = "青岛银行对公账户交易明细\n账号：3803 0201 0900 1234 567\n交易日期,交易金额,账户余额,对方户名,对方账号,摘要\n"


def test_undecodable_bytes_name_the_line() -> None:
    data = (HEAD + "2026/07/01,+850.00,850.00,李秀英,,维修资金\n").encode("gb18030")
    data += b"2026/07/02,+1.00,851.00,\xff\xff,,x\n"
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("undecodable", "line 5")


def test_a_missing_column_is_named() -> None:
    data = HEAD.replace(",账户余额", "").encode() + "2026/07/01,+850.00,李秀英,,维修资金\n".encode()
    refused = refusal(data)
    assert (refused.reason, refused.where) == ("missing-column", "line 3")
    assert "账户余额" in str(refused)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("2026/07/01,+850.005,850.00,李秀英,,维修资金", "invalid-amount"),
        ("2026/07/01,八百,850.00,李秀英,,维修资金", "invalid-amount"),
        ("2026/13/01,+850.00,850.00,李秀英,,维修资金", "invalid-date"),
    ],
)
def test_a_bad_cell_names_the_line(row: str, reason: str) -> None:
    refused = refusal((HEAD + row + "\n").encode())
    assert (refused.reason, refused.where) == (reason, "line 4")


def test_split_amounts_need_exactly_one_side() -> None:
    data = (
        (DATA / "icbc_utf8.csv")
        .read_bytes()
        .replace(b',,"1,275.00","1,235,340.50"', b',"1.00","1,275.00","1,235,340.50"')
    )
    refused = refusal(data, "icbc")
    assert (refused.reason, refused.where) == ("invalid-amount", "line 5")


def test_an_unknown_profile_or_none_is_refused() -> None:
    with pytest.raises(StatementRefused) as refused:
        parse(b"x", "text/csv", None)
    assert refused.value.reason == "unknown-profile"
    assert refusal(b"x", "nosuchbank").reason == "unknown-profile"
