"""Chinese banks' CSV exports read into a BankFile, one named layout (profile) per bank (issue #14).

A profile names the columns its layout has; a named column missing from the file is refused
(``missing-column``), and ``""`` means the layout has no such column. An export is one
statement: its opening is the first line's 余额 less that line's effect, its closing the last
line's 余额 (rows run oldest first). Lines are keyed by their 流水号, else by their content
(``_common.content_key``). Bytes are UTF-8 (with or without BOM), else GB18030, which GBK is a
subset of.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from ledger.bank.formats._common import content_key, sha256_hex, to_fen
from ledger.bank.statement import BankFile, BankLine, BankStatement, Direction, StatementRefused


@dataclass(frozen=True, slots=True)
class CsvProfile:
    """One bank's export layout: which column holds what, and how dates and amounts are written."""

    bank: str
    date: str  # 交易日期
    date_formats: tuple[str, ...]  # strptime formats, tried in turn on the cell's first word
    credit: str = ""  # 收入金额 (split amounts) ...
    debit: str = ""  # ... 支出金额; or, when both are "", one signed column:
    signed: str = ""  # 交易金额, "-" for money out
    balance: str = ""  # 余额 after the line
    counterparty: str = ""  # 对方户名
    counterparty_account: str = ""  # 对方账号
    reference: str = ""  # 流水号
    remittance: tuple[str, ...] = ()  # 摘要 (and 用途, 备注...), joined
    skip_lines: int = 0  # lines before the column row
    account_label: str = ""  # "账号" in a header line "账号:3803..." (or "账号：")
    account_column: str = ""  # or a column repeating the account on every row
    footer: tuple[str, ...] = ("合计", "总计", "本页合计")  # a row starting so ends the lines


PROFILES: dict[str, CsvProfile] = {
    # 工商银行 企业网银 "历史明细" download: a title, 账号 and period lines, split amounts
    "icbc": CsvProfile(
        bank="中国工商银行",
        skip_lines=3,
        account_label="账号",
        date="交易日期",
        date_formats=("%Y-%m-%d", "%Y%m%d"),
        debit="借方发生额(支出)",
        credit="贷方发生额(收入)",
        balance="余额",
        counterparty="对方户名",
        counterparty_account="对方账号",
        reference="流水号",
        remittance=("摘要", "用途"),
    ),
    # 建设银行 企业网银 "账户明细": the account on every row, date and time in one cell
    "ccb": CsvProfile(
        bank="中国建设银行",
        skip_lines=0,
        account_column="账号",
        date="交易时间",
        date_formats=("%Y%m%d", "%Y-%m-%d", "%Y/%m/%d"),
        debit="借方发生额（支取）",
        credit="贷方发生额（收入）",
        balance="余额",
        counterparty="对方户名",
        counterparty_account="对方账号",
        reference="账户明细编号-交易流水号",
        remittance=("摘要", "备注"),
    ),
    # 青岛银行 对公网银 交易明细: one signed amount, no 流水号 (lines keyed by content)
    "qdbank": CsvProfile(
        bank="青岛银行",
        skip_lines=2,
        account_label="账号",
        date="交易日期",
        date_formats=("%Y/%m/%d", "%Y-%m-%d"),
        signed="交易金额",
        balance="账户余额",
        counterparty="对方户名",
        counterparty_account="对方账号",
        remittance=("摘要",),
    ),
}


def parse_csv(data: bytes, profile: str) -> BankFile:
    """Read one export with the named profile; refuse it whole (``StatementRefused``) at the first fault."""
    layout = PROFILES.get(profile)
    if layout is None:
        raise StatementRefused(
            f"no CSV profile {profile!r}; known: {', '.join(sorted(PROFILES))}",
            problem="unknown-profile",
        )
    rows = list(csv.reader(io.StringIO(_decode(data), newline="")))
    header_at = layout.skip_lines
    if len(rows) <= header_at:
        raise StatementRefused(
            "the file has no column row", where=f"line {header_at + 1}", problem="missing-column"
        )
    columns = {name.strip().lstrip("\ufeff"): index for index, name in enumerate(rows[header_at])}
    for name in _named_columns(layout):
        if name not in columns:
            raise StatementRefused(
                f"the column {name!r} is missing (profile {profile})",
                where=f"line {header_at + 1}",
                problem="missing-column",
            )
    account = _header_account(rows[:header_at], layout.account_label)
    seen: dict[tuple[str, ...], int] = {}
    lines: list[BankLine] = []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        cells = [_cell(cell) for cell in row]
        if not any(cells):
            continue
        if cells[0].startswith(layout.footer):
            break
        cell = _getter(cells, columns)
        if layout.account_column and not account:
            account = cell(layout.account_column)
        lines.append(_line(layout, cell, f"line {number}", seen))
    sha256 = sha256_hex(data)
    first = lines[0] if lines else None
    last = lines[-1] if lines else None
    opening = None
    if first is not None and first.balance_after is not None:
        opening = first.balance_after - (
            first.amount if first.direction == "credit" else -first.amount
        )
    statement = BankStatement(
        statement_id=f"csv:{sha256}",
        account_number=account,
        currency="CNY",
        opening=opening,
        closing=last.balance_after if last is not None else None,
        closing_on=last.booked_on if last is not None else None,
        lines=tuple(lines),
        where="file",
    )
    return BankFile(
        format=f"csv:{profile}", message_id=f"csv:{sha256}", sha256=sha256, statements=(statement,)
    )


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise StatementRefused(
            f"byte {data[error.start : error.start + 1].hex()} is neither UTF-8 nor GB18030 (GBK)",
            where=f"line {line}",
            problem="undecodable",
        ) from None


def _named_columns(layout: CsvProfile) -> list[str]:
    named = [
        layout.date,
        layout.credit,
        layout.debit,
        layout.signed,
        layout.balance,
        layout.counterparty,
    ]
    named += [
        layout.counterparty_account,
        layout.reference,
        layout.account_column,
        *layout.remittance,
    ]
    return [name for name in named if name]


def _cell(text: str) -> str:
    """A cell as written, without the marks spreadsheets add to keep digits text (\\t, ', ="…")."""
    text = text.strip().lstrip("'")
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1]
    return text.strip()


Cell = Callable[[str], str]  # a row's cell by column name


def _getter(cells: list[str], columns: dict[str, int]) -> Cell:
    def cell(name: str) -> str:
        index = columns[name]
        return cells[index] if index < len(cells) else ""

    return cell


def _header_account(lines: list[list[str]], label: str) -> str:
    """The account in a header line "账号:3803 0201 ..." (half- or full-width colon)."""
    if not label:
        return ""
    for row in lines:
        for text in row:
            cell = _cell(text).replace("：", ":")
            if cell.startswith(label + ":"):
                return cell[len(label) + 1 :].strip()
    return ""


_NO_AMOUNT = ("", "-", "--", "0", "0.00")


def _line(layout: CsvProfile, cell: Cell, where: str, seen: dict[tuple[str, ...], int]) -> BankLine:
    booked_on = _date(cell(layout.date), layout.date_formats, where, layout.date)
    direction: Direction
    if layout.signed:
        fen = to_fen(cell(layout.signed), where, signed=True, grouped=True, field=layout.signed)
        direction, amount = ("debit" if fen < 0 else "credit"), abs(fen)
    else:
        money_in, money_out = cell(layout.credit), cell(layout.debit)
        if (money_in in _NO_AMOUNT) == (money_out in _NO_AMOUNT):
            raise StatementRefused(
                f"{layout.credit} {money_in!r} and {layout.debit} {money_out!r}: exactly one must hold the amount",
                where=where,
                problem="invalid-amount",
            )
        direction = "credit" if money_out in _NO_AMOUNT else "debit"
        column = layout.credit if direction == "credit" else layout.debit
        amount = to_fen(cell(column), where, grouped=True, field=column)
    if amount == 0:
        raise StatementRefused("the amount is zero", where=where, problem="invalid-amount")
    written = cell(layout.balance) if layout.balance else ""
    balance = (
        to_fen(written, where, signed=True, grouped=True, field=layout.balance) if written else None
    )
    reference = cell(layout.reference) if layout.reference else ""
    counterparty = cell(layout.counterparty) if layout.counterparty else ""
    account = cell(layout.counterparty_account) if layout.counterparty_account else ""
    remittance = " ".join(text for name in layout.remittance if (text := cell(name)))
    key = reference or content_key(
        (
            booked_on.isoformat(),
            direction,
            str(amount),
            counterparty,
            account,
            remittance,
            str(balance),
        ),
        seen,
    )
    return BankLine(
        key=key,
        reference=reference,
        direction=direction,
        amount=amount,
        booked_on=booked_on,
        value_on=booked_on,
        counterparty=counterparty,
        counterparty_account=account,
        remittance=remittance,
        balance_after=balance,
        where=where,
    )


def _date(text: str, formats: tuple[str, ...], where: str, column: str) -> date:
    """The cell's first word ("2026-03-05", "20260305 10:21:33") in one of the profile's formats."""
    word = text.split(maxsplit=1)[0] if text.split() else ""
    for pattern in formats:
        try:
            return datetime.strptime(word, pattern).date()  # noqa: DTZ007 (a calendar day, no zone)
        except ValueError:
            continue
    raise StatementRefused(
        f"{column}: {text!r} is not a date written {' or '.join(formats)}",
        where=where,
        problem="invalid-date",
    )
