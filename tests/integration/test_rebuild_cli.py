"""``commonfund rebuild NAME``: a closing summary, or one JSON object with ``--json`` (issue #17)."""

from __future__ import annotations

import json
import re

import pytest

from commonfund import cli
from commonfund.settings import Settings
from ledger.application import Ledger
from tests.plugins.builders import world


def test_rebuild_tells_how_many_events_it_replayed(
    ledger: Ledger,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    w = world(ledger)
    w.income(100_00)
    head = ledger.recorder.max_notification_id()
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["migrate"]) == 0
    capsys.readouterr()
    assert cli.main(["rebuild", "statements", "--json"]) == 0
    told = capsys.readouterr()
    summary = json.loads(told.out)
    assert told.err == ""
    assert summary == {
        "command": "rebuild", "read_model": "statements", "events": head, "position": head,
        "seconds": summary["seconds"],
    }  # fmt: skip
    assert cli.main(["rebuild", "statements", "--batch-size", "3"]) == 0
    line = capsys.readouterr().out.strip()
    assert re.fullmatch(
        rf"statements: rebuilt from {head} events in \d+\.\d s; the new copy serves from"
        rf" position {head}",
        line,
    )
