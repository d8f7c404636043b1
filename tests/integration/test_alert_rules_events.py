"""Event rules A01, A02, A12, A14, A15, A20, A25: each fires, a near miss does not, evidence holds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models
from ledger.application import Ledger
from ledger.errors import AuthorisationMissing
from projections.runner import Runner
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts, income, org, pay, resolution
from tests.plugins.builders import (
    OPERATOR,
    World,
    elect,
    file_and_seal,
    member_actor,
    members,
    register,
    world,
)
from tests.plugins.clock import TODAY

PLUMBER, PAINTER, GLAZIER, ROOFER = (
    org("青岛顺通管道维修部"), org("青岛彩虹油漆店"), org("青岛明亮玻璃店"), org("青岛屋面防水公司"),
)  # fmt: skip


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView())
    yield runner
    runner.database.close()


# --- A01 ---------------------------------------------------------------------------------


def test_a01_fires_when_a_payment_beyond_authority_is_refused(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    decision = w.decision("保洁", 10_000_00)
    with pytest.raises(AuthorisationMissing):  # above 5,000.00 on a committee decision
        w.propose(w.expenditure(6_000_00, authorisation=decision))
    failed = resolution(w, "更换门禁", 60_000_00, TODAY - timedelta(days=30), TODAY, matter=9)
    with pytest.raises(AuthorisationMissing):  # cites a resolution for another purpose
        w.propose(w.expenditure(6_000_00, authorisation=failed, kind="resolution"))
    small = w.decision("保洁", 1_000_00, approvers=("m1", "m2"))  # 2 of 5: not approved
    with pytest.raises(AuthorisationMissing):  # near miss: within authority, a decision's fault
        w.propose(w.expenditure(100_00, authorisation=small))
    covered = resolution(w, "保洁", 60_000_00, TODAY - timedelta(days=30), TODAY)
    w.pay(w.expenditure(6_000_00, authorisation=covered, kind="resolution"))  # near miss: covered
    found = alerts(runner, "A01")
    assert [a.evidence["reading"] for a in found] == ["above_authority", "resolution_not_covering"]
    assert all(a.severity == "critical" and a.evidence["amount"] == "6000.00" for a in found)
    assert all(a.evidence["rule"] == "H05" for a in found)
    assert len(alerts(runner, "A24")) == 3  # every H05 refusal is still a signal for A24


# --- A02 ---------------------------------------------------------------------------------


@pytest.fixture
def early(ledger: Ledger) -> World:
    """An account opened 2026-08-18, with money in it."""
    w = world(ledger, elected_on=TODAY - timedelta(days=120))
    w.income(200_000_00, on=date(2026, 8, 20))
    return w


def test_a02_counts_working_days_on_the_official_calendar(early: World, runner: Runner) -> None:
    # 28 Sep to 12 Oct 2026: 7 working days (National Day off, 10 Oct a make-up working day),
    # though 11 weekdays
    days = [date(2026, 9, 28), date(2026, 10, 9), date(2026, 10, 12)]
    paid = [pay(early, 4_600_00, PLUMBER, on) for on in days]
    assert alerts(runner, "A02") != []
    pay(early, 4_700_00, PLUMBER, date(2026, 10, 13))  # lengthens the run: no second alert
    near = [date(2026, 10, 13), date(2026, 10, 16), date(2026, 10, 29)]  # 13 working days
    for on in near:
        pay(early, 4_600_00, PAINTER, on, purpose="粉刷")
    (found,) = alerts(runner, "A02")
    assert found.trigger == f"{PLUMBER['name']}/{paid[-1]}"
    assert found.evidence["entries"] == paid
    assert found.evidence["working_days"] == 7
    assert (found.evidence["total"], found.evidence["single_payment_limit"]) == (
        "13800.00",
        "5000.00",
    )
    assert found.evidence["calendar"] == "chinese-calendar"


def test_a02_fires_when_small_payments_together_pass_the_limit(
    early: World, runner: Runner
) -> None:
    for n in range(3):
        pay(early, 1_600_00, GLAZIER, date(2026, 11, 2) + timedelta(days=n), purpose="玻璃")
    assert alerts(runner, "A02") == []  # near miss: 4,800.00 in all
    paid = [
        pay(early, 2_000_00, ROOFER, date(2026, 11, 9) + timedelta(days=n), purpose="防水")
        for n in range(3)
    ]
    (found,) = alerts(runner, "A02")
    assert (found.evidence["entries"], found.evidence["total"]) == (paid, "6000.00")


def test_a02_leaves_payments_under_an_owners_resolution_alone(early: World, runner: Runner) -> None:
    res = resolution(early, "外墙维修", 30_000_00, date(2026, 9, 1), TODAY)
    for n in range(3):
        details = early.expenditure(
            6_000_00, authorisation=res, kind="resolution", purpose="外墙维修", payee=ROOFER,
            on=date(2026, 11, 2) + timedelta(days=n),
        )  # fmt: skip
        early.pay(details)
    assert alerts(runner, "A02") == []


# --- A12 ---------------------------------------------------------------------------------


def test_a12_fires_on_the_outflow_that_takes_the_balance_30_percent_down(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    res = resolution(w, "更换门禁", 60_000_00, TODAY - timedelta(days=30), TODAY)

    def out(amount: int, on: date) -> str:
        details = w.expenditure(amount, authorisation=res, kind="resolution", purpose="更换门禁")
        return w.pay(replace(details, value_date=on))

    out(30_000_00, TODAY - timedelta(days=5))  # near miss: exactly 30% down
    assert alerts(runner, "A12") == []
    crossing = out(1, TODAY - timedelta(days=4))
    out(1_000_00, TODAY - timedelta(days=3))  # further down the same fall: no second alert
    (found,) = alerts(runner, "A12")
    assert found.trigger == crossing
    assert (found.evidence["peak"], found.evidence["balance_after"]) == ("100000.00", "69999.99")
    assert found.evidence["peak_on"] == (TODAY - timedelta(days=20)).isoformat()
    assert found.severity == "high"


def test_a12_reversing_an_income_is_an_outflow_too(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger)
    w.income(60_000_00, on=TODAY - timedelta(days=20))
    mistake = w.income(40_000_00, on=TODAY - timedelta(days=10))
    w.ledger.reverse_entry(
        w.account_id, reverses=mistake, value_date=TODAY - timedelta(days=8), reason="误记",
        idempotency_key="rev-1", actor=member_actor("m1"),
    )  # fmt: skip
    (found,) = alerts(runner, "A12")
    assert (found.evidence["peak"], found.evidence["balance_after"]) == ("100000.00", "60000.00")


# --- A14 ---------------------------------------------------------------------------------


def test_a14_fires_when_a_dormant_account_pays_out_a_fifth_on_waking(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger, elected_on=date(2025, 10, 22))  # account opened 2025-11-11
    w.income(10_000_00, on=date(2025, 11, 20))
    income(w, 35_00, date(2026, 3, 21), category="interest")  # the bank's interest: not activity
    pay(w, 1_500_00, on=date(2026, 11, 20))  # near miss: wakes, pays 15%
    assert alerts(runner, "A14") == []
    last = pay(w, 600_00, on=date(2026, 11, 24))  # 2,100.00 within 10 working days of waking
    (found,) = alerts(runner, "A14")
    assert found.trigger == "wake/2026-11-20"
    assert found.evidence["entries"] == [last]
    assert (found.evidence["balance_at_waking"], found.evidence["paid_out"]) == (
        "10035.00",
        "2100.00",
    )


def test_a14_not_after_a_shorter_quiet_spell(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger, elected_on=date(2025, 10, 22))
    w.income(10_000_00, on=date(2026, 6, 1))  # 172 days before the payment
    pay(w, 4_000_00, on=date(2026, 11, 20))
    assert alerts(runner, "A14") == []


def test_a14_dormant_means_180_whole_days_without_activity(ledger: Ledger, runner: Runner) -> None:
    """Last activity 2026-05-20: waking on 2026-11-16 ends 179 quiet days, on 11-17 it ends 180."""
    for code, woke in (("D-179", date(2026, 11, 16)), ("D-180", date(2026, 11, 17))):
        w = world(ledger, code=code, elected_on=date(2025, 10, 22))
        w.income(10_000_00, on=date(2026, 5, 20))
        pay(w, 3_000_00, on=woke)
    (found,) = alerts(runner, "A14")
    assert found.trigger == "wake/2026-11-17"
    assert found.rule_version == 2


# --- A15 ---------------------------------------------------------------------------------


def test_a15_fires_when_small_inflows_leave_in_one_outflow(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    inflows = [
        income(w, 1_000_00, date(2026, 11, 16) + timedelta(days=n), payer=org(f"商户{n}"))
        for n in range(5)
    ]
    pay(w, 3_999_99, PLUMBER, date(2026, 11, 23))  # near miss: under 80% of 5,000.00
    assert alerts(runner, "A15") == []
    out = pay(w, 4_000_00, PAINTER, date(2026, 11, 24), purpose="粉刷")
    (found,) = alerts(runner, "A15")
    assert found.trigger == out
    assert found.evidence["inflows"] == inflows
    assert (found.evidence["inflow_total"], found.evidence["amount"]) == ("5000.00", "4000.00")


# --- A20 ---------------------------------------------------------------------------------


def test_a20_fires_above_the_yearly_budget_the_assembly_approved(
    ledger: Ledger, runner: Runner
) -> None:
    w = world(ledger)
    w.income(100_000_00, on=TODAY - timedelta(days=20))
    ops = {"category": "committee_operations", "purpose": "办公用品"}
    pay(
        w, 2_000_00, org("文具店"), TODAY - timedelta(days=9), **ops
    )  # no budget: nothing to exceed
    resolution(
        w, "2026年业委会工作经费", 1_000_00, date(2026, 1, 1), date(2026, 12, 31),
        closed=TODAY - timedelta(days=9),
    )  # fmt: skip  # near miss: its purpose says so, but it budgets no category
    resolution(
        w, "2026年度预算：保洁", 1_000_00, date(2026, 1, 1), date(2026, 12, 31),
        closed=TODAY - timedelta(days=9), budget_category="cleaning_greening",
    )  # fmt: skip  # near miss: another category's budget
    budget = resolution(
        w, "2026年度预算", 3_000_00, date(2026, 1, 1), date(2026, 12, 31),
        closed=TODAY - timedelta(days=8), budget_category="committee_operations",
    )  # fmt: skip
    pay(w, 1_000_00, org("文具店"), TODAY - timedelta(days=5), **ops)  # near miss: at the budget
    pay(w, 5_000_00, org("保洁公司"), TODAY - timedelta(days=5))  # other spending: not counted
    assert alerts(runner, "A20") == []
    over = pay(w, 1, org("文具店"), TODAY - timedelta(days=4), **ops)
    (found,) = alerts(runner, "A20")
    assert (found.subject_kind, found.subject_id, found.trigger) == (
        "committee",
        str(w.committee_id),
        "2026",
    )
    assert found.evidence["entries"] == [over]
    assert (found.evidence["budget"], found.evidence["spent"]) == ("3000.00", "3000.01")
    assert found.evidence["resolution_id"] == budget
    assert found.rule_version == 2


# --- A25 ---------------------------------------------------------------------------------


def test_a25_fires_on_a_decision_by_fewer_than_five_members(ledger: Ledger, runner: Runner) -> None:
    complex_id, unit_ids = register(ledger)
    elected_on = TODAY - timedelta(days=60)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=elected_on, team=members(7))
    file_and_seal(ledger, committee_id, elected_on)
    ledger.change_members(
        committee_id, added=[], removed=["m7", "m6"], changed_on=TODAY - timedelta(days=9),
        actor=OPERATOR,
    )  # fmt: skip

    def decide(key: str) -> str:
        return ledger.record_decision(
            committee_id, idempotency_key=key, purpose="保洁", amount_cap=1_000_00,
            decided_on=TODAY - timedelta(days=1), approvers=["m1", "m2", "m3"],
            actor=member_actor("m1"),
        ).id  # fmt: skip

    decide("five-of-seven")  # near miss: five members in office
    ledger.change_members(
        committee_id, added=[], removed=["m5"], changed_on=TODAY - timedelta(days=2),
        actor=OPERATOR,
    )  # fmt: skip
    four = decide("four-of-seven")
    (found,) = alerts(runner, "A25")
    assert (found.subject_kind, found.subject_id, found.trigger) == (
        "committee",
        str(committee_id),
        four,
    )
    assert (found.evidence["seats"], found.evidence["members_in_office"]) == (7, 4)
    assert UUID(found.complex_id) == complex_id
