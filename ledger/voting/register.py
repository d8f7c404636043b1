"""What a tally counts: the units in a matter's scope and the votes cast for them.

Area (SPC interpretation on building ownership, art. 8): the registered area; where none is
registered yet, the surveyed area; where none is surveyed yet, the contract area. A unit record
may carry several and ``UnitRecord.area`` picks. The developer's state decides who the unit's
owner is for headcount (art. 9, see tally.py). A unit may have several votes (changes, a paper
ballot and an electronic vote); a counting rule picks the one that counts, by default the one
signed later (issue #16).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ledger.complexes.complex import DEVELOPER
from ledger.errors import InvalidArea, InvalidCommand, InvalidDate

AreaKind = Literal["registered", "surveyed", "contract"]
DeveloperState = Literal["sold_delivered", "sold_undelivered", "unsold"]
Choice = Literal["agree", "disagree", "abstain"]
Channel = Literal["electronic", "paper"]
CHOICES: tuple[Choice, ...] = ("agree", "disagree", "abstain")
_STATES = frozenset({"sold_delivered", "sold_undelivered", "unsold"})
_CHANNELS = frozenset({"electronic", "paper"})


@dataclass(frozen=True, slots=True)
class UnitRecord:
    """A unit in scope; areas in hundredths of a m², None where that kind is not known yet."""

    unit_id: str
    building: str
    owner_key: str  # the owner's identity key; ignored while the developer holds the unit
    state: DeveloperState
    registered_area: int | None = None
    surveyed_area: int | None = None
    contract_area: int | None = None
    served: bool = False  # the ballot's delivery to this unit is recorded

    def __post_init__(self) -> None:
        if self.state not in _STATES:
            raise InvalidCommand(f"unit {self.unit_id}: {self.state!r} is not a developer state")
        if self.area[1] <= 0:
            raise InvalidArea(f"unit {self.unit_id} needs a floor area above zero")
        if self.state == "sold_delivered" and self.owner_key in ("", DEVELOPER):
            raise InvalidCommand(f"unit {self.unit_id} is delivered and needs its owner's key")

    @property
    def area(self) -> tuple[AreaKind, int]:
        """Art. 8: registered, else surveyed, else contract area, and which one it is."""
        for kind, value in (
            ("registered", self.registered_area),
            ("surveyed", self.surveyed_area),
            ("contract", self.contract_area),
        ):
            if value is not None:
                return kind, value  # type: ignore[return-value]
        raise InvalidArea(f"unit {self.unit_id} carries no registered, surveyed or contract area")

    @property
    def headcount_key(self) -> str:
        """Art. 9: the developer's unsold and sold-but-undelivered units are one owner together."""
        return self.owner_key if self.state == "sold_delivered" else DEVELOPER


@dataclass(frozen=True, slots=True)
class Vote:
    """One vote for one unit on one matter; ``nonce`` is drawn at casting so receipts are unguessable."""

    unit_id: str
    choice: Choice
    channel: Channel
    signed_at: datetime  # timezone-aware
    nonce: str

    def __post_init__(self) -> None:
        if self.choice not in CHOICES or self.channel not in _CHANNELS:
            raise InvalidCommand("a vote is agree, disagree or abstain, electronic or on paper")
        if self.signed_at.utcoffset() is None:
            raise InvalidDate("a vote's signing time needs its offset")


CountingRule = Callable[[Sequence[Vote]], Vote]  # returns one of the votes it is given


def signed_later(votes: Sequence[Vote]) -> Vote:
    """The default rule: the vote signed later counts; of two signed at once, the one recorded later."""
    if not votes:
        raise InvalidCommand("a unit without votes has no vote to count")
    return max(enumerate(votes), key=lambda iv: (iv[1].signed_at, iv[0]))[1]


def counted_votes(
    register: Sequence[UnitRecord], votes: Sequence[Vote], rule: CountingRule = signed_later
) -> dict[str, Vote]:
    """The vote that counts for each unit that voted, in the order recorded; votes outside scope refused."""
    in_scope = {u.unit_id for u in register}
    by_unit: dict[str, list[Vote]] = {}
    for vote in votes:
        if vote.unit_id not in in_scope:
            raise InvalidCommand(f"unit {vote.unit_id} is not in this matter's scope")
        by_unit.setdefault(vote.unit_id, []).append(vote)
    return {unit_id: rule(theirs) for unit_id, theirs in by_unit.items()}
