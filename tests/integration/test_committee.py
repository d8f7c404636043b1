"""H14 committee shape and order; succession; decisions (H05's majority of members in office)."""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.committees.committee import Member
from ledger.errors import (
    CommitteeNotFiled,
    CommitteeOutOfOrder,
    CommitteeShapeInvalid,
    FilingDeadlinePassed,
    InvalidCommand,
    InvalidState,
)
from ledger.personal import shown
from tests.plugins.builders import OPERATOR, elect, file_and_seal, members, register
from tests.plugins.clock import TODAY

# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


ELECTED = TODAY - timedelta(days=40)


@pytest.mark.parametrize("count", [5, 7, 9, 11])
def test_committee_of_five_to_eleven_odd_members_is_elected(ledger: Ledger, count: int) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED, team=members(count))
    assert len(ledger.committee(committee_id).members) == count


@pytest.mark.parametrize("count", [3, 4, 6, 10, 13])
def test_committee_of_wrong_size_is_refused(ledger: Ledger, count: int) -> None:
    complex_id, unit_ids = register(ledger)
    with pytest.raises(CommitteeShapeInvalid) as refused:
        elect(ledger, complex_id, unit_ids, elected_on=ELECTED, team=members(count))
    assert refused.value.rule == "H14"


def test_a_five_year_term_counts_the_election_day_and_ends_the_day_before_its_anniversary(
    ledger: Ledger,
) -> None:
    """H14: elected on 2021-06-01, a five-year term lasts at the latest until 2026-05-31."""
    complex_id, unit_ids = register(ledger)
    elected_on = date(2021, 6, 1)
    for n, too_long in enumerate((date(2026, 6, 1), date(2026, 6, 2))):
        with pytest.raises(CommitteeShapeInvalid, match="by 2026-05-31") as refused:
            elect(
                ledger, complex_id, unit_ids, key_=f"long-{n}", elected_on=elected_on,
                term_end=too_long,
            )  # fmt: skip
        assert refused.value.rule == "H14"
    before = elect(
        ledger, complex_id, unit_ids, key_="before", elected_on=elected_on,
        term_end=date(2026, 5, 30),
    )  # fmt: skip
    longest = elect(
        ledger, complex_id, unit_ids, key_="longest", elected_on=elected_on,
        term_end=date(2026, 5, 31),
    )  # fmt: skip
    assert ledger.committee(before).term_end == "2026-05-30"
    assert ledger.committee(longest).term_end == "2026-05-31"


def test_a_term_from_29_february_may_last_until_28_february_five_years_on(ledger: Ledger) -> None:
    """The day before the election day, five years on: 2024-02-28 + 5 years = 2029-02-28."""
    complex_id, unit_ids = register(ledger)
    leap = date(2024, 2, 29)
    with pytest.raises(CommitteeShapeInvalid, match="by 2029-02-28"):
        elect(ledger, complex_id, unit_ids, key_="long", elected_on=leap, term_end=date(2029, 3, 1))
    longest = elect(ledger, complex_id, unit_ids, elected_on=leap, term_end=date(2029, 2, 28))
    assert ledger.committee(longest).term_end == "2029-02-28"


def test_election_needs_a_passed_matter_three_resolution(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    failed = ledger.record_resolution(
        complex_id,
        idempotency_key="r",
        matter=3,
        purpose="选举",
        amount_cap=None,
        period_from=ELECTED,
        period_to=ELECTED,
        scope_units=None,
        participated=unit_ids[:7],
        consented=unit_ids[:7],
        closed_on=ELECTED,
        actor=OPERATOR,
    )
    assert failed.status == "failed"  # 7 of 12 < 2/3 participation
    with pytest.raises(InvalidCommand, match="not a passed resolution"):
        ledger.elect_committee(
            complex_id,
            election_resolution_id=UUID(failed.id),
            elected_on=ELECTED,
            term_end=ELECTED + timedelta(days=900),
            members=members(),
            actor=OPERATOR,
        )


def test_seal_before_filing_is_refused_and_says_what_is_missing(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED)
    with pytest.raises(CommitteeNotFiled, match="record the filing before the seal") as refused:
        ledger.seal_committee(committee_id, seal_number="S", sealed_on=TODAY, actor=OPERATOR)
    assert refused.value.rule == "H14"


def test_filing_on_the_thirtieth_day_is_accepted_and_the_thirty_first_refused(
    ledger: Ledger,
) -> None:
    complex_id, unit_ids = register(ledger)
    late = elect(ledger, complex_id, unit_ids, key_="a", elected_on=ELECTED)
    with pytest.raises(FilingDeadlinePassed):
        ledger.file_committee(
            late,
            number="F",
            authority="区住建局",
            filed_on=ELECTED + timedelta(days=31),
            actor=OPERATOR,
        )
    on_time = elect(ledger, complex_id, unit_ids, key_="b", elected_on=ELECTED)
    receipt = ledger.file_committee(
        on_time,
        number="F",
        authority="区住建局",
        filed_on=ELECTED + timedelta(days=30),
        actor=OPERATOR,
    )
    assert receipt.status == "filed"


def test_a_later_election_supersedes_the_previous_committee(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    first = elect(ledger, complex_id, unit_ids, key_="first", elected_on=ELECTED)
    file_and_seal(ledger, first, ELECTED)
    second = elect(
        ledger, complex_id, unit_ids, key_="second", elected_on=TODAY, team=members(7, tag="b")
    )
    assert ledger.committee(first).status == "superseded"
    assert ledger.committee(first).successor_id == str(second)
    assert ledger.complex(complex_id).current_committee_id == str(second)


def test_member_changes_need_refiling_and_cannot_exceed_the_seats(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED)
    file_and_seal(ledger, committee_id, ELECTED)
    ledger.change_members(committee_id, added=[], removed=["m5"], changed_on=TODAY, actor=OPERATOR)
    committee = ledger.committee(committee_id)
    assert "m5" not in committee.members
    assert committee.refiling_due == (TODAY + timedelta(days=30)).isoformat()
    with pytest.raises(CommitteeShapeInvalid, match="seats"):
        ledger.change_members(
            committee_id, added=members(2, tag="x"), removed=[], changed_on=TODAY, actor=OPERATOR
        )
    ledger.file_committee(
        committee_id, number="F-2", authority="区住建局", filed_on=TODAY, actor=OPERATOR
    )
    assert ledger.committee(committee_id).refiling_due is None


def test_a_member_change_is_filed_again_by_its_thirtieth_day_not_later(ledger: Ledger) -> None:
    """Changed on 2026-10-01 (not counted), the 30th day is 2026-10-31: filed then, or too late."""
    committees = []
    for code in ("QD-ON-TIME", "QD-LATE"):
        complex_id, unit_ids = register(ledger, code)
        committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED)
        file_and_seal(ledger, committee_id, ELECTED)
        ledger.change_members(
            committee_id, added=[], removed=["m5"], changed_on=date(2026, 10, 1), actor=OPERATOR
        )
        committees.append(committee_id)
    on_time, late = committees
    assert ledger.committee(late).refiling_due == "2026-10-31"
    with pytest.raises(FilingDeadlinePassed, match="by 2026-10-31"):
        ledger.file_committee(
            late, number="F-2", authority="区住建局", filed_on=date(2026, 11, 1), actor=OPERATOR
        )
    receipt = ledger.file_committee(
        on_time, number="F-2", authority="区住建局", filed_on=date(2026, 10, 31), actor=OPERATOR
    )
    assert receipt.status == "sealed"


def test_a_decision_is_approved_only_by_more_than_half_of_members_in_office(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED)
    file_and_seal(ledger, committee_id, ELECTED)
    two = ledger.record_decision(
        committee_id,
        idempotency_key="d1",
        purpose="保洁",
        amount_cap=100,
        decided_on=TODAY,
        approvers=["m1", "m2"],
        actor=OPERATOR,
    )
    three = ledger.record_decision(
        committee_id,
        idempotency_key="d2",
        purpose="保洁",
        amount_cap=100,
        decided_on=TODAY,
        approvers=["m1", "m2", "m3"],
        actor=OPERATOR,
    )
    assert (two.status, three.status) == ("not_approved", "approved")


def test_the_seal_cannot_predate_the_filing_nor_a_decision_the_election(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    committee_id = elect(ledger, complex_id, unit_ids, elected_on=ELECTED)
    ledger.file_committee(
        committee_id,
        number="F",
        authority="区住建局",
        filed_on=ELECTED + timedelta(days=10),
        actor=OPERATOR,
    )
    with pytest.raises(CommitteeOutOfOrder, match="after the filing"):
        ledger.seal_committee(
            committee_id, seal_number="S", sealed_on=ELECTED + timedelta(days=9), actor=OPERATOR
        )
    with pytest.raises(InvalidCommand, match="predate"):
        ledger.record_decision(
            committee_id,
            idempotency_key="d",
            purpose="保洁",
            amount_cap=1,
            decided_on=ELECTED - timedelta(days=1),
            approvers=["m1", "m2", "m3"],
            actor=OPERATOR,
        )
    with pytest.raises(InvalidCommand, match="future"):
        ledger.seal_committee(
            committee_id, seal_number="S", sealed_on=TODAY + timedelta(days=1), actor=OPERATOR
        )


def test_handover_follows_succession_not_a_committee_in_office(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    first = elect(ledger, complex_id, unit_ids, key_="first", elected_on=ELECTED)
    file_and_seal(ledger, first, ELECTED)
    with pytest.raises(InvalidState, match="in office until"):
        ledger.hand_over(first, on=TODAY, actor=OPERATOR)
    elect(ledger, complex_id, unit_ids, key_="second", elected_on=TODAY, team=members(5, tag="b"))
    ledger.hand_over(first, on=TODAY, actor=OPERATOR)
    assert ledger.committee(first).handed_over_on == TODAY.isoformat()


def test_a_member_without_an_identity_key_is_sealed_to_their_name(ledger: Ledger) -> None:
    """A member recorded without an identity key is still a person: their name is sealed to
    the keyed hash of the name (as a party's is), not refused with an error (the maintenance
    benchmark's committee, seated without keys, failed with a ValueError)."""
    complex_id, unit_ids = register(ledger, "QD-SN-0099")
    team = [Member(**{**m, "identity_key": ""}) if m["member_id"] == "m1" else m for m in members()]
    committee_id = elect(ledger, complex_id, unit_ids, team=team)
    stored = ledger.committee(committee_id).members["m1"]
    assert stored["name"].startswith("pd1:")
    assert shown(ledger.personal, stored["name"]) == "委员1"
