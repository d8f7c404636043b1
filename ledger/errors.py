"""Every refusal of the ledger: one class per kind, each knowing its rule id and problem type.

The docstring is the default message; callers pass a message that says what is
missing. ``api`` maps these to problem+json in one place.
"""

from __future__ import annotations

from typing import ClassVar, TypedDict


class LedgerError(Exception):
    """The ledger refused the command."""

    rule: ClassVar[str | None] = None
    problem: ClassVar[str] = "ledger-error"
    kind: ClassVar[str] = "refused"  # refused | invalid | not_found | conflict | forbidden

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or (self.__doc__ or type(self).__name__).strip()
        self.on_fresh_state = False  # set once the state it was judged on is known current
        super().__init__(self.detail)


# --- bad input ---------------------------------------------------------------


class InvalidCommand(LedgerError):
    """The command is not valid."""

    problem = "invalid-command"
    kind = "invalid"


class InvalidAmount(InvalidCommand):
    """The amount is not a positive decimal with at most two places."""

    problem = "invalid-amount"


class InvalidArea(InvalidCommand):
    """The floor area is not a positive decimal with at most two places."""

    problem = "invalid-area"


class InvalidPeriod(InvalidCommand):
    """The period is not a month (2026-07), a quarter (2026-Q3) or a year (2026)."""

    problem = "invalid-period"


class InvalidDate(InvalidCommand):
    """The date is not a real calendar date written YYYY-MM-DD."""

    problem = "invalid-date"


class StatementRefused(InvalidCommand):
    """The bank file was refused whole; nothing of it was recorded."""

    problem = "bank-statement-refused"

    def __init__(self, detail: str, *, where: str = "", problem: str = "") -> None:
        # ``where`` names the element or line ("Stmt[1]/Bal[2]", "line 7"); ``problem`` a
        # narrower slug ("unbalanced", "duplicate-reference", "unsafe-xml") shown as ``reason``
        self.where = where
        self.reason = problem or "invalid"
        super().__init__(f"{where}: {detail}" if where else detail)


class UnknownCategory(InvalidCommand):
    """The category is not one of the domain's categories."""

    problem = "unknown-category"


# --- lookups and conflicts ---------------------------------------------------


class NotFound(LedgerError):
    """No such thing is recorded."""

    problem = "not-found"
    kind = "not_found"


class AlreadyExists(LedgerError):
    """That is recorded already."""

    problem = "already-exists"
    kind = "conflict"


class IdempotencyConflict(LedgerError):
    """The idempotency key was used before with a different request."""

    problem = "idempotency-key-reused"
    kind = "conflict"


class ConcurrencyConflict(LedgerError):
    """Another writer changed the same record at the same time; retry the request."""

    problem = "concurrent-update"
    kind = "conflict"
    retryable: ClassVar[bool] = True


class InvalidState(LedgerError):
    """The command does not fit the current state."""

    problem = "invalid-state"


# --- hard invariants (domain.md H01–H15) --------------------------------------


class AccountOpeningRefused(LedgerError):
    """The account cannot be opened: the committee must be filed, sealed, in term, with two signatories."""

    rule = "H01"
    problem = "account-opening-refused"


class CommitteeNotSealed(AccountOpeningRefused):
    """The committee is not sealed: record the seal before opening the account."""

    problem = "committee-not-sealed"


class DebitBlocked(LedgerError):
    """No debit now: term expired, committee out of office, payments suspended or account closed."""

    rule = "H02"
    problem = "debit-blocked"


class InsufficientBalance(LedgerError):
    """The balance would go negative."""

    rule = "H03"
    problem = "insufficient-balance"


class ResolutionInvalid(LedgerError):
    """The resolution's tally is not consistent with the complex's units."""

    rule = "H04"
    problem = "resolution-invalid"


class AuthorisationMissing(LedgerError):
    """The expenditure is not covered by a passed resolution or an approved committee decision."""

    rule = "H05"
    problem = "authorisation-missing"


class MakerCheckerViolation(LedgerError):
    """The expenditure needs two distinct approvers who are current members and signatories, none of them the payee."""

    rule = "H06"
    problem = "maker-checker"


class CashLimitExceeded(LedgerError):
    """A single cash payment above the cash limit is not allowed."""

    rule = "H07"
    problem = "cash-limit-exceeded"


class ClosureRefused(LedgerError):
    """Close at zero or by transfer to the successor; by the committee in office or a regulator."""

    rule = "H13"
    problem = "closure-refused"


class MemberNotInOffice(LedgerError):
    """A committee credential acts only for a member of the complex's committee in office."""

    rule = "H15"
    problem = "member-not-in-office"
    kind = "forbidden"


class CommitteeShapeInvalid(LedgerError):
    """A committee has 5–11 members, an odd number, a term of at most 5 years."""

    rule = "H14"
    problem = "committee-shape"


class CommitteeOutOfOrder(LedgerError):
    """Committee steps go in order: election, filing, seal, then the account."""

    rule = "H14"
    problem = "committee-out-of-order"


class CommitteeNotFiled(CommitteeOutOfOrder):
    """The committee is not filed: record the filing before the seal."""

    problem = "committee-not-filed"


class FilingDeadlinePassed(CommitteeOutOfOrder):
    """The filing is later than the filing deadline after the election."""

    problem = "filing-deadline-passed"


# --- the maintenance fund (H03, H07, H08, H09) --------------------------------------


class MaintenanceUseRefused(LedgerError):
    """Fund use needs a passed matter-5 resolution whose scope is the affected units, or a confirmed emergency."""

    rule = "H08"
    problem = "maintenance-use-refused"


class MaintenancePayeeRefused(LedgerError):
    """The maintenance fund pays only the project's contractor, by transfer: never cash, never an individual."""

    rule = "H07"
    problem = "maintenance-payee-refused"


class PayoutLimitExceeded(LedgerError):
    """A project disburses at most 70% of its contract before completion acceptance, and never above its budget."""

    rule = "H09"
    problem = "payout-limit-exceeded"


class Shortfall(TypedDict):
    """A unit that cannot bear its share of a payout (H03): what it holds, owes and lacks."""

    unit_id: str
    balance: str
    share: str
    shortfall: str


class SubLedgerShortfall(InsufficientBalance):
    """A unit's sub-ledger would go negative: its owner must top it up first."""

    problem = "sub-ledger-shortfall"

    def __init__(
        self,
        detail: str,
        shortfalls: list[Shortfall],
        fen: list[tuple[str, int, int]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.shortfalls = shortfalls
        self.fen = fen or []  # (unit, balance, share) in fen: what the refusal keeps (A26)
