"""The checks a bank file passes before anything of it is recorded (issue #14 "Checks").

Pure: the file, the account it is fed to, and today. A file that fails is refused whole; the
refusal names the element (``Stmt[2]/Ntry[14]``) or the CSV line (``line 7``).
"""

from __future__ import annotations

from datetime import date

from ledger.bank.statement import BankFile, BankLine, BankStatement, StatementRefused


def check_file(file: BankFile, *, account_number: str, today: date) -> None:
    """Refuse (``StatementRefused``) a file for another account, unbalanced, with a reference twice,
    dated after ``today`` or not in CNY."""
    first_seen: dict[str, str] = {}
    for statement in file.statements:
        _check_account(statement, account_number)
        if statement.currency != "CNY":
            raise StatementRefused(
                f"the statement is in {statement.currency or 'no currency'}; the funds are held in CNY",
                where=statement.where,
                problem="currency",
            )
        for line in statement.lines:
            _check_dates(line, today)
            if line.reference:
                if line.reference in first_seen:
                    raise StatementRefused(
                        f"the bank reference {line.reference!r} is also at {first_seen[line.reference]}",
                        where=line.where,
                        problem="duplicate-reference",
                    )
                first_seen[line.reference] = line.where
        _check_balances(statement)


def normalized_account(number: str) -> str:
    """An account number without the spaces and dashes banks print it with."""
    return "".join(number.split()).replace("-", "")


def _check_account(statement: BankStatement, account_number: str) -> None:
    if statement.account_number and normalized_account(
        statement.account_number
    ) != normalized_account(account_number):
        raise StatementRefused(
            f"the statement is for account {statement.account_number}, not {account_number}",
            where=statement.where,
            problem="wrong-account",
        )


def _check_dates(line: BankLine, today: date) -> None:
    for name, day in (("booking", line.booked_on), ("value", line.value_on)):
        if day > today:
            raise StatementRefused(
                f"the {name} date {day.isoformat()} is after today ({today.isoformat()})",
                where=line.where,
                problem="future-date",
            )


def _effect(line: BankLine) -> int:
    """A line moves money its own way; a reversal too (it undoes a line of the other direction)."""
    return line.amount if line.direction == "credit" else -line.amount


def _check_balances(statement: BankStatement) -> None:
    """Opening + credits − debits = closing; and each running balance a line states (a CSV's 余额)."""
    running = statement.opening
    for line in statement.lines:
        if running is not None:
            running += _effect(line)
            if line.balance_after is not None and line.balance_after != running:
                raise StatementRefused(
                    f"the balance after the line is {_yuan(line.balance_after)}, the lines before"
                    f" give {_yuan(running)}",
                    where=line.where,
                    problem="unbalanced",
                )
        if line.balance_after is not None:
            running = line.balance_after
    if statement.opening is None or statement.closing is None:
        return
    moved = sum(_effect(line) for line in statement.lines)
    if statement.opening + moved != statement.closing:
        raise StatementRefused(
            f"opening {_yuan(statement.opening)} + credits − debits {_yuan(moved)} is"
            f" {_yuan(statement.opening + moved)}, not the closing {_yuan(statement.closing)}",
            where=statement.where,
            problem="unbalanced",
        )


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
