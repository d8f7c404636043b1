"""The Resolution aggregate: a matter put to the owners' assembly, its tally and its H04 outcome."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, TypedDict
from uuid import UUID

from ledger.base import ChainedAggregate
from ledger.committees.voting import Outcome, Voter, tally
from ledger.complexes.complex import Complex
from ledger.dates import parse_date
from ledger.errors import InvalidCommand, InvalidState, ResolutionInvalid, UnknownCategory
from ledger.money import check_fen
from ledger.policy import Policy

MATTERS = range(1, 10)  # Civil Code art. 278, items 1–9
MATTER_ELECT_COMMITTEE = 3
MATTER_MAINTENANCE_FUND = 5  # the only matter decided by the affected units alone (H08)
MAX_PURPOSE_LENGTH = 200
MAX_COURT_LENGTH = 100
MAX_CASE_NUMBER_LENGTH = 64
CHALLENGE_ENDINGS = ("dismissed", "withdrawn")  # a revocation ends one too (``Revoked``)


def normalise_purpose(purpose: str) -> str:
    """Purposes match when equal after trimming, folding case and collapsing spaces (H05)."""
    return " ".join(purpose.split()).casefold()


@dataclass(frozen=True, slots=True)
class Budget:
    """What a resolution lets the committee spend: one expenditure category, a cap, a period (H05)."""

    category: str
    amount_cap: int  # fen, over the whole period
    period_from: date
    period_to: date


class Challenge(TypedDict):
    """A suit to revoke the resolution that a court accepted (SPC interpretation art. 12)."""

    court: str
    case_number: str  # 案号, e.g. (2027)鲁0202民初123号
    filed_on: str
    filing: str  # SHA-256 of the filing's scan (the court's acceptance notice)


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
    budget_category: str | None
    period_from: str
    period_to: str
    scope_units: list[str] | None
    participated: list[str]
    consented: list[str]
    closed_on: str
    tally: Tally
    passed: bool
    fingerprint: str
    ballot_id: str | None
    effective_from: str | None
    revoked_on: str | None
    # the pending challenge (issue #16, V06): set by the first filing, read through
    # ``pending_challenge``; a resolution never challenged has none, so its state (and the
    # stored fixture's reading of it) is as before
    challenge: Challenge | None

    def __init__(self) -> None:
        super().__init__()
        self.purpose_key = ""
        self.revoked_on = None

    class Recorded(ChainedAggregate.Created):
        """Version 2 adds ``budget_category``: with the cap and the period, the budget (H05, A20).

        Version 3 adds ``ballot_id``, the ballot whose tally this is (issue #16; None: a tally
        typed in), and ``effective_from``, the first day it authorises anything, after the
        objection period (None: at once, as before)."""

        class_version = 3

        complex_id: str
        matter: int
        purpose: str
        amount_cap: int | None
        budget_category: str | None
        period_from: str
        period_to: str
        scope_units: list[str] | None
        participated: list[str]
        consented: list[str]
        closed_on: str
        tally: Tally
        passed: bool
        fingerprint: str
        ballot_id: str | None
        effective_from: str | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Recorded before budgets: no category, so H05 matches it by purpose as it did."""
            state["budget_category"] = None

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Recorded before ballots: typed in, in force at once."""
            state["ballot_id"] = None
            state["effective_from"] = None

        def apply(self, aggregate: Any) -> None:
            for name in (
                "complex_id",
                "matter",
                "purpose",
                "amount_cap",
                "budget_category",
                "period_from",
                "period_to",
                "scope_units",
                "participated",
                "consented",
                "closed_on",
                "tally",
                "passed",
                "fingerprint",
                "ballot_id",
                "effective_from",
            ):
                setattr(aggregate, name, getattr(self, name))
            aggregate.purpose_key = normalise_purpose(self.purpose)

    class Revoked(ChainedAggregate.Event):
        """A court revoked the resolution (SPC interpretation art. 12), recorded by a regulator:
        from ``revoked_on`` it authorises nothing."""

        revoked_on: str
        judgment: str  # SHA-256 of the judgment's scan

        def apply(self, aggregate: Any) -> None:
            aggregate.revoked_on = self.revoked_on
            if "challenge" in aggregate.__dict__:
                aggregate.challenge = None  # the judgment ends a pending challenge

    class ChallengeFiled(ChainedAggregate.Event):
        """A court accepted an owner's suit to revoke the resolution (SPC interpretation
        art. 12), recorded by a regulator: until it ends, spending that cites the resolution
        raises V06. The resolution still authorises what it did (H05, H08)."""

        court: str
        case_number: str
        filed_on: str
        filing: str  # SHA-256 of the filing's scan

        def apply(self, aggregate: Any) -> None:
            aggregate.challenge = Challenge(
                court=self.court,
                case_number=self.case_number,
                filed_on=self.filed_on,
                filing=self.filing,
            )

    class ChallengeEnded(ChainedAggregate.Event):
        """The pending challenge ended other than by revocation: dismissed or withdrawn."""

        case_number: str
        outcome: str  # dismissed | withdrawn
        ended_on: str
        ruling: str  # SHA-256 of the ruling's scan (the judgment, or the order allowing withdrawal)

        def apply(self, aggregate: Any) -> None:
            aggregate.challenge = None

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
        budget_category: str | None,
        request_fingerprint: str,
        policy: Policy,
        principal: str,
    ) -> Resolution:
        """Record the tally and its outcome; with ``budget_category``, a budget (see :class:`Budget`)."""
        if matter not in MATTERS:
            raise InvalidCommand(f"matter: {matter!r} is not an item of Civil Code art. 278 (1–9)")
        if not purpose.strip() or len(purpose) > MAX_PURPOSE_LENGTH:
            raise InvalidCommand("purpose: say what the resolution is for (1–200 characters)")
        if period_to < period_from:
            raise InvalidCommand("period_to: the period ends before it starts")
        if amount_cap is not None:
            check_fen(amount_cap, "amount_cap")
        if budget_category is not None:
            _check_budget(budget_category, amount_cap, scope_units, policy.expenditure_categories)
        outcome = compute_outcome(complex_, matter, scope_units, participated, consented)
        return cls._create_chained(
            cls.Recorded,
            aggregate_id,
            complex_id=str(complex_.id),
            matter=matter,
            purpose=purpose.strip(),
            amount_cap=amount_cap,
            budget_category=budget_category,
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
            ballot_id=None,
            effective_from=None,
            principal=principal,
            value_date=closed_on.isoformat(),
        )

    @classmethod
    def from_ballot(
        cls,
        aggregate_id: UUID,
        *,
        complex_id: str,
        ballot_id: str,
        matter: int,
        purpose: str,
        amount_cap: int | None,
        budget_category: str | None,
        period_from: date,
        period_to: date,
        scope_units: list[str] | None,
        participated: list[str],
        consented: list[str],
        tally: Tally,
        passed: bool,
        closed_on: date,
        effective_from: date,
        principal: str,
    ) -> Resolution:
        """The resolution a ballot's tally makes (issue #16): counted by ledger/voting/tally.py
        from the votes, cited by the ballot, in force from the end of its objection period."""
        return cls._create_chained(
            cls.Recorded,
            aggregate_id,
            complex_id=complex_id,
            matter=matter,
            purpose=purpose,
            amount_cap=amount_cap,
            budget_category=budget_category,
            period_from=period_from.isoformat(),
            period_to=period_to.isoformat(),
            scope_units=scope_units,
            participated=sorted(participated),
            consented=sorted(consented),
            closed_on=closed_on.isoformat(),
            tally=tally,
            passed=passed,
            fingerprint=f"ballot/{ballot_id}/{matter}",
            ballot_id=ballot_id,
            effective_from=effective_from.isoformat(),
            principal=principal,
            value_date=closed_on.isoformat(),
        )

    def revoke(self, *, revoked_on: date, judgment: str, principal: str) -> None:
        if self.revoked_on is not None:
            raise InvalidState(f"resolution {self.id} was already revoked on {self.revoked_on}")
        if revoked_on < parse_date(self.closed_on):
            raise InvalidCommand("revoked_on: a resolution is revoked after its vote closed")
        self.trigger_event(
            self.Revoked,
            revoked_on=revoked_on.isoformat(),
            judgment=judgment,
            principal=principal,
            value_date=revoked_on.isoformat(),
        )

    def file_challenge(
        self, *, court: str, case_number: str, filed_on: date, filing: str, principal: str
    ) -> None:
        """Record that a court accepted a suit to revoke this resolution (SPC interpretation
        on building ownership, art. 12).

        The suit lies within one year of the owner learning of the resolution. A filing more
        than a year after the resolution was published is recorded all the same: when the owner
        learned of it is the court's question, and so is whether the suit is admissible.
        """
        court, case_number = court.strip(), case_number.strip()
        if not court or len(court) > MAX_COURT_LENGTH:
            raise InvalidCommand(f"court: name the court (1–{MAX_COURT_LENGTH} characters)")
        if not case_number or len(case_number) > MAX_CASE_NUMBER_LENGTH:
            raise InvalidCommand(
                f"case_number: the court's case number, 案号 (1–{MAX_CASE_NUMBER_LENGTH} characters)"
            )
        revoked = self.__dict__.get("revoked_on")
        if revoked is not None:
            raise InvalidState(
                f"resolution {self.id} was revoked by a court on {revoked}: there is nothing"
                " left to challenge"
            )
        pending = self.pending_challenge
        if pending is not None:
            raise InvalidState(
                f"resolution {self.id} is already under challenge (case {pending['case_number']},"
                f" filed on {pending['filed_on']}): record how that case ended first"
            )
        if filed_on < parse_date(self.closed_on):
            raise InvalidCommand(
                f"filed_on: a resolution is challenged after its vote closed ({self.closed_on})"
            )
        self.trigger_event(
            self.ChallengeFiled,
            court=court,
            case_number=case_number,
            filed_on=filed_on.isoformat(),
            filing=filing,
            principal=principal,
            value_date=filed_on.isoformat(),
        )

    def end_challenge(self, *, outcome: str, ended_on: date, ruling: str, principal: str) -> None:
        """The pending challenge ended without a revocation: dismissed or withdrawn (a
        revocation is :meth:`revoke`, which ends it too)."""
        pending = self.pending_challenge
        if pending is None:
            raise InvalidState(f"resolution {self.id} has no pending challenge to end")
        if outcome not in CHALLENGE_ENDINGS:
            raise InvalidCommand(
                f"outcome: {outcome!r} is not dismissed or withdrawn (a revocation is recorded"
                " as the resolution's revocation)"
            )
        if ended_on < parse_date(pending["filed_on"]):
            raise InvalidCommand(
                f"ended_on: the case ends after it was filed ({pending['filed_on']})"
            )
        self.trigger_event(
            self.ChallengeEnded,
            case_number=pending["case_number"],
            outcome=outcome,
            ended_on=ended_on.isoformat(),
            ruling=ruling,
            principal=principal,
            value_date=ended_on.isoformat(),
        )

    @property
    def pending_challenge(self) -> Challenge | None:
        """The challenge a court accepted and that has not ended (None: a resolution recorded
        before challenges were, as any other, has none)."""
        pending: Challenge | None = self.__dict__.get("challenge")
        return pending

    @property
    def under_challenge(self) -> bool:
        """A court accepted a suit to revoke it and the case has not ended (V06)."""
        return self.pending_challenge is not None

    def in_force(self, today: date) -> bool:
        """Passed, past its objection period, and not revoked by a court as of ``today``."""
        if not self.passed:
            return False
        effective = self.__dict__.get("effective_from")
        if effective is not None and today < parse_date(effective):
            return False
        revoked = self.__dict__.get("revoked_on")
        return revoked is None or today < parse_date(revoked)

    def why_not_in_force(self, today: date) -> str:
        if not self.passed:
            return "did not pass (H04)"
        revoked = self.__dict__.get("revoked_on")
        if revoked is not None and today >= parse_date(revoked):
            return f"was revoked by a court on {revoked} (SPC interpretation art. 12)"
        return (
            f"is in its objection period until {self.__dict__.get('effective_from')} and"
            " authorises nothing before then (issue #16)"
        )

    def request_fingerprint(self) -> str:
        return self.fingerprint

    @property
    def budget(self) -> Budget | None:
        """The spending this resolution authorises by category, or None (matched by purpose)."""
        if self.budget_category is None or self.amount_cap is None:
            return None
        return Budget(
            self.budget_category,
            self.amount_cap,
            parse_date(self.period_from),
            parse_date(self.period_to),
        )


def _check_budget(
    category: str,
    amount_cap: int | None,
    scope_units: list[str] | None,
    categories: frozenset[str],
) -> None:
    if category not in categories:
        raise UnknownCategory(
            f"budget_category: {category!r} is not an expenditure category;"
            f" use one of {sorted(categories)}"
        )
    if amount_cap is None:
        raise InvalidCommand("amount_cap: a budget sets how much may be spent in its period")
    if scope_units is not None:
        raise InvalidCommand(
            "budget_category: common funds are budgeted by the whole assembly, not by some units"
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
