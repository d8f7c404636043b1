"""The bank feed's rules B01–B07 (issue #14): each fires, a near miss does not, and a rebuild from
the log raises the same alerts once. Ticks are recorded like the A rules' (``tick_supervision``).

TODAY is Thursday 2026-11-26; Monday 23, Tuesday 24 and Wednesday 25 are working days, and so
is Friday 20. The builders' account opens on 2026-10-17.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.application import Ledger
from projections.runner import Runner
from projections.supervision.queries import AlertRow
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts, pay
from tests.plugins.bank import BANK_CODE, feed, line, statement
from tests.plugins.builders import World, member_actor, world
from tests.plugins.clock import TODAY, MovableClock

FRIDAY, MONDAY = date(2026, 11, 20), date(2026, 11, 23)
TUESDAY, WEDNESDAY = date(2026, 11, 24), date(2026, 11, 25)
OPENED = TODAY - timedelta(days=40)  # world(): elected 60 days ago, the account 20 days later


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView())
    yield runner
    runner.database.close()


def fed(ledger: Ledger, code: str = "C-1") -> World:
    return world(ledger, code=code, bank_code=BANK_CODE)


def replayed(runner: Runner, rule: str, found: list[AlertRow]) -> None:
    """A rebuild from the log raises the same alerts, each once."""
    runner.rebuild()
    again = alerts(runner, rule)
    assert sorted((a.alert_id, a.trigger, str(a.evidence)) for a in again) == sorted(
        (a.alert_id, a.trigger, str(a.evidence)) for a in found
    )


# --- B01, B02: bank lines the ledger does not record ---------------------------------------


def test_b01_a_bank_debit_unrecorded_after_one_working_day(ledger: Ledger, runner: Runner) -> None:
    w = fed(ledger)
    w.income(500_00, on=FRIDAY)
    paid = pay(w, 120_00, on=MONDAY)
    feed(
        w,
        statement(
            "S1",
            [
                line("R1", 500_00, on=FRIDAY),
                line("R2", 120_00, direction="debit", on=MONDAY),  # recorded: matched
                line("R3", 300_00, direction="debit", on=MONDAY, counterparty=""),  # never
            ],
        ),
    )
    ledger.tick_supervision(TUESDAY)  # near miss: Tuesday is still within one working day
    assert alerts(runner, "B01") == []
    ledger.tick_supervision(WEDNESDAY)
    (found,) = alerts(runner, "B01")
    assert (found.severity, found.subject_id, found.trigger) == (
        "critical",
        str(w.account_id),
        "line/R3",
    )
    assert found.evidence["amount"] == "300.00"
    assert found.evidence["value_date"] == MONDAY.isoformat()
    assert "300.00" in found.explanation_zh
    assert "debit" in found.explanation_en
    assert paid  # the recorded payment's line raised nothing
    ledger.tick_supervision(TODAY)  # the next day's run raises nothing new
    assert len(alerts(runner, "B01")) == 1
    replayed(runner, "B01", [found])


def test_b02_a_bank_credit_unrecorded_after_three_working_days(
    ledger: Ledger, runner: Runner
) -> None:
    w = fed(ledger)
    feed(w, statement("S1", [line("R1", 80_00, on=FRIDAY)]))
    ledger.tick_supervision(WEDNESDAY)  # near miss: Mon, Tue, Wed are the three days
    assert alerts(runner, "B02") == []
    ledger.tick_supervision(TODAY)
    (found,) = alerts(runner, "B02")
    assert (found.severity, found.trigger, found.evidence["amount"]) == (
        "warning",
        "line/R1",
        "80.00",
    )
    assert alerts(runner, "B01") == []  # a credit is not B01
    replayed(runner, "B02", [found])


# --- B03: a ledger entry the bank never shows ------------------------------------------------


def test_b03_an_entry_the_bank_does_not_show_once_a_statement_covers_three_days(
    ledger: Ledger, runner: Runner
) -> None:
    w = fed(ledger)
    w.income(100_00, on=FRIDAY - timedelta(days=14))  # before the feed began: not judged
    w.income(200_00, on=FRIDAY)
    missing = w.income(70_00, on=FRIDAY)
    feed(w, statement("S1", [line("R1", 200_00, on=FRIDAY)], closing_on=TUESDAY, opening=100_00))
    ledger.tick_supervision(TODAY)  # near miss: the statements reach Tuesday, two days on
    assert alerts(runner, "B03") == []
    feed(
        w,
        statement("S2", [], opening=300_00, closing_on=WEDNESDAY, from_on=WEDNESDAY),
    )
    ledger.tick_supervision(TODAY - timedelta(days=1))  # a later run for an earlier date: judged
    (found,) = alerts(runner, "B03")
    assert (found.severity, found.trigger, found.evidence["entries"]) == (
        "high",
        f"entry/{missing}",
        [missing],
    )
    assert found.evidence["statements_through"] == WEDNESDAY.isoformat()
    replayed(runner, "B03", [found])


# --- B04: balances differ at a statement's end -----------------------------------------------


def test_b04_balances_differ_at_a_statements_end(ledger: Ledger, runner: Runner) -> None:
    agreeing = fed(ledger, "C-1")
    agreeing.income(100_00, on=FRIDAY)
    feed(agreeing, statement("S1", [line("R1", 100_00, on=FRIDAY)], closing_on=FRIDAY))
    differing = fed(ledger, "C-2")
    differing.income(100_00, on=FRIDAY)
    differing.income(30_00, on=FRIDAY)  # the bank never had it
    feed(differing, statement("S1", [line("R1", 100_00, on=FRIDAY)], closing_on=FRIDAY))
    ledger.tick_supervision(TUESDAY)  # near miss: two working days after the statement's end
    assert alerts(runner, "B04") == []
    ledger.tick_supervision(WEDNESDAY)
    (found,) = alerts(runner, "B04")
    assert (found.subject_id, found.trigger, found.severity) == (
        str(differing.account_id),
        f"differs/{FRIDAY.isoformat()}",
        "high",
    )
    assert (found.evidence["bank_balance"], found.evidence["ledger_balance"]) == (
        "100.00",
        "130.00",
    )
    assert found.evidence["difference"] == "-30.00"
    replayed(runner, "B04", [found])


# --- B05: no statement -------------------------------------------------------------------------


def test_b05_no_statement_for_more_than_seven_days(ledger: Ledger, runner: Runner) -> None:
    silent = fed(ledger, "C-1")
    recent = fed(ledger, "C-2")
    recent.income(10_00, on=TODAY - timedelta(days=7))
    feed(recent, statement("S1", [line("R1", 10_00, on=TODAY - timedelta(days=7))]))
    world(ledger, code="C-3")  # near miss: no bank code, no feed expected
    ledger.tick_supervision(TODAY)  # near miss: C-2's statement ended 7 days ago, not more
    (found,) = alerts(runner, "B05")
    assert (found.subject_id, found.trigger, found.severity) == (
        str(silent.account_id),
        f"quiet/{OPENED.isoformat()}",
        "warning",
    )
    assert found.evidence["days"] == 40
    replayed(runner, "B05", [found])


# --- B06: activity outside the account's life -------------------------------------------------


def test_b06_bank_activity_before_the_account_was_opened(ledger: Ledger, runner: Runner) -> None:
    w = fed(ledger)
    feed(
        w,
        statement(
            "S1",
            [
                line("R0", 5_00, direction="debit", on=OPENED - timedelta(days=3)),
                line("R1", 5_00, on=OPENED),  # near miss: the opening day itself
            ],
            opening=10_00,
        ),
    )
    (found,) = alerts(runner, "B06")
    assert (found.severity, found.trigger, found.evidence["count"]) == (
        "critical",
        "activity/S1",
        1,
    )
    assert [x["key"] for x in found.evidence["bank_lines"]] == ["R0"]
    assert OPENED.isoformat() in found.explanation_zh
    replayed(runner, "B06", [found])


# --- B07: continuity ------------------------------------------------------------------------


def test_b07_a_continuity_break(ledger: Ledger, runner: Runner) -> None:
    w = fed(ledger)
    feed(w, statement("S1", [line("R1", 100_00, on=FRIDAY)], sequence=1, closing_on=FRIDAY))
    feed(  # near miss: S2 follows on
        w,
        statement(
            "S2", [line("R2", 10_00, on=MONDAY)], opening=100_00, sequence=2, closing_on=MONDAY,
            from_on=MONDAY,
        ),
    )  # fmt: skip
    assert alerts(runner, "B07") == []
    feed(
        w,
        statement(
            "S4", [line("R4", 10_00, on=WEDNESDAY)], opening=99_00, sequence=4,
            closing_on=WEDNESDAY, from_on=WEDNESDAY,
        ),
    )  # fmt: skip
    (found,) = alerts(runner, "B07")
    assert (found.severity, found.trigger) == ("high", "statement/S4")
    assert {(b["kind"], b["expected"], b["got"]) for b in found.evidence["breaks"]} == {
        ("opening", "110.00", "99.00"),
        ("sequence", 3, 4),
    }
    replayed(runner, "B07", [found])


def test_b06_bank_activity_after_the_account_was_closed(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    """Lines dated after a recorded closing fire at once; a closing recorded after the lines
    (dated before them) fires then. A line on the closing day itself is a near miss."""
    first, second = fed(ledger, "C-1"), fed(ledger, "C-2")
    clock.set_today(MONDAY)
    ledger.close_account(
        first.account_id, successor_id=None, reason="销户", actor=member_actor("m1")
    )
    clock.set_today(TODAY)
    feed(
        first,
        statement(
            "S1",
            [line("R1", 5_00, on=MONDAY), line("R2", 5_00, direction="debit", on=WEDNESDAY)],
        ),
    )
    feed(second, statement("S1", [line("Q1", 9_00, on=WEDNESDAY, counterparty="")]))
    assert [a.subject_id for a in alerts(runner, "B06")] == [str(first.account_id)]
    clock.set_today(TUESDAY)
    ledger.close_account(
        second.account_id, successor_id=None, reason="销户", actor=member_actor("m1")
    )
    found = alerts(runner, "B06")
    assert sorted((a.subject_id, a.trigger, a.evidence["count"]) for a in found) == sorted(
        [(str(first.account_id), "activity/S1", 1), (str(second.account_id), "activity/S1", 1)]
    )
    assert {a.evidence["closed_on"] for a in found} == {MONDAY.isoformat(), TUESDAY.isoformat()}
    replayed(runner, "B06", found)
