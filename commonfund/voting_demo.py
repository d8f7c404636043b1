"""The demo complex's closed ballot (issue #16): an owners' assembly held by electronic vote.

Announced 50 days ago, open from 35 days ago for a week, counted the day after it closed; its
objection period has passed, so its resolution is in force. Most owners vote from their phones
(a few change their mind), the committee enters a few paper ballots, and the owners' page shows
the published result, ballot list and Merkle root.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from commonfund.synthetic import BuiltComplex, BusinessClock, committee_actor
from ledger.application import Actor, Ledger
from ledger.complexes.complex import is_delivered
from ledger.voting.ballot import Ballot, Matter, Scope
from ledger.voting.register import Choice

SCAN = "5e" * 32  # the paper ballots' scans, by hash
DOCUMENT = "a1" * 32  # the property service contract put to the vote


def load_ballot(
    ledger: Ledger, built: BuiltComplex, clock: BusinessClock, today: date, rng: random.Random
) -> dict[str, Any]:
    """Hold the assembly; return its id and outcome (nothing when the committee's term ended)."""
    notice = today - timedelta(days=50)
    if built.term_expired or built.term_end < today or notice < built.opened_on:
        return {}
    zone = ZoneInfo(ledger.policy.timezone)
    opens = datetime.combine(notice + timedelta(days=15), time(9), zone)
    closes = datetime.combine(opens.date() + timedelta(days=6), time(18), zone)
    chair = committee_actor(built.code, built.signatories[0])
    complex_id = UUID(built.complex_id)
    clock.set(notice)
    receipt = ledger.announce_ballot(
        complex_id,
        idempotency_key="demo-assembly",
        title="续聘物业服务企业业主大会",
        matters=[
            Matter(
                item=4,
                question="是否同意续聘青岛某物业服务有限公司，服务期三年，物业费标准不变？",
                documents=[DOCUMENT],
                scope=Scope(kind="all", buildings=[], units=[]),
                purpose="续聘物业服务企业",
                amount_cap=None,
                period_from=None,
                period_to=None,
                budget_category=None,
            )
        ],
        notice_on=notice,
        opens_at=opens,
        closes_at=closes,
        actor=chair,
    )
    ballot = UUID(receipt.id)
    clock.set(opens.date())
    ledger.open_ballot(ballot, actor=chair)
    units = ledger.complex(complex_id).units
    owners: dict[str, list[str]] = {}
    for unit_id, unit in units.items():
        if is_delivered(unit):
            owners.setdefault(unit["owner_key"], []).append(unit_id)
    paper: list[str] = []
    for n, (owner_key, theirs) in enumerate(sorted(owners.items())):
        draw = rng.random()
        if draw < 0.12:
            continue  # did not vote
        choice: Choice = "agree" if draw < 0.86 else ("disagree" if draw < 0.95 else "abstain")
        if n % 25 == 0:
            paper.append(theirs[0])
            continue
        clock.set(opens.date() + timedelta(days=n % 6))
        actor = Actor("owner", f"demo-owner-{n}")
        if draw > 0.80:  # changed their mind: first against, then for
            ledger.cast_votes(ballot, owner_key=owner_key, choices={1: "disagree"}, actor=actor)
        ledger.cast_votes(ballot, owner_key=owner_key, choices={1: choice}, actor=actor)
    clock.set(closes.date())
    for unit_id in paper:
        ledger.enter_paper_ballot(
            ballot,
            unit=unit_id,
            choices={1: "agree"},
            signed_at=closes - timedelta(hours=8),
            scan=SCAN,
            actor=committee_actor(built.code, built.signatories[1]),
        )
    clock.set(closes.date() + timedelta(days=1))
    ledger.close_ballot(ballot, actor=chair)
    clock.reset()
    found = ledger.read(ballot, Ballot)
    return {
        "id": str(ballot),
        "title": found.title,
        "passed": found.results[0]["passed"],
        "votes": found.results[0]["votes"],
        "root": found.results[0]["root"],
        "resolution_id": found.results[0]["resolution_id"],
        "effective_from": found.effective_from,
        "public": f"/v1/public/ballots/{ballot}",
    }
