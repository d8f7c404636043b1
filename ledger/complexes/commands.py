"""The commands of complexes: registration, units, a unit's sale, a statement's publication."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import ids
from ledger.complexes.complex import BankStatus, Complex, Unit
from ledger.errors import AlreadyExists, InvalidCommand, InvalidState
from ledger.periods import Period
from ledger.unit_of_work import Actor, Load, Receipt, UnitOfWork


class ComplexCommands:
    """Commands on a complex: every one runs through the unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def register_complex(
        self,
        *,
        code: str,
        name: str,
        district: str,
        street: str,
        community: str,
        units: Mapping[str, Unit] | None = None,
        actor: Actor,
    ) -> Receipt:
        complex_id = ids.complex_id(code)
        work = self._work

        def body(load: Load) -> Receipt:
            if work.exists(complex_id):
                raise AlreadyExists(f"a complex with code {code} is already registered")
            today = work.today().isoformat()
            complex_ = Complex.register(
                complex_id,
                code=code,
                name=name,
                district=district,
                street=street,
                community=community,
                principal=actor.principal,
                value_date=today,
            )
            if units:
                complex_.add_units(dict(units), principal=actor.principal, value_date=today)
            work.save(complex_)
            return Receipt(str(complex_id), complex_.version)

        return work.run(body, actor=actor)

    def add_units(self, complex_id: UUID, units: Mapping[str, Unit], *, actor: Actor) -> Receipt:
        work = self._work

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            complex_.add_units(
                dict(units), principal=actor.principal, value_date=work.today().isoformat()
            )
            work.save(complex_)
            return Receipt(str(complex_id), complex_.version)

        return work.run(body, actor=actor, complex_id=complex_id)

    def set_objection_contact(self, complex_id: UUID, contact: str, *, actor: Actor) -> Receipt:
        """The committee (a member in office) or the operator says where objections go."""
        work = self._work

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            if complex_.set_objection_contact(
                contact, principal=actor.principal, value_date=work.today().isoformat()
            ):
                work.save(complex_)
            return Receipt(str(complex_id), complex_.version)

        return work.run(body, actor=actor, complex_id=complex_id)

    def transfer_unit(
        self, complex_id: UUID, unit_id: str, new_owner_key: str, *, on: date, actor: Actor
    ) -> Receipt:
        work = self._work
        work.not_future(on, "sold_on")

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            seller = complex_.unit(unit_id)["owner_key"]
            complex_.transfer_unit(
                unit_id, new_owner_key, principal=actor.principal, value_date=on.isoformat()
            )
            # the unit's maintenance sub-ledger goes along, in the same write
            follower: Aggregate | None = work.handoffs.unit_sold(
                load, complex_.id, unit_id, seller, new_owner_key, on=on, actor=actor
            )
            work.save(complex_, *([follower] if follower is not None else []))
            return Receipt(str(complex_id), complex_.version)

        return work.run(body, actor=actor, complex_id=complex_id)

    def record_delivery(
        self, complex_id: UUID, unit_id: str, *, delivered: bool, actor: Actor
    ) -> Receipt:
        """The operator records that a sold unit is (not yet) handed over (issue #16, art. 9)."""
        work = self._work

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            changed = complex_.record_delivery(
                unit_id,
                delivered=delivered,
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            if changed:
                work.save(complex_)
            return Receipt(str(complex_id), complex_.version, replayed=not changed)

        return work.run(body, actor=actor, complex_id=complex_id)

    def publish_statement(
        self,
        complex_id: UUID,
        *,
        period: str,
        through: int,
        content_hash: str,
        reconciliation: BankStatus | None = None,
        actor: Actor,
    ) -> Receipt:
        """H11: a committee member in office publishes a period that has ended.

        ``through`` and ``content_hash`` come from the statements read model: the
        statement as it stood at that ledger position, which the read model
        freezes as version 1 when it meets this event; ``reconciliation`` from the
        bank read model, the bank status as of the period's end (issue #14).
        """
        work = self._work
        member_id = actor.require_member()
        stated = Period.parse(period)
        if stated.end >= work.today():
            raise InvalidState(
                f"{stated} has not ended yet: a statement is published after its period"
                f" (from {stated.end + timedelta(days=1)})"
            )
        if not re.fullmatch(r"[0-9a-f]{64}", content_hash) or through < 0:
            raise InvalidCommand("a publication names a SHA-256 content hash and a position")

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            work.committee_in_office(complex_, "publish a statement for", member_id)
            complex_.publish_statement(
                stated.name,
                through=through,
                content_hash=content_hash,
                member_id=member_id,
                reconciliation=reconciliation,
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            work.save(complex_)
            return Receipt(stated.name, complex_.version, status="published")

        return work.run(body, actor=actor, complex_id=complex_id)

    def reconcile_statement(
        self, complex_id: UUID, *, period: str, reconciliation: BankStatus, actor: Actor
    ) -> Receipt:
        """Record a published period's new bank status (issue #14; the daily run does, from the
        bank read model): the statements read model makes a new version showing it. Status
        ``unchanged`` and nothing recorded when the period already shows it."""
        work = self._work
        stated = Period.parse(period)

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            changed = complex_.reconcile_statement(
                stated.name,
                reconciliation,
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            if changed:
                work.save(complex_)
            return Receipt(
                stated.name, complex_.version, status="reconciled" if changed else "unchanged"
            )

        return work.run(body, actor=actor, complex_id=complex_id)
