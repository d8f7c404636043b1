"""Plugin: bank files as data (no parser), for the bank feed's rules (issue #14)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

from ledger.bank.commands import ImportReceipt
from ledger.bank.statement import BankFile, BankLine, BankStatement, Direction
from ledger.unit_of_work import Actor
from tests.plugins.builders import World
from tests.plugins.clock import TODAY

ACCOUNT_NUMBER = "6228480012345678"  # the builders' account (tests/plugins/builders.py)
BANK_CODE = "313452060150"  # 青岛银行 (a CNAPS code's shape: 12 digits)


def line(
    reference: str,
    amount: int,
    *,
    direction: Direction = "credit",
    on: date = TODAY,
    counterparty: str = "青岛某物业服务有限公司",
    reversal: bool = False,
) -> BankLine:
    return BankLine(
        key=reference, reference=reference, direction=direction, amount=amount, booked_on=on,
        value_on=on, reversal=reversal, counterparty=counterparty,
    )  # fmt: skip


def statement(
    statement_id: str,
    lines: list[BankLine],
    *,
    opening: int = 0,
    closing: int | None = None,
    closing_on: date | None = None,
    from_on: date | None = None,
    sequence: int | None = None,
    account_number: str = ACCOUNT_NUMBER,
) -> BankStatement:
    effect = sum(ln.amount if ln.direction == "credit" else -ln.amount for ln in lines)
    last = max((ln.booked_on for ln in lines), default=TODAY)
    return BankStatement(
        statement_id=statement_id, account_number=account_number, currency="CNY",
        opening=opening, closing=opening + effect if closing is None else closing,
        closing_on=closing_on or last, from_on=from_on or min(
            (ln.booked_on for ln in lines), default=TODAY - timedelta(days=1)
        ), to_on=closing_on or last, sequence=sequence, lines=tuple(lines),
    )  # fmt: skip


def bank_file(*statements: BankStatement, message_id: str = "") -> BankFile:
    ids = ",".join(s.statement_id for s in statements)
    return BankFile(
        format="camt.053.001.08",
        message_id=message_id or f"MSG-{ids}",
        sha256=hashlib.sha256(ids.encode()).hexdigest(),
        statements=statements,
    )


BANK = Actor("bank", "bank-1")


def feed(w: World, *statements: BankStatement) -> ImportReceipt:
    """Import these statements for the world's account, as the bank."""
    return w.ledger.import_bank_file(w.account_id, bank_file(*statements), actor=BANK)
