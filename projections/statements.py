"""The statements read model: one row per money movement, stream heads, published versions.

Event by event, in log order: every chained event moves its stream's head
(for the digest, H12); account events make lines (income, expenditure,
reversal; individuals masked); ``Complex.StatementPublished`` freezes the
period as it stood at the publication's ``through`` position (H11); a later
line dated in a published period, or a reversal of a line in one, makes a new
version with a diff naming the entry that caused it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from ledger.account import CommonFundAccount as Account
from ledger.base import ChainedAggregate
from ledger.chain import root_of
from ledger.complex import Complex
from ledger.periods import Period
from projections import content as stmt
from projections.db import Tx
from projections.masking import mask_units, public_party
from projections.runner import Batch

INSERT_LINE = (
    "INSERT INTO stmt_lines (generation, complex_id, entry_id, account_id, position, value_date,"
    " section, category, party, amount, gross, deduction, collector, method, authorisation,"
    " contract_ref, description, reverses) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
TABLES = ("stmt_lines", "stmt_streams", "stmt_proposals", "stmt_versions")


class StatementsView:
    name = "statements"

    def clear(self, tx: Tx, generation: int) -> None:
        for table in TABLES:
            tx.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))  # noqa: S608

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        _Batch(tx, generation).apply(batch)


class _Batch:
    """One batch: writes are buffered and flushed before anything reads them back."""

    def __init__(self, tx: Tx, generation: int) -> None:
        self.tx = tx
        self.generation = generation
        self.heads: dict[str, tuple[int, str]] = {}
        self.owners: dict[str, str] = {}  # stream -> complex, learnt in this batch
        self.lines: list[tuple[Any, ...]] = []
        self.proposals: dict[tuple[str, str], dict[str, Any]] = {}
        self.published: dict[str, set[str]] = {}

    def apply(self, batch: Batch) -> None:
        for position, event in batch:
            if isinstance(event, ChainedAggregate.Event):
                self.heads[str(event.originator_id)] = (event.originator_version, event.chain_hash)
            handler = HANDLERS.get(type(event).__qualname__)
            if handler is not None:
                handler(self, position, event)
        self.flush()

    def flush(self) -> None:
        g = self.generation
        self.tx.executemany(
            "INSERT INTO stmt_streams (generation, stream_id, complex_id, version, head)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (generation, stream_id) DO UPDATE SET"
            " version = excluded.version, head = excluded.head,"
            " complex_id = COALESCE(excluded.complex_id, stmt_streams.complex_id)",
            [(g, s, self.owners.get(s), v, h) for s, (v, h) in self.heads.items()],
        )
        orphans = self.owners.keys() - self.heads.keys()
        self.tx.executemany(
            "INSERT INTO stmt_streams (generation, stream_id, complex_id, version, head)"
            " VALUES (?, ?, ?, 0, '') ON CONFLICT (generation, stream_id) DO UPDATE SET"
            " complex_id = excluded.complex_id",
            [(g, s, self.owners[s]) for s in orphans],
        )
        self.tx.executemany(INSERT_LINE, self.lines)
        self.heads, self.lines = {}, []

    # --- who belongs where --------------------------------------------------------

    def own(self, stream_id: str, complex_id: str) -> None:
        self.owners[stream_id] = complex_id

    def complex_of(self, stream_id: str) -> str:
        if stream_id in self.owners:
            return self.owners[stream_id]
        rows = self.tx.execute(
            "SELECT complex_id FROM stmt_streams WHERE generation = ? AND stream_id = ?",
            (self.generation, stream_id),
        )
        if not rows or rows[0][0] is None:
            raise LookupError(f"stream {stream_id} belongs to no known complex")
        self.owners[stream_id] = str(rows[0][0])
        return self.owners[stream_id]

    # --- lines ----------------------------------------------------------------------

    def line(self, position: int, event: Any, section: str, amount: int, **fields: Any) -> None:
        account_id = str(event.originator_id)
        complex_id = self.complex_of(account_id)
        self.lines.append(
            (
                self.generation, complex_id, fields["entry_id"], account_id, position,
                event.value_date, section, fields.get("category", ""), fields.get("party", ""),
                amount, fields.get("gross"), fields.get("deduction"), fields.get("collector", ""),
                fields.get("method", ""), fields.get("authorisation", ""),
                fields.get("contract_ref", ""), mask_units(fields.get("description", "")),
                fields.get("reverses", ""),
            )
        )  # fmt: skip
        cause = {
            "entry_id": fields["entry_id"],
            "section": section,
            "value_date": event.value_date,
            "amount": stmt.yuan(abs(amount)),
            "party": fields.get("party", ""),
        }
        self.reversion(complex_id, [date.fromisoformat(event.value_date)], position, cause)

    def reversion(
        self, complex_id: str, days: list[date], position: int, cause: dict[str, Any]
    ) -> None:
        """A change to a published period makes its next version (H11)."""
        published = self.published_periods(complex_id)
        if not published:
            return
        touched = {p.name for day in days for p in Period.all_containing(day)} & published
        if not touched:
            return
        self.flush()
        for period in sorted(touched):
            self.new_version(complex_id, Period.parse(period), position, cause)

    def published_periods(self, complex_id: str) -> set[str]:
        if complex_id not in self.published:
            rows = self.tx.execute(
                "SELECT DISTINCT period FROM stmt_versions WHERE generation = ? AND complex_id = ?",
                (self.generation, complex_id),
            )
            self.published[complex_id] = {str(r[0]) for r in rows}
        return self.published[complex_id]

    def new_version(
        self, complex_id: str, period: Period, position: int, cause: dict[str, Any]
    ) -> None:
        g = self.generation
        rows = self.tx.execute(
            "SELECT version, content, published_on FROM stmt_versions WHERE generation = ?"
            " AND complex_id = ? AND period = ? ORDER BY version DESC LIMIT 1",
            (g, complex_id, period.name),
        )
        version, old = int(rows[0][0]), json.loads(rows[0][1])
        new = stmt.statement(self.tx, g, complex_id, period, through=position)
        if new == old:
            return
        change = stmt.diff(old, new, _cause(cause))
        self.insert_version(
            complex_id, period, version=version + 1, position=position, content=new,
            expected=stmt.content_hash(new), published_on=cause["value_date"], published_by="correction", diff=change,
        )  # fmt: skip

    def insert_version(
        self, complex_id: str, period: Period, *, version: int, position: int,
        content: dict[str, Any], expected: str, published_on: str, published_by: str,
        diff: dict[str, Any] | None,
    ) -> None:  # fmt: skip
        self.flush()
        g = self.generation
        heads = self.tx.execute(
            "SELECT stream_id, version, head FROM stmt_streams WHERE generation = ?"
            " AND complex_id = ? AND head <> '' ORDER BY stream_id",
            (g, complex_id),
        )
        digest = {
            "complex_id": complex_id,
            "heads": [{"stream_id": s, "version": v, "head": h} for s, v, h in heads],
            "root": root_of((str(s), int(v), str(h)) for s, v, h in heads),
        }
        actual = stmt.content_hash(content)
        self.tx.execute(
            "INSERT INTO stmt_versions (generation, complex_id, period, version, position,"
            " published_on, published_by, content_hash, hash_matches, content, digest, diff)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                g, complex_id, period.name, version, position, published_on, published_by,
                actual, int(actual == expected), stmt.canonical(content).decode(),
                json.dumps(digest, sort_keys=True), json.dumps(diff, ensure_ascii=False) if diff else None,
            ),
        )  # fmt: skip
        self.published_periods(complex_id).add(period.name)


def _cause(fields: dict[str, Any]) -> dict[str, Any]:
    keys = ("entry_id", "section", "value_date", "amount", "reverses", "reason", "party")
    return {k: fields[k] for k in keys if k in fields}


# --- handlers -------------------------------------------------------------------------


def _registered(b: _Batch, position: int, e: Any) -> None:
    b.own(str(e.originator_id), str(e.originator_id))


def _noted(b: _Batch, position: int, e: Any) -> None:
    stream = getattr(e, "committee_id", None) or getattr(e, "account_id", None) or e.resolution_id
    b.own(str(stream), str(e.originator_id))


def _opened(b: _Batch, position: int, e: Any) -> None:
    b.own(str(e.originator_id), e.complex_id)


def _income(b: _Batch, position: int, e: Any) -> None:
    b.line(
        position, e, "income", e.amount, entry_id=e.entry_id, category=e.category,
        party=public_party(e.payer), gross=e.gross, deduction=e.deduction,
        collector=e.collector, contract_ref=e.contract_ref, description=e.description,
    )  # fmt: skip


def _transferred_in(b: _Batch, position: int, e: Any) -> None:
    b.line(
        position, e, "income", e.amount, entry_id=e.entry_id, category="transfer_in",
        party=f"account {e.from_account_id}",
    )  # fmt: skip


def _transferred_out(b: _Batch, position: int, e: Any) -> None:
    b.line(
        position, e, "expenditure", -e.amount, entry_id=e.entry_id, category="transfer_out",
        party=f"account {e.to_account_id}", method="transfer",
    )  # fmt: skip


def _proposed(b: _Batch, position: int, e: Any) -> None:
    b.proposals[(str(e.originator_id), e.expenditure_id)] = dict(e.proposal)
    b.tx.execute(
        "INSERT INTO stmt_proposals (generation, account_id, expenditure_id, proposal)"
        " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (b.generation, str(e.originator_id), e.expenditure_id, json.dumps(e.proposal)),
    )


def _proposal(b: _Batch, e: Any) -> dict[str, Any]:
    key = (str(e.originator_id), e.expenditure_id)
    if key in b.proposals:
        return b.proposals.pop(key)
    rows = b.tx.execute(
        "SELECT proposal FROM stmt_proposals WHERE generation = ? AND account_id = ?"
        " AND expenditure_id = ?",
        (b.generation, *key),
    )
    return dict(json.loads(rows[0][0]))


def _settled(b: _Batch, e: Any) -> None:
    b.proposals.pop((str(e.originator_id), e.expenditure_id), None)
    b.tx.execute(
        "DELETE FROM stmt_proposals WHERE generation = ? AND account_id = ? AND expenditure_id = ?",
        (b.generation, str(e.originator_id), e.expenditure_id),
    )


def _booked(b: _Batch, position: int, e: Any) -> None:
    p = _proposal(b, e)
    _settled(b, e)
    b.line(
        position, e, "expenditure", -e.amount, entry_id=e.expenditure_id,
        category=p["category"], party=public_party(p["payee"]), method=p["method"],
        authorisation=f"{p['authorisation_kind']}:{p['authorisation_id']}",
        contract_ref=p["contract_ref"], description=p["description"] or p["purpose"],
    )  # fmt: skip


def _closed_proposal(b: _Batch, position: int, e: Any) -> None:
    _settled(b, e)


def _reversed(b: _Batch, position: int, e: Any) -> None:
    account = str(e.originator_id)
    complex_id = b.complex_of(account)
    b.flush()
    original = b.tx.execute(
        "SELECT value_date, category, party FROM stmt_lines WHERE generation = ?"
        " AND complex_id = ? AND entry_id = ?",
        (b.generation, complex_id, e.reverses),
    )
    day, category, party = original[0] if original else (e.value_date, "", "")
    b.tx.execute(
        "UPDATE stmt_lines SET reversed_by = ?, reversed_at = ? WHERE generation = ?"
        " AND complex_id = ? AND entry_id = ?",
        (e.entry_id, position, b.generation, complex_id, e.reverses),
    )
    cause = {"entry_id": e.entry_id, "section": "reversal", "reverses": e.reverses,
             "reason": e.reason, "value_date": e.value_date, "amount": stmt.yuan(e.amount)}  # fmt: skip
    b.lines.append(
        (
            b.generation, complex_id, e.entry_id, account, position, e.value_date, "reversal",
            category, party, e.amount, None, None, "", "", "", "", mask_units(e.reason), e.reverses,
        )
    )  # fmt: skip
    days = {date.fromisoformat(e.value_date), date.fromisoformat(day)}
    b.reversion(complex_id, sorted(days), position, cause)


def _published(b: _Batch, position: int, e: Any) -> None:
    complex_id = str(e.originator_id)
    period = Period.parse(e.period)
    b.flush()
    frozen = stmt.statement(b.tx, b.generation, complex_id, period, through=e.through)
    b.insert_version(
        complex_id, period, version=1, position=position, content=frozen, expected=e.content_hash,
        published_on=e.value_date, published_by=e.principal, diff=None,
    )  # fmt: skip
    # Entries of the period recorded between the draft the committee saw (``through``) and
    # this event were applied before the period counted as published: version 2 shows them.
    cause = {"section": "recorded_while_publishing", "value_date": e.value_date}
    b.new_version(complex_id, period, position, cause)


Handler = Callable[[_Batch, int, Any], None]
HANDLERS: dict[str, Handler] = {
    event.__qualname__: handler
    for event, handler in (
        (Complex.Registered, _registered),
        (Complex.CommitteeElected, _noted),
        (Complex.AccountOpened, _noted),
        (Complex.ResolutionRecorded, _noted),
        (Complex.StatementPublished, _published),
        (Account.Opened, _opened),
        (Account.IncomeRecorded, _income),
        (Account.TransferredIn, _transferred_in),
        (Account.TransferredOut, _transferred_out),
        (Account.ExpenditureProposed, _proposed),
        (Account.ExpenditureBooked, _booked),
        (Account.ExpenditureRejected, _closed_proposal),
        (Account.ExpenditureWithdrawn, _closed_proposal),
        (Account.EntryReversed, _reversed),
    )
}
