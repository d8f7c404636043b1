"""An account's reconciliation with its bank, computed from rows (issue #14): pure functions.

The bank read model (``queries.py``, ``view.py``) and the supervision rules B03 and B04
(``projections/supervision/bank_rules.py``) compute with these, so what the regulator reads
and what raises an alert are the same figures.

Readings (docs/rules.md, "Bank feed"):

- the **bank balance** on ``as_of`` is the closing balance of the latest statement ending on
  or before it (latest end date, then highest sequence number); a statement's end is its
  closing balance's date, else its period's end;
- the **ledger balance** on a date is the sum of the account's entries whose value date is on
  or before it;
- a ledger entry counts as **unmatched** only when dated on or after the start of the first
  statement (earlier ones were booked before the feed began); a bank line when not matched;
- **reconciled through** D: D is a statement's end on or before ``as_of``, every bank line and
  every counted ledger entry dated on or before D is matched, and the statement's closing
  balance equals the ledger balance on D; the latest such D.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate
from typing import Any

from ledger import calendar
from ledger.money import grouped


@dataclass(frozen=True, slots=True)
class StatementRow:
    key: str
    ends_on: date | None  # closing_on, else to_on
    closing: int | None
    sequence: int | None = None
    from_on: date | None = None
    breaks: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class LineRow:
    key: str
    direction: str  # credit | debit
    amount: int  # fen, > 0
    value_on: date
    matched: bool


@dataclass(frozen=True, slots=True)
class EntryRow:
    entry_id: str
    kind: str
    amount: int  # fen, signed: what it did to the balance
    value_on: date
    matched: bool


@dataclass(frozen=True, slots=True)
class Status:
    """An account's reconciliation on ``as_of``."""

    as_of: date
    bank_balance: int | None
    bank_balance_on: date | None
    ledger_balance: int
    difference: int | None
    reconciled_through: date | None
    feed_start: date | None
    unmatched_bank: list[LineRow] = field(default_factory=list)
    unmatched_ledger: list[EntryRow] = field(default_factory=list)
    statements: int = 0
    last_statement_on: date | None = None


def _order(s: StatementRow) -> tuple[date, int]:
    assert s.ends_on is not None  # noqa: S101 - callers pass dated statements only
    return (s.ends_on, s.sequence or 0)


def dated(statements: Iterable[StatementRow], as_of: date) -> list[StatementRow]:
    """The statements with an end on or before ``as_of``, earliest end first."""
    return sorted(
        (s for s in statements if s.ends_on is not None and s.ends_on <= as_of), key=_order
    )


def latest(statements: Iterable[StatementRow], as_of: date) -> StatementRow | None:
    """The latest statement ending on or before ``as_of`` that has a closing balance."""
    found = [s for s in dated(statements, as_of) if s.closing is not None]
    return found[-1] if found else None


def feed_start(statements: Iterable[StatementRow]) -> date | None:
    """Where the feed begins: the earliest statement start (else end)."""
    days = [s.from_on or s.ends_on for s in statements]
    known = [d for d in days if d is not None]
    return min(known) if known else None


class Balances:
    """The ledger's balance on any date, from its entries (one sort, then a search a date)."""

    def __init__(self, entries: Iterable[EntryRow]) -> None:
        ordered = sorted(entries, key=lambda e: e.value_on)
        self._days = [e.value_on for e in ordered]
        self._sums = list(accumulate(e.amount for e in ordered))

    def on(self, day: date) -> int:
        i = bisect_right(self._days, day)
        return self._sums[i - 1] if i else 0


def ledger_balance(entries: Iterable[EntryRow], on: date) -> int:
    return sum(e.amount for e in entries if e.value_on <= on)


def counted(entries: Iterable[EntryRow], start: date | None) -> list[EntryRow]:
    """The entries the bank is expected to show: dated on or after the feed's start."""
    return [] if start is None else [e for e in entries if e.value_on >= start]


def reconciled_through(
    statements: Sequence[StatementRow],
    lines: Sequence[LineRow],
    entries: Sequence[EntryRow],
    as_of: date,
    balances: Balances | None = None,
) -> date | None:
    balances = balances or Balances(entries)
    start = feed_start(statements)
    loose = [ln.value_on for ln in lines if not ln.matched]
    loose += [e.value_on for e in counted(entries, start) if not e.matched]
    first_loose = min(loose) if loose else None
    for s in reversed(dated(statements, as_of)):
        assert s.ends_on is not None  # noqa: S101 - dated() keeps dated ones
        if first_loose is not None and s.ends_on >= first_loose:
            continue
        if s.closing is not None and s.closing == balances.on(s.ends_on):
            return s.ends_on
    return None


def status(
    statements: Sequence[StatementRow],
    lines: Sequence[LineRow],
    entries: Sequence[EntryRow],
    as_of: date,
) -> Status:
    balances = Balances(entries)
    last = latest(statements, as_of)
    start = feed_start(statements)
    on = last.ends_on if last is not None else None
    ledger = balances.on(on or as_of)
    shown = dated(statements, as_of)
    return Status(
        as_of=as_of,
        bank_balance=last.closing if last is not None else None,
        bank_balance_on=on,
        ledger_balance=ledger,
        difference=None if last is None or last.closing is None else last.closing - ledger,
        reconciled_through=reconciled_through(statements, lines, entries, as_of, balances),
        feed_start=start,
        unmatched_bank=sorted(
            (ln for ln in lines if not ln.matched and ln.value_on <= as_of),
            key=lambda ln: (ln.value_on, ln.key),
        ),
        unmatched_ledger=sorted(
            (e for e in counted(entries, start) if not e.matched and e.value_on <= as_of),
            key=lambda e: (e.value_on, e.entry_id),
        ),
        statements=len(shown),
        last_statement_on=shown[-1].ends_on if shown else None,
    )


def age(value_on: date, as_of: date) -> int:
    """Working days (China's calendar) from the value date to ``as_of``; 0 on the day."""
    return calendar.apart(value_on, as_of) if value_on <= as_of else 0


def public_sentence(through: date | None, bank_balance: int | None, difference: int | None) -> str:
    """What the owners read (issue #14): ``已与银行对账至 2026-09-30，银行余额 1,234.56 元，差额 0.00 元``."""
    if bank_balance is None or difference is None:
        return "尚未收到银行对账单"
    money = f"银行余额 {grouped(bank_balance)} 元，差额 {grouped(difference)} 元"
    if through is None:
        return f"尚未与银行对平，{money}"
    return f"已与银行对账至 {through.isoformat()}，{money}"
