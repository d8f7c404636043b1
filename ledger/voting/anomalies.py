"""What supervision looks at when a ballot closes (issue #16, rules V01–V05): raw facts only.

The closing event carries these counts; the rules in projections/supervision/voting_rules.py
apply the city's thresholds to them, so a rule's parameters can change and a rebuild judges
the same facts again. Nothing here names a person: devices are hashes, units are ids.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from ledger.voting.ballot import Ballot, ClosingFacts

LATE_WINDOWS_BP = (100, 500, 1000)  # the last 1 %, 5 %, 10 % of the voting time
MAX_LISTED = 50


def closing_facts(
    ballot: Ballot, owners_now: dict[str, str], counted_channels: Sequence[str], flipped: list[int]
) -> ClosingFacts:
    """The facts of a closing ballot; ``owners_now``: each register unit's owner at closing."""
    opens, closes = datetime.fromisoformat(ballot.opens_at), ballot.closing
    span = (closes - opens).total_seconds()
    units_by_device: dict[str, set[str]] = {}
    late: Counter[str] = Counter()
    for vote in ballot.votes:
        if vote["device"]:
            units_by_device.setdefault(vote["device"], set()).add(vote["unit"])
        left = (closes - datetime.fromisoformat(vote["signed_at"])).total_seconds()
        for window in LATE_WINDOWS_BP:
            if left * 10_000 <= span * window:
                late[str(window)] += 1
    devices = sorted(
        ((d, len(u)) for d, u in units_by_device.items() if len(u) > 1),
        key=lambda du: (-du[1], du[0]),
    )[:MAX_LISTED]
    voted = {v["unit"] for v in ballot.votes}
    changed = sorted(
        u
        for u in voted
        if owners_now.get(u, ballot.roll[u]["owner_key"]) != ballot.roll[u]["owner_key"]
    )
    return ClosingFacts(
        complex_id=ballot.complex_id,
        votes=len(ballot.votes),
        devices=dict(devices),
        late={str(w): late[str(w)] for w in LATE_WINDOWS_BP},
        counted=len(counted_channels),
        counted_paper=sum(1 for c in counted_channels if c == "paper"),
        owner_changed=changed[:MAX_LISTED],
        flipped=flipped,
    )
