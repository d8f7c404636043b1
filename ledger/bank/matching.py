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
            pairs = _pairs(_candidates(group_lines, group_entries, tolerance, apart))
            lines_by_key = {line.key: line for line in group_lines}
            entries_by_id = {entry.entry_id: entry for entry in group_entries}
            for key, entry_id in sorted(pairs.items()):
                take(how, lines_by_key[key], [entries_by_id[entry_id]])

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


def _pairs(candidates: list[tuple[int, str, str, BankSide, LedgerSide]]) -> dict[str, str]:
    """The pairs of one direction and amount: as many as can be made, the nearest first.

    Picking the nearest pair first can strand a line whose only partner the pick took (two
    equal amounts a few days apart, each bank line shifted toward the other entry). So the
    nearest-first picks are then completed by augmenting paths (Kuhn's algorithm, in sorted
    order, so the result stays a function of the sets): no line and entry that could both be
    matched are left apart, and every pick the first pass made keeps its line matched.
    """
    entry_of: dict[str, str] = {}  # line key -> entry id
    line_of: dict[str, str] = {}  # entry id -> line key
    partners: dict[str, list[str]] = defaultdict(list)  # line key -> entries, best first
    for _, entry_id, key, _, _ in candidates:
        partners[key].append(entry_id)
        if key not in entry_of and entry_id not in line_of:
            entry_of[key] = entry_id
            line_of[entry_id] = key
    for start in sorted(partners):
        if start not in entry_of:
            _augment(start, partners, entry_of, line_of)
    return entry_of


def _augment(
    start: str, partners: dict[str, list[str]], entry_of: dict[str, str], line_of: dict[str, str]
) -> bool:
    """Find an alternating path from the free line ``start`` to a free entry and flip it."""
    reached_from: dict[str, str] = {}  # entry -> the line that reached it
    stack = [(start, iter(partners[start]))]
    while stack:
        line, untried = stack[-1]
        for entry in untried:
            if entry in reached_from:
                continue
            reached_from[entry] = line
            owner = line_of.get(entry)
            if owner is None:  # a free entry: flip the path back to the start
                _flip(start, entry, reached_from, entry_of, line_of)
                return True
            stack.append((owner, iter(partners[owner])))
            break
        else:
            stack.pop()
    return False


def _flip(
    start: str,
    free: str,
    reached_from: dict[str, str],
    entry_of: dict[str, str],
    line_of: dict[str, str],
) -> None:
    entry: str | None = free
    while entry is not None:
        via = reached_from[entry]
        before = entry_of.get(via)  # None only for the start, the one free line on the path
        entry_of[via], line_of[entry] = entry, via
        entry = None if via == start else before


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
