"""Event rules (spec/alerts.md): each fires where it should, a near miss does not, evidence holds.

Also the lifecycle (acknowledge, explain, close; snoozes) and exactly-once
replay: a rebuild raises the same alerts, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Ledger
from ledger.errors import CashLimitExceeded, InvalidCommand, InvalidState
from projections.runner import Runner
from projections.supervision.alerts import alert_id
from projections.supervision.catalog import DEFAULT_CATALOG
from projections.supervision.queries import AlertFilter, AlertRow, Alerts
from projections.supervision.view import SupervisionView
from tests.plugins.builders import COMPANY, REGULATOR, World, key, member_actor, world
from tests.plugins.clock import TODAY, MovableClock

CATALOG = DEFAULT_CATALOG.with_params("A06", daily_limit=2_500_00).with_params(
    "A16", minimum=1_000_00
)
PLUMBER = Party(name="青岛顺通管道维修部", kind="organisation", identity_key="", bank_account="")
STRANGER = Party(name="赵四", kind="individual", identity_key=key("stranger"), bank_account="")
MEMBER4 = Party(name="委员4", kind="individual", identity_key=key("member-4"), bank_account="")


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView(CATALOG))
    yield runner
    runner.database.close()


@pytest.fixture
def w(ledger: Ledger) -> World:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    return w


def alerts(runner: Runner, rule: str | None = None) -> list[AlertRow]:
    runner.catch_up()
    return Alerts(runner.database).page(AlertFilter(rule=rule), after=None, limit=500)


def pay(w: World, amount: int, *, payee: Party = COMPANY, on: date = TODAY, **more: Any) -> str:
    decision = w.decision("保洁", 5_000_00, on=TODAY - timedelta(days=25))
    return w.pay(w.expenditure(amount, authorisation=decision, payee=payee, on=on, **more))


def test_a04_fires_on_a_round_payment_without_a_contract(w: World, runner: Runner) -> None:
    paid = pay(w, 5_000_00)
    pay(w, 5_000_00, contract_ref="HT-2026-09")  # near miss: a contract
    pay(w, 4_000_00, payee=PLUMBER)  # near miss: below 5,000.00
    pay(w, 4_999_00, payee=PLUMBER, on=TODAY - timedelta(days=1))  # near miss: not round
    (found,) = alerts(runner, "A04")
    assert (found.subject_kind, found.subject_id, found.trigger) == (
        "account",
        str(w.account_id),
        paid,
    )
    assert found.evidence["entries"] == [paid]
    assert found.evidence["amount"] == "5000.00"
    assert (found.severity, found.status, found.district) == ("warning", "open", "370202")
    assert "5000.00" in found.explanation_zh


def test_a05_fires_when_a_committee_member_is_paid(w: World, runner: Runner) -> None:
    paid = pay(w, 800_00, payee=MEMBER4)  # m4 is not a signatory, so H06 lets m1/m2 approve
    pay(w, 800_00, payee=STRANGER)  # near miss: someone else
    (found,) = alerts(runner, "A05")
    assert found.evidence["member_id"] == "m4"
    assert found.evidence["entries"] == [paid]
    assert found.severity == "critical"


def test_a06_fires_near_the_cash_limit_and_at_the_daily_cash_total(
    w: World, runner: Runner
) -> None:
    near = pay(w, 900_00, method="cash", payee=STRANGER)  # 90% of 1,000.00
    pay(w, 899_99, method="cash", payee=STRANGER, on=TODAY - timedelta(days=3))  # near miss
    day = TODAY - timedelta(days=5)
    for amount in (800_00, 800_00, 800_00):  # 2,400.00: below the test's 2,500.00 daily limit
        pay(w, amount, method="cash", payee=PLUMBER, on=day)
    assert {a.trigger for a in alerts(runner, "A06")} == {near}
    pay(w, 100_00, method="cash", payee=PLUMBER, on=day)  # 2,500.00: at the limit
    daily = [a for a in alerts(runner, "A06") if a.trigger.startswith("day/")]
    assert [(a.trigger, a.evidence["day_total"]) for a in daily] == [(f"day/{day}", "2500.00")]


def test_a16_fires_on_the_first_large_payment_to_a_new_payee(w: World, runner: Runner) -> None:
    first = pay(w, 1_500_00, payee=PLUMBER)
    pay(w, 1_500_00, payee=PLUMBER, on=TODAY - timedelta(days=1))  # near miss: not the first
    pay(w, 1_500_00, payee=STRANGER, contract_ref="HT-1")  # near miss: a contract
    pay(w, 1_000_00, payee=MEMBER4)  # near miss: not above the minimum
    assert [a.trigger for a in alerts(runner, "A16")] == [first]


def test_a03_fires_on_three_a_day_and_on_three_consecutive_days(w: World, runner: Runner) -> None:
    day = TODAY - timedelta(days=10)
    for _ in range(2):
        pay(w, 100_00, payee=PLUMBER, on=day)
    assert alerts(runner, "A03") == []  # near miss: two in a day
    pay(w, 100_00, payee=PLUMBER, on=day)
    pay(w, 100_00, payee=STRANGER, on=TODAY - timedelta(days=4))
    pay(w, 100_00, payee=STRANGER, on=TODAY - timedelta(days=3))
    assert len(alerts(runner, "A03")) == 1  # near miss: two consecutive days
    pay(w, 100_00, payee=STRANGER, on=TODAY - timedelta(days=2))
    found = {a.trigger: a for a in alerts(runner, "A03")}
    assert set(found) == {
        f"{COMPANY['name']}/day/{day}".replace(COMPANY["name"], PLUMBER["name"]),
        f"{STRANGER['identity_key']}/run/{TODAY - timedelta(days=4)}",
    }
    run = found[f"{STRANGER['identity_key']}/run/{TODAY - timedelta(days=4)}"]
    assert run.evidence["run_days"] == 3


def test_a23_fires_when_the_collector_keeps_more_than_its_rate(w: World, runner: Runner) -> None:
    def collected(gross: int, kept: int) -> str:
        details = IncomeDetails(
            category="parking", payer=COMPANY, amount=gross - kept, value_date=TODAY,
            gross=gross, deduction=kept, contracted_rate_bp=1500, collector="青岛某物业",
        )  # fmt: skip
        return w.ledger.record_income(
            w.account_id, details, idempotency_key=w.next_key("inc"), actor=member_actor("m1")
        ).id

    collected(10_000_00, 1_500_00)  # near miss: exactly 15%
    over = collected(10_000_00, 1_500_01)
    (found,) = alerts(runner, "A23")
    assert found.trigger == over
    assert (found.evidence["deduction"], found.evidence["contracted_rate"]) == ("1500.01", "15.00%")


def test_a24_fires_when_a_payment_is_refused_and_not_when_it_is_allowed(
    w: World, runner: Runner
) -> None:
    pay(w, 1_000_00, method="cash", payee=STRANGER)  # near miss: at the limit, booked
    decision = w.decision("保洁", 5_000_00, on=TODAY - timedelta(days=25))
    with pytest.raises(CashLimitExceeded):
        w.propose(w.expenditure(1_000_01, authorisation=decision, method="cash", payee=STRANGER))
    (found,) = alerts(runner, "A24")
    assert (found.evidence["rule"], found.evidence["amount"]) == ("H07", "1000.01")
    assert found.evidence["method"] == "cash"


def test_the_lifecycle_is_recorded_step_by_step(w: World, runner: Runner) -> None:
    pay(w, 5_000_00)
    (found,) = alerts(runner, "A04")
    ledger, aid = w.ledger, UUID(found.alert_id)
    assert found.alert_id == alert_id("A04", found.subject_id, found.trigger)
    with pytest.raises(InvalidState):  # no explanation to accept yet
        ledger.close_alert(
            aid, rule="A04", outcome="explained", reason="说明合理", action="", actor=REGULATOR
        )
    ledger.acknowledge_alert(aid, rule="A04", note="核查中", actor=REGULATOR)
    with pytest.raises(InvalidState):
        ledger.acknowledge_alert(aid, rule="A04", note="again", actor=REGULATOR)
    ledger.explain_alert(
        aid, rule="A04", complex_id=w.complex_id, text="保洁合同已续签，补登合同号",
        evidence=["HT-2026-11"], actor=member_actor("m1"),
    )  # fmt: skip
    with pytest.raises(InvalidCommand):  # confirmed needs the action taken
        ledger.close_alert(
            aid, rule="A04", outcome="confirmed", reason="x", action="", actor=REGULATOR
        )
    ledger.close_alert(
        aid, rule="A04", outcome="explained", reason="已补合同", action="", actor=REGULATOR
    )
    runner.catch_up()
    got = Alerts(runner.database).get(found.alert_id)
    assert got is not None
    assert (got.status, got.outcome) == ("closed", "explained")
    assert [(h["step"], h["by"]) for h in got.history] == [
        ("acknowledged", REGULATOR.principal),
        ("explained", member_actor("m1").principal),
        ("closed", REGULATOR.principal),
    ]
    assert got.history[1]["detail"]["evidence"] == ["HT-2026-11"]


def test_a_snoozed_subject_raises_its_alerts_as_snoozed_until_the_snooze_ends(
    w: World, runner: Runner, clock: MovableClock
) -> None:
    subject, until = str(w.account_id), TODAY + timedelta(days=30)
    with pytest.raises(InvalidCommand):  # at most 180 days
        w.ledger.snooze_rule(
            "A04", subject, until=TODAY + timedelta(days=181), reason="x", actor=REGULATOR
        )
    w.ledger.snooze_rule("A04", subject, until=until, reason="年度保洁合同已备案", actor=REGULATOR)
    during = pay(w, 5_000_00)
    clock.set_today(until + timedelta(days=5))
    after = pay(w, 5_000_00, on=until + timedelta(days=1), purpose="保洁")
    status = {a.trigger: a.status for a in alerts(runner, "A04")}
    assert status == {during: "snoozed", after: "open"}


def test_a_snooze_lasts_at_most_180_days_counting_the_day_it_is_set(w: World) -> None:
    """Set on 2026-11-26 it holds that day already, so its 180th day is 2027-05-24."""
    subject = str(w.account_id)
    with pytest.raises(InvalidCommand, match="by 2027-05-24"):
        w.ledger.snooze_rule(
            "A04", subject, until=date(2027, 5, 25), reason="年度合同", actor=REGULATOR
        )
    for until in (date(2027, 5, 23), date(2027, 5, 24)):  # the day before, the last day
        receipt = w.ledger.snooze_rule(
            "A04", subject, until=until, reason="年度合同", actor=REGULATOR
        )
        assert receipt.status == "snoozed"


def test_a_rebuild_raises_the_same_alerts_once(w: World, runner: Runner) -> None:
    pay(w, 5_000_00)
    pay(w, 900_00, method="cash", payee=STRANGER)
    live = alerts(runner)
    assert {a.rule for a in live} >= {"A04", "A06"}
    runner.rebuild()
    again = alerts(runner)
    assert again == live
    runner.rebuild()
    assert alerts(runner) == live  # and again: each alert once
