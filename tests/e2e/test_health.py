"""The service answers health, readiness and its OpenAPI document on the SQLite default."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from commonfund.server import app
from commonfund.settings import Settings
from commonfund.wiring import migrate


def test_health_readiness_and_openapi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    with TestClient(app()) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        not_ready = client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["pending_migrations"] == ["0001_event_store", "0002_api"]
        migrate(Settings(database_url=url))
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["ready"] is True
        assert set(client.get("/openapi.json").json()["paths"]) >= {"/healthz", "/readyz"}
