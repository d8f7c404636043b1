"""`commonfund demo` then `commonfund verify`: what a newcomer runs first, on both stores."""

from __future__ import annotations

import json
from uuid import UUID

import pytest

from commonfund import cli
from commonfund.settings import Settings
from ledger.application import Ledger


def test_demo_loads_once_and_verifies(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", settings.database_url)
    assert cli.main(["demo", "--if-empty"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["units"] == 300
    assert summary["district"].startswith("370202")
    assert summary["payments"] > 0
    assert len(summary["resolutions"]) >= 1
    assert cli.main(["demo", "--if-empty"]) == 0
    assert "not loaded again" in capsys.readouterr().out
    assert cli.main(["verify"]) == 0
    ledger = Ledger(env=settings.eventsourcing_env())
    try:
        committee = ledger.committee(UUID(summary["committee_id"]))
        assert committee.status == "sealed"
        assert ledger.account(UUID(summary["account_id"])).balance > 0
    finally:
        ledger.close()
