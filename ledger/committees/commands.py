"""The commands of committees and resolutions: votes recorded, elections, filing, seal,
members, decisions, hand-over and dissolution."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate

from ledger import ids
from ledger.committees.committee import Committee, Member
from ledger.committees.resolution import MATTER_ELECT_COMMITTEE, Resolution
from ledger.complexes.complex import Complex
from ledger.dates import parse_date
from ledger.errors import AlreadyExists, IdempotencyConflict, InvalidCommand, NotFound
from ledger.requests import fingerprint
from ledger.unit_of_work import Actor, Load, Receipt, UnitOfWork


class CommitteeCommands:
    """Commands on resolutions and committees: every one runs through the unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def record_resolution(
        self,
        complex_id: UUID,
        *,
        idempotency_key: str,
        matter: int,
        purpose: str,
        amount_cap: int | None,
        period_from: date,
        period_to: date,
        scope_units: list[str] | None,
        participated: list[str],
        consented: list[str],
        closed_on: date,
        actor: Actor,
        budget_category: str | None = None,
    ) -> Receipt:
        """Record a resolution; ``budget_category`` with ``amount_cap`` makes it a budget (H05)."""
        work = self._work
        resolution_id = ids.resolution_id(complex_id, idempotency_key)
        request = fingerprint(
            {
                "matter": matter,
                "purpose": purpose,
                "amount_cap": amount_cap,
                "period": [period_from, period_to],
                "scope_units": sorted(scope_units) if scope_units is not None else None,
                "participated": sorted(participated),
                "consented": sorted(consented),
                "closed_on": closed_on,
                # only when given: a request recorded before budgets keeps its fingerprint
                **({"budget_category": budget_category} if budget_category is not None else {}),
            }
        )

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            if str(resolution_id) in complex_.resolution_ids:
                existing = work.fresh(resolution_id, Resolution)
                if existing.request_fingerprint() != request:
                    raise IdempotencyConflict(
                        f"resolution key {idempotency_key!r} was used for a different resolution"
                    )
                return Receipt(
                    str(resolution_id),
                    existing.version,
                    replayed=True,
                    status="passed" if existing.passed else "failed",
                )
            if closed_on > work.today():
                raise InvalidCommand("closed_on: record a resolution once its vote has closed")
            resolution = Resolution.record(
                resolution_id,
                complex_,
                matter=matter,
                purpose=purpose,
                amount_cap=amount_cap,
                period_from=period_from,
                period_to=period_to,
                scope_units=scope_units,
                participated=participated,
                consented=consented,
                closed_on=closed_on,
                budget_category=budget_category,
                request_fingerprint=request,
                policy=work.policy,
                principal=actor.principal,
            )
            complex_.note_resolution(
                resolution_id, principal=actor.principal, value_date=closed_on.isoformat()
            )
            work.save(resolution, complex_)
            return Receipt(
                str(resolution_id),
                resolution.version,
                status="passed" if resolution.passed else "failed",
            )

        return work.run(body, actor=actor, complex_id=complex_id)

    def elect_committee(
        self,
        complex_id: UUID,
        *,
        election_resolution_id: UUID,
        elected_on: date,
        term_end: date,
        members: list[Member],
        actor: Actor,
    ) -> Receipt:
        work = self._work
        committee_id = ids.committee_id(complex_id, election_resolution_id)

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            if str(committee_id) in complex_.committee_ids:
                raise AlreadyExists(
                    f"committee {committee_id} was already elected by that resolution"
                )
            resolution = work.fresh(election_resolution_id, Resolution)
            if resolution.complex_id != str(complex_id):
                raise NotFound(f"resolution {election_resolution_id} is not of this complex")
            if resolution.matter != MATTER_ELECT_COMMITTEE or not resolution.passed:
                raise InvalidCommand(
                    f"election_resolution_id: resolution {election_resolution_id} is not a passed"
                    " resolution electing the committee (art. 278 item 3)"
                )
            if elected_on < parse_date(resolution.closed_on):
                raise InvalidCommand("elected_on: a committee is elected when the vote closes")
            committee = Committee.elect(
                committee_id,
                complex_id=complex_id,
                election_resolution_id=election_resolution_id,
                elected_on=work.not_future(elected_on, "elected_on"),
                term_end=term_end,
                members=members,
                policy=work.policy,
                principal=actor.principal,
                personal=work.personal,
            )
            to_save: list[Aggregate] = [committee, complex_]
            previous_id = complex_.current_committee_id
            if previous_id is not None:
                previous = load(UUID(previous_id), Committee)
                if previous.status not in ("superseded", "dissolved"):
                    previous.supersede(committee_id, on=elected_on, principal=actor.principal)
                    to_save.append(previous)
            complex_.note_committee(
                committee_id, principal=actor.principal, value_date=elected_on.isoformat()
            )
            work.save(*to_save)
            return Receipt(str(committee_id), committee.version, status=committee.status)

        return work.run(body, actor=actor, complex_id=complex_id)

    def _committee_step(
        self, committee_id: UUID, actor: Actor, step: Callable[[Committee], object]
    ) -> Receipt:
        work = self._work

        def body(load: Load) -> Receipt:
            committee = load(committee_id, Committee)
            step(committee)
            work.save(committee)
            return Receipt(str(committee_id), committee.version, status=committee.status)

        return work.run(body, actor=actor, complex_id=work.complex_of(committee_id, Committee))

    def file_committee(
        self, committee_id: UUID, *, number: str, authority: str, filed_on: date, actor: Actor
    ) -> Receipt:
        work = self._work
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.file(
                number=number,
                authority=authority,
                filed_on=work.not_future(filed_on, "filed_on"),
                policy=work.policy,
                principal=actor.principal,
            ),
        )

    def seal_committee(
        self, committee_id: UUID, *, seal_number: str, sealed_on: date, actor: Actor
    ) -> Receipt:
        work = self._work
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.seal(
                seal_number=seal_number,
                sealed_on=work.not_future(sealed_on, "sealed_on"),
                principal=actor.principal,
            ),
        )

    def change_members(
        self,
        committee_id: UUID,
        *,
        added: list[Member],
        removed: list[str],
        changed_on: date,
        actor: Actor,
    ) -> Receipt:
        work = self._work
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.change_members(
                added=added,
                removed=removed,
                changed_on=work.not_future(changed_on, "changed_on"),
                policy=work.policy,
                principal=actor.principal,
                personal=work.personal,
            ),
        )

    def record_decision(
        self,
        committee_id: UUID,
        *,
        idempotency_key: str,
        purpose: str,
        amount_cap: int,
        decided_on: date,
        approvers: list[str],
        actor: Actor,
    ) -> Receipt:
        work = self._work
        decision_id = ids.child_id(committee_id, idempotency_key)
        request = fingerprint(
            {
                "purpose": purpose,
                "amount_cap": amount_cap,
                "decided_on": decided_on,
                "approvers": sorted(approvers),
            }
        )

        def body(load: Load) -> Receipt:
            committee = load(committee_id, Committee)
            replay = decision_id in committee.decisions
            decision = committee.record_decision(
                decision_id,
                purpose=purpose,
                amount_cap=amount_cap,
                decided_on=work.not_future(decided_on, "decided_on"),
                approvers=approvers,
                fingerprint=request,
                principal=actor.principal,
            )
            if not replay:
                work.save(committee)
            return Receipt(
                decision_id,
                committee.version,
                replayed=replay,
                status="approved" if decision["approved"] else "not_approved",
            )

        return work.run(body, actor=actor, complex_id=work.complex_of(committee_id, Committee))

    def hand_over(self, committee_id: UUID, *, on: date, actor: Actor) -> Receipt:
        work = self._work
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.hand_over(on=on, today=work.today(), principal=actor.principal),
        )

    def dissolve_committee(
        self, committee_id: UUID, *, reason: str, on: date, actor: Actor
    ) -> Receipt:
        return self._committee_step(
            committee_id,
            actor,
            lambda c: c.dissolve(reason=reason, on=on, principal=actor.principal),
        )
