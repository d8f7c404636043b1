"""The common-fund account: opening, income, two-signatory expenditures, reversals, suspension, closure."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.account import entries as reads
from api.auth import Principal
from api.cursors import cursor_of, position_of
from api.deps import (
    IdempotencyKey,
    MoneyKey,
    PrincipalDep,
    ServicesDep,
    place_of,
    place_of_part,
    yuan,
)
from api.errors_doc import problems
from api.idempotency import idempotent, revealed
from api.schemas import (
    DATE_PATTERN,
    AccountCreate,
    AccountPublic,
    BalancePublic,
    ClosureCreate,
    EntriesPage,
    EntryPublic,
    ExpenditureCreate,
    ExpenditurePublic,
    IncomeCreate,
    PartyCreate,
    RejectionCreate,
    ReversalCreate,
    SuspensionCreate,
)
from ledger.account import CommonFundAccount
from ledger.account.entries import ExpenditureDetails, IncomeDetails, Party, Proposal
from ledger.account.views import EntryView
from ledger.application import AccountSummary, Ledger
from ledger.dates import parse_date
from ledger.errors import InvalidCommand
from ledger.personal import store_party

router = APIRouter(tags=["accounts"])
READERS = ("committee", "regulator")
MAX_PAGE = 500


def account_public(s: AccountSummary) -> AccountPublic:
    return AccountPublic(
        id=s.id,
        complex_id=s.complex_id,
        committee_id=s.committee_id,
        bank=s.bank,
        bank_code=s.bank_code,
        account_number=s.account_number,
        signatories=list(s.signatories),
        opened_on=s.opened_on,
        status=s.status,
        payments_suspended=s.suspended,
        balance=yuan(s.balance),
        entries=s.entries,
        pending_expenditures=s.pending_expenditures,
        version=s.version,
    )


def entry_public(account_id: UUID, e: EntryView) -> EntryPublic:
    return EntryPublic(
        id=e.id,
        account_id=str(account_id),
        kind=e.kind,
        amount=yuan(e.amount),
        value_date=e.value_date,
        category=e.category,
        counterparty=e.counterparty,
        method=e.method,
        contract_ref=e.contract_ref,
        authorisation=e.authorisation,
        reverses=e.reverses,
        reversed_by=e.reversed_by,
        recorded_at=e.recorded_at,
        recorded_by=e.recorded_by,
    )


def expenditure_public(
    ledger: Ledger, account_id: UUID, eid: str, p: Proposal
) -> ExpenditurePublic:
    return ExpenditurePublic(
        id=eid,
        account_id=str(account_id),
        status=p["status"],
        category=p["category"],
        payee=p["payee"]["name"],
        method=p["method"],
        amount=yuan(p["amount"]),
        purpose=p["purpose"],
        value_date=p["value_date"],
        authorisation=f"{p['authorisation_kind']}:{p['authorisation_id']}",
        proposer=p["proposer"],
        approvals=list(p["approvals"]),
        approvals_required=ledger.policy.required_approvers,
    )


def party(p: PartyCreate) -> Party:
    return Party(
        name=p.name, kind=p.kind, identity_key=p.identity_key or "", bank_account=p.bank_account
    )


def guard(ledger: Ledger, principal: Principal, account_id: UUID, roles: tuple[str, ...]) -> None:
    principal.require(place_of_part(ledger, account_id, CommonFundAccount), roles)


@router.post(
    "/v1/complexes/{complex_id}/account",
    status_code=201,
    summary="Open the common-fund account (H01: filed, sealed, two signatories)",
    response_model=AccountPublic,
    responses=problems(409),
)
def open_account(
    complex_id: UUID,
    body: AccountCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A member of a filed, sealed committee in term opens the complex's one supervised common-fund
    account at a bank, naming at least two signatories among the members (H01). The bank code
    lets the bank feed its statements."""
    principal.require(place_of(services.ledger, complex_id), ("committee",))

    def run(_: str) -> tuple[int, AccountPublic]:
        receipt = services.ledger.open_account(
            complex_id,
            bank=body.bank,
            account_number=body.account_number,
            signatories=body.signatories,
            opened_on=body.opened_on,
            actor=principal.actor,
            bank_code=body.bank_code,
        )
        return 201, account_public(services.ledger.account_summary(UUID(receipt.id)))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.post(
    "/v1/accounts/{account_id}/income",
    status_code=201,
    summary="Record income (Idempotency-Key required)",
    response_model=EntryPublic,
    responses=problems(409),
)
def record_income(
    account_id: UUID,
    body: IncomeCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A committee member records income in one of the domain's income categories (parking,
    advertising, venue rent…). Where a property company collected it, `collected` gives the gross
    and the contracted share it kept, so the owners' statement shows both. Requires
    `Idempotency-Key`: a retry never records it twice."""
    guard(services.ledger, principal, account_id, ("committee",))
    c = body.collected
    details = IncomeDetails(
        category=body.category,
        payer=party(body.payer),
        amount=body.amount,
        value_date=body.value_date,
        contract_ref=body.contract_ref,
        description=body.description,
        gross=c.gross if c else None,
        deduction=c.deduction if c else None,
        contracted_rate_bp=c.contracted_rate if c else None,
        collector=c.collector if c else "",
        bank_reference=body.bank_reference,
    )

    def run(ledger_key: str) -> tuple[int, EntryPublic]:
        receipt = services.ledger.record_income(
            account_id, details, idempotency_key=ledger_key, actor=principal.actor
        )
        return 201, EntryPublic(
            id=receipt.id,
            account_id=str(account_id),
            kind="income",
            amount=yuan(details.amount),
            value_date=details.value_date.isoformat(),
            category=details.category,
            # as the event keeps it (a person sealed): the answer is stored, and revealed as sent
            counterparty=store_party(services.ledger.personal, details.payer)["name"],
            method=None,
            contract_ref=details.contract_ref or None,
            authorisation=None,
            reverses=None,
            reversed_by=None,
            recorded_at=receipt.recorded_at,
            recorded_by=receipt.recorded_by,  # a replay's: the first request's principal
        )

    return idempotent(
        request, services, principal, key, body=body, run=run, rerun=True, one_write=True
    )


@router.post(
    "/v1/accounts/{account_id}/expenditures",
    status_code=201,
    summary="Propose an expenditure (the proposer's approval counts as the first)",
    response_model=ExpenditurePublic,
    responses=problems(409),
)
def propose(
    account_id: UUID,
    body: ExpenditureCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A signatory proposes a payment: category, payee, method (transfer or cash, H07), amount,
    value date and its authorisation — a passed resolution or a committee decision that covers it
    (H05). Nothing is paid until a second distinct signatory approves (H06). Requires
    `Idempotency-Key`."""
    guard(services.ledger, principal, account_id, ("committee",))
    details = ExpenditureDetails(
        category=body.category,
        payee=party(body.payee),
        method=body.method,
        amount=body.amount,
        purpose=body.purpose,
        value_date=body.value_date,
        authorisation_kind=body.authorisation.kind,
        authorisation_id=body.authorisation.id,
        contract_ref=body.contract_ref,
        description=body.description,
        bank_reference=body.bank_reference,
    )

    def run(ledger_key: str) -> tuple[int, ExpenditurePublic]:
        receipt = services.ledger.propose_expenditure(
            account_id, details, idempotency_key=ledger_key, actor=principal.actor
        )
        proposal = services.ledger.expenditure(account_id, receipt.id, as_proposed=True)
        return 201, expenditure_public(services.ledger, account_id, receipt.id, proposal)

    return idempotent(
        request, services, principal, key, body=body, run=run, rerun=True, one_write=True
    )


@router.post(
    "/v1/accounts/{account_id}/expenditures/{expenditure_id}/approvals",
    summary="Approve as a further signatory; booked once two distinct signatories approve",
    response_model=ExpenditurePublic,
    responses=problems(409),
)
def approve(
    account_id: UUID,
    expenditure_id: str,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A second signatory, distinct from the proposer and not the payee, approves; the payment is
    then booked, if the account may pay (H02), the balance covers it (H03) and the authorisation
    still does (H05). Requires `Idempotency-Key`."""
    guard(services.ledger, principal, account_id, ("committee",))

    def run(_: str) -> tuple[int, ExpenditurePublic]:
        services.ledger.approve_expenditure(account_id, expenditure_id, actor=principal.actor)
        proposal = services.ledger.expenditure(account_id, expenditure_id)
        return 200, expenditure_public(services.ledger, account_id, expenditure_id, proposal)

    return idempotent(
        request, services, principal, key, body=None, run=run, rerun=True, one_write=True
    )


@router.post(
    "/v1/accounts/{account_id}/expenditures/{expenditure_id}/rejection",
    summary="Reject a proposed expenditure",
    response_model=ExpenditurePublic,
    responses=problems(409),
)
def reject(
    account_id: UUID,
    expenditure_id: str,
    body: RejectionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A member of the committee in office rejects a proposed, unbooked expenditure with a reason;
    it can no longer be approved."""
    guard(services.ledger, principal, account_id, ("committee",))

    def run(_: str) -> tuple[int, ExpenditurePublic]:
        services.ledger.reject_expenditure(
            account_id, expenditure_id, reason=body.reason, actor=principal.actor
        )
        proposal = services.ledger.expenditure(account_id, expenditure_id)
        return 200, expenditure_public(services.ledger, account_id, expenditure_id, proposal)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.delete(
    "/v1/accounts/{account_id}/expenditures/{expenditure_id}",
    summary="Withdraw an unbooked expenditure (its proposer)",
    response_model=ExpenditurePublic,
    responses=problems(409),
)
def withdraw(
    account_id: UUID, expenditure_id: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """The proposer withdraws an expenditure that is not booked yet; a booked one is corrected by a
    reversal instead."""
    guard(services.ledger, principal, account_id, ("committee",))
    services.ledger.withdraw_expenditure(account_id, expenditure_id, actor=principal.actor)
    proposal = services.ledger.expenditure(account_id, expenditure_id)
    return revealed(
        services, expenditure_public(services.ledger, account_id, expenditure_id, proposal)
    )


@router.get(
    "/v1/accounts/{account_id}/expenditures/{expenditure_id}",
    summary="An expenditure and its approvals so far",
    response_model=ExpenditurePublic,
    responses=problems(),
)
def get_expenditure(
    account_id: UUID, expenditure_id: str, services: ServicesDep, principal: PrincipalDep
) -> Response:
    """The proposal, who approved or rejected it and when, and whether it is booked. Readable by the
    complex's committee and its regulators."""
    guard(services.ledger, principal, account_id, READERS)
    proposal = services.ledger.expenditure(account_id, expenditure_id)
    return revealed(
        services, expenditure_public(services.ledger, account_id, expenditure_id, proposal)
    )


@router.post(
    "/v1/accounts/{account_id}/reversals",
    status_code=201,
    summary="Reverse an entry (names the original and the reason)",
    response_model=EntryPublic,
    responses=problems(409),
)
def reverse(
    account_id: UUID,
    body: ReversalCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """A committee member corrects a booked entry with a new, opposite entry naming the original and
    the reason: entries are never edited. A reversal dated into a published period makes that
    statement's next version (H11). Requires `Idempotency-Key`."""
    guard(services.ledger, principal, account_id, ("committee",))

    def run(ledger_key: str) -> tuple[int, EntryPublic]:
        receipt = services.ledger.reverse_entry(
            account_id,
            reverses=body.reverses,
            reason=body.reason,
            value_date=body.value_date,
            idempotency_key=ledger_key,
            actor=principal.actor,
            bank_reference=body.bank_reference,
        )
        return 201, entry_public(account_id, reads.entry(services, account_id, receipt.id))

    return idempotent(request, services, principal, key, body=body, run=run, rerun=True)


@router.post(
    "/v1/accounts/{account_id}/suspension",
    summary="Suspend payments (regulator, H02)",
    response_model=AccountPublic,
    responses=problems(409),
)
def suspend(
    account_id: UUID,
    body: SuspensionCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: IdempotencyKey = None,
) -> Response:
    """A regulator whose jurisdiction covers the complex suspends every payment from the account,
    with a reason; income may still be recorded. Payments stay refused (H02) until resumed."""
    guard(services.ledger, principal, account_id, ("regulator",))

    def run(_: str) -> tuple[int, AccountPublic]:
        return 200, suspend_account(services.ledger, principal, account_id, body.reason)

    return idempotent(request, services, principal, key, body=body, run=run)


@router.delete(
    "/v1/accounts/{account_id}/suspension",
    summary="Resume payments (regulator)",
    response_model=AccountPublic,
    responses=problems(409),
)
def resume(
    account_id: UUID,
    services: ServicesDep,
    principal: PrincipalDep,
    reason: Annotated[
        str, Query(min_length=1, max_length=200, description="Why payments resume")
    ] = "核查完毕",
) -> AccountPublic:
    """A regulator lifts a suspension, with a reason (`?reason=`); payments may be booked again."""
    return resume_account(services.ledger, principal, account_id, reason)


# Suspension and resumption, shared with the regulator's desk (api/supervision/desk.py):
# a regulator of the account's place (H15), then the ledger's command.


def suspend_account(
    ledger: Ledger, principal: Principal, account_id: UUID, reason: str
) -> AccountPublic:
    guard(ledger, principal, account_id, ("regulator",))
    ledger.suspend_payments(account_id, reason=reason, actor=principal.actor)
    return account_public(ledger.account_summary(account_id))


def resume_account(
    ledger: Ledger, principal: Principal, account_id: UUID, reason: str
) -> AccountPublic:
    guard(ledger, principal, account_id, ("regulator",))
    ledger.resume_payments(account_id, reason=reason, actor=principal.actor)
    return account_public(ledger.account_summary(account_id))


@router.post(
    "/v1/accounts/{account_id}/closure",
    summary="Close the account: at zero, or by transfer to its successor (H13)",
    response_model=AccountPublic,
    responses=problems(409),
)
def close_account(
    account_id: UUID,
    body: ClosureCreate,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    key: MoneyKey,
) -> Response:
    """The committee in office or a regulator closes the account: at a zero balance, or by
    transferring the balance to the successor account (H13). Requires `Idempotency-Key`."""
    guard(services.ledger, principal, account_id, ("committee", "regulator"))
    successor = _uuid(body.successor_account_id) if body.successor_account_id else None

    def run(_: str) -> tuple[int, AccountPublic]:
        services.ledger.close_account(
            account_id, successor_id=successor, reason=body.reason, actor=principal.actor
        )
        return 200, account_public(services.ledger.account_summary(account_id))

    return idempotent(request, services, principal, key, body=body, run=run)


@router.get(
    "/v1/accounts/{account_id}",
    summary="The account: balance, state, signatories",
    response_model=AccountPublic,
    responses=problems(),
)
def get_account(account_id: UUID, services: ServicesDep, principal: PrincipalDep) -> AccountPublic:
    """The bank and account number, signatories, opening day, status, whether payments are
    suspended, the balance, the number of entries and the expenditures awaiting approval.
    Readable by the complex's committee and its regulators."""
    guard(services.ledger, principal, account_id, READERS)
    return account_public(services.ledger.account_summary(account_id))


READ_YOUR_WRITES = (
    " Read from the statements read model, never older than the account's own stream when"
    " the request arrives: an entry recorded before it (by anyone, in any worker) is in the"
    " answer, with or without `Prefer: read-your-writes`. The read waits for the read model"
    " to apply the account's latest event (at most 2 s), and past that answers from the"
    " ledger's stream itself; entries recorded while the request runs may or may not be in it."
)


@router.get(
    "/v1/accounts/{account_id}/entries",
    summary="Entries, in recording order, paginated",
    description="The account's entries in recording order, at most `limit` per page;"
    " `next_cursor` (present while more match) gives the next page. `from`, `to` (value"
    " dates, inclusive) and `category` filter them (a transfer has no category)."
    + READ_YOUR_WRITES,
    response_model=EntriesPage,
    responses=problems(),
)
def list_entries(
    account_id: UUID,
    services: ServicesDep,
    principal: PrincipalDep,
    cursor: Annotated[str | None, Query(max_length=40, description="From next_cursor")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page size")] = 100,
    value_from: Annotated[
        str | None, Query(alias="from", pattern=DATE_PATTERN, description="Value date on or after")
    ] = None,
    value_to: Annotated[
        str | None, Query(alias="to", pattern=DATE_PATTERN, description="Value date on or before")
    ] = None,
    category: Annotated[str | None, Query(max_length=40, description="Category")] = None,
) -> Response:
    guard(services.ledger, principal, account_id, READERS)
    after = _position(cursor)
    low = parse_date(value_from, "from") if value_from else date.min
    high = parse_date(value_to, "to") if value_to else date.max
    found = reads.entries_page(
        services, account_id, after=after, limit=limit, low=low, high=high, category=category
    )
    page = found.entries
    return revealed(
        services,
        EntriesPage(
            items=[entry_public(account_id, e) for e in page],
            next_cursor=_cursor(page[-1].position) if found.more and page else None,
        ),
    )


@router.get(
    "/v1/accounts/{account_id}/balance",
    summary="The balance on a date (by value date)",
    description="The sum of every entry with a value date on or before `as_of`"
    " (reversals on their own value date)." + READ_YOUR_WRITES,
    response_model=BalancePublic,
    responses=problems(),
)
def balance(
    account_id: UUID,
    services: ServicesDep,
    principal: PrincipalDep,
    as_of: Annotated[str, Query(pattern=DATE_PATTERN, description="YYYY-MM-DD")],
) -> BalancePublic:
    guard(services.ledger, principal, account_id, READERS)
    day = parse_date(as_of, "as_of")
    return BalancePublic(
        account_id=str(account_id),
        as_of=day.isoformat(),
        balance=yuan(reads.balance_as_of(services, account_id, day)),
    )


def _cursor(position: int) -> str:
    return cursor_of("v1", position)


def _position(cursor: str | None) -> int:
    return position_of("v1", cursor)


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise InvalidCommand(f"successor_account_id: {text!r} is not an account id") from None
