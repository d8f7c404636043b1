"""The daily clock-rule run inside `commonfund serve`: today's tick, once, however many workers."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commonfund.server import app
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, migrate
from ledger.supervision import clock_id


def test_serve_records_todays_run_once_whatever_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    settings = Settings(database_url=url)
    migrate(settings)
    reader = build_ledger(settings)
    try:
        today = reader.today()
        with TestClient(app()), TestClient(app()):  # two workers
            deadline = time.monotonic() + 10
            while not list(reader.events.get(clock_id(today))) and time.monotonic() < deadline:
                time.sleep(0.05)
        days = {today, reader.today()}  # a run across midnight may tick the next day too
        events = [e for day in days for e in reader.events.get(clock_id(day))]
        assert 1 <= len(events) <= len(days)
    finally:
        reader.close()
