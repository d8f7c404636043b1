"""Issue #16: the tally of a matter by art. 278 from the register and the votes alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidCommand, InvalidDate
from ledger.voting.register import Choice, DeveloperState, UnitRecord, Vote
from ledger.voting.tally import by_building, tally_matter

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
M2 = 100  # one m² in hundredths


def unit(n: int, area: int = 100 * M2, **kw: object) -> UnitRecord:
    fields: dict[str, object] = {
        "building": "1",
        "owner_key": f"owner{n}",
        "state": "sold_delivered",
        "registered_area": area,
    }
    fields.update(kw)
    return UnitRecord(f"u{n}", **fields)  # type: ignore[arg-type]


def vote(n: int, choice: Choice, at: int = 0, channel: str = "electronic") -> Vote:
    return Vote(f"u{n}", choice, channel, T0 + timedelta(minutes=at), f"nonce{n}-{at}")  # type: ignore[arg-type]


def votes(
    agree: Sequence[int], disagree: Sequence[int] = (), abstain: Sequence[int] = ()
) -> list[Vote]:
    return (
        [vote(n, "agree") for n in agree]
        + [vote(n, "disagree") for n in disagree]
        + [vote(n, "abstain") for n in abstain]
    )


def test_matter_five_participation_at_two_thirds_passes_and_one_m2_under_fails() -> None:
    register = [unit(n) for n in range(6)]
    at = tally_matter(5, register, votes([0, 1, 2, 3]), deemed_apply=False)
    assert at.passed
    assert at.binding.area_to_participate == 0
    register[0] = unit(0, area=99 * M2)
    under = tally_matter(5, register, votes([0, 1, 2, 3]), deemed_apply=False).binding
    assert not under.participation_met  # 399 of 599 m² < 2/3
    assert under.area_to_participate == 34  # 3 · 39,934 ≥ 2 · 59,900


def test_matter_five_participation_one_unit_under_two_thirds_fails() -> None:
    count = tally_matter(5, [unit(n) for n in range(6)], votes([0, 1, 2]), deemed_apply=False)
    assert not count.passed
    assert count.binding.heads_to_participate == 1


def test_matter_five_consent_at_exactly_half_fails_and_one_unit_more_passes() -> None:
    register = [unit(n) for n in range(6)]
    half = tally_matter(5, register, votes([0, 1, 2], [3, 4, 5]), deemed_apply=False).binding
    assert half.participation_met
    assert not half.consent_met  # 3 of 6 heads and of the area is not more than half
    assert (half.area_to_consent, half.heads_to_consent) == (1, 1)
    over = tally_matter(5, register, votes([0, 1, 2, 3], [4, 5]), deemed_apply=False).binding
    assert over.consent_met
    assert over.consent == Fraction(1, 2)
    assert over.consent_strict


def test_matter_five_consent_of_exactly_half_the_area_fails_and_one_m2_more_passes() -> None:
    register = [unit(n, area=50 * M2) for n in range(4)] + [unit(4), unit(5)]
    half = tally_matter(5, register, votes([0, 1, 2, 3], [4, 5]), deemed_apply=False)
    assert half.binding.consenting_heads == 4
    assert not half.passed  # 200 of 400 m²
    register[0] = unit(0, area=51 * M2)
    assert tally_matter(5, register, votes([0, 1, 2, 3], [4, 5]), deemed_apply=False).passed


def test_matter_six_consent_at_exactly_three_quarters_passes_and_one_unit_less_fails() -> None:
    register = [unit(n) for n in range(8)]
    at = tally_matter(6, register, votes(range(6), [6, 7]), deemed_apply=False).binding
    assert at.passed
    assert at.consent == Fraction(3, 4)
    assert not at.consent_strict
    assert (at.area_to_consent, at.heads_to_consent) == (0, 0)
    under = tally_matter(6, register, votes(range(5), [5, 6, 7]), deemed_apply=False).binding
    assert not under.passed
    assert under.heads_to_consent == 4  # 4 · (5 + 4) ≥ 3 · (8 + 4)


def test_matter_six_consent_one_m2_under_three_quarters_of_the_area_fails() -> None:
    register = [unit(n) for n in range(8)]
    register[0] = unit(0, area=99 * M2)
    count = tally_matter(6, register, votes(range(6), [6, 7]), deemed_apply=False).binding
    assert count.consenting_heads == 6
    assert not count.passed  # 4 · 599 < 3 · 799 m²
    assert count.area_to_consent == M2  # new agreeing area x: 4 · (59,900 + x) ≥ 3 · (79,900 + x)


def test_an_owner_of_several_units_counts_once_and_a_split_vote_is_not_their_consent() -> None:
    register = [unit(n, owner_key="big") for n in range(3)] + [unit(n) for n in range(3, 6)]
    count = tally_matter(1, register, votes([0, 1, 3, 4], [2]), deemed_apply=False).binding
    assert count.scope_heads == 4
    assert count.participating_heads == 3
    assert count.consenting_heads == 2  # "big" agreed on two units and disagreed on one
    assert count.consenting_area == 400 * M2  # each unit's area counts as it voted
    assert dict(count.units) == {"agree": 4, "disagree": 1, "abstain": 0}


def test_the_developers_unsold_and_undelivered_units_count_once_together() -> None:
    register = (
        [unit(n) for n in range(3)]
        + [unit(n, owner_key="", state="unsold") for n in range(3, 6)]
        + [unit(n, owner_key=f"buyer{n}", state="sold_undelivered") for n in range(6, 8)]
    )
    count = tally_matter(1, register, votes([0, 1, 3]), deemed_apply=False).binding
    assert count.scope_heads == 4  # three owners and the developer
    assert count.participating_heads == 3  # owner0, owner1 and the developer through u3
    assert count.participating_area == 300 * M2


def test_area_is_registered_else_surveyed_else_contract() -> None:
    registered = UnitRecord("a", "1", "k1", "sold_delivered", 9000, 9100, 9200)
    surveyed = UnitRecord("b", "1", "k2", "sold_delivered", None, 8100, 8200)
    contract = UnitRecord("c", "1", "k3", "sold_delivered", None, None, 7200)
    assert [u.area for u in (registered, surveyed, contract)] == [
        ("registered", 9000),
        ("surveyed", 8100),
        ("contract", 7200),
    ]
    count = tally_matter(1, [registered, surveyed, contract], [], deemed_apply=False).binding
    assert count.scope_area == 9000 + 8100 + 7200
    with pytest.raises(InvalidCommand):
        UnitRecord("d", "1", "k4", "sold_delivered")


def test_deemed_votes_count_only_delivered_units_whose_delivery_is_recorded() -> None:
    register = [
        *(unit(n) for n in range(3)),
        unit(3, served=True),
        unit(4, served=False),
        unit(5, owner_key="", state="unsold", served=True),
        unit(6, owner_key="b6", state="sold_undelivered", served=True),
    ]
    result = tally_matter(5, register, votes([0, 1], [2]), deemed_apply=True)
    assert result.deemed_choice == "agree"
    assert result.deemed_units == ("u3",)
    assert not result.without_deemed.participation_met  # 3 of 6 heads
    assert result.with_deemed.participating_heads == 4
    assert result.with_deemed.consenting_heads == 3
    assert result.binding is result.with_deemed


def test_deemed_votes_can_flip_the_result_and_both_counts_are_kept() -> None:
    register = [unit(n) for n in range(3)] + [unit(n, served=True) for n in range(3, 6)]
    applied = tally_matter(5, register, votes([0, 1, 2]), deemed_apply=True)
    assert applied.passed
    assert not applied.without_deemed.passed
    refused = tally_matter(5, register, votes([0, 1, 2]), deemed_apply=False)
    assert not refused.passed
    assert refused.with_deemed.passed  # shown, not binding


def test_nobody_is_deemed_when_no_choice_has_a_majority_of_both_area_and_heads() -> None:
    register = [unit(n) for n in range(4)] + [unit(n, served=True) for n in range(4, 6)]
    result = tally_matter(5, register, votes([0, 1], [2, 3]), deemed_apply=True)
    assert result.deemed_choice is None
    assert result.deemed_units == ()
    assert result.with_deemed == result.without_deemed


def test_with_a_majority_but_nobody_served_the_count_with_deemed_votes_is_the_count_without() -> (
    None
):
    """Nobody to deem (every unit voted, or none was served): the count is not made twice, which
    is half the time of a 10,000-unit tally (bench/voting.py --tally-only)."""
    register = [unit(n) for n in range(6)]
    result = tally_matter(5, register, votes([0, 1, 2, 3], [4]), deemed_apply=True)
    assert result.deemed_choice == "agree"
    assert result.deemed_units == ()
    assert result.with_deemed is result.without_deemed
    assert result.binding.participating_heads == 5


def test_a_changed_vote_counts_as_last_signed_whatever_the_order_recorded() -> None:
    register = [unit(n) for n in range(3)]
    changed = [
        vote(0, "disagree", at=5),
        vote(0, "agree", at=1),
        vote(1, "agree"),
        vote(2, "agree"),
    ]
    count = tally_matter(5, register, changed, deemed_apply=False).binding
    assert dict(count.units) == {"agree": 2, "disagree": 1, "abstain": 0}
    assert count.participating_heads == 3


def test_paper_and_electronic_for_one_unit_the_later_signed_counts_unless_the_rule_says_otherwise() -> (
    None
):
    register = [unit(0), unit(1)]
    both = [vote(0, "agree", at=1), vote(0, "disagree", at=2, channel="paper"), vote(1, "agree")]
    assert not tally_matter(5, register, both, deemed_apply=False).passed

    def electronic_first(theirs: Sequence[Vote]) -> Vote:
        online = [v for v in theirs if v.channel == "electronic"]
        return max(online or theirs, key=lambda v: v.signed_at)

    assert tally_matter(5, register, both, deemed_apply=False, rule=electronic_first).passed


def test_abstentions_take_part_but_do_not_consent() -> None:
    register = [unit(n) for n in range(6)]
    count = tally_matter(5, register, votes([0, 1, 2], abstain=[3]), deemed_apply=False).binding
    assert count.participation_met
    assert count.participating_heads == 4
    assert count.consenting_heads == 3
    assert count.passed
    assert not tally_matter(5, register, votes([0, 1], [2], [3]), deemed_apply=False).passed


def test_the_live_view_by_building_counts_each_buildings_units_and_the_deemed_votes() -> None:
    register = [unit(n, building="1") for n in range(3)] + [
        unit(n, building="2", served=True) for n in range(3, 6)
    ]
    view = by_building(5, register, votes([0, 1, 2, 3]), deemed_apply=True)
    assert list(view) == ["1", "2"]
    assert view["1"].passed
    assert (view["2"].participating_heads, view["2"].consenting_heads) == (3, 3)  # u4, u5 deemed
    plain = by_building(5, register, votes([0, 1, 2, 3]), deemed_apply=False)["2"]
    assert (plain.participating_heads, plain.heads_to_participate) == (1, 1)
    assert sum(c.scope_area for c in view.values()) == 600 * M2


def test_a_vote_without_an_offset_or_with_an_unknown_choice_is_refused() -> None:
    with pytest.raises(InvalidDate):
        Vote("u0", "agree", "electronic", datetime(2026, 12, 1), "n")  # noqa: DTZ001
    with pytest.raises(InvalidCommand):
        Vote("u0", "yes", "electronic", T0, "n")  # type: ignore[arg-type]


def test_a_vote_outside_the_scope_or_an_unknown_matter_is_refused() -> None:
    with pytest.raises(InvalidCommand):
        tally_matter(5, [unit(0)], [vote(9, "agree")], deemed_apply=False)
    with pytest.raises(InvalidCommand):
        tally_matter(10, [unit(0)], [], deemed_apply=False)


# --- the property: the tally equals a plain reference computed with fractions -----------------


@st.composite
def registers(draw: st.DrawFn) -> list[UnitRecord]:
    records = []
    for n in range(draw(st.integers(1, 7))):
        areas = draw(st.lists(st.one_of(st.none(), st.integers(1, 4)), min_size=3, max_size=3))
        if all(a is None for a in areas):
            areas[2] = draw(st.integers(1, 4))
        states: list[DeveloperState] = [
            "sold_delivered",
            "sold_delivered",
            "sold_undelivered",
            "unsold",
        ]
        state = draw(st.sampled_from(states))
        records.append(
            UnitRecord(
                f"u{n}",
                draw(st.sampled_from("12")),
                draw(st.sampled_from(["k1", "k2", "k3"])),
                state,
                registered_area=areas[0],
                surveyed_area=areas[1],
                contract_area=areas[2],
                served=draw(st.booleans()),
            )
        )
    return records


def vote_lists(register: list[UnitRecord]) -> st.SearchStrategy[list[Vote]]:
    one = st.builds(
        Vote,
        st.sampled_from([u.unit_id for u in register]),
        st.sampled_from(["agree", "disagree", "abstain"]),
        st.sampled_from(["electronic", "paper"]),
        st.integers(0, 3).map(lambda m: T0 + timedelta(minutes=m)),
        st.text("ab", max_size=3),
    )
    return st.lists(one, max_size=10)


def reference(
    matter: int, register: list[UnitRecord], cast: list[Vote], *, deemed: bool
) -> dict[str, object]:
    area, key = {}, {}
    for u in register:
        area[u.unit_id] = next(
            a for a in (u.registered_area, u.surveyed_area, u.contract_area) if a
        )
        key[u.unit_id] = u.owner_key if u.state == "sold_delivered" else "THE DEVELOPER"
    last: dict[str, tuple[datetime, int, str]] = {}
    for i, v in enumerate(cast):
        if v.unit_id not in last or (v.signed_at, i) > last[v.unit_id][:2]:
            last[v.unit_id] = (v.signed_at, i, v.choice)
    choice = {u: c for u, (_, _, c) in last.items()}

    def heads(chosen: dict[str, str], wanted: set[str]) -> int:
        owners: dict[str, list[str]] = {}
        for u, c in chosen.items():
            owners.setdefault(key[u], []).append(c)
        return sum(1 for cs in owners.values() if set(cs) <= wanted)

    if deemed:
        p_area = sum(area[u] for u in choice)
        p_heads = heads(choice, {"agree", "disagree", "abstain"})
        for c in ("agree", "disagree", "abstain"):
            c_area = sum(area[u] for u, x in choice.items() if x == c)
            if Fraction(c_area) > Fraction(p_area, 2) and Fraction(heads(choice, {c})) > Fraction(
                p_heads, 2
            ):
                for u in register:
                    if u.state == "sold_delivered" and u.served and u.unit_id not in choice:
                        choice[u.unit_id] = c
                break

    s_area = sum(area.values())
    s_heads = len(set(key.values()))
    p_area = sum(area[u] for u in choice)
    p_heads = heads(choice, {"agree", "disagree", "abstain"})
    c_area = sum(area[u] for u, x in choice.items() if x == "agree")
    c_heads = heads(choice, {"agree"})
    took_part = Fraction(p_area, s_area) >= Fraction(2, 3) and Fraction(
        p_heads, s_heads
    ) >= Fraction(2, 3)
    if p_heads == 0:
        consented = False
    elif matter in (6, 7, 8):
        consented = Fraction(c_area, p_area) >= Fraction(3, 4) and Fraction(
            c_heads, p_heads
        ) >= Fraction(3, 4)
    else:
        consented = Fraction(c_area, p_area) > Fraction(1, 2) and Fraction(
            c_heads, p_heads
        ) > Fraction(1, 2)
    return {
        "scope": (s_area, s_heads),
        "participating": (p_area, p_heads),
        "consenting": (c_area, c_heads),
        "passed": took_part and consented,
    }


@settings(max_examples=200, deadline=None)
@given(data=st.data(), matter=st.integers(1, 9))
def test_the_tally_equals_a_reference_computed_with_fractions(
    data: st.DataObject, matter: int
) -> None:
    register = data.draw(registers())
    cast = data.draw(vote_lists(register))
    result = tally_matter(matter, register, cast, deemed_apply=True)
    for count, deemed in ((result.without_deemed, False), (result.with_deemed, True)):
        assert {
            "scope": (count.scope_area, count.scope_heads),
            "participating": (count.participating_area, count.participating_heads),
            "consenting": (count.consenting_area, count.consenting_heads),
            "passed": count.passed,
        } == reference(matter, register, cast, deemed=deemed)
        assert (count.area_to_participate == 0) == (
            3 * count.participating_area >= 2 * count.scope_area
        )
        strict = matter not in (6, 7, 8)
        share = Fraction(1, 2) if strict else Fraction(3, 4)
        for have, among, needed in (
            (count.consenting_area, count.participating_area, count.area_to_consent),
            (count.consenting_heads, count.participating_heads, count.heads_to_consent),
        ):
            assert reaches(have + needed, among + needed, share, strict=strict)
            if needed > 1 or (needed == 1 and among > 0):
                assert not reaches(have + needed - 1, among + needed - 1, share, strict=strict)


def reaches(consenting: int, participating: int, share: Fraction, *, strict: bool) -> bool:
    """Plainly: do ``consenting`` of ``participating`` exceed (or reach) ``share``?"""
    if participating == 0:
        return False
    ratio = Fraction(consenting, participating)
    return ratio > share if strict else ratio >= share
