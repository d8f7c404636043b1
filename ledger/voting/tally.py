"""The tally of one matter by Civil Code art. 278, from a register and its votes alone.

The pass test is H04's, in one place: ``ledger.committees.voting.tally`` (participation ≥ 2/3 of
the scope's area AND headcount; consent among participants > 1/2 of both for items 1–5 and 9,
≥ 3/4 of both for items 6–8). This module decides what goes into it:

- **Area** (SPC interpretation on building ownership, art. 8): each unit's registered, else
  surveyed, else contract area (``UnitRecord.area``).
- **Headcount** (art. 9): one per owner identity however many units; all the developer's unsold
  and sold-but-undelivered units together count once.
- **An owner of several units who voted differently on them** takes part in headcount when any of
  their units took part, and consents in headcount only when every one of their participating
  units consented: a person is one head, and a split vote is not that person's consent. This is
  the rule the typed-in tally already applies (docs/rules.md), so both tallies agree. Area counts
  per unit whatever the owner's other units did.
- **The counted vote** of a unit is chosen by the ballot's counting rule (default: signed later).
- **Deemed votes**: a delivered unit (``sold_delivered``) whose delivery is recorded and that did
  not vote is counted with the majority of those who voted. The majority is the choice with more
  than half of the participating area AND more than half of the participating heads; when no
  choice has both, nobody is deemed. The result always carries both counts; the complex's
  procedural rules decide which one is binding.
- **Still needed**: for participation, the area and heads still to vote; for consent, the area
  and heads of new agreeing votes needed (each also joins the participants), at least one vote
  while nobody has voted. Heads assume each new vote is a new owner.

Exact arithmetic throughout: integers and ``Fraction``, no floats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ledger.committees.voting import SUPERMAJORITY_MATTERS, Voter
from ledger.committees.voting import tally as h04
from ledger.errors import InvalidCommand
from ledger.voting.register import (
    CHOICES,
    Choice,
    CountingRule,
    UnitRecord,
    Vote,
    counted_votes,
    signed_later,
)

PARTICIPATION = Fraction(2, 3)
MATTERS = range(1, 10)  # Civil Code art. 278 items 1–9


@dataclass(frozen=True, slots=True)
class Count:
    """One count of a matter: totals, who took part and consented, the thresholds, what is missing."""

    scope_area: int
    scope_heads: int
    participating_area: int
    participating_heads: int
    consenting_area: int
    consenting_heads: int
    units: tuple[tuple[Choice, int], ...]  # units counted per choice, as the published list shows
    participation: Fraction  # ≥ this share of scope
    consent: Fraction  # of participants: > this share (consent_strict) or ≥ it
    consent_strict: bool
    participation_met: bool
    consent_met: bool
    area_to_participate: int
    heads_to_participate: int
    area_to_consent: int
    heads_to_consent: int

    @property
    def passed(self) -> bool:
        return self.participation_met and self.consent_met


@dataclass(frozen=True, slots=True)
class MatterTally:
    """A matter's result: without and with deemed votes, and which one the procedural rules bind."""

    matter: int
    without_deemed: Count
    with_deemed: Count
    deemed_choice: Choice | None
    deemed_units: tuple[str, ...]
    deemed_apply: bool

    @property
    def binding(self) -> Count:
        return self.with_deemed if self.deemed_apply else self.without_deemed

    @property
    def passed(self) -> bool:
        return self.binding.passed


def tally_matter(
    matter: int,
    register: Sequence[UnitRecord],
    votes: Sequence[Vote],
    *,
    deemed_apply: bool,
    rule: CountingRule = signed_later,
) -> MatterTally:
    """Count one matter of art. 278 over its register from the votes alone."""
    if matter not in MATTERS:
        raise InvalidCommand(f"matter {matter} is not an item of Civil Code art. 278 (1–9)")
    if len({u.unit_id for u in register}) != len(register):
        raise InvalidCommand("the register lists a unit twice")
    cast = {unit_id: vote.choice for unit_id, vote in counted_votes(register, votes, rule).items()}
    without = _count(matter, register, cast)
    choice = _majority(register, cast)
    deemed: tuple[str, ...] = ()
    with_deemed = without
    if choice is not None:
        deemed = tuple(
            u.unit_id
            for u in register
            if u.state == "sold_delivered" and u.served and u.unit_id not in cast
        )
    if deemed and choice is not None:  # nobody deemed: the same count, not made twice
        with_deemed = _count(matter, register, cast | dict.fromkeys(deemed, choice))
    return MatterTally(matter, without, with_deemed, choice, deemed, deemed_apply)


def by_building(
    matter: int,
    register: Sequence[UnitRecord],
    votes: Sequence[Vote],
    *,
    deemed_apply: bool,
    rule: CountingRule = signed_later,
) -> dict[str, Count]:
    """The live view by building: each building's units counted as if they were the scope.

    Deemed votes follow the whole matter's majority, where they apply. An owner (or the developer)
    with units in two buildings is a head in each, so the buildings' heads may sum to more than the
    matter's; only ``tally_matter`` decides the outcome.
    """
    whole = tally_matter(matter, register, votes, deemed_apply=deemed_apply, rule=rule)
    cast = {unit_id: vote.choice for unit_id, vote in counted_votes(register, votes, rule).items()}
    if whole.deemed_apply and whole.deemed_choice is not None:
        cast |= dict.fromkeys(whole.deemed_units, whole.deemed_choice)
    buildings: dict[str, list[UnitRecord]] = {}
    for u in register:
        buildings.setdefault(u.building, []).append(u)
    return {
        building: _count(
            matter, units, {u.unit_id: cast[u.unit_id] for u in units if u.unit_id in cast}
        )
        for building, units in sorted(buildings.items())
    }


def _count(matter: int, register: Sequence[UnitRecord], cast: dict[str, Choice]) -> Count:
    scope = {u.unit_id: Voter(area=u.area[1], headcount_key=u.headcount_key) for u in register}
    agreed = [unit_id for unit_id, choice in cast.items() if choice == "agree"]
    outcome = h04(matter, scope, list(cast), agreed)
    consent = Fraction(3, 4) if matter in SUPERMAJORITY_MATTERS else Fraction(1, 2)
    strict = matter not in SUPERMAJORITY_MATTERS
    return Count(
        scope_area=outcome.scope_area,
        scope_heads=outcome.scope_heads,
        participating_area=outcome.participating_area,
        participating_heads=outcome.participating_heads,
        consenting_area=outcome.consenting_area,
        consenting_heads=outcome.consenting_heads,
        units=tuple((c, sum(1 for v in cast.values() if v == c)) for c in CHOICES),
        participation=PARTICIPATION,
        consent=consent,
        consent_strict=strict,
        participation_met=outcome.participation_met,
        consent_met=outcome.consent_met,
        area_to_participate=_needed(outcome.participating_area, outcome.scope_area, PARTICIPATION),
        heads_to_participate=_needed(
            outcome.participating_heads, outcome.scope_heads, PARTICIPATION
        ),
        area_to_consent=_needed_to_consent(
            outcome.consenting_area, outcome.participating_area, consent, strict=strict
        ),
        heads_to_consent=_needed_to_consent(
            outcome.consenting_heads, outcome.participating_heads, consent, strict=strict
        ),
    )


def _needed(have: int, whole: int, share: Fraction) -> int:
    """The least x ≥ 0 with have + x ≥ share · whole."""
    return max(0, math.ceil(share * whole - have))


def _needed_to_consent(have: int, among: int, share: Fraction, *, strict: bool) -> int:
    """The least x ≥ 0 with have + x > (or ≥) share · (among + x): new votes that agree."""
    gap = (share * among - have) / (1 - share)
    needed = max(0, math.floor(gap) + 1 if strict else math.ceil(gap))
    return max(needed, 1) if among == 0 else needed


def _majority(register: Sequence[UnitRecord], cast: dict[str, Choice]) -> Choice | None:
    """The choice with more than half of the voters' area and heads (heads as in H04), if any."""
    units = {u.unit_id: u for u in register}
    area = sum(units[unit_id].area[1] for unit_id in cast)
    owners: dict[str, set[Choice]] = {}
    for unit_id, choice in cast.items():
        owners.setdefault(units[unit_id].headcount_key, set()).add(choice)
    for choice in CHOICES:
        theirs = sum(units[unit_id].area[1] for unit_id, c in cast.items() if c == choice)
        heads = sum(1 for chosen in owners.values() if chosen == {choice})
        if 2 * theirs > area and 2 * heads > len(owners):
            return choice
    return None
