"""``commonfund serve``: the worker health check it hands uvicorn (issue #12), and the pages'
addresses it prints once it answers (issue #17: `make run` ends with them)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from commonfund import cli, serving
from commonfund.settings import Settings
from commonfund.wiring import migrate


class Captured:
    configs: list[Any] = []  # noqa: RUF012 - one list per test run, reset by the fixture

    def __init__(self, config: Any, sockets: list[Any], on_listening: Any = None) -> None:
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
    monkeypatch.setattr(serving, "AnnouncingMultiprocess", Captured)
    Captured.configs = []
    return Captured.configs


def test_workers_get_ten_seconds_to_answer_by_default(served: list[Any]) -> None:
    assert cli.main(["serve", "--workers", "2", "--port", "0"]) == 0
    assert [c.timeout_worker_healthcheck for c in served] == [10]  # uvicorn's own is 5


def test_the_health_check_is_a_setting(served: list[Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMONFUND_WORKER_HEALTHCHECK_SECONDS", "45")
    assert cli.main(["serve", "--workers", "2", "--port", "0"]) == 0
    assert [c.timeout_worker_healthcheck for c in served] == [45]


ANNOUNCED = re.compile(
    r"commonfund is serving:\n"
    r"  owners' pages: +(?P<owners>\S+)\n"
    r"  regulator's page: +(?P<regulator>\S+)\n"
    r"  API docs: +(?P<docs>\S+)\n"
)


def announced(tmp_path: Path, *workers: str) -> dict[str, str]:
    """Start ``commonfund serve --port 0`` and read the addresses it prints; at the moment they
    are printed, every one of them must already answer (no retry)."""
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    migrate(Settings(database_url=url))
    # a spawned worker imports the CLI before it answers the supervisor's ping: on a loaded
    # machine that takes longer than the default 10 s, and the worker would be killed
    env = {**os.environ, "COMMONFUND_DATABASE_URL": url, "COMMONFUND_SUPERVISE_DAILY": "false",
           "COMMONFUND_DELIVER_WEBHOOKS": "false", "COMMONFUND_WORKER_HEALTHCHECK_SECONDS": "120"}  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "commonfund.cli", "serve", "--port", "0", *workers],
            env=env, stdout=stdout, stderr=stderr, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 180
            while (found := ANNOUNCED.search(out.read_text())) is None:
                assert process.poll() is None, err.read_text()
                assert time.monotonic() < deadline, (out.read_text(), err.read_text())
                time.sleep(0.05)
            pages = found.groupdict()
            answers = {name: httpx.get(page, timeout=5) for name, page in pages.items()}
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
    assert answers["regulator"].status_code == 200  # the login form, for a browser without one
    assert "text/html" in answers["regulator"].headers["content-type"]
    assert answers["docs"].status_code == 200
    assert answers["owners"].status_code < 500
    assert out.read_text().count("commonfund is serving:") == 1  # once, not once per worker
    return pages


def base_of(pages: dict[str, str]) -> str:
    base = pages["owners"].removesuffix("/")
    assert pages == {"owners": f"{base}/", "regulator": f"{base}/regulator", "docs": f"{base}/docs"}
    assert re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*", base), base  # the port bound, not 0
    return base


def test_serve_prints_the_pages_addresses_once_it_answers(tmp_path: Path) -> None:
    base_of(announced(tmp_path))


@pytest.mark.slow
def test_serve_with_workers_prints_the_addresses_once_a_worker_answers(tmp_path: Path) -> None:
    base_of(announced(tmp_path, "--workers", "2"))


def test_a_wildcard_bind_is_shown_as_this_hosts_loopback() -> None:
    assert serving.base_urls([("0.0.0.0", 8000), ("::", 8001, 0, 0)]) == [  # noqa: S104
        "http://127.0.0.1:8000",
        "http://[::1]:8001",
    ]
    assert serving.base_urls([("192.0.2.7", 80)]) == ["http://192.0.2.7:80"]
