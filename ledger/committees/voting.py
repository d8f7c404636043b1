"""H04: the outcome of a resolution from its recorded tally, by floor area and by headcount.

Headcount (Supreme People's Court interpretation on building ownership, art. 9):
one per owner however many units they hold, and all units the developer still
holds count once. An owner takes part when any of their units in scope took
part, and consents when every one of their participating units consented.
All comparisons are exact integer arithmetic.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

SUPERMAJORITY_MATTERS = frozenset({6, 7, 8})  # art. 278 items 6–8 need 3/4 of participants


@dataclass(frozen=True, slots=True)
class Voter:
    area: int  # hundredths of a m²
    headcount_key: str


@dataclass(frozen=True, slots=True)
class Outcome:
    scope_area: int
    scope_heads: int
    participating_area: int
    participating_heads: int
    consenting_area: int
    consenting_heads: int
    participation_met: bool
    consent_met: bool

    @property
    def passed(self) -> bool:
        return self.participation_met and self.consent_met


def tally(
    matter: int,
    scope: Mapping[str, Voter],
    participated: Collection[str],
    consented: Collection[str],
) -> Outcome:
    """Compute the H04 outcome; ``participated`` and ``consented`` are unit ids within ``scope``."""
    took_part = set(participated)
    agreed = set(consented)
    owners: dict[str, list[str]] = {}
    for unit_id, voter in scope.items():
        owners.setdefault(voter.headcount_key, []).append(unit_id)
    participating_heads = 0
    consenting_heads = 0
    for units in owners.values():
        theirs = [u for u in units if u in took_part]
        if theirs:
            participating_heads += 1
            if all(u in agreed for u in theirs):
                consenting_heads += 1
    scope_area = sum(v.area for v in scope.values())
    participating_area = sum(scope[u].area for u in took_part)
    consenting_area = sum(scope[u].area for u in agreed)
    scope_heads = len(owners)
    participation_met = (
        scope_heads > 0
        and 3 * participating_area >= 2 * scope_area
        and 3 * participating_heads >= 2 * scope_heads
    )
    if matter in SUPERMAJORITY_MATTERS:
        consent_met = (
            4 * consenting_area >= 3 * participating_area
            and 4 * consenting_heads >= 3 * participating_heads
        )
    else:
        consent_met = (
            2 * consenting_area > participating_area and 2 * consenting_heads > participating_heads
        )
    return Outcome(
        scope_area=scope_area,
        scope_heads=scope_heads,
        participating_area=participating_area,
        participating_heads=participating_heads,
        consenting_area=consenting_area,
        consenting_heads=consenting_heads,
        participation_met=participation_met,
        consent_met=consent_met and participating_heads > 0,
    )
