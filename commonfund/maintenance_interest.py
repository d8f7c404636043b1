"""``commonfund maintenance interest``: a period's interest for many maintenance funds, from the bank's CSV.

The CSV has one line per complex, ``complex_id,amount`` (yuan, at most two
decimals, as the API writes money), with or without that header. Every fund is
allocated in one run of ``Ledger.maintenance.allocate_interest_for_city``: many funds
per transaction, and a fund already allocated for the period is skipped, so a
run stopped half-way is finished by running it again.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

from ledger.application import Actor, Ledger
from ledger.errors import InvalidCommand
from ledger.maintenance.receipts import fund_id
from ledger.money import parse_amount

HEADER = ("complex_id", "amount")


@dataclass(frozen=True, slots=True)
class InterestRun:
    funds: int  # allocated now
    units: int  # unit sub-ledgers credited now
    already: int  # funds allocated for this period before this run
    total: int  # fen allocated now


def read_advices(path: Path) -> list[tuple[UUID, int]]:
    """The CSV's lines as (complex id, fen); refuses a bad line naming its number, and repeats."""
    advices: list[tuple[UUID, int]] = []
    seen: set[UUID] = set()
    with path.open(newline="", encoding="utf-8-sig") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            cells = tuple(cell.strip() for cell in row)
            if not any(cells) or (number == 1 and cells == HEADER):
                continue
            if len(cells) != len(HEADER):
                raise InvalidCommand(f"{path}:{number}: expected complex_id,amount")
            try:
                complex_id = UUID(cells[0])
            except ValueError:
                raise InvalidCommand(f"{path}:{number}: {cells[0]!r} is not a complex id") from None
            if complex_id in seen:
                raise InvalidCommand(f"{path}:{number}: complex {complex_id} is listed twice")
            seen.add(complex_id)
            advices.append((complex_id, parse_amount(cells[1], f"{path}:{number}: amount")))
    if not advices:
        raise InvalidCommand(f"{path}: no complex_id,amount lines")
    return advices


def allocate(
    ledger: Ledger,
    advices: list[tuple[UUID, int]],
    *,
    period_from: date,
    period_to: date,
    on: date,
    reference: str,
    actor: Actor,
    per_transaction: int = 50,
    progress: Callable[[int], None] | None = None,
) -> InterestRun:
    """One command over every advice; counts what it allocated and what was there already.
    ``progress`` hears how many funds are done so far (a CLI's bar)."""
    amounts = {str(fund_id(complex_id)): amount for complex_id, amount in advices}
    funds = units = already = total = 0
    for receipt in ledger.maintenance.allocate_interest_for_city(
        advices, period_from=period_from, period_to=period_to, on=on, reference=reference,
        actor=actor, per_transaction=per_transaction,
    ):  # fmt: skip
        if progress is not None:
            progress(funds + already + 1)
        if receipt.replayed:
            already += 1
            continue
        funds += 1
        units += receipt.parts
        total += amounts[receipt.id]
    return InterestRun(funds=funds, units=units, already=already, total=total)
