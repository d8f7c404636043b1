"""The service answers health, readiness and its OpenAPI document on the SQLite default."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commonfund.server import app
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, migrate
from tests.builders import world
from tests.conftest import fixed_clock


def test_health_readiness_and_openapi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    with TestClient(app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["pending_migrations"] == [
            "0001_event_store",
            "0002_api",
            "0003_projections",
            "0004_supervision",
            "0005_supervision_facts",
            "0006_webhooks",
            "0007_maintenance",
            "0008_supervision_fund",
            "0010_personal_data",
        ]
        migrate(Settings(database_url=url))
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True
        assert set(client.get("/openapi.json").json()["paths"]) >= {"/healthz", "/readyz"}


def test_readiness_reports_the_projection_lag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    monkeypatch.setenv("COMMONFUND_SUPERVISE_DAILY", "false")  # no tick event in the count
    settings = Settings(database_url=url)
    migrate(settings)
    writer = build_ledger(settings, fixed_clock)
    try:
        world(writer)  # events the serving process has not yet applied
        head = writer.recorder.max_notification_id()
    finally:
        writer.close()
    with TestClient(app()) as client:  # serve follows the ledger in the background
        deadline = time.monotonic() + 10
        while True:
            report = client.get("/readyz").json()["projections"]["statements"]
            if report["lag_events"] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert report == {"position": head, "lag_events": 0, "lag_seconds": 0.0}
