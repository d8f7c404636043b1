"""The demo complex's bank feed (issue #14): a year of monthly statements as its bank would send
them, derived from what the ledger recorded, matching it except for two planted differences.

- every booked income and payment appears at the bank, value dated 0–2 days later, the
  counterparty written as banks write it; an entry and the reversal that corrected it never
  moved money, so the bank shows neither;
- **B01**: a payment of 4,800.00 to a contractor the committee never recorded (the bank debit
  stands alone: critical, for the regulator's page);
- **B02**: an advertising credit of 1,250.00 the committee forgot to record (warning).

Statements run month by month with continuous balances and sequence numbers; the last one
ends yesterday, so the feed is current (no B05).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from ledger.application import Actor, Ledger
from ledger.bank.feed import BankFeed, feed_id
from ledger.bank.statement import BankFile, BankLine, BankStatement
from ledger.dates import parse_date
from ledger.personal import shown

BANK = Actor("bank", "demo-qdbank")
UNRECORDED_DEBIT = 4_800_00  # B01
FORGOTTEN_CREDIT = 1_250_00  # B02


@dataclass(frozen=True, slots=True)
class Planted:
    key: str
    rule: str
    amount: int
    on: date


def _lines(ledger: Ledger, account_id: UUID, today: date) -> list[BankLine]:
    lines = []
    for n, entry in enumerate(ledger.entries(account_id)):
        if entry.kind == "reversal" or entry.reversed_by is not None or entry.amount == 0:
            continue  # corrected in the books: the bank never moved it
        on = min(parse_date(entry.value_date) + timedelta(days=n % 3), today - timedelta(days=1))
        name = shown(ledger.personal, entry.counterparty or "") or ""
        lines.append(
            BankLine(
                key=f"QDB{on:%Y%m%d}{n:05d}", reference=f"QDB{on:%Y%m%d}{n:05d}",
                direction="credit" if entry.amount > 0 else "debit", amount=abs(entry.amount),
                booked_on=on, value_on=on, counterparty=name.replace("有限公司", "有限责任公司"),
                remittance=entry.category or "", transaction_code="PMNT/RCDT/DMCT"
                if entry.amount > 0 else "PMNT/ICDT/DMCT",
            )
        )  # fmt: skip
    return lines


def _planted(today: date) -> list[tuple[Planted, BankLine]]:
    debit_on, credit_on = today - timedelta(days=20), today - timedelta(days=12)
    made = []
    for rule, amount, on, direction, name, what in (
        ("B01", UNRECORDED_DEBIT, debit_on, "debit", "青岛恒远建筑工程有限公司", "工程款"),
        ("B02", FORGOTTEN_CREDIT, credit_on, "credit", "青岛悦动传媒有限公司", "电梯广告费"),
    ):
        key = f"QDB{on:%Y%m%d}9{rule[-1]}"
        made.append(
            (
                Planted(key, rule, amount, on),
                BankLine(
                    key=key, reference=key, direction=direction, amount=amount,  # type: ignore[arg-type]
                    booked_on=on, value_on=on, counterparty=name, remittance=what,
                ),
            )
        )  # fmt: skip
    return made


def _months(first: date, last: date) -> list[tuple[date, date]]:
    spans, start = [], first.replace(day=1)
    while start <= last:
        following = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        spans.append((max(start, first), min(following - timedelta(days=1), last)))
        start = following
    return spans


def load_bank_feed(
    ledger: Ledger, account_id: UUID, opened_on: date, today: date
) -> dict[str, Any]:
    """Import the demo account's statements; what was planted and what the import matched."""
    account = ledger.account(account_id)
    planted = _planted(today)
    lines = sorted(
        [*_lines(ledger, account_id, today), *(line for _, line in planted)],
        key=lambda ln: (ln.booked_on, ln.key),
    )
    balance, statements = 0, 0
    for sequence, (start, end) in enumerate(_months(opened_on, today - timedelta(days=1)), 1):
        month = [ln for ln in lines if start <= ln.booked_on <= end]
        effect = sum(ln.amount if ln.direction == "credit" else -ln.amount for ln in month)
        statement = BankStatement(
            statement_id=f"QDB-{account.account_number}-{start:%Y%m}", account_number=account.account_number,
            currency="CNY", opening=balance, closing=balance + effect, closing_on=end, from_on=start,
            to_on=end, sequence=sequence, lines=tuple(month),
        )  # fmt: skip
        balance += effect
        digest = hashlib.sha256(statement.statement_id.encode()).hexdigest()
        receipt = ledger.import_bank_file(
            account_id,
            BankFile(format="camt.053.001.08", message_id=f"MSG-{statement.statement_id}",
                     sha256=digest, statements=(statement,)),
            actor=BANK,
        )  # fmt: skip
        statements += receipt.statements
    return {
        "bank_code": account.bank_code,
        "statements": statements,
        "lines": len(lines),
        "matched": len(ledger.read(feed_id(account_id), BankFeed).line_match),
        "bank_balance": balance,
        "planted": {
            p.rule: {"key": p.key, "amount": p.amount, "on": p.on.isoformat()} for p, _ in planted
        },
    }
