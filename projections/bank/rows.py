"""Reading one account's statements, lines and entries from the bank read model, as rows the
reconciliation computes with (``reconciliation.py``); the view and the readers share it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from projections.bank.reconciliation import EntryRow, LineRow, StatementRow
from projections.db import Tx


def _day(text: object) -> date | None:
    return date.fromisoformat(str(text)) if text else None


@dataclass(frozen=True, slots=True)
class AccountRows:
    statements: list[StatementRow]
    lines: list[LineRow]
    entries: list[EntryRow]


def statement_rows(tx: Tx, g: int, account_id: str) -> list[StatementRow]:
    return [
        StatementRow(
            key=str(key),
            ends_on=_day(closing_on or to_on),
            closing=None if closing is None else int(closing),
            sequence=None if sequence is None else int(sequence),
            from_on=_day(from_on),
            breaks=tuple(json.loads(str(breaks))),
        )
        for key, closing_on, to_on, closing, sequence, from_on, breaks in tx.execute(
            "SELECT statement_key, closing_on, to_on, closing, sequence, from_on, breaks"
            " FROM bank_statements WHERE generation = ? AND account_id = ?",
            (g, account_id),
        )
    ]


def account_rows(tx: Tx, g: int, account_id: str) -> AccountRows:
    lines = [
        LineRow(str(key), str(direction), int(amount), date.fromisoformat(str(on)), m is not None)
        for key, direction, amount, on, m in tx.execute(
            "SELECT line_key, direction, amount, value_on, match_id FROM bank_lines"
            " WHERE generation = ? AND account_id = ?",
            (g, account_id),
        )
    ]
    entries = [
        EntryRow(str(entry_id), str(kind), int(amount), date.fromisoformat(str(on)), m is not None)
        for entry_id, kind, amount, on, m in tx.execute(
            "SELECT entry_id, kind, amount, value_on, match_id FROM bank_entries"
            " WHERE generation = ? AND account_id = ?",
            (g, account_id),
        )
    ]
    return AccountRows(statement_rows(tx, g, account_id), lines, entries)
