"""Exactly once across processes (issue #14), on SQLite and PostgreSQL: two processes importing
the same file, or two overlapping files, at once record each bank transaction once, as one
import does."""

from __future__ import annotations

import multiprocessing
from datetime import timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Event
from typing import Any
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import personal_keys
from ledger.application import Ledger
from ledger.bank.feed import BankFeed, feed_id
from tests.plugins.bank import BANK, BANK_CODE, bank_file, line, statement
from tests.plugins.builders import World, world
from tests.plugins.clock import TODAY, fixed_clock

pytestmark = pytest.mark.slow
DAY = TODAY - timedelta(days=10)


def file_of(name: str) -> Any:
    """S1 holds R01–R30, S2 holds R20–R50: eleven lines in both."""
    first, last = {"S1": (1, 30), "S2": (20, 50)}[name]
    lines = [line(f"R{i:02d}", 100_00 + i, on=DAY) for i in range(first, last + 1)]
    return bank_file(statement(name, lines, closing_on=DAY))


def importer(url: str, account: str, name: str, start: Event, out: Queue[int]) -> None:
    settings = Settings(database_url=url)
    ledger = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=fixed_clock
    )
    try:
        ledger.account(UUID(account))  # a warm, soon stale cache, like a long-running server
        start.wait(10)
        receipt = ledger.import_bank_file(UUID(account), file_of(name), actor=BANK)
        out.put(receipt.lines)
    finally:
        ledger.close()


def run_two(url: str, account: str, names: tuple[str, str]) -> list[int]:
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    out: Queue[int] = context.Queue()
    processes = [
        context.Process(target=importer, args=(url, account, name, start, out)) for name in names
    ]
    for process in processes:
        process.start()
    start.set()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    return sorted(results)


def recorded(settings: Settings, w: World) -> tuple[list[str], list[str], int]:
    """Every line key as often as it was recorded, the statements, the feed's version."""
    fresh = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), clock=fixed_clock
    )
    try:
        keys: list[str] = []
        statements: list[str] = []
        for event in fresh.events.get(feed_id(w.account_id)):
            if isinstance(event, BankFeed.LinesRecorded):
                keys.extend(ln["key"] for ln in event.lines)
            if isinstance(event, BankFeed.StatementRecorded):
                statements.append(event.statement["key"])
        return sorted(keys), sorted(statements), fresh.read(feed_id(w.account_id), BankFeed).version
    finally:
        fresh.close()


def test_the_same_file_from_two_processes_is_recorded_once(
    ledger: Ledger, settings: Settings
) -> None:
    w = world(ledger, bank_code=BANK_CODE)
    assert run_two(settings.database_url, str(w.account_id), ("S1", "S1")) == [0, 30]
    keys, statements, _ = recorded(settings, w)
    assert keys == [f"R{i:02d}" for i in range(1, 31)]
    assert statements == ["S1"]


def test_two_overlapping_files_from_two_processes_add_each_line_once(
    ledger: Ledger, settings: Settings
) -> None:
    w = world(ledger, bank_code=BANK_CODE)
    done = run_two(settings.database_url, str(w.account_id), ("S1", "S2"))
    assert sum(done) == 50  # whichever came second added only what the first had not
    keys, statements, _ = recorded(settings, w)
    assert keys == [f"R{i:02d}" for i in range(1, 51)]  # each once
    assert statements == ["S1", "S2"]
    # the same as one process importing both, one after the other
    other = world(ledger, code="QD-SN-0002", bank_code=BANK_CODE)
    ledger.import_bank_file(other.account_id, file_of("S1"), actor=BANK)
    ledger.import_bank_file(other.account_id, file_of("S2"), actor=BANK)
    assert recorded(settings, other)[:2] == (keys, statements)
