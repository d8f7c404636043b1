"""The bank read model (issue #14): statements, bank lines, the ledger's entries, the matches
between them, and each account's reconciliation status as of its latest statement.

Event by event, in log order, inside the runner's batch: the account's events give the
ledger side (every account's entries, signed, by value date) and its life; the feed's events
the bank side (``BankFeed.StatementRecorded``, ``LinesRecorded``) and the matches
(``Matched``, ``Unmatched``: who, how and why). At the batch's end each account the batch
touched that has a feed gets its status computed again (``reconciliation.status``).

Nothing sealed is written: a line's counterparty is its public form (a person masked), and
the remittance text of a line whose counterparty is a person is not kept.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.account import CommonFundAccount as Account
from ledger.bank.feed import BankFeed, Line, feed_id
from ledger.complexes.complex import Complex
from ledger.personal import is_sealed
from projections.bank import reconciliation
from projections.bank.rows import account_rows
from projections.db import Tx, among, insert_many
from projections.runner import Batch, on

NAME = "bank"
TABLES = (
    "bank_places", "bank_accounts", "bank_feeds", "bank_statements", "bank_lines",
    "bank_entries", "bank_matches", "bank_status",
)  # fmt: skip
LINE_COLUMNS = (
    "generation, account_id, line_key, reference, direction, amount, booked_on, value_on,"
    " reversal, counterparty, remittance, transaction_code, statement_key, position"
)
LINE_TYPES = (
    "integer", "text", "text", "text", "text", "bigint", "text", "text", "integer", "text",
    "text", "text", "text", "bigint",
)  # fmt: skip
REMEMBERED_FEEDS = 1_000_000


class BankView:
    name = NAME

    def __init__(self) -> None:
        self._feeds: dict[int, dict[str, str]] = {}  # generation -> feed id -> account id

    def clear(self, tx: Tx, generation: int) -> None:
        self._feeds.pop(generation, None)
        for table in TABLES:
            tx.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))  # noqa: S608

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        feeds = self._feeds.setdefault(generation, {})
        if len(feeds) > REMEMBERED_FEEDS:
            feeds.clear()
        step = _Batch(tx, generation, feeds)
        for position, event in batch:
            handler = HANDLERS.get(type(event).__qualname__)
            if handler is not None:
                handler(step, position, event)
        step.flush()


@dataclass
class _Batch:
    tx: Tx
    g: int
    feeds: dict[str, str]  # feed id -> account id (remembered by the view)
    touched: set[str] = field(default_factory=set)
    positions: dict[str, int] = field(default_factory=dict)

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.tx.execute(sql, (self.g, *params))

    def account_of(self, e: Any) -> str:
        fid = str(e.originator_id)
        found = self.feeds.get(fid)
        if found is None:
            rows = self.run(
                "SELECT account_id FROM bank_feeds WHERE generation = ? AND feed_id = ?", fid
            )
            found = self.feeds[fid] = str(rows[0][0])
        return found

    def touch(self, account_id: str, position: int) -> None:
        self.touched.add(account_id)
        self.positions[account_id] = position

    def entry(  # noqa: PLR0917 - one row of bank_entries
        self, position: int, e: Any, entry_id: str, kind: str, amount: int, reverses: str = ""
    ) -> None:
        account_id = str(e.originator_id)
        self.run(
            "INSERT INTO bank_entries (generation, account_id, entry_id, kind, amount, value_on,"
            " reverses, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            account_id, entry_id, kind, amount, e.value_date, reverses, position,
        )  # fmt: skip
        self.touch(account_id, position)

    def flush(self) -> None:
        """The status of every account the batch touched that has a feed."""
        if not self.touched:
            return
        with_feed: set[str] = set()
        for condition, params in among(self.tx, "account_id", sorted(self.touched)):
            with_feed.update(
                str(r[0])
                for r in self.tx.execute(
                    f"SELECT account_id FROM bank_feeds WHERE generation = ? AND {condition}",  # noqa: S608
                    (self.g, *params),
                )
            )
        for account_id in sorted(with_feed):
            self._status(account_id, self.positions[account_id])

    def _status(self, account_id: str, position: int) -> None:
        rows = account_rows(self.tx, self.g, account_id)
        ends = [s.ends_on for s in rows.statements if s.ends_on is not None]
        as_of = max(ends, default=None) or max((ln.value_on for ln in rows.lines), default=None)
        if as_of is None:
            return
        st = reconciliation.status(rows.statements, rows.lines, rows.entries, as_of)
        complex_id = self.run(
            "SELECT complex_id FROM bank_feeds WHERE generation = ? AND account_id = ?", account_id
        )[0][0]
        self.run(
            "INSERT INTO bank_status (generation, account_id, complex_id, bank_balance,"
            " bank_balance_on, ledger_balance, difference, unmatched_bank, unmatched_ledger,"
            " reconciled_through, statements, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (generation, account_id) DO UPDATE SET"
            " bank_balance = excluded.bank_balance, bank_balance_on = excluded.bank_balance_on,"
            " ledger_balance = excluded.ledger_balance, difference = excluded.difference,"
            " unmatched_bank = excluded.unmatched_bank,"
            " unmatched_ledger = excluded.unmatched_ledger,"
            " reconciled_through = excluded.reconciled_through,"
            " statements = excluded.statements, position = excluded.position",
            account_id, complex_id, st.bank_balance, _iso(st.bank_balance_on), st.ledger_balance,
            st.difference, len(st.unmatched_bank), len(st.unmatched_ledger),
            _iso(st.reconciled_through), st.statements, position,
        )  # fmt: skip


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


# --- places and accounts ---------------------------------------------------------------


def _registered(b: _Batch, position: int, e: Complex.Registered) -> None:
    b.run(
        "INSERT INTO bank_places (generation, complex_id, district, street, community)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.district, e.street, e.community,
    )  # fmt: skip


def _opened(b: _Batch, position: int, e: Account.Opened) -> None:
    b.run(
        "INSERT INTO bank_accounts (generation, account_id, complex_id, bank_code, opened_on)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        str(e.originator_id), e.complex_id, e.bank_code, e.value_date,
    )  # fmt: skip


def _closed(b: _Batch, position: int, e: Account.Closed) -> None:
    b.run(
        "UPDATE bank_accounts SET closed_on = ? WHERE generation = ? AND account_id = ?",
        e.value_date, str(e.originator_id),
    )  # fmt: skip


# --- the ledger side ---------------------------------------------------------------------


def _income(b: _Batch, position: int, e: Account.IncomeRecorded) -> None:
    b.entry(position, e, e.entry_id, "income", e.amount)


def _transferred_in(b: _Batch, position: int, e: Account.TransferredIn) -> None:
    b.entry(position, e, e.entry_id, "transfer_in", e.amount)


def _booked(b: _Batch, position: int, e: Account.ExpenditureBooked) -> None:
    b.entry(position, e, e.expenditure_id, "expenditure", -e.amount)


def _reversed(b: _Batch, position: int, e: Account.EntryReversed) -> None:
    b.entry(position, e, e.entry_id, "reversal", e.amount, e.reverses)


def _transferred_out(b: _Batch, position: int, e: Account.TransferredOut) -> None:
    b.entry(position, e, e.entry_id, "transfer_out", -e.amount)


# --- the bank side -----------------------------------------------------------------------


def _started(b: _Batch, position: int, e: BankFeed.Started) -> None:
    fid = str(e.originator_id)
    assert fid == str(feed_id(e.account_id))  # noqa: S101 - the feed's id follows the account's
    b.run(
        "INSERT INTO bank_feeds (generation, feed_id, account_id, complex_id, bank_code,"
        " started_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        fid, e.account_id, e.complex_id, e.bank_code, e.timestamp.isoformat(),
    )  # fmt: skip
    b.feeds[fid] = e.account_id


def _statement(b: _Batch, position: int, e: BankFeed.StatementRecorded) -> None:
    account_id, s = b.account_of(e), e.statement
    b.run(
        "INSERT INTO bank_statements (generation, account_id, statement_key, statement_id,"
        " message_id, format, sequence, from_on, to_on, opening, closing, closing_on, lines,"
        " new_lines, breaks, recorded_at, recorded_by, position)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        account_id, s["key"], s["statement_id"], s["message_id"], s["format"], s["sequence"],
        s["from_on"], s["to_on"], s["opening"], s["closing"], s["closing_on"], s["lines"],
        s["new"], json.dumps(s["breaks"], ensure_ascii=False), e.timestamp.isoformat(),
        e.principal, position,
    )  # fmt: skip
    b.touch(account_id, position)


def public_remittance(line: Line) -> str:
    """A line's remittance as the read model keeps it: none where the counterparty is a
    person (their words are sealed with their name), never a sealed string."""
    text = line["remittance"]
    if line["counterparty"].get("person") or is_sealed(text):
        return ""
    return text


def _lines(b: _Batch, position: int, e: BankFeed.LinesRecorded) -> None:
    account_id = b.account_of(e)
    rows = [
        (
            b.g,
            account_id,
            ln["key"],
            ln["reference"],
            ln["direction"],
            ln["amount"],
            ln["booked_on"],
            ln["value_on"],
            int(ln["reversal"]),
            ln["counterparty"].get("public_name", ""),
            public_remittance(ln),
            ln["transaction_code"],
            ln["statement"],
            position,
        )
        for ln in e.lines
    ]
    insert_many(
        b.tx, "bank_lines", LINE_COLUMNS, LINE_TYPES, rows, conflict=" ON CONFLICT DO NOTHING"
    )
    b.touch(account_id, position)


def _matched(b: _Batch, position: int, e: BankFeed.Matched) -> None:
    account_id = b.account_of(e)
    for m in e.matches:
        b.run(
            "INSERT INTO bank_matches (generation, account_id, match_id, how, bank_keys,"
            " entry_ids, matched_by, reason, matched_at, position)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            account_id, m["match_id"], m["how"], json.dumps(m["bank_keys"]),
            json.dumps(m["entry_ids"]), e.principal, m.get("reason") or e.reason,
            e.timestamp.isoformat(), position,
        )  # fmt: skip
    b.tx.executemany(
        "UPDATE bank_lines SET match_id = ? WHERE generation = ? AND account_id = ?"
        " AND line_key = ?",
        [(m["match_id"], b.g, account_id, k) for m in e.matches for k in m["bank_keys"]],
    )
    b.tx.executemany(
        "UPDATE bank_entries SET match_id = ? WHERE generation = ? AND account_id = ?"
        " AND entry_id = ?",
        [(m["match_id"], b.g, account_id, i) for m in e.matches for i in m["entry_ids"]],
    )
    b.touch(account_id, position)


def _unmatched(b: _Batch, position: int, e: BankFeed.Unmatched) -> None:
    account_id = b.account_of(e)
    keyed = [(b.g, account_id, match_id) for match_id in e.match_ids]
    for table in ("bank_lines", "bank_entries"):
        b.tx.executemany(
            f"UPDATE {table} SET match_id = NULL WHERE generation = ? AND account_id = ?"  # noqa: S608
            " AND match_id = ?",
            keyed,
        )
    b.tx.executemany(
        "DELETE FROM bank_matches WHERE generation = ? AND account_id = ? AND match_id = ?", keyed
    )
    b.touch(account_id, position)


Handler = Callable[[_Batch, int, Any], None]
HANDLERS: dict[str, Handler] = dict(
    (
        on(Complex.Registered, _registered),
        on(Account.Opened, _opened),
        on(Account.Closed, _closed),
        on(Account.IncomeRecorded, _income),
        on(Account.TransferredIn, _transferred_in),
        on(Account.ExpenditureBooked, _booked),
        on(Account.EntryReversed, _reversed),
        on(Account.TransferredOut, _transferred_out),
        on(BankFeed.Started, _started),
        on(BankFeed.StatementRecorded, _statement),
        on(BankFeed.LinesRecorded, _lines),
        on(BankFeed.Matched, _matched),
        on(BankFeed.Unmatched, _unmatched),
    )
)
