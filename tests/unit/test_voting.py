"""H04: resolution outcomes by area and headcount, against a straightforward reference."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from ledger.committees.voting import Voter, tally


def scope_of(n: int, area: int = 100) -> dict[str, Voter]:
    return {f"u{i:02d}": Voter(area=area, headcount_key=f"owner{i}") for i in range(n)}


def ids(n: int) -> list[str]:
    return [f"u{i:02d}" for i in range(n)]


def test_participation_of_exactly_two_thirds_passes_the_participation_test() -> None:
    outcome = tally(1, scope_of(9), ids(6), ids(4))
    assert outcome.participation_met
    assert outcome.passed


def test_participation_just_below_two_thirds_fails() -> None:
    scope = scope_of(9)
    scope["u08"] = Voter(area=101, headcount_key="owner8")  # area: 600 of 901 < 2/3
    assert not tally(1, scope, ids(6), ids(6)).participation_met


def test_consent_of_exactly_half_fails_a_simple_majority_matter() -> None:
    outcome = tally(5, scope_of(8), ids(8), ids(4))
    assert outcome.participation_met
    assert not outcome.consent_met


def test_consent_of_exactly_three_quarters_passes_matters_six_to_eight() -> None:
    for matter in (6, 7, 8):
        assert tally(matter, scope_of(8), ids(8), ids(6)).passed
        assert not tally(matter, scope_of(8), ids(8), ids(5)).passed


def test_an_owner_of_several_units_counts_once_in_headcount_but_each_area_counts() -> None:
    scope = scope_of(6)
    for u in ("u00", "u01", "u02"):
        scope[u] = Voter(area=100, headcount_key="big-owner")
    # Heads: big-owner + owner3..5 = 4; area 600.
    outcome = tally(1, scope, ["u00", "u01", "u02", "u03"], ["u00", "u01", "u02", "u03"])
    assert outcome.scope_heads == 4
    assert outcome.participating_heads == 2
    assert outcome.participating_area == 400
    assert not outcome.participation_met  # 2 of 4 heads < 2/3 although area 4/6 = 2/3


def test_all_developer_units_count_once() -> None:
    scope = scope_of(4)
    for i in range(4, 10):
        scope[f"u{i:02d}"] = Voter(area=100, headcount_key="developer")
    outcome = tally(1, scope, ids(10), ids(10))
    assert outcome.scope_heads == 5


def reference(matter: int, scope: dict[str, Voter], part: set[str], agree: set[str]) -> bool:
    owners: dict[str, list[str]] = {}
    for u, v in scope.items():
        owners.setdefault(v.headcount_key, []).append(u)
    heads_part = [o for o, us in owners.items() if any(u in part for u in us)]
    heads_agree = [o for o in heads_part if all(u in agree for u in owners[o] if u in part)]
    area = Fraction(sum(v.area for v in scope.values()))
    a_part = Fraction(sum(scope[u].area for u in part))
    a_agree = Fraction(sum(scope[u].area for u in agree))
    participation = a_part / area >= Fraction(2, 3) and Fraction(
        len(heads_part), len(owners)
    ) >= Fraction(2, 3)
    if not heads_part:
        return False
    if matter in (6, 7, 8):
        consent = a_agree / a_part >= Fraction(3, 4) and Fraction(
            len(heads_agree), len(heads_part)
        ) >= Fraction(3, 4)
    else:
        consent = a_agree / a_part > Fraction(1, 2) and Fraction(
            len(heads_agree), len(heads_part)
        ) > Fraction(1, 2)
    return participation and consent


@st.composite
def tallies(draw: st.DrawFn) -> tuple[int, dict[str, Voter], set[str], set[str]]:
    n = draw(st.integers(min_value=1, max_value=30))
    owners = draw(st.integers(min_value=1, max_value=n))
    scope = {
        f"u{i:02d}": Voter(
            area=draw(st.integers(min_value=1, max_value=20_000)),
            headcount_key=draw(st.sampled_from(["developer", *[f"o{j}" for j in range(owners)]])),
        )
        for i in range(n)
    }
    part = {u for u in scope if draw(st.booleans())}
    agree = {u for u in part if draw(st.booleans())}
    return draw(st.integers(min_value=1, max_value=9)), scope, part, agree


@given(tallies())
def test_outcomes_match_a_reference_computation_on_random_tallies(
    case: tuple[int, dict[str, Voter], set[str], set[str]],
) -> None:
    matter, scope, part, agree = case
    assert tally(matter, scope, part, agree).passed == reference(matter, scope, part, agree)
