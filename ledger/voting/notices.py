"""What a ballot tells one owner now (issue #16): announced, open, or about to close unvoted.

An owner's notices list each ballot of their complex that concerns one of their units: one
announced and not yet open (voting starts on ``opens_at``), one open (voting runs until
``closes_at``), and one open whose closing is within ``CLOSING_SOON`` while the owner still
has a matter unvoted for a unit in its scope — the reminder. An owner who has voted on every
matter for every unit of theirs in scope gets no reminder, only the open ballot. A ballot past
its closing time, counted or not, tells nothing: its results are public. Pure: the ballot, the
complex and the owner's units in, a notice or nothing out.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from ledger.complexes.complex import Complex
from ledger.voting.ballot import Ballot

CLOSING_SOON = timedelta(hours=48)  # the reminder's window before closing (default, docs/rules.md)
BallotNoticeKind = Literal["ballot_closing", "ballot_opened", "ballot_announced"]
_ORDER: dict[str, int] = {"ballot_closing": 0, "ballot_opened": 1, "ballot_announced": 2}


@dataclass(frozen=True, slots=True)
class BallotNotice:
    """One ballot as it concerns one owner: which of their units it is put to, and whether they
    have voted on every matter for each of them."""

    kind: BallotNoticeKind
    ballot_id: str
    complex_id: str
    title: str
    units: tuple[str, ...]
    opens_at: str
    closes_at: str
    voted: bool


def ballot_notice(
    ballot: Ballot,
    complex_: Complex,
    mine: Collection[str],
    now: datetime,
    *,
    window: timedelta = CLOSING_SOON,
) -> BallotNotice | None:
    """The notice ``ballot`` gives the owner of ``mine`` at ``now``, or None."""
    state = ballot.state(now)
    if state == "announced" and now < ballot.closing:
        units = [u for u in ballot.units_in_scope(complex_) if u in mine]
        return _notice(ballot, "ballot_announced", units, voted=False)
    if state != "open":
        return None
    units = sorted(u for u in mine if u in ballot.roll)  # the owner's few, not the register
    cast = {(v["unit"], v["matter"]) for v in ballot.votes if v["unit"] in mine}
    voted = all(
        (unit, number) in cast
        for number in range(1, len(ballot.matters) + 1)
        for unit in units
        if ballot.in_matter_scope(unit, number)
    )
    closing = not voted and ballot.closing - now <= window
    return _notice(ballot, "ballot_closing" if closing else "ballot_opened", units, voted=voted)


def ordered(notices: Iterable[BallotNotice | None]) -> list[BallotNotice]:
    """Reminders first, then open, then announced ballots, each by its closing time."""
    found = [n for n in notices if n is not None]
    return sorted(found, key=lambda n: (_ORDER[n.kind], datetime.fromisoformat(n.closes_at)))


def _notice(
    ballot: Ballot, kind: BallotNoticeKind, units: list[str], *, voted: bool
) -> BallotNotice | None:
    if not units:
        return None  # no unit of this owner is in the ballot's scope
    return BallotNotice(
        kind=kind,
        ballot_id=str(ballot.id),
        complex_id=ballot.complex_id,
        title=ballot.title,
        units=tuple(units),
        opens_at=ballot.opens_at,
        closes_at=ballot.closes_at,
        voted=voted,
    )
