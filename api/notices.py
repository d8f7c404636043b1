"""An owner's notices (issue #16, A19): ballots that concern their units, and units to top up.

Two contexts meet here, each with its own rule: voting says which ballots an owner should hear
of (ledger/voting/notices.py: announced, open, closing within 48 hours and not fully voted);
the maintenance fund says which units are below the replenishment line (A19,
ledger/maintenance/rules.py, over the balances the fund's read model keeps). This module only
gathers them and words them in Chinese, for ``GET /v1/owner/notices`` and the top of the
signed-in ``/owner`` page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Literal
from urllib.parse import quote
from uuid import UUID

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field

from api.deps import PrincipalDep, Services, ServicesDep, yuan
from api.errors_doc import problems
from api.voting.page_view import moment_label
from ledger.complexes.complex import Complex
from ledger.maintenance.rules import below_replenishment, replenishment_line
from ledger.money import grouped
from ledger.voting.ballot import Ballot
from ledger.voting.notices import CLOSING_SOON, BallotNotice, ballot_notice, ordered
from projections.maintenance.queries import UnitLedger

router = APIRouter(tags=["voting"])
RECENT_BALLOTS = 20  # the complex's newest ballots looked at: older ones have long closed
NoticeKind = Literal["ballot_closing", "ballot_opened", "ballot_announced", "replenishment"]
HEADLINES = {
    "ballot_closing": "投票即将截止",
    "ballot_opened": "投票已开始",
    "replenishment": "维修资金余额低于续筹线，请续交",
}


class NoticePublic(BaseModel):
    kind: NoticeKind = Field(description="What the notice is about", examples=["ballot_closing"])
    complex_id: str = Field(description="The owner's complex", examples=["6f1c2b8e-…"])
    units: list[str] = Field(description="The owner's units it concerns", examples=[["3-1-502"]])
    headline: str = Field(description="The notice in a few words", examples=["投票即将截止"])
    text: str = Field(
        description="The notice as the owner reads it, in Chinese",
        examples=["「2026年第二次业主大会」将于2026年12月18日 18:00截止，您还有事项未投票。"],
    )
    link: str = Field(description="Where to act: the vote page or the unit's ledger",
                      examples=["/ballots/6f1c2b8e-…/vote"])  # fmt: skip
    ballot_id: str | None = Field(description="The ballot (ballot notices)", examples=["6f1c…"])
    ballot_title: str | None = Field(description="Its title", examples=["2026年第二次业主大会"])
    opens_at: str | None = Field(description="Voting opens", examples=["2026-12-11T09:00:00+08:00"])
    closes_at: str | None = Field(
        description="Voting closes", examples=["2026-12-18T18:00:00+08:00"]
    )
    voted: bool | None = Field(description="Voted on every matter for every unit in scope",
                               examples=[False])  # fmt: skip
    balance: str | None = Field(description="The unit's balance, yuan (A19)", examples=["250.00"])
    replenishment_line: str | None = Field(
        description="The balance below which the unit tops up, yuan (A19)", examples=["300.00"]
    )


class NoticesPublic(BaseModel):
    complex_id: str = Field(description="The owner credential's complex", examples=["6f1c…"])
    as_of: str = Field(
        description="When the notices were read", examples=["2026-12-17T09:00:00+00:00"]
    )
    closing_soon_hours: int = Field(
        description="A ballot closing within these hours that the owner has not fully voted on"
        " is a ballot_closing reminder", examples=[48],
    )  # fmt: skip
    notices: list[NoticePublic] = Field(description="Reminders first, then ballots, then units")


def worded(notice: BallotNotice, now: datetime) -> NoticePublic:
    title, closes = f"「{notice.title}」", moment_label(notice.closes_at)
    opens = moment_label(notice.opens_at)
    if notice.kind == "ballot_announced" and now < datetime.fromisoformat(notice.opens_at):
        headline = f"投票将于{opens}开始"
        text = f"{title}已公告，{opens}开始投票，{closes}截止。"
    elif notice.kind == "ballot_announced":  # the committee has not opened it on time
        headline = "投票尚未开启"
        text = f"{title}原定{opens}开始投票，业主委员会尚未开启投票；{closes}截止。"
    elif notice.kind == "ballot_closing":
        headline = HEADLINES[notice.kind]
        text = f"{title}将于{closes}截止，您还有事项未投票，请尽快投票。"
    else:
        headline = HEADLINES[notice.kind]
        done = "您已投票，截止前可以修改。" if notice.voted else "请投票。"
        text = f"{title}正在投票，{closes}截止。{done}"
    return NoticePublic(
        kind=notice.kind, complex_id=notice.complex_id, units=list(notice.units),
        headline=headline, text=text, link=f"/ballots/{notice.ballot_id}/vote",
        ballot_id=notice.ballot_id, ballot_title=notice.title, opens_at=notice.opens_at,
        closes_at=notice.closes_at, voted=notice.voted, balance=None, replenishment_line=None,
    )  # fmt: skip


def replenishments(
    complex_id: str, ledgers: Mapping[str, UnitLedger | None], ratio_bp: int
) -> list[NoticePublic]:
    """A19: each unit whose balance is below its replenishment line, by unit."""
    found = []
    for unit, ledger in sorted(ledgers.items()):
        if ledger is None or not below_replenishment(
            ledger.balance, ledger.first_deposit, ratio_bp
        ):
            continue
        balance, line = (
            yuan(ledger.balance),
            yuan(replenishment_line(ledger.first_deposit, ratio_bp)),
        )
        found.append(NoticePublic(
            kind="replenishment", complex_id=complex_id, units=[unit],
            headline=HEADLINES["replenishment"],
            text=f"{unit}的专项维修资金余额 {grouped(balance)} 元，低于续筹线 {grouped(line)} 元，"
            "请按业主大会决定续交。",
            link=f"/owner/units/{quote(unit)}", ballot_id=None, ballot_title=None, opens_at=None,
            closes_at=None, voted=None, balance=balance, replenishment_line=line,
        ))  # fmt: skip
    return found


def owner_notices(
    services: Services,
    complex_id: UUID,
    units: Sequence[str],
    now: datetime,
    ledgers: Mapping[str, UnitLedger | None] | None = None,
) -> list[NoticePublic]:
    """The owner of ``units``' notices at ``now``: ballots first, then units below the line."""
    complex_, mine = services.ledger.complex(complex_id), frozenset(units)
    found = [  # each judged under the ballot's lock, without copying its register and votes
        services.ledger.peek(UUID(b), Ballot, lambda one: ballot_notice(one, complex_, mine, now))
        for b in complex_.ballots[-RECENT_BALLOTS:]
    ]
    if ledgers is None:
        ledgers = {u: services.maintenance.unit_ledger(str(complex_id), u, after=0, limit=0)
                   for u in units}  # fmt: skip
    return [
        *(worded(n, now) for n in ordered(found)),
        *replenishments(str(complex_id), ledgers, services.maintenance.ratio_bp),
    ]


@router.get(
    "/v1/owner/notices",
    summary="Your notices: ballots to vote on, closing soon, announced; units to top up (A19)",
    response_model=NoticesPublic,
    responses=problems(),
)
def my_notices(services: ServicesDep, principal: PrincipalDep) -> NoticesPublic:
    """For an owner credential: each ballot of the complex put to one of the owner's units —
    announced (ballot_announced), open (ballot_opened), or open, closing within 48 hours and
    not yet voted on every matter for every such unit (ballot_closing) — and each of the
    owner's units whose maintenance-fund balance is below the replenishment line (A19,
    replenishment). Closed ballots are not notices: their results are public."""
    principal.require_role(("owner",))
    complex_id, owner_key = principal.token.complex_id, principal.token.owner_key
    if complex_id is None or not owner_key:
        raise HTTPException(403, "this owner credential names no owner")
    units = services.ledger.peek(complex_id, Complex, lambda c: c.owned_by(owner_key))
    now = services.now()
    return NoticesPublic(
        complex_id=str(complex_id),
        as_of=now.isoformat(),
        closing_soon_hours=int(CLOSING_SOON.total_seconds() // 3600),
        notices=owner_notices(services, complex_id, units, now),
    )
