"""PostgreSQL restarted under a write load: nothing lost, outages answered 503, the read
models catch up by themselves and equal a clean rebuild (issue #12, item 1).

It restarts the machine's PostgreSQL cluster, so it runs alone, after the rest of the
suite (``make test`` runs the ``restarts_postgres`` tests in a pytest run of their own),
and it waits until PostgreSQL is back before it ends, whatever happened.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2 as httpx
import psycopg
import pytest

from commonfund.server import build_stores
from commonfund.settings import Settings
from commonfund.wiring import (
    build_ledger,
    maintenance_runner,
    migrate,
    statements_runner,
    supervision_runner,
)
from projections.runner import Runner
from tests.plugins.builders import world
from tests.plugins.clock import fixed_clock
from tests.plugins.stores import POSTGRES_URL, postgres_url_or_skip, reset_postgres, worker_database

pytestmark = [pytest.mark.postgres, pytest.mark.restarts_postgres, pytest.mark.slow]
CLIENTS = 4
PER_CLIENT = 45
RESTART_AFTER = CLIENTS * PER_CLIENT // 3  # acknowledged writes before the restart
PREFIXES = {"statements": ("stmt_",), "supervision": ("sup_", "alert"), "maintenance": ("mf_",)}


def cluster() -> str:
    return sorted(
        Path("/etc/postgresql").iterdir(), key=lambda p: [int(x) for x in p.name.split(".")]
    )[-1].name


def pg_ready(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=1) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error:
        return False
    return True


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.2)


def restart_postgres(url: str) -> None:
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "restart"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    wait_for(lambda: pg_ready(url), 60, "PostgreSQL back after its restart")


@pytest.fixture
def database() -> Iterator[Settings]:
    postgres_url_or_skip()
    url = worker_database(POSTGRES_URL, "restart")
    settings = Settings(database_url=url)
    migrate(settings)
    reset_postgres(url)
    yield settings
    if not pg_ready(url):  # whatever failed, leave the cluster running for what comes next
        subprocess.run(
            ["pg_ctlcluster", "--skip-systemctl-redirect", cluster(), "main", "start"],
            check=False, capture_output=True, timeout=120,
        )  # fmt: skip
        wait_for(lambda: pg_ready(url), 60, "PostgreSQL started again")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(database: Settings, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "COMMONFUND_DATABASE_URL": database.database_url,
        "COMMONFUND_SUPERVISE_DAILY": "false",
        "COMMONFUND_DELIVER_WEBHOOKS": "false",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "commonfund.cli", "serve", "--workers", "2", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: ready(base) is not None, 60, "commonfund serve ready")
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def ready(base: str) -> dict[str, Any] | None:
    try:
        answer = httpx.get(f"{base}/readyz", timeout=5)
    except httpx.HTTPError:
        return None
    return answer.json() if answer.status_code == 200 else None


def dump(runner: Runner) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the view's serving copy, without the generation column, in a fixed order."""
    with runner.database.reading() as tx:
        (generation,) = tx.execute(
            "SELECT generation FROM projection_state WHERE name = ?", (runner.view.name,)
        )[0]
        tables = [
            name
            for (name,) in tx.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND column_name = 'generation' AND table_name <> 'projection_state'"
                " AND table_name <> 'projection_tracking' ORDER BY table_name"
            )
            if name.startswith(PREFIXES[runner.view.name])
        ]
        found = {}
        for table in tables:
            columns = [
                c for (c,) in tx.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                    " AND column_name <> 'generation' ORDER BY ordinal_position", (table,)
                )
            ]  # fmt: skip
            rows = tx.execute(
                f"SELECT {', '.join(columns)} FROM {table} WHERE generation = ?",
                (generation,),
            )
            found[table] = sorted(rows, key=repr)
    assert found, f"no tables for {runner.view.name}"
    return found


class Load:
    """``CLIENTS`` committee clients recording income, each key retried until acknowledged:
    an outage may answer 503 (retryable) or drop the connection, and nothing else."""

    def __init__(self, server: str, account_id: str, token: str) -> None:
        self.server, self.account_id, self.token = server, account_id, token
        self.statuses: Counter[str] = Counter()
        self.acknowledged: dict[str, str] = {}  # key -> entry id
        self.failures: list[str] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.client, args=(n,)) for n in range(CLIENTS)]

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        for thread in self.threads:
            thread.join(timeout=180)
        assert not any(thread.is_alive() for thread in self.threads)

    def client(self, n: int) -> None:
        with httpx.Client(base_url=self.server, timeout=30) as http:
            for i in range(PER_CLIENT):
                self.record(http, f"c{n}-{i}", f"{100 + i}.00")

    def record(self, http: httpx.Client, key: str, amount: str) -> None:
        body = {
            "category": "parking", "amount": amount, "value_date": "2026-11-20",
            "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
        }  # fmt: skip
        headers = {"Authorization": f"Bearer {self.token}", "Idempotency-Key": key}
        for _ in range(600):  # bounded: a minute of retries at most
            try:
                answer = http.post(
                    f"/v1/accounts/{self.account_id}/income", json=body, headers=headers
                )
            except httpx.TransportError as error:
                self.count(type(error).__name__)
                time.sleep(0.1)
                continue
            self.count(str(answer.status_code))
            if answer.status_code == 201:
                with self.lock:
                    self.acknowledged[key] = answer.json()["id"]
                return
            retryable = answer.status_code == 503 and answer.json().get("retryable") is True
            if not retryable or answer.headers["content-type"] != "application/problem+json":
                with self.lock:
                    self.failures.append(f"{key}: {answer.status_code} {answer.text[:200]}")
                return
            time.sleep(float(answer.headers["retry-after"]) / 10)
        with self.lock:
            self.failures.append(f"{key}: never acknowledged")

    def count(self, status: str) -> None:
        with self.lock:
            self.statuses[status] += 1


def caught_up(server: str) -> bool:
    """Every read model at the ledger's head, each runner of the answering worker running."""
    report = ready(server)
    return report is not None and all(
        p["lag_events"] == 0 and p["runner"]["running"] for p in report["projections"].values()
    )


def test_a_postgres_restart_under_load_loses_nothing_and_the_read_models_recover(
    database: Settings, server: str
) -> None:
    ledger = build_ledger(database, fixed_clock)
    stores = build_stores(database)
    try:
        w = world(ledger)
        before = len(ledger.entries(w.account_id))
        now = datetime.now(UTC)
        token, _ = stores.issue(
            role="committee", complex_id=w.complex_id, member_id="m1", owner_key=None,
            jurisdiction=None, expires_at=now + timedelta(days=1), label="load", now=now,
        )  # fmt: skip
    finally:
        stores.close()
        ledger.close()

    load = Load(server, str(w.account_id), token)
    load.start()
    wait_for(lambda: len(load.acknowledged) >= RESTART_AFTER, 120, "writes before the restart")
    restart_postgres(database.database_url)
    load.join()
    assert load.failures == [], (load.failures[:5], load.statuses)
    assert len(load.acknowledged) == CLIENTS * PER_CLIENT, load.statuses
    assert set(load.statuses) <= {"201", "503", "ConnectError", "ReadError", "RemoteProtocolError"}

    # the serving processes' runners caught up by themselves: nobody restarted them
    wait_for(lambda: caught_up(server), 60, "read models caught up after the restart")
    ledger = build_ledger(database, fixed_clock)
    runners = [
        make(database, ledger)
        for make in (statements_runner, supervision_runner, maintenance_runner)
    ]
    try:
        entries = ledger.entries(w.account_id)
        assert len(entries) == before + CLIENTS * PER_CLIENT  # each acknowledged write once
        assert {e.id for e in entries} >= set(load.acknowledged.values())
        for runner in runners:
            live = dump(runner)
            runner.rebuild()
            assert dump(runner) == live, runner.view.name
    finally:
        for runner in runners:
            runner.database.close()
        ledger.close()
