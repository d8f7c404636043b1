"""The checks before anything is recorded (issue #14 "Checks"): each names where it failed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from ledger.bank.checks import check_file
from ledger.bank.formats import parse_camt053, parse_csv
from ledger.bank.statement import BankFile, StatementRefused

DATA = Path(__file__).resolve().parents[2] / "data" / "bank"
ACCOUNT = "3803 0201 0900 1234 567"
TODAY = date(2026, 12, 31)


def camt(
    name: str = "camt053_v08_two_statements.xml", old: bytes = b"", new: bytes = b""
) -> BankFile:
    data = (DATA / name).read_bytes()
    assert old in data
    return parse_camt053(data.replace(old, new) if old else data)


def refusal(file: BankFile, *, account: str = ACCOUNT, today: date = TODAY) -> StatementRefused:
    with pytest.raises(StatementRefused) as refused:
        check_file(file, account_number=account, today=today)
    return refused.value


@pytest.mark.parametrize(
    "name", ["camt053_v02_batch.xml", "camt053_v04_reversal.xml", "camt053_v08_two_statements.xml"]
)
def test_the_samples_pass(name: str) -> None:
    check_file(camt(name), account_number="3803-0201-0900-1234-567", today=TODAY)


def test_a_statement_for_another_account_is_refused() -> None:
    refused = refusal(camt(), account="3803 0201 0900 9999 999")
    assert (refused.reason, refused.where) == ("wrong-account", "Stmt[1]")


def test_a_file_naming_no_account_is_not_compared() -> None:
    file = camt()
    unnamed = replace(
        file, statements=tuple(replace(s, account_number="") for s in file.statements)
    )
    check_file(unnamed, account_number="anything", today=TODAY)


def test_wrong_balances_are_refused_naming_the_statement() -> None:
    file = camt(old=b'<Amt Ccy="CNY">1234065.50</Amt>', new=b'<Amt Ccy="CNY">1234065.40</Amt>')
    refused = refusal(file)
    assert (refused.reason, refused.where) == ("unbalanced", "Stmt[2]")


def test_a_reversal_counts_in_its_own_direction() -> None:
    file = camt("camt053_v04_reversal.xml")
    check_file(file, account_number=ACCOUNT, today=TODAY)
    flipped = file.statements[0].lines[2]
    assert flipped.reversal
    turned = replace(flipped, direction="credit")
    statement = replace(file.statements[0], lines=(*file.statements[0].lines[:2], turned))
    assert refusal(replace(file, statements=(statement,))).reason == "unbalanced"


def test_a_csv_running_balance_that_breaks_names_the_line() -> None:
    data = (DATA / "icbc_utf8.csv").read_bytes().replace(b'"1,227,975.50"', b'"1,227,975.00"')
    refused = refusal(parse_csv(data, "icbc"))
    assert (refused.reason, refused.where) == ("unbalanced", "line 7")


def test_a_bank_reference_twice_in_one_file_is_refused() -> None:
    file = camt(old=b"CCB202604220000102", new=b"CCB202604210000456")
    refused = refusal(file)
    assert (refused.reason, refused.where) == ("duplicate-reference", "Stmt[2]/Ntry[2]")
    assert "Stmt[1]/Ntry[1]" in str(refused)


def test_a_date_after_today_is_refused() -> None:
    refused = refusal(camt(), today=date(2026, 4, 21))
    assert (refused.reason, refused.where) == ("future-date", "Stmt[2]/Ntry[1]")


def test_a_value_date_after_today_is_refused() -> None:
    file = camt(old=b"<ValDt><Dt>2026-04-21</Dt>", new=b"<ValDt><Dt>2027-01-04</Dt>")
    refused = refusal(file)
    assert (refused.reason, refused.where) == ("future-date", "Stmt[1]/Ntry[1]")


def test_a_statement_not_in_cny_is_refused() -> None:
    file = camt()
    usd = replace(file, statements=(replace(file.statements[0], currency="USD"),))
    refused = refusal(usd)
    assert (refused.reason, refused.where) == ("currency", "Stmt[1]")
