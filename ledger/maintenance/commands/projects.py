"""The maintenance fund's repair projects (issue #6): plans (H07, H08), acceptance, disclosure
and payouts, proposed by one member and booked by the approval of a second distinct signatory of
the committee in office (H06, issue #12), like an account's expenditure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from ledger import ids
from ledger.account.payment_rules import check_approver, check_payee_not_approver
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex
from ledger.errors import (
    IdempotencyConflict,
    InvalidCommand,
    LedgerError,
    MaintenancePayeeRefused,
    MaintenanceUseRefused,
    NotFound,
    PayoutLimitExceeded,
    SubLedgerShortfall,
)
from ledger.maintenance.commands.loading import existing_fund
from ledger.maintenance.fund import MaintenanceFund, RepairProject
from ledger.maintenance.receipts import FundReceipt, ProjectPlan, project_id
from ledger.requests import fingerprint
from ledger.unit_of_work import Actor, Load, UnitOfWork

# A refused payout that supervision must see (A17, A18) is recorded before it is raised.
# A shortfall (H03) is kept too: it is when owners must top up, and supervision should see it.
RECORDED_PAYOUT_REFUSALS = (PayoutLimitExceeded, MaintenancePayeeRefused, SubLedgerShortfall)


class MaintenanceProjects:
    """Commands on a complex's repair projects and their payouts."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def plan_project(
        self, complex_id: UUID, plan: ProjectPlan, *, idempotency_key: str, actor: Actor
    ) -> FundReceipt:
        the_project = project_id(complex_id, idempotency_key)
        request = fingerprint(
            {
                "title": plan.title,
                "items": plan.items,
                "budget": plan.budget,
                "contract_sum": plan.contract_sum,
                "contractor": plan.contractor,
                "affected_units": sorted(plan.affected_units),
                "plan_published_on": plan.plan_published_on,
                "resolution_id": str(plan.resolution_id) if plan.resolution_id else None,
                "emergency": plan.emergency,
            }
        )
        work = self._work
        today = work.today()

        def body(load: Load) -> FundReceipt:
            if work.exists(the_project):
                existing: RepairProject = work.fresh(the_project, RepairProject)
                if existing.fingerprint != request:
                    raise IdempotencyConflict(
                        f"project key {idempotency_key!r} was used for a different project"
                    )
                fund_now = existing_fund(self._work, load, complex_id)
                return FundReceipt(str(the_project), existing.version, fund_now.balance,
                                   replayed=True, status=existing.kind)  # fmt: skip
            complex_: Complex = load(complex_id, Complex)
            fund = existing_fund(self._work, load, complex_id)
            if len(set(plan.affected_units)) != len(plan.affected_units):
                raise InvalidCommand("affected_units: a unit is listed twice")
            unknown = sorted(u for u in plan.affected_units if u not in complex_.units)
            if unknown:
                raise NotFound(f"affected_units: not units of this complex: {unknown[:5]}")
            resolution: Resolution | None = None
            if plan.emergency is None and plan.resolution_id is not None:
                if str(plan.resolution_id) not in complex_.resolution_ids:
                    raise NotFound(
                        f"resolution_id: no resolution {plan.resolution_id} in this complex"
                    )
                resolution = work.fresh(plan.resolution_id, Resolution)
            if plan.plan_published_on is not None:
                self._work.not_future(plan.plan_published_on, "plan_published_on")
            try:
                project = RepairProject.plan(
                    the_project,
                    complex_id=complex_id,
                    fund_id=fund.id,
                    title=plan.title,
                    items=plan.items,
                    budget=plan.budget,
                    contract_sum=plan.contract_sum,
                    contractor=plan.contractor,
                    affected={u: complex_.units[u]["area"] for u in plan.affected_units},
                    plan_published_on=plan.plan_published_on,
                    resolution=resolution,
                    emergency=plan.emergency,
                    emergency_categories=work.policy.maintenance_emergency_categories,
                    min_publicity_days=work.policy.maintenance_plan_publicity_days,
                    on=today,
                    fingerprint=request,
                    principal=actor.principal,
                )
            except MaintenanceUseRefused as refusal:
                self._keep_use_refusal(
                    fund, the_project, refusal, complex_=complex_, plan=plan, on=today, actor=actor
                )
                raise
            fund.note_project(the_project, on=today, principal=actor.principal)
            work.save(project, fund)
            return FundReceipt(str(the_project), project.version, fund.balance,
                               status=project.kind)  # fmt: skip

        return work.run(body, actor=actor, complex_id=complex_id)

    def accept_project(
        self, project: UUID, *, on: date, reference: str, actor: Actor
    ) -> FundReceipt:
        """Completion acceptance: from now on the budget, not 70% of the contract, is the limit (H09)."""
        self._work.not_future(on, "accepted_on")
        return self._project_step(
            project, "accepted", actor,
            lambda p: p.accept(on=on, reference=reference, principal=actor.principal),
        )  # fmt: skip

    def disclose_project(
        self, project: UUID, *, on: date, reference: str, actor: Actor
    ) -> FundReceipt:
        """The use made public (an emergency within 7 days, A17)."""
        self._work.not_future(on, "disclosed_on")
        return self._project_step(
            project, "disclosed", actor,
            lambda p: p.disclose(on=on, reference=reference, principal=actor.principal),
        )  # fmt: skip

    def _project_step(
        self, project: UUID, status: str, actor: Actor, step: Callable[[RepairProject], None]
    ) -> FundReceipt:
        def body(load: Load) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            step(the_project)
            self._work.save(the_project)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            return FundReceipt(str(project), the_project.version, fund.balance, status=status)

        return self._work.run(
            body, actor=actor, complex_id=self._work.complex_of(project, RepairProject)
        )

    def propose_disbursement(
        self,
        project: UUID,
        amount: int,
        *,
        payee: str,
        method: str,
        on: date,
        reference: str,
        idempotency_key: str,
        actor: Actor,
    ) -> FundReceipt:
        """A member proposes a payout to the contractor (H06: the maker); nothing moves yet.

        Refused now if it could not be booked now (H03, H07, H09, recorded for supervision),
        and checked again when a signatory's approval would book it. The proposer's approval
        counts as the first when they are a signatory.
        """
        disbursement_id = ids.child_id(project, idempotency_key)
        request = fingerprint(
            {"amount": amount, "payee": payee, "method": method, "on": on, "reference": reference}
        )
        member_id = actor.require_member()
        self._work.not_future(on, "value_date")
        work = self._work

        def body(load: Load) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            if the_project.replayed(disbursement_id, request):
                return self._payout_receipt(load, the_project, disbursement_id, replayed=True)
            complex_: Complex = work.fresh(UUID(the_project.complex_id), Complex)
            committee = work.committee_in_office(complex_, "propose a payout for", member_id)
            check_payee_not_approver(the_project.contractor_party(), committee, member_id)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            self._check_booking(
                the_project, fund, disbursement_id, amount=amount, payee=payee, method=method,
                on=on, actor=actor,
            )  # fmt: skip
            the_project.propose_disbursement(
                disbursement_id, amount, payee=payee, method=method, reference=reference,
                fingerprint=request, proposer=member_id,
                signatory=member_id in committee.signatories(), on=on, principal=actor.principal,
            )  # fmt: skip
            work.save(the_project)
            return FundReceipt(disbursement_id, the_project.version, fund.balance,
                               status="proposed")  # fmt: skip

        return work.run(body, actor=actor, complex_id=self._work.complex_of(project, RepairProject))

    def approve_disbursement(
        self, project: UUID, disbursement_id: str, *, actor: Actor
    ) -> FundReceipt:
        """A further signatory of the committee in office approves (the checker); the approval
        that reaches two distinct signatories books the payout in the same write: the money
        leaves the affected units by floor area (H03, H07, H09 checked again)."""
        member_id = actor.require_member()
        work = self._work

        def body(load: Load) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            approvals = the_project.approvals_after(disbursement_id, member_id)
            if approvals is None:  # this member's approval counted already
                return self._payout_receipt(load, the_project, disbursement_id, replayed=True)
            complex_: Complex = work.fresh(UUID(the_project.complex_id), Complex)
            committee = work.committee_in_office(complex_, "approve a payout for")
            signatories = committee.signatories()
            contractor = the_project.contractor_party()
            for approver in approvals:
                check_approver(approver, committee, signatories, of="the committee")
                check_payee_not_approver(contractor, committee, approver)
            fund: MaintenanceFund = load(UUID(the_project.fund_id), MaintenanceFund)
            payout = the_project.payouts[disbursement_id]
            books = len(approvals) >= work.policy.required_approvers
            parts: dict[str, int] = {}
            if books:
                parts = self._check_booking(
                    the_project, fund, disbursement_id, amount=payout["amount"],
                    payee=payout["payee"], method=payout["method"],
                    on=date.fromisoformat(payout["value_date"]), actor=actor,
                )  # fmt: skip
            the_project.approve_disbursement(
                disbursement_id, member_id=member_id, principal=actor.principal
            )
            if not books:
                work.save(the_project)
                return self._payout_receipt(load, the_project, disbursement_id)
            fund.disburse(
                project, disbursement_id, parts, on=date.fromisoformat(payout["value_date"]),
                principal=actor.principal,
            )  # fmt: skip
            the_project.book_disbursement(disbursement_id, principal=actor.principal)
            work.save(the_project, fund)
            return FundReceipt(disbursement_id, the_project.version, fund.balance,
                               parts=len(parts), status="booked")  # fmt: skip

        return work.run(body, actor=actor, complex_id=self._work.complex_of(project, RepairProject))

    def reject_disbursement(
        self, project: UUID, disbursement_id: str, *, reason: str, actor: Actor
    ) -> FundReceipt:
        """A member of the committee in office rejects a proposed payout."""
        return self._payout_step(
            project, disbursement_id, actor, "reject a payout for",
            lambda p, member: p.reject_disbursement(
                disbursement_id, member_id=member, reason=reason, principal=actor.principal
            ),
        )  # fmt: skip

    def withdraw_disbursement(
        self, project: UUID, disbursement_id: str, *, actor: Actor
    ) -> FundReceipt:
        """Its proposer withdraws a payout that is not booked."""
        return self._payout_step(
            project, disbursement_id, actor, "withdraw a payout for",
            lambda p, member: p.withdraw_disbursement(
                disbursement_id, member_id=member, principal=actor.principal
            ),
        )  # fmt: skip

    def _payout_step(
        self,
        project: UUID,
        disbursement_id: str,
        actor: Actor,
        action: str,
        step: Callable[[RepairProject, str], None],
    ) -> FundReceipt:
        member_id = actor.require_member()
        work = self._work

        def body(load: Load) -> FundReceipt:
            the_project: RepairProject = load(project, RepairProject)
            the_project.payout(disbursement_id)
            complex_: Complex = work.fresh(UUID(the_project.complex_id), Complex)
            work.committee_in_office(complex_, action, member_id)
            step(the_project, member_id)
            work.save(the_project)
            return self._payout_receipt(load, the_project, disbursement_id)

        return work.run(body, actor=actor, complex_id=self._work.complex_of(project, RepairProject))

    def _check_booking(
        self,
        project: RepairProject,
        fund: MaintenanceFund,
        disbursement_id: str,
        *,
        amount: int,
        payee: str,
        method: str,
        on: date,
        actor: Actor,
    ) -> dict[str, int]:
        """H08 (the resolution still in force), H07, H09, then H03 and the fund's date, as
        booking the payout now would meet them: each unit's part. A refusal supervision must see
        is recorded, then raised."""
        self._check_resolution_in_force(project)
        try:
            project.check_disbursement(
                amount, payee=payee, method=method,
                payout_ratio_bp=self._work.policy.maintenance_payout_ratio_bp,
            )  # fmt: skip
            parts = fund.apportion(amount, project.affected)
        except RECORDED_PAYOUT_REFUSALS as refusal:
            self._keep_refusal(
                project, disbursement_id=disbursement_id, amount=amount, refusal=refusal, on=on,
                actor=actor, fund=fund,
            )  # fmt: skip
            raise
        fund.check_debit_date(on)
        return parts

    def _check_resolution_in_force(self, project: RepairProject) -> None:
        """H08: the resolution a normal project cites authorises its payouts while in force; a
        court's revocation (SPC interpretation art. 12) stops every payout from that day on."""
        if project.resolution_id is None:
            return  # an emergency: its street office's confirmation is its authority
        resolution = self._work.fresh(UUID(project.resolution_id), Resolution)
        today = self._work.today()
        if not resolution.in_force(today):
            raise MaintenanceUseRefused(
                f"resolution {resolution.id} {resolution.why_not_in_force(today)}: it authorises"
                " no payout of this project now (H08)"
            )

    def _payout_receipt(
        self,
        load: Load,
        project: RepairProject,
        disbursement_id: str,
        *,
        replayed: bool = False,
    ) -> FundReceipt:
        fund: MaintenanceFund = load(UUID(project.fund_id), MaintenanceFund)
        payout = project.payouts.get(disbursement_id)
        status = payout["status"] if payout is not None else "booked"  # a one-step payout
        parts = len(project.affected) if status == "booked" else 0
        balance = fund.balance
        if replayed and status == "booked":  # the balance the booking left (issue #12)
            booking = self._work.recorded(
                fund.id,
                lambda e: (
                    isinstance(e, MaintenanceFund.Disbursed)
                    and e.disbursement_id == disbursement_id
                ),
            )
            then = self._work.at_version(fund.id, MaintenanceFund, booking.originator_version)
            balance = then.balance
        return FundReceipt(disbursement_id, project.version, balance, replayed=replayed,
                           parts=parts, status=status)  # fmt: skip

    def _keep_use_refusal(
        self,
        fund: MaintenanceFund,
        project_id: UUID,
        refusal: MaintenanceUseRefused,
        *,
        complex_: Complex,
        plan: ProjectPlan,
        on: date,
        actor: Actor,
    ) -> None:
        """Record a plan refused under H08 on the fund (A17); the refusal is still raised.

        Judged on the complex (its resolutions) and the fund (``UnitOfWork.keep_refusal``).
        """
        self._work.keep_refusal(
            refusal,
            judged_on={fund.id: fund.version, complex_.id: complex_.version},
            stream=fund.id,
            kind=MaintenanceFund,
            record=lambda fresh: fresh.record_use_refusal(
                project_id, refusal,
                emergency_category=plan.emergency["category"] if plan.emergency else None,
                budget=plan.budget, on=on, principal=actor.principal,
            ),
        )  # fmt: skip

    def _keep_refusal(
        self,
        project: RepairProject,
        *,
        disbursement_id: str,
        amount: int,
        refusal: LedgerError,
        on: date,
        actor: Actor,
        fund: MaintenanceFund,
    ) -> None:
        """Record the refused payout (A17/A18/A24, H03 for A26) on the project; still raised.

        Judged on the project and, for a shortfall, the fund (``UnitOfWork.keep_refusal``).
        """
        self._work.keep_refusal(
            refusal,
            judged_on={project.id: project.version, fund.id: fund.version},
            stream=project.id,
            kind=RepairProject,
            record=lambda fresh: fresh.record_refusal(
                disbursement_id, amount, refusal, on=on, principal=actor.principal
            ),
        )
