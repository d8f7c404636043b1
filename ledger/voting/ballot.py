"""The Ballot aggregate (issue #16): matters put to the owners' assembly, and every vote cast on them.

Life: **announced** by the committee (or the street office for a first election) with its matters,
notice date, opening and closing times and counting rules → **opened** no earlier than the
notice period after the notice (default 15 days), which freezes the register the tally counts →
**served** to units (an owner's first sight of it, or paper delivery with evidence) →
**votes cast** (owners' electronic votes, paper ballots entered by the committee), changeable
until closing, every vote kept → **closed** by the clock: each matter tallied from the votes
alone (``tally.py``), its receipts' Merkle root fixed (``receipts.py``) and a Resolution per
matter recorded, in force after the objection period (询异公示, default 7 days).

Rules live in the command methods; ``apply`` only assigns, since it runs again on every replay.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal, NotRequired, TypedDict
from uuid import UUID

from ledger.base import ChainedAggregate
from ledger.complexes.complex import AreaKind, Complex, area_kind, is_delivered
from ledger.errors import InvalidCommand, InvalidState, NotFound
from ledger.voting.receipts import merkle_root, receipt
from ledger.voting.register import (
    CHOICES,
    Choice,
    DeveloperState,
    UnitRecord,
    Vote,
    signed_later,
)
from ledger.voting.tally import MatterTally, tally_matter

ScopeKind = Literal["all", "buildings", "units"]
CountingRuleName = Literal["signed_later", "paper_prevails"]
NOTICE_DAYS = 15  # issue #16: announced at least 15 days before voting opens (default)
OBJECTION_DAYS = 7  # 询异公示 after the preliminary result (default)
MATTER_MAINTENANCE_FUND = 5
MAX_MATTERS = 20
_SHA256 = frozenset("0123456789abcdef")


class Scope(TypedDict):
    kind: ScopeKind
    buildings: list[str]
    units: list[str]


class Matter(TypedDict):
    """One question on the ballot: its art. 278 item, text, documents by SHA-256, scope and, where
    it authorises spending, the cap, period, purpose and budget category (H05, H08)."""

    item: int
    question: str
    documents: list[str]
    scope: Scope
    purpose: str
    amount_cap: int | None
    period_from: str | None
    period_to: str | None
    budget_category: str | None


class RegisterUnit(TypedDict):
    building: str
    owner_key: str
    state: DeveloperState
    area_kind: AreaKind
    area: int


class Delivery(TypedDict):
    at: str
    how: Literal["login", "paper"]
    evidence: str | None


class VoteRecord(TypedDict):
    """A stored vote: what ``Vote`` is, with its receipt, who entered it and from where."""

    unit: str
    matter: int
    choice: Choice
    channel: Literal["electronic", "paper"]
    signed_at: str
    nonce: str
    receipt: str
    by: str
    device: str | None
    scan: NotRequired[str | None]


class ClosingFacts(TypedDict):
    """What a closing ballot records for supervision's V01–V05 (anomalies.py makes it)."""

    complex_id: str
    votes: int  # every vote stored, changes included
    devices: dict[str, int]  # device hash -> distinct units voted from it (2 or more only)
    late: dict[str, int]  # window in basis points of the voting time -> votes signed in it
    counted: int  # votes that count (one per unit and matter)
    counted_paper: int
    owner_changed: list[str]  # units voted for whose owner changed while the ballot ran
    flipped: list[int]  # matters whose outcome differs with and without deemed votes


class MatterResult(TypedDict):
    matter: int
    item: int
    passed: bool
    passed_without_deemed: bool
    passed_with_deemed: bool
    deemed_apply: bool
    deemed_units: int
    root: str
    votes: int
    resolution_id: str


def sha256_hex(value: str, field: str) -> str:
    if len(value) != 64 or not set(value) <= _SHA256:
        raise InvalidCommand(f"{field}: {value!r} is not a SHA-256 in lower-case hex")
    return value


def _aware(moment: datetime, field: str) -> datetime:
    if moment.utcoffset() is None:
        raise InvalidCommand(f"{field}: give the time with its offset, e.g. +08:00")
    return moment


class Ballot(ChainedAggregate):
    """One owners' assembly held by electronic (and paper) vote in one complex."""

    complex_id: str
    title: str
    matters: list[Matter]
    notice_on: str
    opens_at: str
    closes_at: str
    deemed_votes: bool
    counting_rule: CountingRuleName
    objection_days: int
    opened: bool
    roll: dict[str, RegisterUnit]
    deliveries: dict[str, Delivery]
    votes: list[VoteRecord]
    closed: bool
    results: list[MatterResult]
    effective_from: str | None

    def __init__(self) -> None:
        super().__init__()
        self.opened = False
        self.roll = {}
        self.deliveries = {}
        self.votes = []
        self.closed = False
        self.results = []
        self.effective_from = None

    class Announced(ChainedAggregate.Created):
        complex_id: str
        title: str
        matters: list[Matter]
        notice_on: str
        opens_at: str
        closes_at: str
        deemed_votes: bool
        counting_rule: str
        objection_days: int

        def apply(self, aggregate: Any) -> None:
            for name in (
                "complex_id",
                "title",
                "matters",
                "notice_on",
                "opens_at",
                "closes_at",
                "deemed_votes",
                "counting_rule",
                "objection_days",
            ):
                setattr(aggregate, name, getattr(self, name))

    class Opened(ChainedAggregate.Event):
        roll: dict[str, RegisterUnit]

        def apply(self, aggregate: Any) -> None:
            aggregate.opened = True
            aggregate.roll = self.roll

    class Served(ChainedAggregate.Event):
        units: list[str]
        delivery: Delivery

        def apply(self, aggregate: Any) -> None:
            for unit in self.units:
                aggregate.deliveries[unit] = self.delivery

    class VotesCast(ChainedAggregate.Event):
        votes: list[VoteRecord]

        def apply(self, aggregate: Any) -> None:
            # rebound, not extended in place: a cast changes a draft of the cached ballot
            # (UnitOfWork.draft), which must leave the original's list as stored
            aggregate.votes = [*aggregate.votes, *self.votes]

    class Closed(ChainedAggregate.Event):
        results: list[MatterResult]
        effective_from: str
        facts: ClosingFacts  # what supervision's V01–V05 judge (anomalies.py)

        def apply(self, aggregate: Any) -> None:
            aggregate.closed = True
            aggregate.results = self.results
            aggregate.effective_from = self.effective_from

    # --- commands ---------------------------------------------------------------------------

    @classmethod
    def announce(
        cls,
        aggregate_id: UUID,
        complex_: Complex,
        *,
        title: str,
        matters: Sequence[Matter],
        notice_on: date,
        opens_at: datetime,
        closes_at: datetime,
        deemed_votes: bool,
        counting_rule: CountingRuleName,
        objection_days: int,
        notice_days: int,
        principal: str,
    ) -> Ballot:
        if not title.strip() or len(title) > 200:
            raise InvalidCommand("title: name the assembly (1–200 characters)")
        if not 1 <= len(matters) <= MAX_MATTERS:
            raise InvalidCommand(f"matters: a ballot carries 1–{MAX_MATTERS} matters")
        opens, closes = _aware(opens_at, "opens_at"), _aware(closes_at, "closes_at")
        if closes <= opens:
            raise InvalidCommand("closes_at: voting closes after it opens")
        if opens.date() < notice_on + timedelta(days=notice_days):
            raise InvalidCommand(
                f"opens_at: the assembly is announced at least {notice_days} days before voting"
                f" opens (notice on {notice_on.isoformat()}; issue #16)"
            )
        if counting_rule not in ("signed_later", "paper_prevails"):
            raise InvalidCommand("counting_rule: signed_later or paper_prevails")
        if not 0 <= objection_days <= 60:
            raise InvalidCommand("objection_days: 0–60 days of objection period")
        checked = [_check_matter(m, complex_, i) for i, m in enumerate(matters, start=1)]
        return cls._create_chained(
            cls.Announced,
            aggregate_id,
            complex_id=str(complex_.id),
            title=title.strip(),
            matters=checked,
            notice_on=notice_on.isoformat(),
            opens_at=opens.isoformat(),
            closes_at=closes.isoformat(),
            deemed_votes=deemed_votes,
            counting_rule=counting_rule,
            objection_days=objection_days,
            principal=principal,
            value_date=notice_on.isoformat(),
        )

    def open(self, complex_: Complex, *, now: datetime, principal: str, value_date: str) -> None:
        """Open voting and freeze the register every matter is counted over."""
        if self.opened:
            raise InvalidState("the ballot is already open")
        if now < datetime.fromisoformat(self.opens_at):
            raise InvalidState(f"voting opens at {self.opens_at}, not before")
        if now >= datetime.fromisoformat(self.closes_at):
            raise InvalidState("the ballot's closing time has passed; it cannot open")
        register: dict[str, RegisterUnit] = {}
        for unit_id in self.units_in_scope(complex_):
            unit = complex_.units[unit_id]
            state: DeveloperState = (
                "unsold"
                if unit["developer_held"]
                else ("sold_delivered" if is_delivered(unit) else "sold_undelivered")
            )
            register[unit_id] = RegisterUnit(
                building=unit["building"],
                owner_key=unit["owner_key"],
                state=state,
                area_kind=area_kind(unit),
                area=unit["area"],
            )
        self.trigger_event(self.Opened, roll=register, principal=principal, value_date=value_date)

    def serve(
        self,
        units: Sequence[str],
        *,
        how: Literal["login", "paper"],
        evidence: str | None,
        now: datetime,
        principal: str,
        value_date: str,
    ) -> list[str]:
        """Record the ballot's delivery to units not yet served; returns those newly served."""
        self.require_open(now, "delivery")
        if how == "paper":
            if evidence is None:
                raise InvalidCommand("evidence: a paper delivery is recorded with its evidence")
            sha256_hex(evidence, "evidence")
        for unit in units:
            if unit not in self.roll:
                raise NotFound(f"unit {unit} is not in this ballot's register")
        fresh = sorted({u for u in units if u not in self.deliveries})
        if fresh:
            self.trigger_event(
                self.Served,
                units=fresh,
                delivery=Delivery(at=now.isoformat(), how=how, evidence=evidence),
                principal=principal,
                value_date=value_date,
            )
        return fresh

    def cast(
        self, votes: Sequence[VoteRecord], *, now: datetime, principal: str, value_date: str
    ) -> None:
        """Record votes already checked by :meth:`check_vote` (the commands build them)."""
        self.require_open(now, "voting")
        if not votes:
            raise InvalidCommand("choices: give a choice for at least one matter")
        self.trigger_event(
            self.VotesCast, votes=list(votes), principal=principal, value_date=value_date
        )

    def check_vote(self, unit: str, matter: int, choice: str, *, signed_at: datetime) -> None:
        if not 1 <= matter <= len(self.matters):
            raise NotFound(f"matter {matter} is not on this ballot (1–{len(self.matters)})")
        if choice not in CHOICES:
            raise InvalidCommand(f"choice: {choice!r}; vote agree, disagree or abstain")
        if unit not in self.roll:
            raise NotFound(f"unit {unit} is not in this ballot's register")
        if not self.in_matter_scope(unit, matter):
            raise InvalidCommand(f"unit {unit} is outside matter {matter}'s scope")
        _aware(signed_at, "signed_at")
        if not datetime.fromisoformat(self.opens_at) <= signed_at < self.closing:
            raise InvalidCommand("signed_at: a ballot counts only if signed while voting was open")

    def close(
        self, results: list[MatterResult], facts: ClosingFacts, *, now: datetime, principal: str
    ) -> None:
        if not self.opened:
            raise InvalidState("the ballot never opened; there is nothing to count")
        if self.closed:
            raise InvalidState("the ballot is already closed")
        if now < self.closing:
            raise InvalidState(f"voting closes at {self.closes_at}; it is counted after that")
        closed_on = self.closing_day
        self.trigger_event(
            self.Closed,
            results=results,
            effective_from=(closed_on + timedelta(days=self.objection_days + 1)).isoformat(),
            facts=facts,
            principal=principal,
            value_date=closed_on.isoformat(),
        )

    # --- readings ---------------------------------------------------------------------------

    @property
    def closing(self) -> datetime:
        return datetime.fromisoformat(self.closes_at)

    @property
    def closing_day(self) -> date:
        """The closing day where the ballot was announced (the offset of ``closes_at``)."""
        return self.closing.date()

    def state(self, now: datetime) -> str:
        if self.closed:
            return "closed"
        if not self.opened:
            return "announced"
        return "open" if now < self.closing else "counting"

    def matter_register_ids(self, matter: int) -> list[str]:
        scope = self.matters[matter - 1]["scope"]
        if scope["kind"] == "all":
            return list(self.roll)
        if scope["kind"] == "buildings":
            wanted = set(scope["buildings"])
            return [u for u, r in self.roll.items() if r["building"] in wanted]
        return [u for u in scope["units"] if u in self.roll]

    def in_matter_scope(self, unit: str, matter: int) -> bool:
        """Whether ``unit`` is in :meth:`matter_register_ids` of ``matter``, without listing
        them: a cast asks it per vote, and the register may hold 10,000 units."""
        found = self.roll.get(unit)
        if found is None:
            return False
        scope = self.matters[matter - 1]["scope"]
        if scope["kind"] == "all":
            return True
        if scope["kind"] == "buildings":
            return found["building"] in scope["buildings"]
        return unit in scope["units"]

    def unit_records(self, matter: int) -> list[UnitRecord]:
        closing = self.closing
        return [
            UnitRecord(
                unit_id=u,
                building=r["building"],
                owner_key=r["owner_key"],
                state=r["state"],
                served=u in self.deliveries
                and datetime.fromisoformat(self.deliveries[u]["at"]) < closing,
                **{f"{r['area_kind']}_area": r["area"]},
            )
            for u in self.matter_register_ids(matter)
            for r in [self.roll[u]]
        ]

    def matter_votes(self, matter: int) -> list[Vote]:
        return [
            Vote(
                v["unit"],
                v["choice"],
                v["channel"],
                datetime.fromisoformat(v["signed_at"]),
                v["nonce"],
            )
            for v in self.votes
            if v["matter"] == matter
        ]

    def tally(self, matter: int) -> MatterTally:
        """The tally of one matter from the stored votes alone (tally.py)."""
        return tally_matter(
            self.matters[matter - 1]["item"],
            self.unit_records(matter),
            self.matter_votes(matter),
            deemed_apply=self.deemed_votes,
            rule=self.counting(),
        )

    def audit(self) -> list[str]:
        """What no longer agrees with the published result: a stored vote changed, dropped or
        added since closing moves a matter's Merkle root or its outcome. Empty when sound."""
        found = []
        for result in self.results:
            matter = result["matter"]
            root = merkle_root(v["receipt"] for v in self.votes if v["matter"] == matter)
            if root != result["root"]:
                found.append(f"matter {matter}: the stored votes no longer give the published root")
            elif self.tally(matter).passed != result["passed"]:
                found.append(f"matter {matter}: recounting the votes gives another outcome")
            for vote in self.votes:
                if vote["matter"] == matter and _receipt_of(str(self.id), vote) != vote["receipt"]:
                    found.append(
                        f"matter {matter}: a vote of unit {vote['unit']} does not hash"
                        " to its receipt"
                    )
                    break
        return found

    def counting(self) -> Any:
        return signed_later if self.counting_rule == "signed_later" else paper_prevails

    def require_open(self, now: datetime, what: str) -> None:
        if self.closed or now >= self.closing:
            raise InvalidState(f"{what} refused: the ballot closed at {self.closes_at}")
        if not self.opened or now < datetime.fromisoformat(self.opens_at):
            raise InvalidState(f"{what} refused: voting opens at {self.opens_at}")

    def units_in_scope(self, complex_: Complex) -> list[str]:
        """The register once open; before, the complex's units any matter's scope names now."""
        if self.opened:
            return list(self.roll)
        return sorted({u for i in range(len(self.matters)) for u in self._scope_ids(complex_, i)})

    def _scope_ids(self, complex_: Complex, index: int) -> list[str]:
        scope = self.matters[index]["scope"]
        if scope["kind"] == "all":
            return list(complex_.units)
        if scope["kind"] == "buildings":
            wanted = set(scope["buildings"])
            return [u for u, unit in complex_.units.items() if unit["building"] in wanted]
        return list(scope["units"])


def _receipt_of(ballot_id: str, vote: VoteRecord) -> str:
    return receipt(
        Vote(vote["unit"], vote["choice"], vote["channel"],
             datetime.fromisoformat(vote["signed_at"]), vote["nonce"]),
        ballot_id=ballot_id, matter=vote["matter"],
    )  # fmt: skip


def paper_prevails(votes: Sequence[Vote]) -> Vote:
    """The alternative rule: a unit's paper ballot (the later one, if several) over its e-votes."""
    paper = [v for v in votes if v.channel == "paper"]
    return signed_later(paper or votes)


def _check_matter(matter: Matter, complex_: Complex, index: int) -> Matter:
    where = f"matters[{index}]"
    if matter["item"] not in range(1, 10):
        raise InvalidCommand(f"{where}.item: {matter['item']!r} is not an item of art. 278 (1–9)")
    if not matter["question"].strip() or len(matter["question"]) > 2000:
        raise InvalidCommand(f"{where}.question: put the question (1–2000 characters)")
    for document in matter["documents"]:
        sha256_hex(document, f"{where}.documents")
    scope = matter["scope"]
    if scope["kind"] != "all" and matter["item"] != MATTER_MAINTENANCE_FUND:
        raise InvalidCommand(
            f"{where}.scope: item {matter['item']} is decided by the whole assembly; only the use"
            " of the maintenance fund (item 5) is put to the affected units alone (H08)"
        )
    if scope["kind"] == "buildings":
        known = {u["building"] for u in complex_.units.values()}
        unknown = sorted(set(scope["buildings"]) - known)
        if not scope["buildings"] or unknown:
            raise InvalidCommand(
                f"{where}.scope.buildings: not buildings of this complex: {unknown}"
            )
    elif scope["kind"] == "units":
        unknown = sorted(set(scope["units"]) - complex_.units.keys())
        if not scope["units"] or unknown:
            raise InvalidCommand(f"{where}.scope.units: not units of this complex: {unknown[:5]}")
    elif scope["kind"] != "all":
        raise InvalidCommand(f"{where}.scope.kind: all, buildings or units")
    if not complex_.units:
        raise InvalidCommand("the complex has no units: register units before a ballot")
    if matter["amount_cap"] is not None and (
        matter["period_from"] is None or matter["period_to"] is None
    ):
        raise InvalidCommand(f"{where}: a matter that authorises spending gives its period")
    return Matter(
        item=matter["item"],
        question=matter["question"].strip(),
        documents=list(matter["documents"]),
        scope=Scope(
            kind=scope["kind"],
            buildings=sorted(set(scope["buildings"])),
            units=sorted(set(scope["units"])),
        ),
        purpose=(matter["purpose"] or matter["question"]).strip()[:200],
        amount_cap=matter["amount_cap"],
        period_from=matter["period_from"],
        period_to=matter["period_to"],
        budget_category=matter["budget_category"],
    )
