"""`commonfund bank import FILE --account ID [--profile NAME]` (issue #14): a bank's batch file.

The file is read and checked whole first (a file that fails is refused whole, nothing of it
recorded), then recorded statement by statement, each in its own write, and matched. A
re-run after an interruption records nothing twice: statements and lines already recorded
are known by their keys. A progress bar (rich) follows the reading and the statements.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from uuid import UUID

from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)

from ledger.account import CommonFundAccount
from ledger.application import Ledger
from ledger.bank.checks import check_file
from ledger.bank.formats import parse
from ledger.unit_of_work import Actor

CLI = Actor("operator", "cli")
CHUNK = 1 << 20


def _media_type(path: Path, profile: str | None) -> str:
    return "text/csv" if profile or path.suffix.lower() == ".csv" else "application/xml"


def import_file(
    ledger: Ledger,
    path: Path,
    account_id: UUID,
    *,
    profile: str | None = None,
    progress: bool = True,
    actor: Actor = CLI,
) -> dict[str, Any]:
    started = time.perf_counter()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), DownloadColumn(),
        TimeRemainingColumn(), disable=not progress, transient=True,
    ) as bar:  # fmt: skip
        size = path.stat().st_size
        reading = bar.add_task("读取 reading", total=size)
        chunks = []
        with path.open("rb") as stream:
            while chunk := stream.read(CHUNK):
                chunks.append(chunk)
                bar.advance(reading, len(chunk))
        data = b"".join(chunks)
        parsing = bar.add_task("解析 parsing", total=1)
        bank_file = parse(data, _media_type(path, profile), profile, max_bytes=None)
        account = ledger.read(account_id, CommonFundAccount)
        check_file(bank_file, account_number=account.account_number, today=ledger.today())
        bar.advance(parsing)
        recording = bar.add_task("入账 recording", total=len(bank_file.statements))
        totals = {"statements": 0, "statements_known": 0, "lines": 0, "lines_known": 0}
        matched = breaks = 0
        for statement in bank_file.statements:
            receipt = ledger.import_bank_file(
                account_id, replace(bank_file, statements=(statement,)), actor=actor
            )
            for name in totals:
                totals[name] += getattr(receipt, name)
            matched += receipt.matched
            breaks += receipt.breaks
            bar.advance(recording)
    return {
        "account_id": str(account_id),
        "format": bank_file.format,
        "message_id": bank_file.message_id,
        **totals,
        "matched": matched,
        "continuity_breaks": breaks,
        "seconds": round(time.perf_counter() - started, 3),
    }
