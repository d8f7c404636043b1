"""V01–V06 (issue #16): each fires where it should, a near miss does not, a rebuild raises the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models, supervision_catalog
from ledger.application import Ledger
from ledger.errors import AuthorisationMissing
from projections.runner import Runner
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts
from tests.integration.test_ballot import CLOSES, OPENS, SCAN, announce, owner, owner_key
from tests.integration.test_resolution_challenge import RULING, challenge, voted
from tests.plugins.builders import OPERATOR, REGULATOR, World, key, member_actor, world
from tests.plugins.clock import TODAY, MovableClock
from tests.plugins.maintenance import TREASURER, Funded, funded, maintenance_vote, pay, plan

VOTING_SECONDS = (CLOSES - OPENS).total_seconds()


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = Runner(ledger, read_models(settings), SupervisionView(supervision_catalog(settings)))
    yield runner
    runner.database.close()


@pytest.fixture
def w(ledger: Ledger) -> World:
    return world(ledger)


def opened(w: World, clock: MovableClock, *, deemed: bool = False) -> UUID:
    ballot = announce(w, deemed=deemed)
    clock.now = OPENS.astimezone(UTC)
    w.ledger.open_ballot(ballot, actor=member_actor("m1"))
    clock.now += timedelta(hours=1)
    return ballot


def cast(w: World, ballot: UUID, i: int, choice: str = "agree", device: str | None = None) -> None:
    w.ledger.cast_votes(ballot, owner_key=owner_key(i), choices={1: choice},  # type: ignore[dict-item]
                        device=device, actor=owner(i))  # fmt: skip


def close(w: World, clock: MovableClock, ballot: UUID) -> None:
    clock.now = (CLOSES + timedelta(minutes=1)).astimezone(UTC)
    w.ledger.close_ballot(ballot, actor=member_actor("m1"))


def rules(runner: Runner) -> list[str]:
    return sorted(a.rule for a in alerts(runner) if a.rule.startswith("V"))


def test_v01_many_units_from_one_device(w: World, clock: MovableClock, runner: Runner) -> None:
    ballot = opened(w, clock)
    for i in range(1, 7):
        cast(w, ballot, i, device="d" * 32)  # six units: more than five
    for i in range(7, 12):
        cast(w, ballot, i, device="e" * 32)  # five: the near miss
    close(w, clock, ballot)
    found = alerts(runner, "V01")
    assert [a.evidence["devices"] for a in found] == [{"d" * 32: 6}]
    assert found[0].subject_kind == "ballot"
    assert "6户" in found[0].explanation_zh


def test_v02_a_late_burst(w: World, clock: MovableClock, runner: Runner) -> None:
    ballot = opened(w, clock)
    for i in range(1, 7):
        cast(w, ballot, i)
    clock.now = (CLOSES - timedelta(seconds=VOTING_SECONDS / 200)).astimezone(UTC)
    for i in range(7, 10):  # 3 of 9 = 33 % in the last 1 % of the time
        cast(w, ballot, i)
    close(w, clock, ballot)
    assert rules(runner) == ["V02"]
    assert alerts(runner, "V02")[0].evidence["late_votes"] == 3


def test_v02_near_miss_thirty_percent_is_not_more_than_thirty(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock)
    for i in range(1, 8):
        cast(w, ballot, i)
    clock.now = (CLOSES - timedelta(seconds=VOTING_SECONDS / 200)).astimezone(UTC)
    for i in range(8, 11):  # 3 of 10
        cast(w, ballot, i)
    close(w, clock, ballot)
    assert rules(runner) == []


def test_v03_paper_ballots_above_forty_percent(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock)
    for i in range(1, 8):
        cast(w, ballot, i)
    for i in range(8, 13):  # 5 of 12 counted are paper: 41.7 %
        w.ledger.enter_paper_ballot(ballot, unit=f"1-{i:03d}", choices={1: "agree"},
                                    signed_at=clock.now, scan=SCAN, actor=member_actor("m2"))  # fmt: skip
    close(w, clock, ballot)
    assert rules(runner) == ["V03"]
    assert alerts(runner, "V03")[0].evidence == {
        "ballot_id": str(ballot), "paper": 5, "counted": 12,
    }  # fmt: skip


def test_v03_near_miss_forty_percent(w: World, clock: MovableClock, runner: Runner) -> None:
    ballot = opened(w, clock)
    for i in range(1, 7):
        cast(w, ballot, i)
    for i in range(7, 11):  # 4 of 10
        w.ledger.enter_paper_ballot(ballot, unit=f"1-{i:03d}", choices={1: "agree"},
                                    signed_at=clock.now, scan=SCAN, actor=member_actor("m2"))  # fmt: skip
    close(w, clock, ballot)
    assert rules(runner) == []


def test_v04_a_vote_for_a_unit_sold_during_the_ballot(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock)
    for i in range(1, 10):
        cast(w, ballot, i)
    sold_on = clock.now.date()
    w.ledger.transfer_unit(w.complex_id, "1-002", key("buyer"), on=sold_on, actor=OPERATOR)
    w.ledger.transfer_unit(w.complex_id, "1-012", key("buyer-2"), on=sold_on, actor=OPERATOR)
    close(w, clock, ballot)  # 1-012 was sold too but never voted: not listed
    assert [a.evidence["units"] for a in alerts(runner, "V04")] == [["1-002"]]


def test_v05_a_result_that_flips_on_deemed_votes(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock, deemed=True)
    for i in range(1, 8):
        cast(w, ballot, i)
    w.ledger.serve_ballot(ballot, ["1-008", "1-009"], how="paper", evidence=SCAN,
                          actor=member_actor("m1"))  # fmt: skip
    close(w, clock, ballot)
    assert rules(runner) == ["V05"]
    assert alerts(runner, "V05")[0].evidence["matters"] == [1]


def test_v05_near_miss_deemed_votes_that_change_nothing(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock, deemed=True)
    for i in range(1, 10):  # 9 of 12 vote: passed with or without the served unit deemed
        cast(w, ballot, i)
    w.ledger.serve_ballot(ballot, ["1-010"], how="paper", evidence=SCAN, actor=member_actor("m1"))
    close(w, clock, ballot)
    assert rules(runner) == []


def test_a_rebuild_raises_the_same_voting_alerts_once(
    w: World, clock: MovableClock, runner: Runner
) -> None:
    ballot = opened(w, clock, deemed=True)
    for i in range(1, 8):
        cast(w, ballot, i, device="f" * 32)
    w.ledger.serve_ballot(ballot, ["1-008", "1-009"], how="paper", evidence=SCAN,
                          actor=member_actor("m1"))  # fmt: skip
    close(w, clock, ballot)
    live = alerts(runner)
    assert {a.rule for a in live} >= {"V01", "V05"}
    runner.rebuild()
    assert alerts(runner) == live


# --- V06: spending that cites a resolution under challenge in court ------------------------


def spend(w: World, resolution_id: UUID, amount: int, on: date = TODAY) -> str:
    details = w.expenditure(amount, authorisation=str(resolution_id), kind="resolution",
                            purpose="2027年度公共收益预算", on=on)  # fmt: skip
    return w.pay(details)


def dismiss(w: World, resolution_id: UUID, on: date = TODAY) -> None:
    w.ledger.end_challenge(resolution_id, outcome="dismissed", ended_on=on, ruling=RULING,
                           actor=REGULATOR)  # fmt: skip


def test_v06_a_payment_citing_a_resolution_under_challenge(w: World, runner: Runner) -> None:
    rid = voted(w)
    w.income(10_000_00)
    spend(w, rid, 1_000_00)  # near miss: before the suit was filed
    challenge(w, rid)
    paid = spend(w, rid, 2_000_00)
    dismiss(w, rid)
    spend(w, rid, 3_000_00)  # near miss: after it was dismissed
    (found,) = alerts(runner, "V06")
    assert (found.subject_kind, found.subject_id, found.trigger) == (
        "account", str(w.account_id), paid,
    )  # fmt: skip
    assert found.evidence == {
        "resolution_id": str(rid), "court": "青岛市市南区人民法院",
        "case_number": "(2026)鲁0202民初123号", "filed_on": TODAY.isoformat(),
        "account_id": str(w.account_id), "entries": [paid], "amount": "2000.00",
    }  # fmt: skip
    assert found.severity == "high"
    assert "正被诉请撤销" in found.explanation_zh


def test_v06_near_miss_a_payment_after_the_resolution_was_revoked_is_refused(
    w: World, runner: Runner
) -> None:
    """A revocation ends the suit; what cites the resolution after it is refused (H05), not
    alerted under V06."""
    rid = voted(w)
    w.income(10_000_00)
    challenge(w, rid)
    w.ledger.revoke_resolution(rid, revoked_on=TODAY, judgment=RULING, actor=REGULATOR)
    details = w.expenditure(1_000_00, authorisation=str(rid), kind="resolution",
                            purpose="2027年度公共收益预算")  # fmt: skip
    with pytest.raises(AuthorisationMissing):
        w.propose(details)
    assert alerts(runner, "V06") == []


def challenged_repair(f: Funded) -> tuple[UUID, UUID]:
    """A matter-5 resolution under challenge, and a project planned on it after the filing."""
    affected = f.world.unit_ids[:4]
    rid = maintenance_vote(f, affected, key_="vote-roof")
    challenge(f.world, rid)
    project = f.ledger.maintenance.plan_project(
        f.complex_id, plan(affected, resolution_id=rid), idempotency_key="roof", actor=TREASURER
    )
    return rid, UUID(project.id)


def test_v06_a_repair_planned_and_paid_on_a_resolution_under_challenge(
    ledger: Ledger, runner: Runner
) -> None:
    f = funded(ledger)
    rid, project = challenged_repair(f)
    payout = pay(f, project, 1_000_00, key_="p1")
    dismiss(f.world, rid)
    pay(f, project, 1_000_00, key_="p2")  # near miss: after the suit was dismissed
    found = alerts(runner, "V06")
    assert [(a.subject_kind, a.subject_id, a.trigger) for a in found] == [
        ("project", str(project), payout.id),
        ("project", str(project), f"planned/{project}"),
    ]
    assert found[0].evidence["disbursement_id"] == payout.id
    assert {a.evidence["resolution_id"] for a in found} == {str(rid)}


def test_v06_near_miss_a_repair_planned_before_the_filing_and_paid_after_its_end(
    ledger: Ledger, runner: Runner
) -> None:
    f = funded(ledger)
    affected = f.world.unit_ids[:4]
    rid = maintenance_vote(f, affected, key_="vote-roof")
    project = UUID(f.ledger.maintenance.plan_project(
        f.complex_id, plan(affected, resolution_id=rid), idempotency_key="roof", actor=TREASURER
    ).id)  # fmt: skip
    pay(f, project, 1_000_00, key_="p1")
    challenge(f.world, rid)
    dismiss(f.world, rid)
    pay(f, project, 1_000_00, key_="p2")
    assert alerts(runner, "V06") == []


def test_a_rebuild_raises_the_same_v06_alerts_once(ledger: Ledger, runner: Runner) -> None:
    f = funded(ledger)
    _, project = challenged_repair(f)
    pay(f, project, 1_000_00, key_="p1")
    w = f.world
    account_rid = voted(w)
    w.income(10_000_00)
    challenge(w, account_rid)
    spend(w, account_rid, 2_000_00)
    live = alerts(runner, "V06")
    assert len(live) == 3
    runner.rebuild()
    assert alerts(runner, "V06") == live
