"""Readings of the ledger from its streams: private copies, summaries, entries, the digest (H12).

The read side answers most questions from its read models (projections/); these are what
the commands' callers, the CLI and the tests ask of the ledger itself.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from ledger.account.account import CommonFundAccount, balance_effect
from ledger.account.entries import Proposal
from ledger.account.payment_rules import approvals_as_proposed
from ledger.account.views import EntryView, entry_views
from ledger.base import ChainedAggregate
from ledger.chain import root_of
from ledger.committees.committee import Committee
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex
from ledger.dates import parse_date
from ledger.errors import NotFound
from ledger.maintenance.commands.readings import MaintenanceReadings
from ledger.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """An account's standing: what a treasurer or regulator asks for most."""

    id: str
    complex_id: str
    committee_id: str
    bank: str
    account_number: str
    signatories: tuple[str, ...]
    opened_on: str
    status: str
    suspended: bool
    balance: int
    version: int
    entries: int
    pending_expenditures: int
    bank_code: str = ""  # the CNAPS code of the bank holding it (issue #14)

    @classmethod
    def of(cls, account: CommonFundAccount) -> AccountSummary:
        return cls(
            id=str(account.id),
            complex_id=account.complex_id,
            committee_id=account.committee_id,
            bank=account.bank,
            account_number=account.account_number,
            signatories=tuple(account.signatories),
            opened_on=account.opened_on,
            status=account.status,
            suspended=account.suspended,
            balance=account.balance,
            version=account.version,
            entries=len(account.entries),
            pending_expenditures=sum(
                1 for p in account.proposals.values() if p["status"] == "proposed"
            ),
            bank_code=account.bank_code,
        )


@dataclass(frozen=True, slots=True)
class ComplexSummary:
    """A complex's identity and place, without its units."""

    id: UUID
    code: str
    name: str
    district: str
    street: str
    community: str
    unit_count: int
    floor_area: int  # hundredths of a m²
    current_committee_id: str | None
    current_account_id: str | None
    version: int
    objection_contact: str = ""  # where owners raise objections to a notice (issue #17)

    @classmethod
    def of(cls, complex_: Complex) -> ComplexSummary:
        return cls(
            id=complex_.id,
            code=complex_.code,
            name=complex_.name,
            district=complex_.district,
            street=complex_.street,
            community=complex_.community,
            unit_count=len(complex_.units),
            floor_area=sum(u["area"] for u in complex_.units.values()),
            current_committee_id=complex_.current_committee_id,
            current_account_id=complex_.current_account_id,
            version=complex_.version,
            objection_contact=complex_.objection_contact,
        )


class LedgerQueries:
    """What is read from the ledger's streams, through the unit of work's lock and cache."""

    def __init__(self, work: UnitOfWork, maintenance: MaintenanceReadings) -> None:
        self._work = work
        self._maintenance = maintenance

    def account(self, account_id: UUID) -> CommonFundAccount:
        return self._work.read(account_id, CommonFundAccount)

    def account_summary(self, account_id: UUID) -> AccountSummary:
        """The account's standing without copying its entries (cheap at any size)."""
        return self._work.peek(account_id, CommonFundAccount, AccountSummary.of)

    def complex_ids(self) -> list[UUID]:
        """Every registered complex, in registration order (reads the whole log)."""
        found: list[UUID] = []
        start = 1
        recorder = self._work.app.recorder
        while batch := recorder.select_notifications(start=start, limit=1000):
            found.extend(
                UUID(str(n.originator_id))
                for n in batch
                if n.originator_version == 1 and n.topic.endswith("Complex.Registered")
            )
            start = batch[-1].id + 1
        return found

    def complex_summary(self, complex_id: UUID) -> ComplexSummary:
        return self._work.peek(complex_id, Complex, ComplexSummary.of)

    def committee(self, committee_id: UUID) -> Committee:
        return self._work.read(committee_id, Committee)

    def complex(self, complex_id: UUID) -> Complex:
        return self._work.read(complex_id, Complex)

    def resolution(self, resolution_id: UUID) -> Resolution:
        return self._work.read(resolution_id, Resolution)

    def entries(self, account_id: UUID) -> list[EntryView]:
        """Every entry of the account in recording order (read from its stream)."""
        events = list(self._work.app.events.get(account_id))
        if not events:
            raise NotFound(f"no account {account_id}")
        return entry_views(events)

    def expenditure(
        self, account_id: UUID, expenditure_id: str, *, as_proposed: bool = False
    ) -> Proposal:
        """A proposal and its approvals so far (a copy); ``as_proposed``: as its proposing
        command left it (a replay's answer, issue #12), still proposed, approved only by
        its proposer when the proposer was a signatory (their approval is then the first)."""
        proposal = self._work.peek(
            account_id, CommonFundAccount, lambda a: copy.deepcopy(a.proposal(expenditure_id))
        )
        if as_proposed:
            proposal["approvals"] = approvals_as_proposed(
                proposal["proposer"], proposal["approvals"]
            )
            proposal["status"] = "proposed"
        return proposal

    def balance_as_of(self, account_id: UUID, as_of: date) -> int:
        """The balance from every entry with a value date on or before ``as_of``."""
        balance = 0
        found = False
        for event in self._work.app.events.get(account_id):
            found = True
            amount = balance_effect(event)
            if amount and parse_date(event.value_date) <= as_of:  # type: ignore[attr-defined]
                balance += amount
        if not found:
            raise NotFound(f"no account {account_id}")
        return balance

    def digest(self, complex_id: UUID) -> dict[str, Any]:
        """H12: the chain head of every stream of a complex, and one root over them."""
        work = self._work
        streams = work.peek(complex_id, Complex, Complex.stream_ids) + self._maintenance.streams(
            complex_id
        )
        heads = [(stream, *work.peek(UUID(stream), ChainedAggregate, _head)) for stream in streams]
        return {
            "complex_id": str(complex_id),
            "heads": [{"stream_id": s, "version": v, "head": h} for s, v, h in sorted(heads)],
            "root": root_of(heads),
        }


def _head(aggregate: ChainedAggregate) -> tuple[int, str]:
    return aggregate.version, aggregate.chain_head
