"""The alert lifecycle and rule snoozes (spec/alerts.md), event-sourced like everything else.

An alert is raised by the supervision read model from the log; what people
do with it is recorded here, with who and why at every step:
open → acknowledged (a regulator took it) → closed with an outcome
(``confirmed`` with the action taken, ``explained``, ``false_positive``). A
committee may attach explanations with evidence while the alert is not
closed. A regulator may snooze a rule for one subject for at most 180 days.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID, uuid5

from ledger.base import ChainedAggregate
from ledger.dates import last_day_of_span
from ledger.errors import InvalidCommand, InvalidState

OUTCOMES = ("confirmed", "explained", "false_positive")
MAX_SNOOZE_DAYS = 180
NAMESPACE = UUID("b6b8f0a2-7c1e-4a57-9d3c-2f5e8a1c0d44")
Outcome = Literal["confirmed", "explained", "false_positive"]


def snooze_id(rule: str, subject: str) -> UUID:
    return uuid5(NAMESPACE, f"snooze/{rule}/{subject}")


def _text(value: str, field: str, limit: int = 2000) -> str:
    value = value.strip()
    if not value or len(value) > limit:
        raise InvalidCommand(f"{field}: between 1 and {limit} characters")
    return value


class AlertCase(ChainedAggregate):
    """What regulators and the committee did with one alert (the id is the alert's id)."""

    status: str
    outcome: str | None
    explanations: int

    def __init__(self) -> None:
        super().__init__()
        self.status = "open"
        self.outcome = None
        self.explanations = 0

    class Opened(ChainedAggregate.Created):
        rule: str

    class Acknowledged(ChainedAggregate.Event):
        note: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "acknowledged"

    class Explained(ChainedAggregate.Event):
        text: str
        evidence: list[str]

        def apply(self, aggregate: Any) -> None:
            aggregate.explanations += 1

    class Closed(ChainedAggregate.Event):
        outcome: str
        reason: str
        action: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "closed"
            aggregate.outcome = self.outcome

    @classmethod
    def open(cls, alert_id: UUID, *, rule: str, principal: str, value_date: str) -> AlertCase:
        return cls._create_chained(
            cls.Opened, alert_id, rule=rule, principal=principal, value_date=value_date
        )

    def acknowledge(self, *, note: str, principal: str, on: date) -> None:
        if self.status != "open":
            raise InvalidState(f"alert {self.id} is {self.status}: only an open alert is taken")
        self.trigger_event(
            self.Acknowledged, note=note.strip()[:2000], principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip

    def explain(self, *, text: str, evidence: list[str], principal: str, on: date) -> None:
        if self.status == "closed":
            raise InvalidState(f"alert {self.id} is closed: explanations are no longer taken")
        if len(evidence) > 20 or any(not 0 < len(e) <= 500 for e in evidence):
            raise InvalidCommand("evidence: at most 20 references of 1–500 characters")
        self.trigger_event(
            self.Explained, text=_text(text, "text"), evidence=list(evidence),
            principal=principal, value_date=on.isoformat(),
        )  # fmt: skip

    def close(self, *, outcome: str, reason: str, action: str, principal: str, on: date) -> None:
        if self.status == "closed":
            raise InvalidState(f"alert {self.id} is already closed ({self.outcome})")
        if outcome not in OUTCOMES:
            raise InvalidCommand(f"outcome: one of {', '.join(OUTCOMES)}")
        if outcome == "confirmed" and not action.strip():
            raise InvalidCommand("action: a confirmed alert says what action was taken")
        if outcome == "explained" and self.explanations == 0:
            raise InvalidState(f"alert {self.id} has no explanation from the committee to accept")
        self.trigger_event(
            self.Closed, outcome=outcome, reason=_text(reason, "reason"),
            action=action.strip()[:2000], principal=principal, value_date=on.isoformat(),
        )  # fmt: skip


class Snooze(ChainedAggregate):
    """A rule snoozed for one subject until a date (at most 180 days, today the first), audited."""

    rule: str
    subject: str
    until: str

    def __init__(self) -> None:
        super().__init__()

    class Snoozed(ChainedAggregate.Created):
        rule: str
        subject: str
        until: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.rule = self.rule
            aggregate.subject = self.subject
            aggregate.until = self.until

    class Extended(ChainedAggregate.Event):
        until: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.until = self.until

    @staticmethod
    def check(until: date, on: date) -> None:
        """A snooze holds from the day it is set, so that day is the first of its 180."""
        last = last_day_of_span(on, days=MAX_SNOOZE_DAYS)
        if not on < until <= last:
            raise InvalidCommand(
                f"until: after today and at most {MAX_SNOOZE_DAYS} days counting today"
                f" (by {last.isoformat()})"
            )

    @classmethod
    def start(
        cls, rule: str, subject: str, *, until: date, reason: str, principal: str, on: date
    ) -> Snooze:
        cls.check(until, on)
        return cls._create_chained(
            cls.Snoozed, snooze_id(rule, subject), rule=rule, subject=subject,
            until=until.isoformat(), reason=_text(reason, "reason"), principal=principal,
            value_date=on.isoformat(),
        )  # fmt: skip

    def extend(self, *, until: date, reason: str, principal: str, on: date) -> None:
        self.check(until, on)
        self.trigger_event(
            self.Extended, until=until.isoformat(), reason=_text(reason, "reason"),
            principal=principal, value_date=on.isoformat(),
        )  # fmt: skip


def clock_id(as_of: date) -> UUID:
    return uuid5(NAMESPACE, f"clock/{as_of.isoformat()}")


class SupervisionClock(ChainedAggregate):
    """A run of the clock rules for one date, recorded so that a replay evaluates it again.

    One stream per date (its id comes from the date): runs for different dates
    never contend, a second run of the same date finds the stream there and
    records nothing, and no stream grows beyond its one event.
    """

    as_of: str

    def __init__(self) -> None:
        super().__init__()

    class Ticked(ChainedAggregate.Created):
        as_of: str

        def apply(self, aggregate: Any) -> None:
            aggregate.as_of = self.as_of

    @classmethod
    def tick(cls, as_of: date, *, principal: str, today: date) -> SupervisionClock:
        if as_of > today:
            raise InvalidCommand(
                f"as_of: {as_of.isoformat()} is in the future; the clock rules run for a date"
                " that has come"
            )
        return cls._create_chained(
            cls.Ticked, clock_id(as_of), as_of=as_of.isoformat(), principal=principal,
            value_date=as_of.isoformat(),
        )  # fmt: skip
