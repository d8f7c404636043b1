"""The maintenance fund through the ledger (issue #6): H03, H07, H08, H09, H10 on both stores."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.account.entries import ExpenditureDetails, Party
from ledger.application import Ledger
from ledger.errors import (
    AlreadyExists,
    IdempotencyConflict,
    InvalidCommand,
    InvalidState,
    MaintenancePayeeRefused,
    MaintenanceUseRefused,
    NotFound,
    PayoutLimitExceeded,
    SubLedgerShortfall,
)
from ledger.maintenance import MaintenanceFund, RepairProject
from ledger.maintenance.receipts import FundReceipt, fund_id
from tests.plugins.builders import OPERATOR, World, member_actor
from tests.plugins.clock import TODAY, MovableClock
from tests.plugins.maintenance import (
    AUTHORITY,
    OPENED,
    TREASURER,
    emergency,
    funded,
    maintenance_vote,
    pay,
    plan,
    voted_project,
)

# --- deposits ---------------------------------------------------------------------------


# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


def test_first_deposits_make_the_fund_and_the_sub_ledgers(ledger: Ledger) -> None:
    f = funded(ledger)
    fund = ledger.maintenance.fund(f.complex_id)
    assert fund.balance == 12 * 1_000_00
    assert fund.sub_ledgers_sum() == fund.balance  # H10
    assert fund.first_deposit("1-001") == 1_000_00
    assert fund.unit_balance("1-007") == 1_000_00


def test_a_second_first_deposit_is_refused_and_additional_is_not(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(AlreadyExists, match="additional"):
        ledger.maintenance.record_deposits(
            f.complex_id, {"1-001": 500_00}, kind="first", on=TODAY, reference="",
            idempotency_key="again", actor=AUTHORITY,
        )  # fmt: skip
    ledger.maintenance.record_deposits(
        f.complex_id, {"1-001": 500_00}, kind="additional", on=TODAY, reference="续筹",
        idempotency_key="top-up", actor=AUTHORITY,
    )  # fmt: skip
    fund = ledger.maintenance.fund(f.complex_id)
    assert fund.unit_balance("1-001") == 1_500_00
    assert fund.first_deposit("1-001") == 1_000_00


@pytest.mark.stores("sqlite", "postgres")  # a replay reads the batch back from the store
def test_deposit_batches_are_idempotent(ledger: Ledger) -> None:
    f = funded(ledger)
    again = ledger.maintenance.record_deposits(
        f.complex_id, f.deposits, kind="first", on=OPENED, reference="首次缴存",
        idempotency_key="first", actor=AUTHORITY,
    )  # fmt: skip
    assert again.replayed
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00
    with pytest.raises(IdempotencyConflict):
        ledger.maintenance.record_deposits(
            f.complex_id, {"1-001": 1}, kind="first", on=OPENED, reference="首次缴存",
            idempotency_key="first", actor=AUTHORITY,
        )  # fmt: skip


def test_a_deposit_to_an_unknown_unit_changes_nothing(ledger: Ledger) -> None:
    f = funded(ledger)
    before = ledger.maintenance.fund(f.complex_id).version
    with pytest.raises(NotFound, match="9-999"):
        ledger.maintenance.record_deposits(
            f.complex_id, {"1-001": 100, "9-999": 100}, kind="additional", on=TODAY,
            reference="", idempotency_key="bad", actor=AUTHORITY,
        )  # fmt: skip
    assert ledger.maintenance.fund(f.complex_id).version == before


def test_the_authoritys_initial_transfer_is_the_first_movement_only(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(InvalidState, match="first movement"):
        ledger.maintenance.record_deposits(
            f.complex_id, {"1-001": 100}, kind="initial_transfer", on=TODAY, reference="",
            idempotency_key="initial", actor=AUTHORITY,
        )  # fmt: skip


def test_the_initial_transfer_sets_first_deposits(ledger: Ledger) -> None:
    from tests.plugins.builders import world  # noqa: PLC0415

    w = world(ledger)
    ledger.maintenance.record_deposits(
        w.complex_id, {"1-001": 3_000_00, "1-002": 2_000_00}, kind="initial_transfer",
        on=TODAY, reference="区住建局划转", idempotency_key="initial", actor=AUTHORITY,
        first_deposits={"1-001": 5_000_00},
    )  # fmt: skip
    fund = ledger.maintenance.fund(w.complex_id)
    assert (fund.first_deposit("1-001"), fund.first_deposit("1-002")) == (5_000_00, 2_000_00)
    assert fund.initial_transfer


# --- interest (H10) ---------------------------------------------------------------------------


def test_interest_follows_balance_days_exactly(ledger: Ledger) -> None:
    f = funded(ledger, amount=1_000_00)
    # 1-001 doubles its balance halfway through the 40-day period
    ledger.maintenance.record_deposits(
        f.complex_id, {"1-001": 1_000_00}, kind="additional", on=OPENED + timedelta(days=20),
        reference="", idempotency_key="half", actor=AUTHORITY,
    )  # fmt: skip
    ledger.maintenance.record_interest(
        f.complex_id, 1_25_00 + 7, period_from=OPENED, period_to=TODAY - timedelta(days=1),
        on=TODAY, reference="利息通知", actor=AUTHORITY,
    )  # fmt: skip
    fund = ledger.maintenance.fund(f.complex_id)
    assert fund.sub_ledgers_sum() == fund.balance
    shares = {
        u: fund.unit_balance(u) - (2_000_00 if u == "1-001" else 1_000_00) for u in fund.units
    }
    assert sum(shares.values()) == 1_25_00 + 7
    # weights: 1-001 held 1,000 for 20 days then 2,000 for 20 days = 1.5× the others
    others = [shares[u] for u in shares if u != "1-001"]
    assert max(others) - min(others) <= 1
    assert abs(shares["1-001"] - 1.5 * others[0]) <= 2


def test_interest_for_a_period_is_allocated_once(ledger: Ledger) -> None:
    f = funded(ledger)
    args = {"period_from": OPENED, "period_to": TODAY - timedelta(days=1), "on": TODAY}
    ledger.maintenance.record_interest(f.complex_id, 100_00, reference="R", actor=AUTHORITY, **args)
    again = ledger.maintenance.record_interest(
        f.complex_id, 100_00, reference="R", actor=AUTHORITY, **args
    )
    assert again.replayed
    with pytest.raises(IdempotencyConflict):
        ledger.maintenance.record_interest(
            f.complex_id, 99_00, reference="R", actor=AUTHORITY, **args
        )
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00 + 100_00


def test_interest_periods_follow_each_other(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(InvalidCommand, match="starts on"):
        ledger.maintenance.record_interest(
            f.complex_id, 100, period_from=OPENED + timedelta(days=1), period_to=TODAY,
            on=TODAY, reference="", actor=AUTHORITY,
        )  # fmt: skip


def test_city_interest_allocates_many_funds_and_resumes(ledger: Ledger) -> None:
    one = funded(ledger, code="QD-A")
    two = funded(ledger, code="QD-B")
    advices = [(one.complex_id, 12_00), (two.complex_id, 13_00)]

    def run(per_transaction: int) -> list[FundReceipt]:
        return list(
            ledger.maintenance.allocate_interest_for_city(
                advices, period_from=OPENED, period_to=TODAY - timedelta(days=1), on=TODAY,
                reference="2026年度结息", actor=AUTHORITY, per_transaction=per_transaction,
            )
        )  # fmt: skip

    done = run(1)
    assert [r.replayed for r in done] == [False, False]
    rerun = run(50)
    assert [r.replayed for r in rerun] == [True, True]
    assert ledger.maintenance.fund(two.complex_id).balance == 12 * 1_000_00 + 13_00


# --- projects: H08 ------------------------------------------------------------------------------


def test_a_voted_project_with_a_plan_public_7_days_is_accepted(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:4], published_on=TODAY - timedelta(days=17))
    project = ledger.maintenance.project(project_id)
    assert project.kind == "normal"
    assert set(project.affected) == set(f.world.unit_ids[:4])
    assert str(project_id) in ledger.maintenance.fund(f.complex_id).project_ids


def test_a_plan_published_6_days_before_the_vote_closed_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    # the vote closed 10 days ago; the plan went public 16 days ago: 6 days before
    with pytest.raises(MaintenanceUseRefused, match="6 days"):
        voted_project(f, f.world.unit_ids[:4], published_on=TODAY - timedelta(days=16))


def test_a_resolution_whose_scope_misses_an_affected_unit_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    resolution_id = maintenance_vote(f, f.world.unit_ids[:3])
    with pytest.raises(MaintenanceUseRefused, match="1-004"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4], resolution_id=resolution_id),
            idempotency_key="roof", actor=TREASURER,
        )  # fmt: skip


def test_a_failed_or_wrong_matter_resolution_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    failed = maintenance_vote(f, f.world.unit_ids[:4], consent=False)
    with pytest.raises(MaintenanceUseRefused, match="did not pass"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4], resolution_id=failed),
            idempotency_key="roof", actor=TREASURER,
        )  # fmt: skip
    election = UUID(ledger.complex(f.complex_id).resolution_ids[0])
    with pytest.raises(MaintenanceUseRefused, match="matter 3"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4], resolution_id=election),
            idempotency_key="roof2", actor=TREASURER,
        )  # fmt: skip


def test_normal_use_without_a_resolution_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(MaintenanceUseRefused, match="H08"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4]), idempotency_key="roof", actor=TREASURER
        )


def test_emergency_use_without_confirmation_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(MaintenanceUseRefused, match="confirmation"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4], emergency=emergency(confirmed=False)),
            idempotency_key="leak", actor=TREASURER,
        )  # fmt: skip
    with pytest.raises(MaintenanceUseRefused, match="emergency list"):
        ledger.maintenance.plan_project(
            f.complex_id,
            plan(f.world.unit_ids[:4], emergency=emergency(category="new_paint")),
            idempotency_key="paint", actor=TREASURER,
        )  # fmt: skip


def test_a_confirmed_emergency_needs_no_resolution(ledger: Ledger) -> None:
    f = funded(ledger)
    receipt = ledger.maintenance.plan_project(
        f.complex_id, plan(f.world.unit_ids[:4], emergency=emergency()),
        idempotency_key="leak", actor=TREASURER,
    )  # fmt: skip
    assert receipt.status == "emergency"
    pay(f, UUID(receipt.id), 1_000_00, key_="p1")
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00 - 1_000_00


def test_a_budget_above_the_resolutions_cap_is_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    resolution_id = maintenance_vote(f, f.world.unit_ids[:4], cap=5_000_00)
    with pytest.raises(MaintenanceUseRefused, match="approved"):
        ledger.maintenance.plan_project(
            f.complex_id, plan(f.world.unit_ids[:4], resolution_id=resolution_id),
            idempotency_key="roof", actor=TREASURER,
        )  # fmt: skip


# --- disbursements: H09, H07, H03 ---------------------------------------------------------------


def test_70_percent_before_acceptance_is_allowed_and_one_fen_more_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:8], budget=6_000_00)  # contract 6,000.00
    pay(f, project_id, 4_199_99, key_="p1")
    with pytest.raises(PayoutLimitExceeded, match=r"70\.00%"):
        pay(f, project_id, 2, key_="p2")  # 4,200.01: one fen above 70%
    pay(f, project_id, 1, key_="p3")  # exactly 4,200.00 = 70.00%
    project = ledger.maintenance.project(project_id)
    assert project.disbursed == 4_200_00
    with pytest.raises(PayoutLimitExceeded):
        pay(f, project_id, 1, key_="p4")


def test_a_refused_payout_is_recorded_for_supervision(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:4], budget=6_000_00)
    with pytest.raises(PayoutLimitExceeded):
        pay(f, project_id, 5_000_00, key_="too-much")
    events = list(ledger.events.get(project_id))
    refused = [e for e in events if isinstance(e, RepairProject.DisbursementRefused)]
    assert [(e.rule, e.amount) for e in refused] == [("H09", 5_000_00)]
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00


def test_after_acceptance_the_budget_is_the_limit(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:8], budget=6_000_00, contract_sum=5_000_00)
    ledger.maintenance.accept_project(project_id, on=TODAY, reference="竣工验收单", actor=TREASURER)
    pay(f, project_id, 6_000_00, key_="all")
    with pytest.raises(PayoutLimitExceeded, match="budget"):
        pay(f, project_id, 1, key_="more")


def test_the_fund_pays_only_the_contractor_by_transfer(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:4])
    with pytest.raises(MaintenancePayeeRefused, match="cash"):
        pay(f, project_id, 100_00, key_="cash", method="cash")
    with pytest.raises(MaintenancePayeeRefused, match="contractor"):
        ledger.maintenance.propose_disbursement(
            project_id, 100_00, payee="王某", method="transfer", on=TODAY, reference="",
            idempotency_key="person", actor=TREASURER,
        )  # fmt: skip


def test_a_disbursement_is_apportioned_by_floor_area_exactly(ledger: Ledger) -> None:
    f = funded(ledger)
    affected = f.world.unit_ids[:3]
    project_id = voted_project(f, affected)
    pay(f, project_id, 1_000_01, key_="p1")  # 333,33.67 each: one fen goes by unit id
    fund = ledger.maintenance.fund(f.complex_id)
    paid = {u: 1_000_00 - fund.unit_balance(u) for u in affected}
    assert paid == {"1-001": 333_34, "1-002": 333_34, "1-003": 333_33}
    assert fund.sub_ledgers_sum() == fund.balance == 12 * 1_000_00 - 1_000_01


def test_a_shortfall_names_the_units_and_changes_nothing(ledger: Ledger) -> None:
    f = funded(ledger)
    affected = f.world.unit_ids[:4]
    project_id = voted_project(f, affected, budget=8_000_00)
    ledger.maintenance.accept_project(project_id, on=TODAY, reference="验收", actor=TREASURER)
    with pytest.raises(SubLedgerShortfall) as refused:
        pay(f, project_id, 4_000_04, key_="p1")  # 1,000.01 each: every unit one fen short
    assert [s["unit_id"] for s in refused.value.shortfalls] == affected
    assert refused.value.shortfalls[0]["shortfall"] == "0.01"
    assert refused.value.rule == "H03"
    assert ledger.maintenance.fund(f.complex_id).balance == 12 * 1_000_00
    assert ledger.maintenance.project(project_id).disbursed == 0
    kept = [e for e in ledger.events.get(project_id)
            if isinstance(e, RepairProject.DisbursementRefused)]  # fmt: skip
    assert [(e.rule, e.amount) for e in kept] == [("H03", 4_000_04)]  # owners must top up


@pytest.mark.stores("sqlite", "postgres")  # a replay reads the payout back from the store
def test_disbursements_are_idempotent(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:4])
    pay(f, project_id, 100_00, key_="p1")
    again = pay(f, project_id, 100_00, key_="p1")
    assert getattr(again, "replayed", False)
    with pytest.raises(IdempotencyConflict):
        pay(f, project_id, 200_00, key_="p1")
    assert ledger.maintenance.project(project_id).disbursed == 100_00


# --- the common-fund account, sales, digest ---------------------------------------------------


def test_a_booked_transfer_to_the_fund_reaches_the_units_by_area(
    ledger: Ledger, clock: MovableClock
) -> None:
    f = funded(ledger)
    w: World = f.world
    w.income(10_000_00)
    resolution = ledger.record_resolution(
        w.complex_id, idempotency_key="to-fund", matter=6, purpose="公共收益转入维修资金",
        amount_cap=5_000_00, period_from=TODAY - timedelta(days=30), period_to=TODAY,
        scope_units=None, participated=w.unit_ids, consented=w.unit_ids,
        closed_on=TODAY - timedelta(days=1), actor=OPERATOR,
    )  # fmt: skip
    w.pay(
        ExpenditureDetails(
            category="transfer_to_maintenance_fund",
            payee=Party(name="海韵花园专项维修资金", kind="organisation", identity_key="",
                        bank_account="3802"),
            method="transfer", amount=1_200_00, purpose="公共收益转入维修资金", value_date=TODAY,
            authorisation_kind="resolution", authorisation_id=resolution.id,
        )
    )  # fmt: skip
    fund = ledger.maintenance.fund(w.complex_id)
    assert fund.balance == 12 * 1_000_00 + 1_200_00
    assert fund.unit_balance("1-005") == 1_100_00  # equal areas: 100.00 each
    entries = ledger.entries(w.account_id)
    expenditure = next(e for e in entries if e.kind == "expenditure")
    with pytest.raises(InvalidState, match="maintenance fund"):
        ledger.reverse_entry(
            w.account_id, reverses=expenditure.id, reason="", value_date=TODAY,
            idempotency_key="undo", actor=member_actor("m1"),
        )  # fmt: skip


def test_a_sale_moves_the_sub_ledger_with_the_unit(ledger: Ledger) -> None:
    f = funded(ledger)
    ledger.transfer_unit(f.complex_id, "1-001", "ab" * 16, on=TODAY, actor=OPERATOR)
    events = list(ledger.events.get(fund_id(f.complex_id)))
    sold = [e for e in events if isinstance(e, MaintenanceFund.SubLedgerTransferred)]
    assert [(e.unit_id, e.to_owner_key, e.balance) for e in sold] == [
        ("1-001", "ab" * 16, 1_000_00)
    ]
    assert ledger.complex(f.complex_id).units["1-001"]["owner_key"] == "ab" * 16


def test_the_digest_covers_the_fund_and_its_projects(ledger: Ledger) -> None:
    f = funded(ledger)
    project_id = voted_project(f, f.world.unit_ids[:4])
    streams = {h["stream_id"] for h in ledger.digest(f.complex_id)["heads"]}
    assert {str(fund_id(f.complex_id)), str(project_id)} <= streams


@pytest.mark.stores("sqlite", "postgres")  # snapshots in the store
def test_the_fund_survives_a_cold_load_from_its_snapshots(settings: object, ledger: Ledger) -> None:
    """Enough movements to snapshot (every 10): a fresh process sees the same sub-ledgers."""
    f = funded(ledger)
    for i in range(12):
        ledger.maintenance.record_deposits(
            f.complex_id, {f.world.unit_ids[i % 12]: 1_00 + i}, kind="additional", on=TODAY,
            reference="", idempotency_key=f"k{i}", actor=AUTHORITY,
        )  # fmt: skip
    warm = ledger.maintenance.fund(f.complex_id)
    cold_ledger = Ledger(env=settings.eventsourcing_env(), policy=ledger.policy, clock=ledger.clock)  # type: ignore[attr-defined]
    try:
        cold = cold_ledger.maintenance.fund(f.complex_id)
    finally:
        cold_ledger.close()
    assert cold.units == warm.units
    assert cold.balance == warm.balance
    assert ledger.snapshots is not None
    assert list(ledger.snapshots.get(fund_id(f.complex_id)))  # the load did start from one


def test_value_dates_in_the_future_are_refused(ledger: Ledger) -> None:
    f = funded(ledger)
    with pytest.raises(InvalidCommand, match="future"):
        ledger.maintenance.record_deposits(
            f.complex_id, {"1-001": 1}, kind="additional", on=TODAY + timedelta(days=1),
            reference="", idempotency_key="later", actor=AUTHORITY,
        )  # fmt: skip


def test_annual_statement_is_published_once_after_the_year(
    ledger: Ledger, clock: MovableClock
) -> None:
    f = funded(ledger)
    with pytest.raises(InvalidCommand, match="has not ended"):
        ledger.maintenance.publish_annual_statement(
            f.complex_id, 2026, through=1, content_hash="a" * 64, actor=TREASURER
        )
    clock.set_today(date(2027, 1, 5))
    ledger.maintenance.publish_annual_statement(
        f.complex_id, 2026, through=1, content_hash="a" * 64, actor=TREASURER
    )
    with pytest.raises(AlreadyExists):
        ledger.maintenance.publish_annual_statement(
            f.complex_id, 2026, through=2, content_hash="b" * 64, actor=TREASURER
        )
    assert ledger.maintenance.fund(f.complex_id).disclosures == {"2026": "a" * 64}


@pytest.mark.stores("sqlite", "postgres")  # a second Ledger on the same store
def test_a_city_may_set_its_own_payout_ratio(settings: Settings, clock: MovableClock) -> None:
    """COMMONFUND_MAINTENANCE_PAYOUT_RATIO_BP: 80.00% here; 80.00% passes, one fen more does not."""
    city = settings.model_copy(update={"maintenance_payout_ratio_bp": 8_000})
    ledger = Ledger(
        personal=personal_keys(city),
        env=city.eventsourcing_env(),
        policy=city.policy(),
        clock=clock,
    )
    try:
        f = funded(ledger)
        project_id = voted_project(f, f.world.unit_ids[:8], budget=6_000_00)
        pay(f, project_id, 4_800_00, key_="p1")  # 80.00% of 6,000.00
        with pytest.raises(PayoutLimitExceeded, match=r"80\.00%"):
            pay(f, project_id, 1, key_="p2")
    finally:
        ledger.close()


def test_interest_received_on_the_last_day_earns_from_the_next_period(ledger: Ledger) -> None:
    f = funded(ledger, amount=1_000_00)
    last = TODAY - timedelta(days=1)
    ledger.maintenance.record_interest(
        f.complex_id, 12_00, period_from=OPENED, period_to=last, on=last, reference="",
        actor=AUTHORITY,
    )  # fmt: skip
    fund = ledger.maintenance.fund(f.complex_id)
    assert fund.period_start == TODAY.isoformat()
    # one day into the next period: each unit's weight is its new balance for that one day
    assert fund.weights(TODAY)["1-001"] == fund.unit_balance("1-001") * 1


def test_a_fund_opened_during_the_first_period_earns_from_its_first_movement(
    ledger: Ledger,
) -> None:
    f = funded(ledger)  # the fund's first movement is OPENED
    receipt = ledger.maintenance.record_interest(
        f.complex_id, 12_00, period_from=OPENED - timedelta(days=300),
        period_to=TODAY - timedelta(days=1), on=TODAY, reference="年度结息", actor=AUTHORITY,
    )  # fmt: skip
    assert not receipt.replayed
    fund = ledger.maintenance.fund(f.complex_id)
    assert fund.balance == 12 * 1_000_00 + 12_00
    # the next period must follow on without a gap
    with pytest.raises(InvalidCommand, match="starts on"):
        ledger.maintenance.record_interest(
            f.complex_id, 1, period_from=OPENED, period_to=TODAY, on=TODAY, reference="",
            actor=AUTHORITY,
        )  # fmt: skip


def test_a_disclosure_is_not_dated_before_the_plan(ledger: Ledger) -> None:
    f = funded(ledger)
    receipt = ledger.maintenance.plan_project(
        f.complex_id, plan(f.world.unit_ids[:4], emergency=emergency()),
        idempotency_key="leak", actor=TREASURER,
    )  # fmt: skip
    with pytest.raises(InvalidCommand, match="after the plan"):
        ledger.maintenance.disclose_project(
            UUID(receipt.id), on=TODAY - timedelta(days=1), reference="", actor=TREASURER
        )
    ledger.maintenance.disclose_project(
        UUID(receipt.id), on=TODAY, reference="公告", actor=TREASURER
    )
    assert ledger.maintenance.project(UUID(receipt.id)).disclosed_on == TODAY.isoformat()
