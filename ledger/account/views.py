"""Read-side views of an account's stream: its entries and its expenditures, as recorded.

Built from events (not from aggregate state) so each entry keeps its
counterparty, authorisation, recording time and principal. A counterparty who is
a person is as the event keeps it, sealed (ledger/personal.py): the HTTP edge
reveals it for those who may see it.

The API reads these from the statements read model (projections/statements/entries.py over
``stmt_lines``, issue #13), which answers exactly as :func:`entry_views` does over
the stream (tests/integration/test_entries_read.py); this replay is what it falls
back on (api/account/entries.py) and what those tests compare it with.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from ledger.account.account import CommonFundAccount
from ledger.account.entries import Proposal


@dataclass(frozen=True, slots=True)
class EntryView:
    id: str
    kind: str
    amount: int  # signed effect on the balance, fen
    value_date: str
    category: str | None
    counterparty: str | None
    method: str | None
    contract_ref: str | None
    authorisation: str | None
    reverses: str | None
    reversed_by: str | None
    recorded_at: str
    recorded_by: str
    position: int  # the stream version that made it: a stable order and cursor


def entry_views(events: Iterable[object]) -> list[EntryView]:
    """Every entry in recording order, with reversals linked both ways."""
    proposals: dict[str, Proposal] = {}
    entries: dict[str, EntryView] = {}
    for event in events:
        common = {
            "recorded_at": getattr(event, "timestamp").isoformat(),  # noqa: B009
            "recorded_by": getattr(event, "principal", ""),
            "position": getattr(event, "originator_version", 0),
            "value_date": getattr(event, "value_date", ""),
            "reverses": None,
            "reversed_by": None,
        }
        if isinstance(event, CommonFundAccount.ExpenditureProposed):
            proposals[event.expenditure_id] = event.proposal
        elif isinstance(event, CommonFundAccount.IncomeRecorded):
            entries[event.entry_id] = EntryView(
                id=event.entry_id,
                kind="income",
                amount=event.amount,
                category=event.category,
                counterparty=event.payer["name"],
                method=None,
                contract_ref=event.contract_ref or None,
                authorisation=None,
                **common,
            )
        elif isinstance(event, CommonFundAccount.ExpenditureBooked):
            p = proposals[event.expenditure_id]
            common["value_date"] = p["value_date"]
            entries[event.expenditure_id] = EntryView(
                id=event.expenditure_id,
                kind="expenditure",
                amount=-event.amount,
                category=p["category"],
                counterparty=p["payee"]["name"],
                method=p["method"],
                contract_ref=p["contract_ref"] or None,
                authorisation=f"{p['authorisation_kind']}:{p['authorisation_id']}",
                **common,
            )
        elif isinstance(event, CommonFundAccount.EntryReversed):
            original = entries[event.reverses]
            entries[event.reverses] = replace(original, reversed_by=event.entry_id)
            common["reverses"] = event.reverses
            entries[event.entry_id] = EntryView(
                id=event.entry_id,
                kind="reversal",
                amount=event.amount,
                category=original.category,
                counterparty=original.counterparty,
                method=None,
                contract_ref=None,
                authorisation=None,
                **common,
            )
        elif isinstance(event, CommonFundAccount.TransferredIn | CommonFundAccount.TransferredOut):
            incoming = isinstance(event, CommonFundAccount.TransferredIn)
            entries[event.entry_id] = EntryView(
                id=event.entry_id,
                kind="transfer_in" if incoming else "transfer_out",
                amount=event.amount if incoming else -event.amount,
                category=None,
                counterparty=event.from_account_id if incoming else event.to_account_id,  # type: ignore[union-attr]
                method="transfer",
                contract_ref=None,
                authorisation=None,
                **common,
            )
    return sorted(entries.values(), key=lambda e: e.position)
