"""What an account keeps and the requests that make it: parties, entries, proposals, authorities.

Plain typed records (TypedDicts survive the JSON round trip of events and
snapshots unchanged); money in integer fen, dates as ISO strings in state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal, NotRequired, TypedDict

from ledger.errors import InvalidCommand
from ledger.personal import StoredParty

EntryKind = Literal["income", "expenditure", "reversal", "transfer_in", "transfer_out"]
PAYEE_KINDS = frozenset({"organisation", "individual"})
METHODS = frozenset({"transfer", "cash"})


class Party(TypedDict):
    """A payer or payee as a command names it: name, kind, identity key (individuals) and bank
    account where known. Events keep a :class:`~ledger.personal.StoredParty` (a person sealed)."""

    name: str
    kind: str
    identity_key: str
    bank_account: str


class Entry(TypedDict):
    kind: str
    amount: int  # signed effect on the balance, fen
    fingerprint: str
    value_date: str
    reverses: str | None
    reversed_by: str | None
    purpose_key: str | None
    authorisation_id: str | None
    # What the bank feed matches on (issue #14), absent in entries recorded before it:
    party: NotRequired[str]  # the counterparty's match key (ledger.personal.match_key)
    bank_reference: NotRequired[str]  # the reference the committee saw at the bank, or ""


class Proposal(TypedDict):
    fingerprint: str
    category: str
    payee: StoredParty
    method: str
    amount: int
    purpose: str
    purpose_key: str
    value_date: str
    authorisation_kind: str
    authorisation_id: str
    contract_ref: str
    description: str
    proposer: str
    approvals: list[str]
    status: str  # proposed | booked | rejected | withdrawn
    bank_reference: NotRequired[str]  # the bank's reference of the payment (issue #14)


class BookedLine(TypedDict):
    """What a booked expenditure is, as its readers show and check it: copied from its proposal
    when it is booked (``ExpenditureBooked`` version 2), so no reader keeps open proposals."""

    category: str
    payee: StoredParty  # sealed as the proposal sealed it; its ``kind`` is the payee's kind
    method: str
    purpose: str
    authorisation_kind: str
    authorisation_id: str
    contract_ref: str  # the payment's reference (contract), "" when none
    description: str


def booked_line(proposal: Proposal) -> BookedLine:
    """The line a proposal books as."""
    return BookedLine(
        category=proposal["category"],
        payee=proposal["payee"],
        method=proposal["method"],
        purpose=proposal["purpose"],
        authorisation_kind=proposal["authorisation_kind"],
        authorisation_id=proposal["authorisation_id"],
        contract_ref=proposal["contract_ref"],
        description=proposal["description"],
    )


@dataclass(frozen=True, slots=True)
class Authority:
    """What an expenditure cites (H05): a passed resolution or an approved committee decision.

    A resolution's budget names an expenditure ``category``, and then covers payments of that
    category; without one (decisions, resolutions recorded before budgets, or recorded with
    none) the purpose is the match.
    """

    kind: Literal["resolution", "decision"]
    id: str
    valid: bool  # resolution passed / decision approved
    purpose_key: str
    amount_cap: int | None
    valid_from: date
    valid_to: date
    category: str | None = None
    not_valid_because: str = ""  # why an invalid authority is not valid, when not plain


@dataclass(frozen=True, slots=True)
class IncomeDetails:
    category: str
    payer: Party
    amount: int  # credited to the account, fen
    value_date: date
    contract_ref: str = ""
    description: str = ""
    gross: int | None = None  # collected by a property company: what it collected
    deduction: int | None = None  # what it kept
    contracted_rate_bp: int | None = None  # its contracted deduction rate, basis points
    collector: str = ""
    bank_reference: str = ""  # the bank's reference of the credit, where the committee saw it


@dataclass(frozen=True, slots=True)
class ExpenditureDetails:
    category: str
    payee: Party
    method: str
    amount: int
    purpose: str
    value_date: date
    authorisation_kind: Literal["resolution", "decision"]
    authorisation_id: str
    contract_ref: str = ""
    description: str = ""
    bank_reference: str = ""  # the bank's reference of the payment (issue #14)


def check_bank_reference(reference: str) -> str:
    """A bank's reference as the committee copied it: printable, at most 64 characters."""
    reference = reference.strip()
    if len(reference) > 64 or not reference.isprintable():
        raise InvalidCommand("bank_reference: at most 64 printable characters")
    return reference


def check_bank_code(code: str) -> str:
    """A bank code (CNAPS 联行号): 12 digits; "" for an account opened without one."""
    code = code.strip()
    if code and not (len(code) == 12 and code.isascii() and code.isdigit()):
        raise InvalidCommand("bank_code: the bank's 12-digit CNAPS code (联行号)")
    return code


def check_party(party: Party | StoredParty, field: str) -> None:
    if not party["name"].strip():
        raise InvalidCommand(f"{field}.name: give the name")
    if party["kind"] not in PAYEE_KINDS:
        raise InvalidCommand(f"{field}.kind: {party['kind']!r} is not organisation or individual")
