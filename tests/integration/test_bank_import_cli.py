"""``commonfund bank import FILE --account ID``: a bank's batch file, checked whole, recorded
once (issue #14)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from bench.bank_files import camt053_bytes
from commonfund import cli
from commonfund.settings import Settings
from ledger.application import Ledger
from ledger.bank.feed import BankFeed, feed_id
from tests.plugins.bank import ACCOUNT_NUMBER, BANK_CODE, line
from tests.plugins.builders import world
from tests.plugins.clock import TODAY


def test_a_file_is_imported_once_and_a_rerun_adds_nothing(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = world(ledger, bank_code=BANK_CODE)
    on = TODAY - timedelta(days=4)
    income = w.income(210_00, on=on)
    lines = [line(f"CLI-{i}", 210_00 if i == 0 else 10_00 + i, on=on) for i in range(30)]
    path = tmp_path / "day-end.xml"
    path.write_bytes(
        camt053_bytes(lines, account_number=ACCOUNT_NUMBER, opening=0, statement_id="CLI-S1",
                      message_id="CLI-M1")
    )  # fmt: skip
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    command = ["bank", "import", str(path), "--account", str(w.account_id), "--quiet"]

    assert cli.main(command) == 0
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (first["statements"], first["lines"], first["matched"]) == (1, 30, 1)
    assert cli.main(command) == 0
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert (again["statements"], again["lines"], again["statements_known"]) == (0, 0, 1)
    feed = ledger.work.fresh(feed_id(w.account_id), BankFeed)
    assert len(feed.lines) == 30
    assert feed.entry_match[income]


def test_a_file_for_another_account_is_refused_and_nothing_recorded(
    ledger: Ledger,
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = world(ledger, bank_code=BANK_CODE)
    path = tmp_path / "other.xml"
    path.write_bytes(
        camt053_bytes([line("X-1", 1_00, on=TODAY - timedelta(days=1))], account_number="999",
                      opening=0, statement_id="X", message_id="X")
    )  # fmt: skip
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["bank", "import", str(path), "--account", str(w.account_id), "--quiet"]) != 0
    assert "the statement is for account 999" in capsys.readouterr().err
    assert not ledger.work.exists(feed_id(w.account_id))
