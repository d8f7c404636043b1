"""The Resolution aggregate: a matter put to the owners' assembly, its tally and its H04 outcome."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict
from uuid import UUID

from ledger.base import ChainedAggregate
from ledger.complex import Complex
from ledger.dates import parse_date
from ledger.errors import InvalidCommand, ResolutionInvalid
from ledger.money import check_fen
from ledger.voting import Outcome, Voter, tally

MATTERS = range(1, 10)  # Civil Code art. 278, items 1–9
MATTER_ELECT_COMMITTEE = 3
MATTER_MAINTENANCE_FUND = 5  # the only matter decided by the affected units alone (H08)
MAX_PURPOSE_LENGTH = 200


def normalise_purpose(purpose: str) -> str:
    """Purposes match when equal after trimming, folding case and collapsing spaces (H05)."""
    return " ".join(purpose.split()).casefold()


class Tally(TypedDict):
    scope_area: int
    scope_heads: int
    participating_area: int
    participating_heads: int
    consenting_area: int
    consenting_heads: int
    participation_met: bool
    consent_met: bool


class Resolution(ChainedAggregate):
    """A resolution of the owners' assembly of one complex."""

    complex_id: str
    matter: int
    purpose: str
    purpose_key: str
    amount_cap: int | None
    period_from: str
    period_to: str
    scope_units: list[str] | None
    participated: list[str]
    consented: list[str]
    closed_on: str
    tally: Tally
    passed: bool
    fingerprint: str

    def __init__(self) -> None:
        super().__init__()
        self.purpose_key = ""

    class Recorded(ChainedAggregate.Created):
        complex_id: str
        matter: int
        purpose: str
        amount_cap: int | None
        period_from: str
        period_to: str
        scope_units: list[str] | None
        participated: list[str]
        consented: list[str]
        closed_on: str
        tally: Tally
        passed: bool
        fingerprint: str

        def apply(self, aggregate: Any) -> None:
            for name in (
                "complex_id",
                "matter",
                "purpose",
                "amount_cap",
                "period_from",
                "period_to",
                "scope_units",
                "participated",
                "consented",
                "closed_on",
                "tally",
                "passed",
                "fingerprint",
            ):
                setattr(aggregate, name, getattr(self, name))
            aggregate.purpose_key = normalise_purpose(self.purpose)

    @classmethod
    def record(
        cls,
        aggregate_id: UUID,
        complex_: Complex,
        *,
        matter: int,
        purpose: str,
        amount_cap: int | None,
        period_from: date,
        period_to: date,
        scope_units: list[str] | None,
        participated: list[str],
        consented: list[str],
        closed_on: date,
        request_fingerprint: str,
        principal: str,
    ) -> Resolution:
        if matter not in MATTERS:
            raise InvalidCommand(f"matter: {matter!r} is not an item of Civil Code art. 278 (1–9)")
        if not purpose.strip() or len(purpose) > MAX_PURPOSE_LENGTH:
            raise InvalidCommand("purpose: say what the resolution is for (1–200 characters)")
        if period_to < period_from:
            raise InvalidCommand("period_to: the period ends before it starts")
        if amount_cap is not None:
            check_fen(amount_cap, "amount_cap")
        outcome = compute_outcome(complex_, matter, scope_units, participated, consented)
        return cls._create_chained(
            cls.Recorded,
            aggregate_id,
            complex_id=str(complex_.id),
            matter=matter,
            purpose=purpose.strip(),
            amount_cap=amount_cap,
            period_from=period_from.isoformat(),
            period_to=period_to.isoformat(),
            scope_units=sorted(set(scope_units)) if scope_units is not None else None,
            participated=sorted(set(participated)),
            consented=sorted(set(consented)),
            closed_on=closed_on.isoformat(),
            tally=Tally(
                scope_area=outcome.scope_area,
                scope_heads=outcome.scope_heads,
                participating_area=outcome.participating_area,
                participating_heads=outcome.participating_heads,
                consenting_area=outcome.consenting_area,
                consenting_heads=outcome.consenting_heads,
                participation_met=outcome.participation_met,
                consent_met=outcome.consent_met,
            ),
            passed=outcome.passed,
            fingerprint=request_fingerprint,
            principal=principal,
            value_date=closed_on.isoformat(),
        )

    def request_fingerprint(self) -> str:
        return self.fingerprint

    def covers(self, purpose_key: str, value_date: date) -> bool:
        """Whether this passed resolution's purpose and period cover a payment (H05)."""
        return (
            self.passed
            and self.purpose_key == purpose_key
            and parse_date(self.period_from) <= value_date <= parse_date(self.period_to)
        )


def compute_outcome(
    complex_: Complex,
    matter: int,
    scope_units: list[str] | None,
    participated: list[str],
    consented: list[str],
) -> Outcome:
    """Check the tally against the complex's units and compute the H04 outcome."""
    if scope_units is None:
        scope_ids = list(complex_.units)
    elif matter != MATTER_MAINTENANCE_FUND:
        raise ResolutionInvalid(
            f"scope_units: matter {matter} is decided by the whole assembly; only the use of the"
            " maintenance fund (matter 5) is put to the affected units alone"
        )
    else:
        if not scope_units:
            raise ResolutionInvalid("scope_units: a listed scope needs at least one unit")
        unknown = sorted(set(scope_units) - complex_.units.keys())
        if unknown:
            raise ResolutionInvalid(f"scope_units: not units of this complex: {unknown[:5]}")
        scope_ids = list(dict.fromkeys(scope_units))
    if not scope_ids:
        raise ResolutionInvalid("the complex has no units: register units before a resolution")
    in_scope = set(scope_ids)
    outside = sorted(set(participated) - in_scope)
    if outside:
        raise ResolutionInvalid(f"participated: units outside the scope: {outside[:5]}")
    not_participating = sorted(set(consented) - set(participated))
    if not_participating:
        raise ResolutionInvalid(
            f"consented: units that did not take part cannot consent: {not_participating[:5]}"
        )
    scope = {
        u: Voter(area=complex_.units[u]["area"], headcount_key=complex_.headcount_key(u))
        for u in scope_ids
    }
    return tally(matter, scope, participated, consented)
