"""The Ballot aggregate and its commands (issue #16): announce, open, serve, cast, paper, close."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.account.entries import ExpenditureDetails
from ledger.application import Actor, Ledger
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex
from ledger.errors import (
    AuthorisationMissing,
    InvalidCommand,
    InvalidState,
    MemberNotInOffice,
    NotFound,
)
from ledger.integrity import verify
from ledger.unit_of_work import Load
from ledger.voting.ballot import Ballot, Matter, Scope, ScopeKind
from ledger.voting.commands import count_matter
from ledger.voting.receipts import merkle_root
from tests.plugins.builders import COMPANY, OPERATOR, REGULATOR, World, key, member_actor
from tests.plugins.clock import TODAY, MovableClock

pytestmark = pytest.mark.stores("memory")

CST = timezone(timedelta(hours=8))
OPENS = datetime(2026, 12, 11, 9, 0, tzinfo=CST)  # 15 days after TODAY (2026-11-26)
CLOSES = datetime(2026, 12, 18, 18, 0, tzinfo=CST)
SCAN = "ab" * 32


def owner(i: int) -> Actor:
    return Actor("owner", f"owner-token-{i}")


def owner_key(i: int) -> str:
    return key(f"owner-1-{i}")


def matter(item: int = 1, *, cap: int | None = None, **scope: list[str]) -> Matter:
    kind: ScopeKind = "all" if not scope else ("buildings" if "buildings" in scope else "units")
    return Matter(
        item=item,
        question="是否同意续聘物业服务企业？",
        documents=["cd" * 32],
        scope=Scope(kind=kind, buildings=scope.get("buildings", []), units=scope.get("units", [])),
        purpose="2027年度公共收益预算" if cap else "",
        amount_cap=cap,
        period_from="2026-12-01" if cap else None,
        period_to="2027-12-31" if cap else None,
        budget_category="repairs" if cap else None,
    )


def announce(w: World, *matters: Matter, key_: str = "b1", deemed: bool = False) -> UUID:
    receipt = w.ledger.announce_ballot(
        w.complex_id,
        idempotency_key=key_,
        title="2026年第二次业主大会",
        matters=list(matters) or [matter()],
        notice_on=TODAY,
        opens_at=OPENS,
        closes_at=CLOSES,
        deemed_votes=deemed,
        actor=member_actor("m1"),
    )
    return UUID(receipt.id)


def at(clock: MovableClock, moment: datetime) -> None:
    clock.now = moment.astimezone(UTC)


def opened(w: World, clock: MovableClock, *matters: Matter, deemed: bool = False) -> UUID:
    ballot = announce(w, *matters, deemed=deemed)
    at(clock, OPENS)
    w.ledger.open_ballot(ballot, actor=member_actor("m1"))
    at(clock, OPENS + timedelta(hours=1))
    return ballot


def vote(ledger: Ledger, ballot: UUID, i: int, choice: str, matter_: int = 1) -> None:
    ledger.cast_votes(ballot, owner_key=owner_key(i), choices={matter_: choice}, actor=owner(i))  # type: ignore[dict-item]


def close(w: World, clock: MovableClock, ballot: UUID) -> Ballot:
    at(clock, CLOSES + timedelta(minutes=1))
    w.ledger.close_ballot(ballot, actor=member_actor("m1"))
    return w.ledger.read(ballot, Ballot)


def test_a_ballot_opens_only_after_its_notice_period(sealed_world: World) -> None:
    with pytest.raises(InvalidCommand, match="at least 15 days"):
        sealed_world.ledger.announce_ballot(
            sealed_world.complex_id, idempotency_key="early", title="业主大会",
            matters=[matter()], notice_on=TODAY, opens_at=OPENS - timedelta(days=1),
            closes_at=CLOSES, actor=member_actor("m1"),
        )  # fmt: skip


def test_votes_are_refused_before_opening_after_closing_outside_scope_and_for_others_units(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = announce(w, matter(5, units=["1-001", "1-002", "1-003"]))
    with pytest.raises(InvalidState, match="opens at"):
        vote(w.ledger, ballot, 1, "agree")
    at(clock, OPENS)
    w.ledger.open_ballot(ballot, actor=member_actor("m1"))
    with pytest.raises(InvalidCommand, match="outside this ballot's scope"):
        w.ledger.cast_votes(ballot, owner_key=owner_key(4), choices={1: "agree"},
                            units=["1-004"], actor=owner(4))  # fmt: skip
    with pytest.raises(NotFound, match="not yours"):
        w.ledger.cast_votes(ballot, owner_key=owner_key(4), choices={1: "agree"},
                            units=["1-001"], actor=owner(4))  # fmt: skip
    with pytest.raises(NotFound, match="not on this ballot"):
        vote(w.ledger, ballot, 1, "agree", matter_=2)
    vote(w.ledger, ballot, 1, "agree")
    at(clock, CLOSES)
    with pytest.raises(InvalidState, match="closed at"):
        vote(w.ledger, ballot, 2, "agree")
    assert [v["unit"] for v in w.ledger.read(ballot, Ballot).votes] == ["1-001"]


def test_a_unit_sold_while_voting_runs_is_voted_by_its_new_owner_not_the_seller(
    sealed_world: World, clock: MovableClock
) -> None:
    """The caller's units come from the complex as it stands at each cast (OwnerIndex keeps
    them per state of the complex): a sale recorded mid-ballot moves the vote at once."""
    w = sealed_world
    ballot = opened(w, clock)
    assert w.ledger.voting.owned_units(ballot, owner_key(2)) == ["1-002"]
    vote(w.ledger, ballot, 2, "agree")  # the seller's units are indexed before the sale
    w.ledger.transfer_unit(w.complex_id, "1-002", owner_key(3), on=TODAY, actor=OPERATOR)
    assert w.ledger.voting.owned_units(ballot, owner_key(2)) == []
    assert w.ledger.voting.owned_units(ballot, owner_key(3)) == ["1-002", "1-003"]
    with pytest.raises(NotFound, match="none of your units"):
        vote(w.ledger, ballot, 2, "disagree")
    with pytest.raises(NotFound, match="not yours"):
        w.ledger.cast_votes(ballot, owner_key=owner_key(2), choices={1: "disagree"},
                            units=["1-002"], actor=owner(2))  # fmt: skip
    w.ledger.cast_votes(ballot, owner_key=owner_key(3), choices={1: "disagree"}, actor=owner(3))
    last = {v["unit"]: v["choice"] for v in w.ledger.read(ballot, Ballot).votes}
    assert last == {"1-002": "disagree", "1-003": "disagree"}


def test_a_matters_scope_is_checked_per_vote_by_building_and_by_listed_units(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock, matter(5, units=["1-001", "1-002"]), matter(5, buildings=["1"]))
    found = w.ledger.read(ballot, Ballot)
    for number in (1, 2):
        listed = set(found.matter_register_ids(number))
        assert {u for u in found.roll if found.in_matter_scope(u, number)} == listed
    assert not found.in_matter_scope("9-999", 1)  # not in the register at all
    with pytest.raises(InvalidCommand, match="outside matter 1's scope"):
        w.ledger.cast_votes(ballot, owner_key=owner_key(3), choices={1: "agree"},
                            units=["1-003"], actor=owner(3))  # fmt: skip


@pytest.mark.stores("sqlite", "postgres")
def test_a_cast_that_collides_with_another_process_catches_the_cached_ballot_up_not_rebuilds_it(
    sealed_world: World, settings: Settings, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """UnitOfWork.draft: the cast changes a copy, so after a collision the cached ballot is
    still as stored and is caught up with the other process's events; before, it was evicted
    and rebuilt from its snapshot on every collision (40% of a cast on a full ballot)."""
    w = sealed_world
    ballot = opened(w, clock)
    vote(w.ledger, ballot, 1, "agree")  # this process caches the ballot
    other = Ledger(personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=clock)
    try:
        vote(other, ballot, 2, "disagree")  # another process writes it meanwhile
    finally:
        other.close()
    rebuilt: list[UUID] = []
    repository = w.ledger.repository
    rebuild = repository._reconstruct_aggregate

    def counted(aggregate_id: UUID, *args: object, **kwargs: object) -> object:
        rebuilt.append(aggregate_id)
        return rebuild(aggregate_id, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(repository, "_reconstruct_aggregate", counted)
    vote(w.ledger, ballot, 3, "agree")  # collides once, then succeeds on the caught-up ballot
    assert rebuilt == []  # neither the ballot nor the complex it only read (10,000 units)
    stored = w.ledger.work.stored(ballot, Ballot)
    assert stored is not None
    assert [(v["unit"], v["choice"]) for v in stored.votes] == [
        ("1-001", "agree"), ("1-002", "disagree"), ("1-003", "agree")
    ]  # fmt: skip
    cached = w.ledger.read(ballot, Ballot)
    assert (cached.version, cached.chain_head) == (stored.version, stored.chain_head)
    assert cached.votes == stored.votes


@pytest.mark.stores("sqlite", "postgres")
def test_an_aggregate_said_unchanged_but_saved_after_all_is_evicted_on_a_collision(
    sealed_world: World, settings: Settings
) -> None:
    """UnitOfWork.unchanged is a promise the command may break: once it saves the aggregate
    itself, a collision must not leave its unsaved state in the cache."""
    w = sealed_world
    work = w.ledger.work
    w.ledger.complex(w.complex_id)  # cached here
    other = Ledger(personal=personal_keys(settings), env=settings.eventsourcing_env())
    try:
        other.set_objection_contact(w.complex_id, "物业服务中心", actor=member_actor("m1"))
    finally:
        other.close()
    attempts: list[int] = []

    def body(load: Load) -> int:
        complex_ = load(w.complex_id, Complex)
        work.unchanged(complex_)
        attempts.append(complex_.version)
        complex_.set_objection_contact(
            f"业主委员会办公室 {len(attempts)}", principal="m1", value_date=TODAY.isoformat()
        )
        work.save(complex_)  # collides on the first attempt: the other process wrote first
        return complex_.version

    version = work.run(body, actor=member_actor("m1"), complex_id=w.complex_id)
    assert len(attempts) == 2  # and the second ran on the complex as stored, caught up
    assert attempts[1] == attempts[0] + 1
    stored = work.stored(w.complex_id, Complex)
    assert stored is not None
    assert (stored.version, stored.objection_contact) == (version, "业主委员会办公室 2")
    cached = work.cached(w.complex_id)
    assert isinstance(cached, Complex)
    assert (cached.version, cached.chain_head) == (stored.version, stored.chain_head)
    assert verify(w.ledger).ok  # the hash chain (H12) runs through the other process's event


def test_a_changed_vote_counts_last_and_both_stay_in_the_history(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock)
    for i in range(1, 13):
        vote(w.ledger, ballot, i, "agree")
    clock.now += timedelta(hours=1)
    for i in range(1, 8):
        vote(w.ledger, ballot, i, "disagree")  # 7 of 12 change their mind
    found = close(w, clock, ballot)
    assert len(found.votes) == 19
    result = found.results[0]
    assert not result["passed"]
    assert result["root"] == merkle_root(v["receipt"] for v in found.votes)
    resolution = w.ledger.read(UUID(result["resolution_id"]), Resolution)
    assert resolution.ballot_id == str(ballot)
    assert resolution.tally["consenting_heads"] == 5
    assert resolution.tally["participating_heads"] == 12
    assert str(resolution.id) in w.ledger.complex(w.complex_id).resolution_ids


def test_a_paper_ballot_signed_later_than_the_e_vote_counts_and_both_are_kept(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock)
    vote(w.ledger, ballot, 1, "agree")
    w.ledger.enter_paper_ballot(
        ballot, unit="1-001", choices={1: "disagree"}, signed_at=clock.now + timedelta(minutes=5),
        scan=SCAN, actor=member_actor("m2"),
    )  # fmt: skip
    found = w.ledger.read(ballot, Ballot)
    assert [(v["channel"], v["choice"]) for v in found.votes] == [
        ("electronic", "agree"),
        ("paper", "disagree"),
    ]
    assert found.votes[1]["scan"] == SCAN
    assert count_matter(found, 1).without_deemed.units == (("agree", 0), ("disagree", 1),
                                                           ("abstain", 0))  # fmt: skip
    with pytest.raises(InvalidCommand, match="committee member"):
        w.ledger.enter_paper_ballot(ballot, unit="1-002", choices={1: "agree"},
                                    signed_at=clock.now, scan=SCAN, actor=OPERATOR)  # fmt: skip


def test_a_passed_resolution_authorises_spending_only_after_its_objection_period(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock, matter(1, cap=5_000_000))
    for i in range(1, 13):
        vote(w.ledger, ballot, i, "agree")
    found = close(w, clock, ballot)
    assert found.results[0]["passed"]
    assert found.effective_from == "2026-12-26"  # closed 12-18, objection 12-19 … 12-25
    resolution_id = found.results[0]["resolution_id"]
    w.income(500_000_000, on=date(2026, 12, 18))
    clock.set_today(date(2026, 12, 20))
    details = _spending(resolution_id, on=date(2026, 12, 20))
    with pytest.raises(AuthorisationMissing, match="objection period"):
        w.propose(details)
    clock.set_today(date(2026, 12, 26))
    w.propose(_spending(resolution_id, on=date(2026, 12, 26)))


def test_a_revoked_resolution_authorises_nothing_from_its_revocation(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock, matter(1, cap=5_000_000))
    for i in range(1, 13):
        vote(w.ledger, ballot, i, "agree")
    resolution_id = close(w, clock, ballot).results[0]["resolution_id"]
    clock.set_today(date(2027, 1, 10))
    w.income(500_000_000, on=date(2027, 1, 10))
    w.ledger.revoke_resolution(UUID(resolution_id), revoked_on=date(2027, 1, 10),
                               judgment=SCAN, actor=REGULATOR)  # fmt: skip
    with pytest.raises(AuthorisationMissing, match="revoked by a court"):
        w.propose(_spending(resolution_id, on=date(2027, 1, 10)))


def test_a_sold_but_undelivered_unit_counts_with_the_developer_for_headcount(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    for unit in ("1-010", "1-011", "1-012"):
        w.ledger.record_delivery(w.complex_id, unit, delivered=False, actor=OPERATOR)
    assert w.ledger.complex(w.complex_id).headcount_key("1-010") == "developer"
    ballot = opened(w, clock)
    count = count_matter(w.ledger.read(ballot, Ballot), 1).without_deemed
    assert count.scope_heads == 10  # nine owners and the developer once


def test_deemed_votes_count_only_served_units_and_both_counts_are_kept(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock, deemed=True)
    for i in range(1, 8):  # 7 of 12 vote: participation 7/12 < 2/3
        vote(w.ledger, ballot, i, "agree")
    w.ledger.serve_ballot(ballot, ["1-008", "1-009"], how="paper", evidence=SCAN,
                          actor=member_actor("m1"))  # fmt: skip
    found = close(w, clock, ballot)
    result = found.results[0]
    assert not result["passed_without_deemed"]
    assert result["passed_with_deemed"]  # 9 of 12 with the two served units deemed agreeing
    assert result["deemed_units"] == 2
    assert result["passed"]


def test_the_street_office_announces_only_a_first_election(sealed_world: World) -> None:
    with pytest.raises(InvalidState, match="first election"):
        sealed_world.ledger.announce_ballot(
            sealed_world.complex_id, idempotency_key="street", title="首次业主大会",
            matters=[matter(3)], notice_on=TODAY, opens_at=OPENS, closes_at=CLOSES,
            actor=REGULATOR,
        )  # fmt: skip


def test_a_member_out_of_office_cannot_open_a_ballot(
    sealed_world: World, clock: MovableClock
) -> None:
    ballot = announce(sealed_world)
    at(clock, OPENS)
    with pytest.raises(MemberNotInOffice):
        sealed_world.ledger.open_ballot(ballot, actor=member_actor("m9"))


def test_closing_twice_records_one_set_of_resolutions(
    sealed_world: World, clock: MovableClock
) -> None:
    w = sealed_world
    ballot = opened(w, clock, matter(1), matter(6))
    vote(w.ledger, ballot, 1, "agree")
    close(w, clock, ballot)
    again = w.ledger.close_ballot(ballot, actor=member_actor("m2"))
    assert again.replayed
    found = w.ledger.read(ballot, Ballot)
    assert [r["item"] for r in found.results] == [1, 6]
    resolutions = w.ledger.complex(w.complex_id).resolution_ids
    assert sum(1 for r in found.results if r["resolution_id"] in resolutions) == 2


def _spending(resolution_id: str, *, on: date) -> ExpenditureDetails:
    return ExpenditureDetails(
        category="repairs",
        payee=COMPANY,
        method="transfer",
        amount=1_000_000,
        purpose="2027年度公共收益预算",
        value_date=on,
        authorisation_kind="resolution",
        authorisation_id=resolution_id,
        contract_ref="HT-2027-01",
    )
