"""The service answers health, readiness and its OpenAPI document on the SQLite default."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commonfund.server import app
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, migrate
from tests.plugins.builders import world
from tests.plugins.clock import fixed_clock


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
            "0009_webhook_leases",
            "0010_personal_data",
            "0011_fund_statement_versions",
            "0013_booked_line",  # 0012 is PostgreSQL's only
            "0014_entry_lines",
            "0015_bank",
            "0016_bank_tokens",
            "0018_owner_codes",  # 0017 is PostgreSQL's only
            "0019_supervision_challenges",
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
        runner = {"running": True, "role": "active", "failing_seconds": 0.0, "last_error": None}
        assert report == {
            "position": head, "lag_events": 0, "lag_seconds": 0.0, "runner": runner
        }  # fmt: skip


def test_readiness_fails_when_a_runner_of_this_process_is_not_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A runner thread that ended leaves the read model behind for good: not ready (issue #12)."""
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    monkeypatch.setenv("COMMONFUND_SUPERVISE_DAILY", "false")
    migrate(Settings(database_url=url))
    with TestClient(app()) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        assert client.get("/readyz").status_code == 200
        services.supervision_runner.health.stopped()  # as its thread does when it ends
        report = client.get("/readyz")
        assert report.status_code == 503
        assert report.json()["reasons"] == [
            "supervision: its runner in this process is not running"
        ]
        assert report.json()["projections"]["supervision"]["runner"]["running"] is False


def test_readiness_fails_when_a_read_model_lags_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No runner follows here (COMMONFUND_RUN_PROJECTIONS=false, as with a dead
    ``commonfund project``): the oldest event not applied ages past the limit."""
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    monkeypatch.setenv("COMMONFUND_SUPERVISE_DAILY", "false")
    monkeypatch.setenv("COMMONFUND_RUN_PROJECTIONS", "false")
    monkeypatch.setenv("COMMONFUND_PROJECTION_LAG_LIMIT_SECONDS", "0.2")
    settings = Settings(database_url=url)
    migrate(settings)
    with TestClient(app()) as client:
        assert client.get("/readyz").status_code == 200  # nothing written yet: no lag
        writer = build_ledger(settings, fixed_clock)
        try:
            world(writer)
        finally:
            writer.close()
        time.sleep(0.3)
        report = client.get("/readyz")
        assert report.status_code == 503
        reasons = report.json()["reasons"]
        assert [r.split(":")[0] for r in reasons] == [
            "statements",
            "supervision",
            "maintenance",
            "bank",
        ]
        assert all("behind the ledger (limit 0.2 s)" in r for r in reasons)
