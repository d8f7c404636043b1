"""The CommonFundAccount aggregate: the supervised bank account of a complex's common income.

Income is credited at once; an expenditure is proposed by one member and
booked only when enough distinct signatories approve it (H06), checked at
booking time against H02, H03, H05 and H07. Mistakes are corrected by
reversing entries, never by edits. Balances are integer fen.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal
from uuid import UUID

from ledger.account.entries import (
    METHODS,
    Authority,
    BookedLine,
    Entry,
    ExpenditureDetails,
    IncomeDetails,
    Proposal,
    booked_line,
    check_bank_code,
    check_bank_reference,
    check_party,
)
from ledger.account.payment_rules import (
    check_approver,
    check_authority,
    check_cash,
    check_payee_not_approver,
)
from ledger.base import ChainedAggregate
from ledger.committees.committee import Committee
from ledger.committees.resolution import normalise_purpose
from ledger.dates import parse_date
from ledger.errors import (
    AlreadyExists,
    AuthorisationMissing,
    CashLimitExceeded,
    ClosureRefused,
    DebitBlocked,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidCommand,
    InvalidState,
    LedgerError,
    NotFound,
    UnknownCategory,
)
from ledger.money import check_fen
from ledger.personal import PersonalData, StoredParty, match_key, store_party
from ledger.policy import Policy

RECORDED_REFUSALS = (DebitBlocked, AuthorisationMissing, CashLimitExceeded)  # A24: H02, H05, H07


def balance_effect(event: object) -> int:
    """What an account event does to the balance, in fen (0 for events that move no money)."""
    if isinstance(event, CommonFundAccount.IncomeRecorded | CommonFundAccount.TransferredIn):
        return event.amount
    if isinstance(event, CommonFundAccount.ExpenditureBooked | CommonFundAccount.TransferredOut):
        return -event.amount
    if isinstance(event, CommonFundAccount.EntryReversed):
        return event.amount
    return 0


def _note_matching(entry: Entry, party: str, bank_reference: str) -> None:
    """What the bank feed matches an entry on (issue #14). Only entries recorded since then
    carry it: an older one replays to the state its snapshots hold (``commonfund verify``)."""
    entry["party"] = party
    entry["bank_reference"] = bank_reference


class CommonFundAccount(ChainedAggregate):
    """One supervised settlement account of a complex, opened by its committee."""

    complex_id: str
    committee_id: str
    bank: str
    account_number: str
    signatories: list[str]
    opened_on: str
    opening_fingerprint: str
    balance: int
    status: Literal["open", "closed"]
    suspended: bool
    entries: dict[str, Entry]
    proposals: dict[str, Proposal]
    spent_by_purpose_year: dict[str, int]
    spent_by_authorisation: dict[str, int]
    successor_id: str | None
    refusals: int

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 0
        self.balance = 0
        self.status = "open"
        self.suspended = False
        self.entries = {}
        self.proposals = {}
        self.spent_by_purpose_year = {}
        self.spent_by_authorisation = {}
        self.successor_id = None

    # --- events -------------------------------------------------------------------

    class Opened(ChainedAggregate.Created):
        """Version 2 carries the ``bank_code`` of the bank holding the account (issue #14)."""

        class_version = 2

        complex_id: str
        committee_id: str
        bank: str
        bank_code: str  # the CNAPS code; "" for an account opened without one
        account_number: str
        signatories: list[str]
        fingerprint: str

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["bank_code"] = ""  # opened before the bank feed: no bank was named by code

        def apply(self, aggregate: Any) -> None:
            aggregate.complex_id = self.complex_id
            aggregate.committee_id = self.committee_id
            aggregate.bank = self.bank
            if self.bank_code:  # see ``CommonFundAccount.bank_code``
                aggregate.held_by = self.bank_code
            aggregate.account_number = self.account_number
            aggregate.signatories = list(self.signatories)
            aggregate.opened_on = self.value_date
            aggregate.opening_fingerprint = self.fingerprint

    class IncomeRecorded(ChainedAggregate.Event):
        """Version 2 carries the ``bank_reference`` the committee saw (issue #14)."""

        class_version = 2

        entry_id: str
        fingerprint: str
        category: str
        payer: StoredParty
        amount: int
        contract_ref: str
        description: str
        gross: int | None
        deduction: int | None
        contracted_rate_bp: int | None
        collector: str
        bank_reference: str | None  # None: recorded before version 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["bank_reference"] = None

        def apply(self, aggregate: Any) -> None:
            matching = None
            if self.bank_reference is not None:
                matching = (match_key(self.payer), self.bank_reference)
            aggregate.credit(
                self.entry_id, "income", self.amount, self.fingerprint, self.value_date,
                matching=matching,
            )  # fmt: skip

    class TransferredIn(ChainedAggregate.Event):
        entry_id: str
        fingerprint: str
        from_account_id: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.credit(
                self.entry_id, "transfer_in", self.amount, self.fingerprint, self.value_date
            )

    class ExpenditureProposed(ChainedAggregate.Event):
        expenditure_id: str
        proposal: Proposal

        def apply(self, aggregate: Any) -> None:
            aggregate.proposals[self.expenditure_id] = dict(self.proposal, approvals=[])

    class ExpenditureApproved(ChainedAggregate.Event):
        expenditure_id: str
        member_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.proposals[self.expenditure_id]["approvals"].append(self.member_id)

    class ExpenditureBooked(ChainedAggregate.Event):
        """Version 2 carries the booked ``line`` (category, payee, method, authorisation,
        references), copied from the proposal, so readers need not keep open proposals."""

        class_version = 2

        expenditure_id: str
        amount: int
        approvers: list[str]
        line: BookedLine | None  # None: booked before version 2; its proposal holds the line

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """A v1 event carries no line and cannot know it: "not carried" (None), read from the
            account's proposal instead (:func:`legacy_line`). The hash covers what was recorded
            (ledger/integrity.py ``_recorded_hash``), so this adds nothing to it."""
            state["line"] = None

        def apply(self, aggregate: Any) -> None:
            proposal = aggregate.proposals[self.expenditure_id]
            proposal["status"] = "booked"
            aggregate.debit(self.expenditure_id, proposal)

    class ExpenditureRejected(ChainedAggregate.Event):
        expenditure_id: str
        member_id: str
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.proposals[self.expenditure_id]["status"] = "rejected"

    class ExpenditureWithdrawn(ChainedAggregate.Event):
        expenditure_id: str
        member_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.proposals[self.expenditure_id]["status"] = "withdrawn"

    class EntryReversed(ChainedAggregate.Event):
        """Version 2 carries the ``bank_reference`` of the reversal (issue #14)."""

        class_version = 2

        entry_id: str
        fingerprint: str
        reverses: str
        amount: int  # signed effect of the reversal
        reason: str
        bank_reference: str | None  # None: recorded before version 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["bank_reference"] = None

        def apply(self, aggregate: Any) -> None:
            aggregate.apply_reversal(self)

    class PaymentRefused(ChainedAggregate.Event):
        """A payment attempt refused under H02, H05 or H07: kept, since a blocked attempt is a signal (A24)."""

        expenditure_id: str
        rule: str
        detail: str
        member_id: str
        amount: int
        payee: StoredParty
        method: str

        def apply(self, aggregate: Any) -> None:
            aggregate.refusals += 1

    class PaymentsSuspended(ChainedAggregate.Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.suspended = True

    class PaymentsResumed(ChainedAggregate.Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.suspended = False

    class TransferredOut(ChainedAggregate.Event):
        entry_id: str
        to_account_id: str
        amount: int

        def apply(self, aggregate: Any) -> None:
            aggregate.balance -= self.amount
            aggregate.entries[self.entry_id] = Entry(
                kind="transfer_out",
                amount=-self.amount,
                fingerprint="",
                value_date=self.value_date,
                reverses=None,
                reversed_by=None,
                purpose_key=None,
                authorisation_id=None,
            )

    class Closed(ChainedAggregate.Event):
        successor_id: str | None
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "closed"
            aggregate.successor_id = self.successor_id

    @property
    def bank_code(self) -> str:
        """The CNAPS code of the bank holding the account; "" if opened without one. Kept as
        ``held_by`` only when given (issue #14): an account opened before keeps the state it
        had, so its stored snapshots still equal its replay (``commonfund verify``)."""
        return str(self.__dict__.get("held_by", ""))

    # --- state changes shared by events (assign only) ------------------------------

    def credit(
        self,
        entry_id: str,
        kind: str,
        amount: int,
        fingerprint: str,
        on: str,
        *,
        matching: tuple[str, str] | None = None,
    ) -> None:
        self.balance += amount
        self.entries[entry_id] = Entry(
            kind=kind,
            amount=amount,
            fingerprint=fingerprint,
            value_date=on,
            reverses=None,
            reversed_by=None,
            purpose_key=None,
            authorisation_id=None,
        )
        if matching is not None:
            _note_matching(self.entries[entry_id], *matching)

    def debit(self, entry_id: str, proposal: Proposal) -> None:
        amount = proposal["amount"]
        self.balance -= amount
        self.entries[entry_id] = Entry(
            kind="expenditure",
            amount=-amount,
            fingerprint=proposal["fingerprint"],
            value_date=proposal["value_date"],
            reverses=None,
            reversed_by=None,
            purpose_key=proposal["purpose_key"],
            authorisation_id=proposal["authorisation_id"],
        )
        if "bank_reference" in proposal:  # proposed since issue #14
            _note_matching(
                self.entries[entry_id], match_key(proposal["payee"]), proposal["bank_reference"]
            )
        self._count_spending(self.entries[entry_id], amount)

    def apply_reversal(self, event: CommonFundAccount.EntryReversed) -> None:
        original = self.entries[event.reverses]
        original["reversed_by"] = event.entry_id
        self.balance += event.amount
        self.entries[event.entry_id] = Entry(
            kind="reversal",
            amount=event.amount,
            fingerprint=event.fingerprint,
            value_date=event.value_date,
            reverses=event.reverses,
            reversed_by=None,
            purpose_key=None,
            authorisation_id=None,
        )
        if event.bank_reference is not None:
            _note_matching(
                self.entries[event.entry_id], original.get("party", ""), event.bank_reference
            )
        if original["kind"] == "expenditure":
            self._count_spending(original, original["amount"])  # negative: gives it back

    def _count_spending(self, entry: Entry, amount: int) -> None:
        if entry["purpose_key"] is not None:
            key = f"{entry['purpose_key']}|{entry['value_date'][:4]}"
            self.spent_by_purpose_year[key] = self.spent_by_purpose_year.get(key, 0) + amount
        if entry["authorisation_id"] is not None:
            auth = entry["authorisation_id"]
            self.spent_by_authorisation[auth] = self.spent_by_authorisation.get(auth, 0) + amount

    # --- commands -------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        aggregate_id: UUID,
        *,
        complex_id: UUID,
        committee: Committee,
        bank: str,
        account_number: str,
        signatories: list[str],
        opened_on: date,
        fingerprint: str,
        principal: str,
        bank_code: str = "",
    ) -> CommonFundAccount:
        """Open the account; the application has checked H01's committee preconditions."""
        if not bank.strip() or not account_number.strip():
            raise InvalidCommand("bank, account_number: name the bank and the account number")
        return cls._create_chained(
            cls.Opened,
            aggregate_id,
            complex_id=str(complex_id),
            committee_id=str(committee.id),
            bank=bank.strip(),
            bank_code=check_bank_code(bank_code),
            account_number=account_number.strip(),
            signatories=sorted(set(signatories)),
            fingerprint=fingerprint,
            principal=principal,
            value_date=opened_on.isoformat(),
        )

    def replayed(self, entry_id: str, fingerprint: str) -> bool:
        """True when this id was recorded by the same request before; refuse a different one."""
        recorded = self.entries.get(entry_id) or self.proposals.get(entry_id)
        if recorded is None:
            return False
        if recorded["fingerprint"] != fingerprint:
            raise IdempotencyConflict(
                f"the idempotency key of {entry_id} was used before with a different request"
            )
        return True

    def record_income(
        self,
        entry_id: str,
        details: IncomeDetails,
        *,
        fingerprint: str,
        policy: Policy,
        today: date,
        principal: str,
        personal: PersonalData,
    ) -> None:
        if details.category not in policy.income_categories:
            raise UnknownCategory(
                f"category: {details.category!r} is not an income category;"
                f" use one of {sorted(policy.income_categories)}"
            )
        check_party(details.payer, "payer")
        check_fen(details.amount)
        self._require_open("record income on")
        self._require_value_date(details.value_date, today)
        collected = (details.gross, details.deduction, details.contracted_rate_bp)
        if any(v is not None for v in collected):
            if None in collected or not details.collector.strip():
                raise InvalidCommand(
                    "gross, deduction, contracted_rate, collector: income collected by a property"
                    " company records all four"
                )
            check_fen(details.gross or 0, "gross")
            gross, deduction, rate = (
                details.gross or 0,
                details.deduction or 0,
                details.contracted_rate_bp or 0,
            )
            if type(deduction) is not int or type(rate) is not int:
                raise InvalidCommand("deduction, contracted_rate: whole fen and basis points")
            if gross - deduction != details.amount or deduction < 0:
                raise InvalidCommand(
                    "amount: income credited must equal gross minus the deduction the property"
                    " company kept"
                )
            if not 0 <= rate <= 10_000:
                raise InvalidCommand("contracted_rate: a rate between 0 and 1")
        self.trigger_event(
            self.IncomeRecorded,
            entry_id=entry_id,
            fingerprint=fingerprint,
            category=details.category,
            payer=store_party(personal, details.payer),
            amount=details.amount,
            contract_ref=details.contract_ref.strip(),
            description=details.description.strip(),
            gross=details.gross,
            deduction=details.deduction,
            contracted_rate_bp=details.contracted_rate_bp,
            collector=details.collector.strip(),
            bank_reference=check_bank_reference(details.bank_reference),
            principal=principal,
            value_date=details.value_date.isoformat(),
        )

    def propose_expenditure(
        self,
        expenditure_id: str,
        details: ExpenditureDetails,
        *,
        proposer: str,
        committee: Committee,
        authority: Authority,
        fingerprint: str,
        policy: Policy,
        today: date,
        principal: str,
        personal: PersonalData,
    ) -> None:
        """A member proposes a payment; it is the first approval (maker) when they are a signatory."""
        if details.category not in policy.expenditure_categories:
            raise UnknownCategory(
                f"category: {details.category!r} is not an expenditure category;"
                f" use one of {sorted(policy.expenditure_categories)}"
            )
        check_party(details.payee, "payee")
        check_fen(details.amount)
        if details.method not in METHODS:
            raise InvalidCommand(f"method: {details.method!r} is not transfer or cash")
        if not details.purpose.strip():
            raise InvalidCommand("purpose: say what the payment is for")
        committee.member(proposer)
        proposal = Proposal(
            fingerprint=fingerprint,
            category=details.category,
            payee=store_party(personal, details.payee),
            method=details.method,
            amount=details.amount,
            purpose=details.purpose.strip(),
            purpose_key=normalise_purpose(details.purpose),
            value_date=details.value_date.isoformat(),
            authorisation_kind=details.authorisation_kind,
            authorisation_id=details.authorisation_id,
            contract_ref=details.contract_ref.strip(),
            description=details.description.strip(),
            proposer=proposer,
            approvals=[],
            status="proposed",
            bank_reference=check_bank_reference(details.bank_reference),
        )
        self._check_payment(proposal, committee, authority, policy, today, with_balance=False)
        check_payee_not_approver(proposal["payee"], committee, proposer)
        self.trigger_event(
            self.ExpenditureProposed,
            expenditure_id=expenditure_id,
            proposal=proposal,
            principal=principal,
            value_date=proposal["value_date"],
        )
        if proposer in self.signatories:
            self.trigger_event(
                self.ExpenditureApproved,
                expenditure_id=expenditure_id,
                member_id=proposer,
                principal=principal,
                value_date=proposal["value_date"],
            )

    def approve_expenditure(
        self,
        expenditure_id: str,
        *,
        member_id: str,
        committee: Committee,
        authority: Authority,
        policy: Policy,
        today: date,
        principal: str,
    ) -> bool:
        """A further signatory approves (checker); books the payment once H06 is met.

        Returns True when this approval booked it.
        """
        proposal = self.proposal(expenditure_id)
        if proposal["status"] == "booked" and member_id in proposal["approvals"]:
            return False  # a repeat of an approval that already counted
        if proposal["status"] != "proposed":
            raise InvalidState(f"expenditure {expenditure_id} is {proposal['status']}")
        if member_id in proposal["approvals"]:
            return False
        approvals = [*proposal["approvals"], member_id]
        will_book = len(approvals) >= policy.required_approvers
        for approver in approvals:
            check_approver(approver, committee, self.signatories)
            check_payee_not_approver(proposal["payee"], committee, approver)
        if will_book:
            self._check_payment(proposal, committee, authority, policy, today, with_balance=True)
        self.trigger_event(
            self.ExpenditureApproved,
            expenditure_id=expenditure_id,
            member_id=member_id,
            principal=principal,
            value_date=proposal["value_date"],
        )
        if will_book:
            self.trigger_event(
                self.ExpenditureBooked,
                expenditure_id=expenditure_id,
                amount=proposal["amount"],
                approvers=approvals,
                line=booked_line(proposal),
                principal=principal,
                value_date=proposal["value_date"],
            )
        return will_book

    def reject_expenditure(
        self,
        expenditure_id: str,
        *,
        member_id: str,
        reason: str,
        committee: Committee,
        principal: str,
    ) -> None:
        proposal = self.proposal(expenditure_id)
        if proposal["status"] != "proposed":
            raise InvalidState(f"expenditure {expenditure_id} is {proposal['status']}")
        committee.member(member_id)
        if not reason.strip():
            raise InvalidCommand("reason: say why the payment is rejected")
        self.trigger_event(
            self.ExpenditureRejected,
            expenditure_id=expenditure_id,
            member_id=member_id,
            reason=reason.strip(),
            principal=principal,
            value_date=proposal["value_date"],
        )

    def withdraw_expenditure(self, expenditure_id: str, *, member_id: str, principal: str) -> None:
        proposal = self.proposal(expenditure_id)
        if proposal["status"] != "proposed":
            raise InvalidState(f"expenditure {expenditure_id} is {proposal['status']}")
        if member_id != proposal["proposer"]:
            raise InvalidState("only the member who proposed a payment can withdraw it")
        self.trigger_event(
            self.ExpenditureWithdrawn,
            expenditure_id=expenditure_id,
            member_id=member_id,
            principal=principal,
            value_date=proposal["value_date"],
        )

    def reverse(
        self,
        entry_id: str,
        *,
        reverses: str,
        reason: str,
        value_date: date,
        fingerprint: str,
        committee: Committee,
        today: date,
        principal: str,
        bank_reference: str = "",
    ) -> None:
        """Correct a mistaken entry by a new entry of the opposite sign that names it."""
        self._require_open("reverse entries on")
        original = self.entries.get(reverses)
        if original is None:
            raise NotFound(f"entry {reverses} is not an entry of account {self.id}")
        if original["kind"] not in ("income", "expenditure"):
            raise InvalidState(f"entry {reverses} is a {original['kind']} and cannot be reversed")
        if original["reversed_by"] is not None:
            raise AlreadyExists(
                f"entry {reverses} is already reversed by {original['reversed_by']}"
            )
        if not reason.strip():
            raise InvalidCommand("reason: say why the entry is reversed")
        self._require_value_date(value_date, today)
        if value_date < parse_date(original["value_date"]):
            raise InvalidCommand(
                "value_date: a reversal cannot be dated before the entry it reverses"
            )
        amount = -original["amount"]
        if amount < 0:
            blocked = self.why_debit_blocked(committee, value_date, today)
            if blocked is not None:
                raise DebitBlocked(f"reversing income takes money out: {blocked}")
        if self.balance + amount < 0:
            raise InsufficientBalance(
                f"reversing {reverses} would take the balance below zero"
                f" (balance {self.balance} fen, reversal {amount} fen)"
            )
        self.trigger_event(
            self.EntryReversed,
            entry_id=entry_id,
            fingerprint=fingerprint,
            reverses=reverses,
            amount=amount,
            reason=reason.strip(),
            bank_reference=check_bank_reference(bank_reference),
            principal=principal,
            value_date=value_date.isoformat(),
        )

    def suspend_payments(self, *, reason: str, on: date, principal: str) -> None:
        self._require_open("suspend payments on")
        if self.suspended:
            raise InvalidState(f"payments on account {self.id} are already suspended")
        if not reason.strip():
            raise InvalidCommand("reason: say why payments are suspended")
        self.trigger_event(
            self.PaymentsSuspended,
            reason=reason.strip(),
            principal=principal,
            value_date=on.isoformat(),
        )

    def resume_payments(self, *, reason: str, on: date, principal: str) -> None:
        if not self.suspended:
            raise InvalidState(f"payments on account {self.id} are not suspended")
        self.trigger_event(
            self.PaymentsResumed,
            reason=reason.strip(),
            principal=principal,
            value_date=on.isoformat(),
        )

    def close(
        self,
        *,
        successor: CommonFundAccount | None,
        reason: str,
        on: date,
        principal: str,
    ) -> None:
        """H13: close at a zero balance, or move the balance to the successor account first."""
        self._require_open("close")
        if successor is None and self.balance != 0:
            raise ClosureRefused(
                f"account {self.id} holds {self.balance} fen: close it at zero or name the"
                " successor account to transfer the balance to"
            )
        if successor is not None:
            if successor.id == self.id or successor.complex_id != self.complex_id:
                raise ClosureRefused("the successor account must be another account of the complex")
            if successor.status != "open":
                raise ClosureRefused(f"successor account {successor.id} is closed")
        for expenditure_id, proposal in self.proposals.items():
            if proposal["status"] == "proposed":  # can never be booked on a closed account
                self.trigger_event(
                    self.ExpenditureRejected,
                    expenditure_id=expenditure_id,
                    member_id="",
                    reason="void: the account was closed",
                    principal=principal,
                    value_date=on.isoformat(),
                )
        if successor is not None and self.balance > 0:
            entry_id = f"{self.id}:closing-transfer"
            self.trigger_event(
                self.TransferredOut,
                entry_id=entry_id,
                to_account_id=str(successor.id),
                amount=self.balance,
                principal=principal,
                value_date=on.isoformat(),
            )
            successor.trigger_event(
                successor.TransferredIn,
                entry_id=entry_id,
                fingerprint="",
                from_account_id=str(self.id),
                amount=-self.entries[entry_id]["amount"],
                principal=principal,
                value_date=on.isoformat(),
            )
        self.trigger_event(
            self.Closed,
            successor_id=str(successor.id) if successor is not None else None,
            reason=reason.strip(),
            principal=principal,
            value_date=on.isoformat(),
        )

    def record_refusal(
        self,
        expenditure_id: str,
        error: LedgerError,
        *,
        member_id: str,
        amount: int,
        payee: StoredParty,
        method: str,
        value_date: date,
        principal: str,
    ) -> None:
        """Keep a refused payment attempt in the stream; the caller still reports the refusal."""
        self.trigger_event(
            self.PaymentRefused,
            expenditure_id=expenditure_id,
            rule=error.rule or "",
            detail=error.detail,
            member_id=member_id,
            amount=amount,
            payee=payee,
            method=method,
            principal=principal,
            value_date=value_date.isoformat(),
        )

    # --- checks ---------------------------------------------------------------------------

    def proposal(self, expenditure_id: str) -> Proposal:
        try:
            return self.proposals[expenditure_id]
        except KeyError:
            raise NotFound(
                f"expenditure {expenditure_id} is not proposed on account {self.id}"
            ) from None

    def _require_open(self, action: str) -> None:
        if self.status == "closed":
            raise InvalidState(f"cannot {action} account {self.id}: it is closed")

    def _require_value_date(self, value_date: date, today: date) -> None:
        """Entries are dated between the account's opening and today (Asia/Shanghai)."""
        if value_date < parse_date(self.opened_on):
            raise InvalidCommand(
                f"value_date: {value_date.isoformat()} is before the account was opened"
                f" ({self.opened_on})"
            )
        if value_date > today:
            raise InvalidCommand(
                f"value_date: {value_date.isoformat()} is in the future; record an entry once it"
                " has happened"
            )

    def why_debit_blocked(self, committee: Committee, value_date: date, today: date) -> str | None:
        """H02: why no debit may be booked now, or None."""
        if self.status == "closed":
            return f"account {self.id} is closed"
        if self.suspended:
            return f"payments on account {self.id} are suspended by a regulator"
        reason = committee.why_not_operating(today)
        if reason is not None:
            return reason
        if committee.term_expired(value_date):
            return f"the payment is dated after the term ended on {committee.term_end}"
        return None

    def _check_payment(
        self,
        proposal: Proposal,
        committee: Committee,
        authority: Authority,
        policy: Policy,
        today: date,
        *,
        with_balance: bool,
    ) -> None:
        value_date = parse_date(proposal["value_date"])
        amount = proposal["amount"]
        self._require_value_date(value_date, today)
        blocked = self.why_debit_blocked(committee, value_date, today)
        if blocked is not None:
            raise DebitBlocked(f"no payment can be made: {blocked}")
        check_cash(proposal, policy)
        check_authority(
            proposal,
            authority,
            policy,
            spent_this_year=self.spent_by_purpose_year.get(
                f"{proposal['purpose_key']}|{proposal['value_date'][:4]}", 0
            ),
            used_of_authority=self.spent_by_authorisation.get(authority.id, 0),
        )
        if with_balance and self.balance - amount < 0:
            raise InsufficientBalance(
                f"the balance is {self.balance} fen; a payment of {amount} fen would take it below"
                " zero"
            )
