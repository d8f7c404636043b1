"""The commands of supervision (spec/alerts.md): the alert lifecycle, snoozes, the clock's tick."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from ledger.account.account import CommonFundAccount
from ledger.errors import InvalidCommand
from ledger.supervision.cases import AlertCase, Snooze, SupervisionClock, clock_id, snooze_id
from ledger.unit_of_work import SYSTEM, Actor, Load, Receipt, UnitOfWork


class SupervisionCommands:
    """Commands on alert cases, snoozes and the clock: every one runs through the unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def _alert_step(
        self,
        alert_id: UUID,
        rule: str,
        actor: Actor,
        step: Callable[[AlertCase], object],
        complex_id: UUID | None = None,
    ) -> Receipt:
        """A step on one alert's case; ``complex_id`` is the alert's complex, where it has one."""
        work = self._work

        def body(load: Load) -> Receipt:
            case = self._alert_case(load, alert_id, rule, actor)
            step(case)
            work.save(case)
            return Receipt(str(alert_id), case.version, status=case.status)

        return work.run(body, actor=actor, complex_id=complex_id)

    def _alert_case(self, load: Load, alert_id: UUID, rule: str, actor: Actor) -> AlertCase:
        """The alert's case stream, opened by its first step."""
        work = self._work
        if work.exists(alert_id):
            return load(alert_id, AlertCase)
        return AlertCase.open(
            alert_id, rule=rule, principal=actor.principal, value_date=work.today().isoformat()
        )

    def acknowledge_alert(self, alert_id: UUID, *, rule: str, note: str, actor: Actor) -> Receipt:
        today = self._work.today
        return self._alert_step(
            alert_id, rule, actor,
            lambda c: c.acknowledge(note=note, principal=actor.principal, on=today()),
        )  # fmt: skip

    def explain_alert(
        self,
        alert_id: UUID,
        *,
        rule: str,
        complex_id: UUID,
        text: str,
        evidence: list[str],
        actor: Actor,
    ) -> Receipt:
        """The committee of the alert's complex answers it (H15: a member in office)."""
        today = self._work.today
        return self._alert_step(
            alert_id, rule, actor,
            lambda c: c.explain(text=text, evidence=evidence, principal=actor.principal, on=today()),
            complex_id,
        )  # fmt: skip

    def close_alert(
        self,
        alert_id: UUID,
        *,
        rule: str,
        outcome: str,
        reason: str,
        action: str,
        actor: Actor,
        suspend: tuple[UUID, str] | None = None,
    ) -> Receipt:
        """Close an alert; ``suspend``: (account, reason) also suspends payments on the
        account, in the same transaction (issue #12: two commands let a crash between them
        leave the alert confirmed and the account open). Only a confirmed alert suspends."""
        work = self._work
        if suspend is None:
            return self._alert_step(
                alert_id, rule, actor,
                lambda c: c.close(
                    outcome=outcome, reason=reason, action=action, principal=actor.principal,
                    on=work.today(),
                ),
            )  # fmt: skip
        account_id, why = suspend
        if outcome != "confirmed":
            raise InvalidCommand("suspend_payments: payments are suspended on a confirmed alert")

        def body(load: Load) -> Receipt:
            case = self._alert_case(load, alert_id, rule, actor)
            case.close(
                outcome=outcome, reason=reason, action=action, principal=actor.principal,
                on=work.today(),
            )  # fmt: skip
            account = load(account_id, CommonFundAccount)
            if account.status != "open":
                raise InvalidCommand(f"suspend_payments: account {account_id} is {account.status}")
            if account.suspended:  # suspended already (by another regulator): the alert closes
                work.save(case)
            else:
                account.suspend_payments(reason=why, on=work.today(), principal=actor.principal)
                work.save(case, account)
            return Receipt(str(alert_id), case.version, status=case.status)

        return work.run(body, actor=actor)

    def snooze_rule(
        self, rule: str, subject: str, *, until: date, reason: str, actor: Actor
    ) -> Receipt:
        """At most 180 days for one subject; a later snooze of the same pair extends it."""
        work = self._work
        snooze = snooze_id(rule, subject)

        def body(load: Load) -> Receipt:
            if work.exists(snooze):
                current = load(snooze, Snooze)
                current.extend(
                    until=until, reason=reason, principal=actor.principal, on=work.today()
                )
            else:
                current = Snooze.start(
                    rule, subject, until=until, reason=reason, principal=actor.principal,
                    on=work.today(),
                )  # fmt: skip
            work.save(current)
            return Receipt(str(snooze), current.version, status="snoozed")

        return work.run(body, actor=actor)

    def tick_supervision(self, as_of: date, *, actor: Actor = SYSTEM) -> Receipt:
        """Record a run of the clock rules for ``as_of``; a second run of a date records nothing.

        The supervision read model evaluates the clock rules when it meets the
        event, so a replay of the log raises the same clock alerts again, once.
        """
        work = self._work
        clock = clock_id(as_of)

        def body(load: Load) -> Receipt:
            if work.exists(clock):
                current = load(clock, SupervisionClock)
                return Receipt(str(clock), current.version, replayed=True, status="ticked")
            ticked = SupervisionClock.tick(as_of, principal=actor.principal, today=work.today())
            work.save(ticked)
            return Receipt(str(clock), ticked.version, status="ticked")

        return work.run(body, actor=actor)
