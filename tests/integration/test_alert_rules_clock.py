"""Clock rules A07, A08, A10, A11, A13, A21: recorded ticks, each rule's firing case, near miss and
evidence, and exactly-once: a repeated tick records nothing, a rebuild raises the same alerts once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.application import Ledger
from ledger.errors import InvalidCommand
from ledger.supervision import clock_id
from projections.runner import Runner
from projections.supervision import ticks
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts, income, org, pay, resolution
from tests.plugins.builders import (
    OPERATOR,
    World,
    elect,
    file_and_seal,
    member_actor,
    register,
    world,
)
from tests.plugins.clock import TODAY, MovableClock


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView())
    yield runner
    runner.database.close()


def tick(ledger: Ledger, as_of: date = TODAY) -> None:
    ledger.tick_supervision(as_of)


def committee_only(ledger: Ledger, code: str, elected_on: date, term_end: date) -> UUID:
    complex_id, unit_ids = register(ledger, code)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=elected_on, term_end=term_end)
    file_and_seal(ledger, committee_id, elected_on)
    return committee_id


# --- the clock itself ------------------------------------------------------------------


def test_a_tick_is_recorded_once_per_date_and_never_for_the_future(ledger: Ledger) -> None:
    first = ledger.tick_supervision(TODAY)
    again = ledger.tick_supervision(TODAY)
    assert (first.id, first.replayed, again.id, again.replayed) == (
        str(clock_id(TODAY)),
        False,
        str(clock_id(TODAY)),
        True,
    )
    assert len(list(ledger.events.get(clock_id(TODAY)))) == 1
    with pytest.raises(InvalidCommand, match="future"):
        ledger.tick_supervision(TODAY + timedelta(days=1))


# --- A07 and A21 -------------------------------------------------------------------------


def test_a07_fires_when_the_term_ends_within_90_days_without_a_reelection(
    ledger: Ledger, runner: Runner
) -> None:
    elected = TODAY - timedelta(days=60)
    ending = committee_only(ledger, "C-1", elected, TODAY + timedelta(days=90))
    committee_only(ledger, "C-2", elected, TODAY + timedelta(days=91))  # near miss: 91 days
    w = world(ledger, code="C-3", term_end=TODAY + timedelta(days=30))
    resolution(w, "换届选举", None, TODAY - timedelta(days=3), TODAY - timedelta(days=3), matter=3)
    tick(ledger)  # near miss above: C-3 has its re-election resolution
    (found,) = alerts(runner, "A07")
    assert (found.subject_kind, found.subject_id) == ("committee", str(ending))
    term_end = (TODAY + timedelta(days=90)).isoformat()
    assert (found.trigger, found.evidence["term_end"], found.evidence["days_left"]) == (
        f"term/{term_end}",
        term_end,
        90,
    )
    assert found.severity == "warning"


def test_a21_fires_when_no_handover_is_recorded_10_days_after_the_term(
    ledger: Ledger, runner: Runner
) -> None:
    elected = TODAY - timedelta(days=400)
    late = committee_only(ledger, "C-1", elected, TODAY - timedelta(days=11))
    committee_only(ledger, "C-2", elected, TODAY - timedelta(days=10))  # near miss: due today
    handed = committee_only(ledger, "C-3", elected, TODAY - timedelta(days=30))
    ledger.hand_over(handed, on=TODAY - timedelta(days=25), actor=OPERATOR)  # near miss: done
    tick(ledger)
    (found,) = alerts(runner, "A21")
    assert (found.subject_id, found.trigger) == (
        str(late),
        f"handover/{TODAY - timedelta(days=11)}",
    )
    assert found.evidence["handover_due"] == (TODAY - timedelta(days=1)).isoformat()
    assert found.severity == "high"


# --- A08 ---------------------------------------------------------------------------------


def test_a08_fires_for_each_statement_not_published_in_time(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    w = world(ledger, elected_on=date(2025, 10, 22))  # account opened 2025-11-11

    def publish(period: str, on: date) -> None:
        clock.set_today(on)
        w.ledger.publish_statement(
            w.complex_id, period=period, through=0, content_hash="a" * 64,
            actor=member_actor("m1"),
        )  # fmt: skip

    publish("2026-Q2", date(2026, 7, 15))  # on time (the 15th day)
    publish("2026-Q1", date(2026, 4, 16))  # a day late
    clock.set_today(TODAY)
    tick(ledger, date(2026, 10, 15))  # near miss: 2026-Q3 is due that day
    assert {a.trigger for a in alerts(runner, "A08")} == {"2025-Q4", "2025", "2026-Q1"}
    tick(ledger, date(2026, 10, 16))
    found = {a.trigger: a for a in alerts(runner, "A08")}
    assert set(found) == {"2025-Q4", "2025", "2026-Q1", "2026-Q3"}
    assert found["2026-Q1"].evidence["published_on"] == "2026-04-16"
    assert found["2026-Q3"].evidence["published_on"] is None
    assert (found["2025"].evidence["due"], found["2026-Q3"].evidence["due"]) == (
        "2026-03-31",
        "2026-10-15",
    )
    assert found["2026-Q3"].subject_kind == "complex"
    assert found["2026-Q3"].raised_on == "2026-10-16"


# --- A10 ---------------------------------------------------------------------------------


def test_a10_fires_when_contracted_recurring_income_is_over_30_days_late(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger, elected_on=date(2025, 10, 22))
    ads = org("青岛某传媒有限公司")
    last = ""
    for on in (date(2026, 1, 15), date(2026, 4, 15), date(2026, 7, 15)):  # quarterly: due 10-15
        last = income(w, 3_000_00, on, category="advertising", contract_ref="GG-1", payer=ads)
    for on in (date(2026, 9, 10), date(2026, 10, 10), date(2026, 11, 10)):  # monthly: due 12-10
        income(w, 800_00, on, category="parking", contract_ref="TC-1")
    income(w, 2_000_00, date(2026, 1, 5), category="venue_rent", contract_ref="ZL-1")  # once
    income(w, 2_000_00, date(2026, 1, 6), category="other", contract_ref="QT-1")
    income(w, 2_000_00, date(2026, 2, 6), category="other", contract_ref="QT-1")
    tick(ledger, date(2026, 11, 14))  # near miss: 30 days after the due date
    assert alerts(runner, "A10") == []
    tick(ledger, date(2026, 11, 15))
    (found,) = alerts(runner, "A10")
    assert (found.subject_id, found.trigger) == (str(w.account_id), "GG-1/2026-07-15")
    assert found.evidence["entries"] == [last]
    assert (found.evidence["cadence_months"], found.evidence["due"]) == (3, "2026-10-15")
    assert (found.evidence["days_overdue"], found.evidence["payer"]) == (31, ads["name"])


# --- A11 ---------------------------------------------------------------------------------


def test_a11_fires_when_a_quarter_brings_under_half_the_trailing_average(
    ledger: Ledger, runner: Runner
) -> None:
    def account(code: str, elected_on: date, last_quarter: int) -> World:
        w = world(ledger, code=code, elected_on=elected_on)
        for on in (date(2025, 8, 1), date(2025, 11, 1), date(2026, 2, 1), date(2026, 5, 1)):
            w.income(10_000_00, on=on)
        if last_quarter:
            w.income(last_quarter, on=date(2026, 8, 1))
        return w

    dropped = account("C-1", date(2025, 6, 4), 4_999_99)  # opened 2025-06-24
    account("C-2", date(2025, 6, 4), 5_000_00)  # near miss: exactly half
    account("C-3", date(2025, 6, 24), 0)  # near miss: opened in 2025-Q3, a partial quarter
    tick(ledger, date(2026, 10, 15))  # near miss: 2026-Q3 is still in its grace days
    assert alerts(runner, "A11") == []
    tick(ledger)
    (found,) = alerts(runner, "A11")
    assert (found.subject_id, found.trigger) == (str(dropped.account_id), "2026-Q3")
    assert (found.evidence["income"], found.evidence["trailing_average"]) == (
        "4999.99",
        "10000.00",
    )
    assert found.evidence["trailing"] == ["2026-Q2", "2026-Q1", "2025-Q4", "2025-Q3"]


# --- A13 ---------------------------------------------------------------------------------


def test_a13_fires_after_180_quiet_days_and_again_at_330(ledger: Ledger, runner: Runner) -> None:
    quiet = world(ledger, code="C-1", elected_on=date(2025, 10, 22))
    quiet.income(10_000_00, on=date(2025, 11, 20))
    income(quiet, 35_00, date(2026, 3, 21), category="interest")  # not activity
    near = world(ledger, code="C-2", elected_on=date(2025, 10, 22))
    near.income(10_000_00, on=date(2026, 5, 31))  # near miss: 179 days before today
    tick(ledger)
    found = alerts(runner, "A13")
    assert [(a.subject_id, a.trigger) for a in found] == [
        (str(quiet.account_id), "closure/2025-11-20"),
        (str(quiet.account_id), "quiet/2025-11-20"),
    ]
    assert {a.evidence["quiet_days"] for a in found} == {371}


def test_a13_counts_the_days_after_the_last_activity(ledger: Ledger, runner: Runner) -> None:
    """Last active 2026-05-30: on 2026-11-26 it has been quiet 180 days (05-31 to 11-26)."""
    quiet = world(ledger, code="C-1", elected_on=date(2025, 10, 22))
    quiet.income(10_000_00, on=date(2026, 5, 30))
    tick(ledger, date(2026, 11, 25))  # the day before: 179 quiet days
    assert alerts(runner, "A13") == []
    tick(ledger, date(2026, 11, 26))
    (found,) = alerts(runner, "A13")
    assert (found.trigger, found.evidence["quiet_days"]) == ("quiet/2026-05-30", 180)


# --- exactly once --------------------------------------------------------------------------


def test_clock_alerts_are_raised_once_across_ticks_and_rebuilds(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger, elected_on=date(2025, 10, 22))
    w.income(10_000_00, on=date(2025, 11, 20))
    pay(w, 5_000_00, on=date(2025, 11, 25))  # A04 and A16 (event rules) too
    tick(ledger, date(2026, 11, 20))
    tick(ledger, date(2026, 11, 20))  # recorded once
    tick(ledger)
    live = alerts(runner)
    rules = {a.rule for a in live}
    assert {"A08", "A13", "A04"} <= rules
    first = ticks.tick(runner.database, "2026-11-20")
    latest = ticks.tick(runner.database, TODAY.isoformat())
    assert first is not None
    assert latest is not None
    assert first.raised == len(ticks.raised_by(runner.database, first)) > 0
    assert latest.raised == 0  # a later day finds the same periods and dates: nothing new
    assert len({a.alert_id for a in live}) == len(live)
    runner.rebuild()
    assert alerts(runner) == live
    runner.rebuild()
    assert alerts(runner) == live
