"""The commands of the common-fund account: opening, income, expenditures (propose, approve,
reject, withdraw), reversals, suspension and closure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from ledger import ids
from ledger.account.account import RECORDED_REFUSALS, CommonFundAccount
from ledger.account.commands.checks import authority, check_opening, request_body
from ledger.account.commands.records import keep_payment_refusal, replay_receipt
from ledger.account.entries import ExpenditureDetails, IncomeDetails
from ledger.committees.committee import Committee
from ledger.complexes.complex import Complex
from ledger.dates import parse_date
from ledger.errors import (
    AccountOpeningRefused,
    AlreadyExists,
    ClosureRefused,
    InvalidState,
)
from ledger.personal import store_party
from ledger.requests import fingerprint
from ledger.unit_of_work import Actor, Load, Receipt, UnitOfWork

TO_MAINTENANCE_FUND = "transfer_to_maintenance_fund"


class AccountCommands:
    """Commands on common-fund accounts: every one runs through the unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def _run_on(self, account_id: UUID, body: Callable[[Load], Receipt], actor: Actor) -> Receipt:
        work = self._work
        return work.run(
            body, actor=actor, complex_id=work.complex_of(account_id, CommonFundAccount)
        )

    def open_account(
        self,
        complex_id: UUID,
        *,
        bank: str,
        account_number: str,
        signatories: list[str],
        opened_on: date,
        actor: Actor,
        bank_code: str = "",
    ) -> Receipt:
        """H01: only for a filed and sealed committee in its term, with two member signatories.
        ``bank_code`` names the bank holding it (issue #14; H15 scopes a bank's token by it)."""
        work = self._work
        opening: dict[str, object] = {
            "bank": bank,
            "account_number": account_number,
            "signatories": sorted(signatories),
            "opened_on": opened_on,
        }
        if bank_code:
            opening["bank_code"] = bank_code
        request = fingerprint(opening)

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            if complex_.current_committee_id is None:
                raise AccountOpeningRefused(
                    f"complex {complex_.code} has no elected committee: record the election,"
                    " filing and seal before opening the account"
                )
            committee = work.fresh(UUID(complex_.current_committee_id), Committee)
            account_id = ids.account_id(complex_id, committee.id)
            if str(account_id) in complex_.account_ids:
                account = load(account_id, CommonFundAccount)
                if account.opening_fingerprint != request:
                    raise AlreadyExists(
                        f"committee {committee.id} has already opened account {account_id}"
                    )
                return Receipt(
                    str(account_id),
                    account.version,
                    replayed=True,
                    status=account.status,
                    balance=account.balance,
                )
            check_opening(committee, signatories, opened_on, work.today())
            account = CommonFundAccount.open(
                account_id,
                complex_id=complex_id,
                committee=committee,
                bank=bank,
                bank_code=bank_code,
                account_number=account_number,
                signatories=signatories,
                opened_on=opened_on,
                fingerprint=request,
                principal=actor.principal,
            )
            complex_.note_account(
                account_id, principal=actor.principal, value_date=opened_on.isoformat()
            )
            work.save(account, complex_)
            return Receipt(str(account_id), account.version, status="open", balance=0)

        return work.run(body, actor=actor, complex_id=complex_id)

    def record_income(
        self, account_id: UUID, details: IncomeDetails, *, idempotency_key: str, actor: Actor
    ) -> Receipt:
        work = self._work
        entry_id = ids.child_id(account_id, idempotency_key)
        request = fingerprint({"income": request_body(details, work.personal)})

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(entry_id, request):
                return replay_receipt(work, account, entry_id, "entry_id")
            account.record_income(
                entry_id,
                details,
                fingerprint=request,
                policy=work.policy,
                today=work.today(),
                principal=actor.principal,
                personal=work.personal,
            )
            work.save(account)
            return Receipt(
                entry_id,
                account.version,
                balance=account.balance,
                recorded_at=account.modified_on.isoformat(),
                recorded_by=actor.principal,
            )

        return self._run_on(account_id, body, actor)

    def propose_expenditure(
        self,
        account_id: UUID,
        details: ExpenditureDetails,
        *,
        idempotency_key: str,
        actor: Actor,
    ) -> Receipt:
        work = self._work
        expenditure_id = ids.child_id(account_id, idempotency_key)
        request = fingerprint({"expenditure": request_body(details, work.personal)})
        member_id = actor.require_member()

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(expenditure_id, request):
                proposal = account.proposals[expenditure_id]
                return Receipt(
                    expenditure_id,
                    account.version,
                    replayed=True,
                    status=proposal["status"],
                    balance=account.balance,
                )
            committee = work.fresh(UUID(account.committee_id), Committee)
            try:
                cited = authority(
                    work, account, details.authorisation_kind, details.authorisation_id
                )
                account.propose_expenditure(
                    expenditure_id,
                    details,
                    proposer=member_id,
                    committee=committee,
                    authority=cited,
                    fingerprint=request,
                    policy=work.policy,
                    today=work.today(),
                    principal=actor.principal,
                    personal=work.personal,
                )
            except RECORDED_REFUSALS as refusal:
                keep_payment_refusal(
                    work, account, expenditure_id, refusal, member_id=member_id,
                    amount=details.amount, payee=store_party(work.personal, details.payee),
                    method=details.method, value_date=details.value_date, actor=actor,
                )  # fmt: skip
                raise
            work.save(account)
            return Receipt(
                expenditure_id, account.version, status="proposed", balance=account.balance
            )

        return self._run_on(account_id, body, actor)

    def approve_expenditure(
        self, account_id: UUID, expenditure_id: str, *, actor: Actor
    ) -> Receipt:
        work = self._work
        member_id = actor.require_member()

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            proposal = account.proposal(expenditure_id)
            committee = work.fresh(UUID(account.committee_id), Committee)
            before = account.version
            try:
                cited = authority(
                    work, account, proposal["authorisation_kind"], proposal["authorisation_id"]
                )
                account.approve_expenditure(
                    expenditure_id,
                    member_id=member_id,
                    committee=committee,
                    authority=cited,
                    policy=work.policy,
                    today=work.today(),
                    principal=actor.principal,
                )
            except RECORDED_REFUSALS as refusal:
                keep_payment_refusal(
                    work, account, expenditure_id, refusal, member_id=member_id,
                    amount=proposal["amount"], payee=proposal["payee"], method=proposal["method"],
                    value_date=parse_date(proposal["value_date"]), actor=actor,
                )  # fmt: skip
                raise
            replayed = account.version == before
            if not replayed:
                booked = account.proposals[expenditure_id]
                if booked["status"] == "booked" and booked["category"] == TO_MAINTENANCE_FUND:
                    fund = work.handoffs.transfer_booked(
                        load, UUID(account.complex_id), account_id, expenditure_id,
                        booked["amount"], on=parse_date(booked["value_date"]), actor=actor,
                    )  # fmt: skip
                    work.save(account, fund)  # the money leaves the account and reaches the fund
                else:
                    work.save(account)
            return Receipt(
                expenditure_id,
                account.version,
                replayed=replayed,
                status=account.proposals[expenditure_id]["status"],
                balance=account.balance,
            )

        return self._run_on(account_id, body, actor)

    def reject_expenditure(
        self, account_id: UUID, expenditure_id: str, *, reason: str, actor: Actor
    ) -> Receipt:
        work = self._work
        member_id = actor.require_member()

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            committee = work.fresh(UUID(account.committee_id), Committee)
            account.reject_expenditure(
                expenditure_id,
                member_id=member_id,
                reason=reason,
                committee=committee,
                principal=actor.principal,
            )
            work.save(account)
            return Receipt(expenditure_id, account.version, status="rejected")

        return self._run_on(account_id, body, actor)

    def withdraw_expenditure(
        self, account_id: UUID, expenditure_id: str, *, actor: Actor
    ) -> Receipt:
        member_id = actor.require_member()
        return self._account_step(
            account_id,
            lambda a: a.withdraw_expenditure(
                expenditure_id, member_id=member_id, principal=actor.principal
            ),
            receipt_id=expenditure_id,
            actor=actor,
            status="withdrawn",
        )

    def reverse_entry(
        self,
        account_id: UUID,
        *,
        reverses: str,
        reason: str,
        value_date: date,
        idempotency_key: str,
        actor: Actor,
        bank_reference: str = "",
    ) -> Receipt:
        work = self._work
        entry_id = ids.child_id(account_id, idempotency_key)
        reversal: dict[str, object] = {
            "reverses": reverses, "reason": reason, "value_date": value_date
        }  # fmt: skip
        if bank_reference:
            reversal["bank_reference"] = bank_reference
        request = fingerprint({"reversal": reversal})

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            if account.replayed(entry_id, request):
                return replay_receipt(work, account, entry_id, "entry_id")
            committee = work.fresh(UUID(account.committee_id), Committee)
            reversed_ = account.proposals.get(reverses)
            if reversed_ is not None and reversed_["category"] == TO_MAINTENANCE_FUND:
                raise InvalidState(
                    f"expenditure {reverses} was transferred into the maintenance fund, which"
                    " now holds it per unit; it cannot be reversed on the account"
                )
            account.reverse(
                entry_id, reverses=reverses, reason=reason, value_date=value_date,
                fingerprint=request, committee=committee, today=work.today(),
                principal=actor.principal, bank_reference=bank_reference,
            )  # fmt: skip
            work.save(account)
            return Receipt(
                entry_id,
                account.version,
                balance=account.balance,
                recorded_at=account.modified_on.isoformat(),
                recorded_by=actor.principal,
            )

        return self._run_on(account_id, body, actor)

    def suspend_payments(self, account_id: UUID, *, reason: str, actor: Actor) -> Receipt:
        today = self._work.today
        return self._account_step(
            account_id,
            lambda a: a.suspend_payments(reason=reason, on=today(), principal=actor.principal),
            actor=actor,
            status="suspended",
        )

    def resume_payments(self, account_id: UUID, *, reason: str, actor: Actor) -> Receipt:
        today = self._work.today
        return self._account_step(
            account_id,
            lambda a: a.resume_payments(reason=reason, on=today(), principal=actor.principal),
            actor=actor,
            status="open",
        )

    def _account_step(
        self,
        account_id: UUID,
        step: Callable[[CommonFundAccount], object],
        *,
        actor: Actor,
        status: str,
        receipt_id: str | None = None,
    ) -> Receipt:
        """A command on one account alone: load, apply ``step``, save."""
        work = self._work

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            step(account)
            work.save(account)
            return Receipt(receipt_id or str(account_id), account.version, status=status)

        return self._run_on(account_id, body, actor)

    def close_account(
        self,
        account_id: UUID,
        *,
        successor_id: UUID | None,
        reason: str,
        actor: Actor,
    ) -> Receipt:
        """H13: by the committee in office, or a regulator once the committee is dissolved."""
        work = self._work

        def body(load: Load) -> Receipt:
            account = load(account_id, CommonFundAccount)
            complex_ = work.fresh(UUID(account.complex_id), Complex)
            today = work.today()
            own = work.fresh(UUID(account.committee_id), Committee)
            if actor.role == "regulator":
                if own.status != "dissolved":
                    raise ClosureRefused(
                        f"a regulator closes an account only after its committee is dissolved;"
                        f" committee {own.id} is {own.status}"
                    )
            else:  # the command checked that the member sits on the current committee
                actor.require_member()
                current_id = complex_.current_committee_id
                current = work.fresh(UUID(str(current_id)), Committee)
                if not current.in_office(today):
                    raise ClosureRefused(
                        "only the committee in office (filed, within its term) can close the"
                        " account"
                    )
            if account.suspended and actor.role != "regulator":
                raise ClosureRefused(
                    f"payments on account {account_id} are suspended by a regulator: only a"
                    " regulator may close it now (H02)"
                )
            successor: CommonFundAccount | None = None
            if successor_id is not None:
                successor = load(successor_id, CommonFundAccount)
            account.close(successor=successor, reason=reason, on=today, principal=actor.principal)
            work.save(*(a for a in (account, successor) if a is not None))
            return Receipt(str(account_id), account.version, status="closed", balance=0)

        return self._run_on(account_id, body, actor)
