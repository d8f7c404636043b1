"""An owner's notices (issue #16, A19), in memory: which ballots concern their units and how
urgently, and which of their units are below the replenishment line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from uuid import uuid4

from api.notices import replenishments, worded
from ledger.complexes.complex import Complex, Unit
from ledger.voting.ballot import Ballot, ClosingFacts, Matter, Scope, ScopeKind, VoteRecord
from ledger.voting.notices import CLOSING_SOON, ballot_notice, ordered
from projections.maintenance.queries import UnitLedger
from tests.plugins.builders import key

CST = timezone(timedelta(hours=8))
OPENS = datetime(2026, 12, 11, 9, 0, tzinfo=CST)
CLOSES = datetime(2026, 12, 18, 18, 0, tzinfo=CST)
DURING = OPENS + timedelta(days=1)  # six days and more before closing
LAST_DAY = CLOSES - timedelta(hours=20)  # within the 48 hours
ALICE, BOB = key("alice"), key("bob")
# alice holds 1-001 and 2-001, bob 1-002; 3-001 is the developer's
ALICES = ["1-001", "2-001"]


def complex_() -> Complex:
    made = Complex.register(
        uuid4(), code="QD-NOTICES", name="海湾花园", district="370202", street="370202001",
        community="370202001001", principal="operator", value_date="2026-11-01",
    )  # fmt: skip
    units = {
        "1-001": Unit(building="1", area=9_000, owner_key=ALICE, developer_held=False),
        "1-002": Unit(building="1", area=9_000, owner_key=BOB, developer_held=False),
        "2-001": Unit(building="2", area=12_000, owner_key=ALICE, developer_held=False),
        "3-001": Unit(building="3", area=12_000, owner_key="", developer_held=True),
    }
    made.add_units(units, principal="operator", value_date="2026-11-01")
    return made


def matter(item: int = 1, kind: ScopeKind = "all", **scope: list[str]) -> Matter:
    return Matter(
        item=item, question="是否同意续聘物业服务企业？", documents=[],
        scope=Scope(kind=kind, buildings=scope.get("buildings", []), units=scope.get("units", [])),
        purpose="", amount_cap=None, period_from=None, period_to=None, budget_category=None,
    )  # fmt: skip


def ballot(c: Complex, *matters: Matter, opened: bool = True) -> Ballot:
    made = Ballot.announce(
        uuid4(), c, title="2026年第二次业主大会", matters=list(matters) or [matter()],
        notice_on=OPENS.date() - timedelta(days=20), opens_at=OPENS, closes_at=CLOSES,
        deemed_votes=False, counting_rule="signed_later", objection_days=7, notice_days=15,
        principal="m1",
    )  # fmt: skip
    if opened:
        made.open(c, now=OPENS, principal="m1", value_date=OPENS.date().isoformat())
    return made


def cast(b: Ballot, unit: str, number: int = 1) -> None:
    record = VoteRecord(
        unit=unit, matter=number, choice="agree", channel="electronic",
        signed_at=DURING.isoformat(), nonce="0f" * 16, receipt="ab" * 32, by="owner", device=None,
    )  # fmt: skip
    b.cast([record], now=DURING, principal="owner", value_date=DURING.date().isoformat())


def test_an_open_ballot_is_a_notice_with_its_closing_time_and_the_owners_units() -> None:
    c = complex_()
    found = ballot_notice(ballot(c), c, ALICES, DURING)
    assert found is not None
    assert (found.kind, found.units, found.voted) == ("ballot_opened", tuple(ALICES), False)
    assert found.closes_at == CLOSES.isoformat()
    shown = worded(found, DURING)
    assert shown.link == f"/ballots/{found.ballot_id}/vote"
    assert (shown.headline, "2026年12月18日 18:00截止" in shown.text) == ("投票已开始", True)


def test_a_ballot_closing_within_48_hours_unvoted_is_the_reminder() -> None:
    c = complex_()
    b = ballot(c)
    found = ballot_notice(b, c, ALICES, LAST_DAY)
    assert found is not None
    assert found.kind == "ballot_closing"
    assert worded(found, LAST_DAY).headline == "投票即将截止"
    at_the_edge = ballot_notice(b, c, ALICES, CLOSES - CLOSING_SOON)
    assert at_the_edge is not None
    assert at_the_edge.kind == "ballot_closing"  # exactly 48 hours before: the reminder
    just_before = ballot_notice(b, c, ALICES, CLOSES - CLOSING_SOON - timedelta(seconds=1))
    assert just_before is not None
    assert just_before.kind == "ballot_opened"


def test_an_owner_who_voted_everything_gets_no_reminder_but_still_the_open_ballot() -> None:
    c = complex_()
    b = ballot(c, matter(), matter(2))
    for unit in ALICES:
        cast(b, unit, 1)
    cast(b, "1-001", 2)
    half = ballot_notice(b, c, ALICES, LAST_DAY)
    assert half is not None
    assert (half.kind, half.voted) == ("ballot_closing", False)  # 2-001 has not voted matter 2
    cast(b, "2-001", 2)
    done = ballot_notice(b, c, ALICES, LAST_DAY)
    assert done is not None
    assert (done.kind, done.voted) == ("ballot_opened", True)
    assert "您已投票" in worded(done, LAST_DAY).text


def test_a_vote_counts_only_for_the_matters_a_unit_is_in_scope_of() -> None:
    c = complex_()
    b = ballot(c, matter(), matter(5, "buildings", buildings=["1"]))  # matter 2: building 1 only
    cast(b, "1-001", 1)
    cast(b, "1-001", 2)
    cast(b, "2-001", 1)  # 2-001 has no vote to give on matter 2
    found = ballot_notice(b, c, ALICES, LAST_DAY)
    assert found is not None
    assert (found.kind, found.voted) == ("ballot_opened", True)


def test_closed_and_counting_ballots_give_nothing() -> None:
    c = complex_()
    b = ballot(c)
    assert ballot_notice(b, c, ALICES, CLOSES) is None  # past closing, not counted yet
    facts = ClosingFacts(complex_id=str(c.id), votes=0, devices={}, late={}, counted=0,
                         counted_paper=0, owner_changed=[], flipped=[])  # fmt: skip
    b.close([], facts, now=CLOSES, principal="m1")
    assert ballot_notice(b, c, ALICES, CLOSES + timedelta(days=1)) is None  # counted
    never_opened = ballot(c, opened=False)
    assert ballot_notice(never_opened, c, ALICES, CLOSES + timedelta(days=1)) is None


def test_a_ballot_whose_scope_holds_none_of_the_owners_units_gives_nothing() -> None:
    c = complex_()
    b = ballot(c, matter(5, "units", units=["1-002"]))
    assert ballot_notice(b, c, ALICES, LAST_DAY) is None
    bobs = ballot_notice(b, c, ["1-002"], LAST_DAY)
    assert bobs is not None
    assert bobs.units == ("1-002",)
    only_1 = ballot_notice(ballot(c, matter(5, "buildings", buildings=["2"])), c, ALICES, DURING)
    assert only_1 is not None
    assert only_1.units == ("2-001",)


def test_an_announced_ballot_tells_when_voting_starts() -> None:
    c = complex_()
    b = ballot(c, matter(5, "buildings", buildings=["1"]), opened=False)
    found = ballot_notice(b, c, ALICES, OPENS - timedelta(days=3))
    assert found is not None
    assert (found.kind, found.units) == ("ballot_announced", ("1-001",))
    shown = worded(found, OPENS - timedelta(days=3))
    assert shown.headline == "投票将于2026年12月11日 09:00开始"
    assert ballot_notice(b, c, ["2-001"], OPENS - timedelta(days=3)) is None


def test_notices_come_reminders_first_then_open_then_announced() -> None:
    c = complex_()
    announced, voted, unvoted = ballot(c, opened=False), ballot(c), ballot(c)
    for unit in ALICES:
        cast(voted, unit)
    found = ordered(ballot_notice(b, c, ALICES, LAST_DAY) for b in (announced, voted, unvoted))
    assert [n.kind for n in found] == ["ballot_closing", "ballot_opened", "ballot_announced"]
    assert [n.ballot_id for n in found] == [str(unvoted.id), str(voted.id), str(announced.id)]
    # past its opening time and still not opened by the committee: said so, not "will start"
    assert worded(found[2], LAST_DAY).headline == "投票尚未开启"


def ledger_of(balance: int, first: int) -> UnitLedger:
    return UnitLedger("1", balance, first, 2, [])


def test_a19_a_unit_below_the_replenishment_line_is_a_notice_with_its_balance_and_line() -> None:
    found = replenishments("c1", {"1-001": ledger_of(29_999, 100_000)}, 3_000)
    assert [(n.kind, n.units, n.balance, n.replenishment_line) for n in found] == [
        ("replenishment", ["1-001"], "299.99", "300.00")
    ]
    assert found[0].link == "/owner/units/1-001"
    assert found[0].headline == "维修资金余额低于续筹线，请续交"
    assert "299.99" in found[0].text
    assert "300.00" in found[0].text


def test_a19_a_unit_exactly_at_the_line_or_with_no_first_deposit_is_no_notice() -> None:
    ledgers = {"1-001": ledger_of(30_000, 100_000), "1-002": ledger_of(0, 0), "2-001": None}
    assert replenishments("c1", ledgers, 3_000) == []


def test_a19_the_notices_text_separates_thousands_as_the_owners_pages_do() -> None:
    (found,) = replenishments("c1", {"1-001": ledger_of(129_999_99, 500_000_00)}, 3_000)
    assert (found.balance, found.replenishment_line) == ("129999.99", "150000.00")  # for machines
    assert "余额 129,999.99 元，低于续筹线 150,000.00 元" in found.text
