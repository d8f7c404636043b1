"""V01–V05 (issue #16): each fires where it should, a near miss does not, a rebuild raises the same."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import read_models, supervision_catalog
from ledger.application import Ledger
from projections.runner import Runner
from projections.supervision.view import SupervisionView
from tests.integration.alert_rules import alerts
from tests.integration.test_ballot import CLOSES, OPENS, SCAN, announce, owner, owner_key
from tests.plugins.builders import OPERATOR, World, key, member_actor, world
from tests.plugins.clock import MovableClock

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
