"""Issue #16: changing, dropping or adding one stored vote makes `commonfund verify` fail."""

from __future__ import annotations

from datetime import UTC, timedelta
from uuid import UUID

import pytest

from commonfund.settings import Settings
from ledger.application import Ledger
from ledger.integrity import verify
from ledger.voting.ballot import Ballot
from tests.integration.tamper import delete_event, edit_event_state
from tests.integration.test_ballot import CLOSES, OPENS, announce, vote
from tests.plugins.builders import member_actor, world
from tests.plugins.clock import MovableClock


def closed_ballot(ledger: Ledger, clock: MovableClock) -> UUID:
    w = world(ledger)
    ballot = announce(w)
    clock.now = OPENS.astimezone(UTC)
    ledger.open_ballot(ballot, actor=member_actor("m1"))
    for i in range(1, 10):
        vote(ledger, ballot, i, "agree")
    clock.now = (CLOSES + timedelta(minutes=1)).astimezone(UTC)
    ledger.close_ballot(ballot, actor=member_actor("m1"))
    return ballot


def cast_versions(ledger: Ledger, ballot: UUID) -> list[int]:
    return [
        e.originator_version for e in ledger.events.get(ballot) if isinstance(e, Ballot.VotesCast)
    ]


def test_an_untouched_ballot_verifies(ledger: Ledger, clock: MovableClock) -> None:
    closed_ballot(ledger, clock)
    assert verify(ledger).ok


def test_changing_a_stored_vote_is_found(
    ledger: Ledger, settings: Settings, clock: MovableClock
) -> None:
    ballot = closed_ballot(ledger, clock)
    version = cast_versions(ledger, ballot)[3]
    edit_event_state(settings, ballot, version, b'"choice":"agree"', b'"choice":"disagree"')
    report = verify(Ledger(env=settings.eventsourcing_env()))
    assert [(b.stream_id, b.version) for b in report.breaks][:1] == [(str(ballot), version)]


def test_dropping_a_stored_vote_is_found(
    ledger: Ledger, settings: Settings, clock: MovableClock
) -> None:
    ballot = closed_ballot(ledger, clock)
    version = cast_versions(ledger, ballot)[0]
    delete_event(settings, ballot, version)
    report = verify(Ledger(env=settings.eventsourcing_env()))
    assert (report.breaks[0].stream_id, report.breaks[0].version) == (str(ballot), version + 1)


@pytest.mark.stores("sqlite")
def test_adding_a_vote_after_closing_with_a_correct_hash_is_found(
    ledger: Ledger, settings: Settings, clock: MovableClock
) -> None:
    """An attacker who appends a well-chained vote still moves the published root."""
    ballot = closed_ballot(ledger, clock)
    found = ledger.read(ballot, Ballot)
    extra = dict(found.votes[0], unit="1-012", choice="disagree")
    found.trigger_event(Ballot.VotesCast, votes=[extra], principal="owner:forged",
                        value_date="2026-12-18")  # fmt: skip
    ledger.save(found)  # through the library: the chain fields are right
    report = verify(Ledger(env=settings.eventsourcing_env()))
    assert [b.reason for b in report.breaks] == [
        "matter 1: the stored votes no longer give the published root",
        "matter 1: a vote of unit 1-012 does not hash to its receipt",  # its receipt was copied
    ]
    assert report.breaks[0].stream_id == str(ballot)
