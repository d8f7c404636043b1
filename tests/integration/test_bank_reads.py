"""The bank read model (issue #14): an account's reconciliation status, its difference, unmatched
lines on each side with their age in working days, reconciled through, the owners' sentence,
the city's counts of unreconciled accounts, and a rebuild giving the same rows. Both stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from commonfund.settings import Settings
from commonfund.wiring import bank_runner
from ledger.application import Ledger
from projections.bank.queries import BankReads
from projections.bank.view import TABLES
from projections.runner import Runner
from tests.fixtures import stored
from tests.integration.alert_rules import pay
from tests.plugins.bank import BANK, BANK_CODE, feed, line, statement
from tests.plugins.builders import REGULATOR, World, world
from tests.plugins.clock import TODAY

MONDAY = date(2026, 11, 23)  # TODAY is Thursday 2026-11-26: three working days later
FRIDAY = date(2026, 11, 20)


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = bank_runner(settings, ledger)
    yield runner
    runner.database.close()


@pytest.fixture
def w(ledger: Ledger) -> World:
    return world(ledger, bank_code=BANK_CODE)


def reads(runner: Runner) -> BankReads:
    runner.catch_up()
    return BankReads(runner.database)


def two_statements(w: World) -> None:
    """An income the books and the bank agree on (Friday), then a debit the books never saw."""
    w.income(1_000_00, on=FRIDAY)
    feed(w, statement("S1", [line("R1", 1_000_00, on=FRIDAY)], sequence=1))
    feed(
        w,
        statement(
            "S2",
            [line("R2", 200_00, direction="debit", on=MONDAY, counterparty="")],
            opening=1_000_00,
            sequence=2,
            from_on=MONDAY,
        ),
    )


def test_an_unrecorded_debit_is_a_difference_and_an_unmatched_bank_line(
    w: World, runner: Runner
) -> None:
    two_statements(w)
    got = reads(runner).reconciliation(str(w.account_id), TODAY)
    assert got is not None
    assert (got["bank_code"], got["bank_balance"], got["bank_balance_on"]) == (
        BANK_CODE,
        800_00,
        MONDAY,
    )
    assert (got["ledger_balance"], got["difference"]) == (1_000_00, -200_00)
    assert got["reconciled_through"] == FRIDAY  # the day before the unrecorded debit
    (loose,) = got["unmatched_bank"]
    assert (loose["key"], loose["direction"], loose["amount"], loose["value_on"]) == (
        "R2",
        "debit",
        200_00,
        MONDAY,
    )
    assert loose["age_working_days"] == 3
    assert got["unmatched_ledger"] == []
    assert (got["statements"], got["last_statement_on"]) == (2, MONDAY)
    assert [(m["how"], m["bank_keys"]) for m in got["matches"]] == [("amount", ["R1"])]
    assert got["breaks"] == []


def test_the_status_is_as_of_a_date(w: World, runner: Runner) -> None:
    two_statements(w)
    got = reads(runner).reconciliation(str(w.account_id), FRIDAY)
    assert got is not None
    assert (got["bank_balance"], got["ledger_balance"], got["difference"]) == (
        1_000_00,
        1_000_00,
        0,
    )
    assert (got["reconciled_through"], got["unmatched_bank"], got["statements"]) == (
        FRIDAY,
        [],
        1,
    )


def test_a_ledger_entry_the_bank_does_not_show_is_unmatched_only_after_the_feed_began(
    w: World, runner: Runner
) -> None:
    early = FRIDAY - timedelta(days=10)
    w.income(500_00, on=early)
    before = pay(w, 50_00, on=early)  # before the feed began: not counted
    feed(w, statement("S1", [], opening=450_00, closing_on=FRIDAY, from_on=FRIDAY))
    paid = pay(w, 30_00, on=MONDAY)
    got = reads(runner).reconciliation(str(w.account_id), TODAY)
    assert got is not None
    assert [(e["entry_id"], e["direction"], e["amount"], e["age_working_days"])
            for e in got["unmatched_ledger"]] == [(paid, "debit", 30_00, 3)]  # fmt: skip
    assert before not in {e["entry_id"] for e in got["unmatched_ledger"]}
    assert got["reconciled_through"] == FRIDAY  # 450.00 on both sides then


def test_no_feed_no_reconciliation(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger)
    r = reads(runner)
    assert r.reconciliation(str(w.account_id), TODAY) is None
    assert r.public_status(str(w.complex_id), TODAY) is None
    assert r.statements(str(w.account_id)) == []


def test_the_owners_read_one_sentence(w: World, runner: Runner) -> None:
    w.income(1_234_56, on=MONDAY)
    feed(w, statement("S1", [line("R1", 1_234_56, on=MONDAY)]))
    got = reads(runner).public_status(str(w.complex_id), TODAY)
    assert got == {
        "reconciled_through": MONDAY,
        "bank_balance": 1_234_56,
        "bank_balance_on": MONDAY,
        "difference": 0,
        "sentence": "已与银行对账至 2026-11-23，银行余额 1,234.56 元，差额 0.00 元",
    }


def test_the_owners_sentence_says_when_it_is_not_reconciled(w: World, runner: Runner) -> None:
    feed(w, statement("S1", [line("R1", 12_345_67, on=MONDAY)]))  # income never recorded
    got = reads(runner).public_status(str(w.complex_id), TODAY)
    assert got is not None
    assert got["reconciled_through"] is None
    assert got["sentence"] == "尚未与银行对平，银行余额 12,345.67 元，差额 12,345.67 元"


def test_statements_are_listed_with_their_breaks(w: World, runner: Runner) -> None:
    feed(w, statement("S1", [line("R1", 100_00, on=FRIDAY)], sequence=1))
    feed(
        w,
        statement("S3", [line("R3", 10_00, on=MONDAY)], opening=90_00, sequence=3, from_on=MONDAY),
    )
    listed = reads(runner).statements(str(w.account_id))
    assert [(s["statement_id"], s["sequence"], s["closing"], s["lines"], s["new"]) for s in listed] == [
        ("S1", 1, 100_00, 1, 1),
        ("S3", 3, 100_00, 1, 1),
    ]  # fmt: skip
    assert {b["kind"] for b in listed[1]["breaks"]} == {"opening", "sequence"}
    assert listed[0]["recorded_by"] == BANK.principal
    got = reads(runner).reconciliation(str(w.account_id), TODAY)
    assert got is not None
    assert {(b["statement_id"], b["kind"]) for b in got["breaks"]} == {
        ("S3", "opening"),
        ("S3", "sequence"),
    }


def test_a_manual_link_shows_who_and_why(w: World, runner: Runner) -> None:
    a = w.income(100_00, on=MONDAY)
    b = w.income(250_00, on=MONDAY)
    feed(w, statement("S1", [line("DEP-1", 350_00, on=MONDAY)]))
    w.ledger.link_bank_lines(
        w.account_id, "L1", bank_keys=["DEP-1"], entry_ids=[a, b], reason="两笔停车费合并存入",
        actor=REGULATOR,
    )  # fmt: skip
    got = reads(runner).reconciliation(str(w.account_id), TODAY)
    assert got is not None
    (link,) = got["matches"]
    assert (link["match_id"], link["how"], link["bank_keys"], sorted(link["entry_ids"])) == (
        "L1",
        "manual",
        ["DEP-1"],
        sorted([a, b]),
    )
    assert (link["by"], link["reason"]) == (REGULATOR.principal, "两笔停车费合并存入")
    assert (got["unmatched_bank"], got["unmatched_ledger"], got["difference"]) == ([], [], 0)
    assert got["reconciled_through"] == MONDAY
    w.ledger.unlink_bank_lines(w.account_id, "L1", reason="合并有误", actor=REGULATOR)
    again = reads(runner).reconciliation(str(w.account_id), TODAY)
    assert again is not None
    assert (again["matches"], len(again["unmatched_ledger"]), again["reconciled_through"]) == (
        [],
        2,
        None,
    )


def test_a_persons_name_is_masked_and_their_remittance_not_kept(w: World, runner: Runner) -> None:
    feed(w, statement("S1", [line("R1", 66_00, on=MONDAY, counterparty="王小明")]))
    runner.catch_up()
    got = BankReads(runner.database).reconciliation(str(w.account_id), TODAY)
    assert got is not None
    (loose,) = got["unmatched_bank"]
    assert loose["counterparty"] != "王小明"
    assert loose["counterparty"].startswith("王")
    with runner.database.reading() as tx:
        for table in TABLES:
            for row in tx.execute(f"SELECT * FROM {table}"):
                assert not any("pd1:" in str(v) or "王小明" in str(v) for v in row), table


def test_counts_of_unreconciled_accounts_by_district_and_street(
    ledger: Ledger, runner: Runner
) -> None:
    good = world(ledger, code="C-1", bank_code=BANK_CODE)
    good.income(100_00, on=MONDAY)
    feed(good, statement("S1", [line("R1", 100_00, on=MONDAY)]))
    bad = world(ledger, code="C-2", bank_code=BANK_CODE)
    feed(bad, statement("S1", [line("R1", 5_00, on=MONDAY)]))
    world(ledger, code="C-3", bank_code=BANK_CODE)  # no feed: not counted
    r = reads(runner)
    assert r.unreconciled_counts("370202") == [
        {
            "district": "370202", "street": "370202001", "accounts": 2, "unreconciled": 1,
            "with_difference": 1, "with_unmatched": 1,
        }
    ]  # fmt: skip
    assert r.unreconciled_counts("370203") == []


def test_a_rebuild_gives_the_same_rows(w: World, runner: Runner) -> None:
    two_statements(w)
    pay(w, 30_00, on=MONDAY)
    r = reads(runner)
    before = r.reconciliation(str(w.account_id), TODAY)
    runner.rebuild()
    assert r.reconciliation(str(w.account_id), TODAY) == before


@pytest.mark.stores("sqlite")
def test_the_view_applies_the_events_stored_before_the_feed(
    settings: Settings, ledger: Ledger, runner: Runner
) -> None:
    """Accounts opened and entries recorded before issue #14 (Opened v1, IncomeRecorded v1,
    a closing transfer whose two halves share one entry id) apply; no account has a feed."""
    stored.load(ledger, settings, stored.FOLDER)
    assert runner.catch_up() > 0
    with runner.database.reading() as tx:
        accounts = tx.execute("SELECT bank_code FROM bank_accounts")
        entries = tx.execute("SELECT COUNT(*) FROM bank_entries")[0][0]
        status = tx.execute("SELECT COUNT(*) FROM bank_status")[0][0]
    assert accounts
    assert {str(r[0]) for r in accounts} == {""}
    assert int(entries) > 0
    assert int(status) == 0
