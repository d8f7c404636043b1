"""Reading the bank read model (issue #14): an account's reconciliation, its statements, the
owners' status sentence and the city's counts of unreconciled accounts.

Every read is one snapshot of the serving generation. Money in fen; dates as ``date``,
recording times as ISO strings. Counterparties are public forms only (``view.py``).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ledger.complexes.complex import BankStatus
from projections.bank import reconciliation
from projections.bank.reconciliation import age
from projections.bank.rows import account_rows
from projections.bank.view import NAME
from projections.db import Database, Tx


def _day(text: object) -> date | None:
    return date.fromisoformat(str(text)) if text else None


def _generation(tx: Tx) -> int:
    rows = tx.execute("SELECT generation FROM projection_state WHERE name = ?", (NAME,))
    return int(rows[0][0]) if rows else 1


def _int(value: object) -> int | None:
    return None if value is None else int(str(value))


class BankReads:
    """The readers the API and the pages use."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def reconciliation(self, account_id: str, as_of: date) -> dict[str, Any] | None:
        """The account's reconciliation on ``as_of``; None when it has no bank feed."""
        with self.database.reading() as tx:
            g = _generation(tx)
            return _reconciliation(tx, g, account_id, as_of)

    def statements(self, account_id: str) -> list[dict[str, Any]]:
        """Every statement recorded for the account, in the order they end."""
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT statement_key, statement_id, message_id, format, sequence, from_on, to_on,"
                " opening, closing, closing_on, lines, new_lines, breaks, recorded_at, recorded_by"
                " FROM bank_statements WHERE generation = ? AND account_id = ?"
                " ORDER BY COALESCE(closing_on, to_on, ''), COALESCE(sequence, 0), position",
                (_generation(tx), account_id),
            )
        return [
            {
                "statement_id": str(r[1]),
                "key": str(r[0]),
                "message_id": str(r[2]),
                "format": str(r[3]),
                "sequence": _int(r[4]),
                "from_on": _day(r[5]),
                "to_on": _day(r[6]),
                "opening": _int(r[7]),
                "closing": _int(r[8]),
                "closing_on": _day(r[9]),
                "lines": int(r[10]),
                "new": int(r[11]),
                "breaks": json.loads(str(r[12])),
                "recorded_at": str(r[13]),
                "recorded_by": str(r[14]),
            }
            for r in rows
        ]

    def feed_accounts(self) -> list[str]:
        """Every account that has a bank feed (the daily matching runs over them)."""
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT account_id FROM bank_feeds WHERE generation = ? ORDER BY account_id",
                (_generation(tx),),
            )
        return [str(r[0]) for r in rows]

    def feed_complexes(self) -> list[str]:
        """Every complex with an account that has a bank feed."""
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT DISTINCT complex_id FROM bank_feeds WHERE generation = ? ORDER BY 1",
                (_generation(tx),),
            )
        return [str(r[0]) for r in rows]

    def account_of_feed(self, feed_id: str) -> str | None:
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT account_id FROM bank_feeds WHERE generation = ? AND feed_id = ?",
                (_generation(tx), feed_id),
            )
        return str(rows[0][0]) if rows else None

    def public_status(self, complex_id: str, as_of: date) -> dict[str, Any] | None:
        """What the owners see: the complex's account (open on ``as_of``, else the latest
        opened) with a feed, reconciled through when, its bank balance and the difference."""
        with self.database.reading() as tx:
            g = _generation(tx)
            accounts = tx.execute(
                "SELECT f.account_id, a.opened_on, a.closed_on FROM bank_feeds f"
                " LEFT JOIN bank_accounts a ON a.generation = f.generation"
                " AND a.account_id = f.account_id WHERE f.generation = ? AND f.complex_id = ?",
                (g, complex_id),
            )
            if not accounts:
                return None
            day = as_of.isoformat()

            def rank(row: tuple[Any, ...]) -> tuple[bool, str, str]:
                open_then = not row[2] or str(row[2]) > day
                return (open_then, str(row[1] or ""), str(row[0]))

            chosen = str(max(accounts, key=rank)[0])
            found = _reconciliation(tx, g, chosen, as_of)
        assert found is not None  # noqa: S101 - the account has a feed
        through, bank, difference = (
            found["reconciled_through"], found["bank_balance"], found["difference"],
        )  # fmt: skip
        return {
            "reconciled_through": through,
            "bank_balance": bank,
            "bank_balance_on": found["bank_balance_on"],
            "difference": difference,
            "sentence": reconciliation.public_sentence(through, bank, difference),
        }

    def unreconciled_counts(self, prefix: str) -> list[dict[str, Any]]:
        """Per district and street under the community code ``prefix``: accounts with a feed,
        and of them those not reconciled (a difference or unmatched lines on either side) as
        of their latest statement."""
        like = prefix.replace("%", "").replace("_", "") + "%"
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT p.district, p.street, COUNT(*),"
                " SUM(CASE WHEN COALESCE(s.difference, 0) <> 0 OR s.unmatched_bank > 0"
                " OR s.unmatched_ledger > 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN COALESCE(s.difference, 0) <> 0 THEN 1 ELSE 0 END),"
                " SUM(CASE WHEN s.unmatched_bank > 0 OR s.unmatched_ledger > 0 THEN 1 ELSE 0 END)"
                " FROM bank_status s JOIN bank_places p ON p.generation = s.generation"
                " AND p.complex_id = s.complex_id WHERE s.generation = ? AND p.community LIKE ?"
                " GROUP BY p.district, p.street ORDER BY p.district, p.street",
                (_generation(tx), like),
            )
        return [
            {
                "district": str(d),
                "street": str(s),
                "accounts": int(n),
                "unreconciled": int(u or 0),
                "with_difference": int(diff or 0),
                "with_unmatched": int(m or 0),
            }
            for d, s, n, u, diff, m in rows
        ]


def bank_status_of(public: dict[str, Any]) -> BankStatus | None:
    """The status a statement freezes (ledger ``BankStatus``) from ``BankReads.public_status``;
    None before the bank has sent a balance."""
    if public["bank_balance"] is None or public["difference"] is None:
        return None

    def day(value: date | None) -> str | None:
        return None if value is None else value.isoformat()

    return BankStatus(
        reconciled_through=day(public["reconciled_through"]),
        bank_balance=int(public["bank_balance"]),
        bank_balance_on=day(public["bank_balance_on"]),
        difference=int(public["difference"]),
    )


def _reconciliation(tx: Tx, g: int, account_id: str, as_of: date) -> dict[str, Any] | None:
    feed = tx.execute(
        "SELECT f.bank_code, a.bank_code FROM bank_feeds f LEFT JOIN bank_accounts a"
        " ON a.generation = f.generation AND a.account_id = f.account_id"
        " WHERE f.generation = ? AND f.account_id = ?",
        (g, account_id),
    )
    if not feed:
        return None
    rows = account_rows(tx, g, account_id)
    st = reconciliation.status(rows.statements, rows.lines, rows.entries, as_of)
    unmatched_bank = [
        {
            "key": str(key),
            "reference": str(ref),
            "direction": str(direction),
            "amount": int(amount),
            "value_on": date.fromisoformat(str(on)),
            "booked_on": date.fromisoformat(str(booked)),
            "counterparty": str(party),
            "remittance": str(remittance),
            "age_working_days": age(date.fromisoformat(str(on)), as_of),
        }
        for key, ref, direction, amount, on, booked, party, remittance in tx.execute(
            "SELECT line_key, reference, direction, amount, value_on, booked_on, counterparty,"
            " remittance FROM bank_lines WHERE generation = ? AND account_id = ?"
            " AND match_id IS NULL AND value_on <= ? ORDER BY value_on, line_key",
            (g, account_id, as_of.isoformat()),
        )
    ]
    matches = [
        {
            "match_id": str(m),
            "how": str(how),
            "bank_keys": json.loads(str(keys)),
            "entry_ids": json.loads(str(ids)),
            "by": str(by),
            "reason": str(reason),
            "at": str(at),
        }
        for m, how, keys, ids, by, reason, at in tx.execute(
            "SELECT match_id, how, bank_keys, entry_ids, matched_by, reason, matched_at"
            " FROM bank_matches WHERE generation = ? AND account_id = ? ORDER BY position, match_id",
            (g, account_id),
        )
    ]
    breaks = [
        {"statement_id": s.key, **b}
        for s in reconciliation.dated(rows.statements, as_of)
        for b in s.breaks
    ]
    return {
        "account_id": account_id,
        "as_of": as_of,
        "bank_code": str(feed[0][1] or feed[0][0] or ""),
        "bank_balance": st.bank_balance,
        "bank_balance_on": st.bank_balance_on,
        "ledger_balance": st.ledger_balance,
        "difference": st.difference,
        "reconciled_through": st.reconciled_through,
        "unmatched_bank": unmatched_bank,
        "unmatched_ledger": [
            {
                "entry_id": e.entry_id,
                "kind": e.kind,
                "direction": "credit" if e.amount > 0 else "debit",
                "amount": abs(e.amount),
                "value_on": e.value_on,
                "age_working_days": age(e.value_on, as_of),
            }
            for e in st.unmatched_ledger
        ],
        "matches": matches,
        "statements": st.statements,
        "last_statement_on": st.last_statement_on,
        "breaks": breaks,
    }
