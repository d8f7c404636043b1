"""Which bank line is which ledger entry (issue #14 "Matching"): deterministic and explainable.

The automatic matching is a function of the two sets, never of the order they arrived in:
every pass sorts before it picks, so importing the same files in another order, or matching
again later, gives the same matches. Lines and entries linked by hand are left out.

The passes, in order:

1. **reference** — an entry carrying the ``bank_reference`` the committee saw matches the line
   with that reference, when direction and amount agree;
2. **reversal** — a bank reversal (``RvslInd``) matches a ledger reversal of the same direction
   and amount within the tolerance;
3. **ledger_reversal** — an entry and the ledger reversal that undoes it, neither shown by the
   bank, cancel each other (a mistaken entry corrected in the books; the bank never moved it);
4. **amount** — one line to one entry of the same direction and exact amount whose value dates
   lie within ``tolerance`` Chinese working days, the counterparties agreeing where both are
   named (``ledger.personal.match_key``: full-/half-width, spaces, company suffixes). Ties go to
   the nearest date, then the lowest entry id (then the lowest bank key).
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from ledger import calendar
from ledger.bank.feed import Match

DEFAULT_TOLERANCE = 3  # working days (issue #14)


@dataclass(frozen=True, slots=True)
class BankSide:
    key: str
    direction: str
    amount: int
    value_on: date
    reversal: bool = False
    reference: str = ""
    party: str = ""


@dataclass(frozen=True, slots=True)
class LedgerSide:
    entry_id: str
    direction: str  # credit (money in) | debit (money out)
    amount: int  # > 0
    value_on: date
    kind: str = "income"
    reverses: str | None = None
    reversed_by: str | None = None
    bank_reference: str = ""
    party: str = ""


def match_id(how: str, bank_keys: Iterable[str], entry_ids: Iterable[str]) -> str:
    text = "|".join([how, ",".join(sorted(bank_keys)), ",".join(sorted(entry_ids))])
    return "m-" + hashlib.sha256(text.encode()).hexdigest()[:20]


def _match(how: str, bank_keys: list[str], entry_ids: list[str]) -> Match:
    return Match(
        match_id=match_id(how, bank_keys, entry_ids), bank_keys=bank_keys, entry_ids=entry_ids,
        how=how,
    )  # fmt: skip


def parties_agree(a: str, b: str) -> bool:
    return not a or not b or a == b


def match(
    lines: Iterable[BankSide],
    entries: Iterable[LedgerSide],
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    apart: Callable[[date, date], int] = calendar.apart,
) -> list[Match]:
    """The automatic matches of these (free) lines and entries, sorted by match id."""
    free_lines = {line.key: line for line in lines}
    free_entries = {entry.entry_id: entry for entry in entries}
    found: list[Match] = []

    def take(how: str, line: BankSide | None, taken: list[LedgerSide]) -> None:
        if line is not None:
            del free_lines[line.key]
        for entry in taken:
            del free_entries[entry.entry_id]
        found.append(_match(how, [line.key] if line else [], [e.entry_id for e in taken]))

    # 1. reference
    by_reference: dict[str, list[BankSide]] = defaultdict(list)
    for line in free_lines.values():
        if line.reference:
            by_reference[line.reference].append(line)
    for entry in sorted(free_entries.values(), key=lambda e: e.entry_id):
        if not entry.bank_reference:
            continue
        for line in sorted(by_reference.get(entry.bank_reference, ()), key=lambda x: x.key):
            if (
                line.key in free_lines
                and line.direction == entry.direction
                and line.amount == entry.amount
            ):
                take("reference", line, [entry])
                break

    # 2. a bank reversal with a ledger reversal; 4. everything else
    def pair(
        how: str, pick_line: Callable[[BankSide], bool], pick_entry: Callable[[LedgerSide], bool]
    ) -> None:
        groups: dict[tuple[str, int], tuple[list[BankSide], list[LedgerSide]]] = defaultdict(
            lambda: ([], [])
        )
        for line in free_lines.values():
            if pick_line(line):
                groups[(line.direction, line.amount)][0].append(line)
        for entry in free_entries.values():
            if pick_entry(entry) and (entry.direction, entry.amount) in groups:
                groups[(entry.direction, entry.amount)][1].append(entry)
        for group_lines, group_entries in groups.values():
            if not group_entries:
                continue
            candidates = _candidates(group_lines, group_entries, tolerance, apart)
            used_lines: set[str] = set()
            used_entries: set[str] = set()
            for _, entry_id, key, line, entry in candidates:
                if key in used_lines or entry_id in used_entries:
                    continue
                used_lines.add(key)
                used_entries.add(entry_id)
                take(how, line, [entry])

    pair("reversal", lambda line: line.reversal, lambda entry: entry.kind == "reversal")

    # 3. an entry and its reversal, both free, cancel in the books
    for entry in sorted(free_entries.values(), key=lambda e: e.entry_id):
        if entry.entry_id not in free_entries or entry.reversed_by is None:
            continue
        undo = free_entries.get(entry.reversed_by)
        if undo is not None:
            take("ledger_reversal", None, [entry, undo])

    pair("amount", lambda line: True, lambda entry: True)
    return sorted(found, key=lambda m: m["match_id"])


def _candidates(
    lines: list[BankSide],
    entries: list[LedgerSide],
    tolerance: int,
    apart: Callable[[date, date], int],
) -> list[tuple[int, str, str, BankSide, LedgerSide]]:
    """Every admissible (line, entry) pair of one direction and amount, best first."""
    entries = sorted(entries, key=lambda e: e.value_on)
    days = [e.value_on for e in entries]
    # a working-day span never covers fewer calendar days: look no further than this
    reach = tolerance * 3 + 12
    out: list[tuple[int, str, str, BankSide, LedgerSide]] = []
    for line in lines:
        low = bisect_left(days, date.fromordinal(max(1, line.value_on.toordinal() - reach)))
        high = bisect_right(days, date.fromordinal(line.value_on.toordinal() + reach))
        for entry in entries[low:high]:
            if not parties_agree(line.party, entry.party):
                continue
            if apart(line.value_on, entry.value_on) > tolerance:
                continue
            distance = abs(line.value_on.toordinal() - entry.value_on.toordinal())
            out.append((distance, entry.entry_id, line.key, line, entry))
    out.sort(key=lambda c: (c[0], c[1], c[2]))
    return out
