"""Placeholder until the parsers' branch lands (h14-formats writes the real checks)."""

from __future__ import annotations

from datetime import date

from ledger.bank.statement import BankFile, StatementRefused


def check_file(file: BankFile, *, account_number: str, today: date) -> None:
    def plain(text: str) -> str:
        return text.replace(" ", "").replace("-", "")

    for statement in file.statements:
        if statement.account_number and plain(statement.account_number) != plain(account_number):
            raise StatementRefused("the statement is for another account", problem="wrong-account")
