"""What a bank reports about an account, as the bank feed reads it (issue #14).

A bank file (one camt.053 message, or one CSV export) holds one or more
statements; a statement holds its lines, each one bank transaction. Money is in
integer fen, signed where a balance may be negative; a line's ``amount`` is
always positive and its ``direction`` says which way it moved. These are the
parsers' results (``ledger/bank/formats``) and the commands' input; nothing
here reads bytes or talks to anything.

A line's ``key`` is what makes it exactly once (issue #14 "Exactly once"): the
bank's own reference (camt.053 ``AcctSvcrRef``, a CSV's 流水号), or, for a CSV
line without one, ``content:`` + a hash of its content, its running balance
and its occurrence in the file. Never the ``EndToEndId``: only its initiator
keeps that unique.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from ledger.errors import StatementRefused

__all__ = ["BankFile", "BankLine", "BankStatement", "Direction", "StatementRefused"]

Direction = Literal["credit", "debit"]


@dataclass(frozen=True, slots=True)
class BankLine:
    """One bank transaction (a camt.053 ``Ntry``, a CSV row)."""

    key: str  # the exactly-once key: the bank's reference, or "content:<hash>"
    reference: str  # AcctSvcrRef / 流水号 as the bank gave it; "" when none
    direction: Direction
    amount: int  # fen, > 0
    booked_on: date  # BookgDt / 交易日期
    value_on: date  # ValDt, else the booking date
    reversal: bool = False  # RvslInd: this line undoes an earlier one of the other direction
    status: str = "BOOK"  # Sts (only booked lines are kept)
    counterparty: str = ""  # 对方户名 / RltdPties name, as written
    counterparty_account: str = ""  # 对方账号 / RltdPties account
    remittance: str = ""  # 摘要 / RmtInf
    transaction_code: str = ""  # BkTxCd (Domn/Fmly/SubFmlyCd or Prtry), "" when none
    end_to_end_id: str = ""  # kept to show, never a key
    balance_after: int | None = None  # a CSV's 余额 after the line, where given
    where: str = ""  # where in the file the line is: "Stmt[1]/Ntry[3]", "line 7"


@dataclass(frozen=True, slots=True)
class BankStatement:
    """One statement of one account (a camt.053 ``Stmt``; a CSV export is one)."""

    statement_id: str  # Stmt/Id, or the file's hash for a CSV
    account_number: str  # Acct/Id (IBAN or Othr/Id), 账号; "" when the file does not say
    currency: str  # Ccy, "CNY"
    opening: int | None  # OPBD or PRCD, fen, signed; None when the file has none
    closing: int | None  # CLBD, fen, signed
    closing_on: date | None  # the date of CLBD (else the last line's or the period's end)
    from_on: date | None = None  # FrToDt
    to_on: date | None = None
    sequence: int | None = None  # ElctrncSeqNb
    lines: tuple[BankLine, ...] = ()
    where: str = ""  # "Stmt[1]"


@dataclass(frozen=True, slots=True)
class BankFile:
    """One file as received: its format, its message, its statements."""

    format: str  # "camt.053.001.08", "csv:icbc"
    message_id: str  # GrpHdr/MsgId; the file's hash for a CSV
    sha256: str  # of the bytes received
    statements: tuple[BankStatement, ...] = field(default=())
