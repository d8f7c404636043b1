"""``commonfund serve --workers N`` hands uvicorn the configured worker health check (issue #12)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from commonfund import cli, serving
from commonfund.settings import Settings
from commonfund.wiring import migrate


class Captured:
    configs: list[Any] = []  # noqa: RUF012 - one list per test run, reset by the fixture

    def __init__(self, config: Any, sockets: list[Any]) -> None:
        self.configs.append(config)
        for sock in sockets:
            sock.close()

    def run(self) -> None:
        """Serve nothing: the test only wants the configuration."""


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    migrate(Settings(database_url=url))
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", url)
    monkeypatch.setattr(serving, "Multiprocess", Captured)
    Captured.configs = []
    return Captured.configs


def test_workers_get_ten_seconds_to_answer_by_default(served: list[Any]) -> None:
    assert cli.main(["serve", "--workers", "2", "--port", "0"]) == 0
    assert [c.timeout_worker_healthcheck for c in served] == [10]  # uvicorn's own is 5


def test_the_health_check_is_a_setting(served: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMONFUND_WORKER_HEALTHCHECK_SECONDS", "45")
    assert cli.main(["serve", "--workers", "2", "--port", "0"]) == 0
    assert [c.timeout_worker_healthcheck for c in served] == [45]
