"""``commonfund serve`` SIGKILLed under a write load and started again on the same database:
no acknowledged income lost or booked twice, and a replay of every key answers its first
answer (issue #15 acceptance; spec/api.md, Writes; api/idempotency.py).

The kill lands on the whole process group (the supervisor and both workers, mid-request)
once a third of the writes are acknowledged; the clients retry every request that got no
answer with its own key until the restarted server answers. The server is set up as
bench/api_write.py sets it up, through its helpers, and is killed at the end, whatever happened.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import httpx2 as httpx
import pytest

from bench.api_write import HOST, Server, cli, free_port, setup_accounts, shanghai_today
from ledger.ids import child_id
from tests.plugins.stores import postgres_url_or_skip, reset_postgres, worker_database

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ACCOUNTS = 3
CLIENTS = 4
PER_CLIENT = 50
KILL_AFTER = CLIENTS * PER_CLIENT // 3  # acknowledged writes before the SIGKILL
LOAD_SECONDS = 45  # from the load's start: a client gives its keys up after it
READY_SECONDS = 30  # for a server to answer /readyz, at the start and after the kill
log = logging.getLogger(__name__)
CONNECTION_ERRORS = (httpx.ConnectError, httpx.ReadError, httpx.RemoteProtocolError)


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not within {timeout:.0f} s"
        time.sleep(0.05)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group still runs (a zombie no longer serves or holds a lock)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
            if int(group) == pgid and state != "Z":
                return True
    return False


class Serving:
    """``commonfund serve --workers 2`` on one port and database, started again after a kill."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.port = env, logs, free_port()
        self.base = f"http://{HOST}:{self.port}"
        self.servers: list[Server] = []

    def start(self) -> None:
        log = self.logs / f"serve-{len(self.servers)}.log"
        self.servers.append(Server(self.port, 2, self.env, log))
        self.servers[-1].wait_ready(timeout=READY_SECONDS)

    def kill(self) -> None:
        """SIGKILL the whole group, as a power cut or the OOM killer would, and wait it out."""
        server = self.servers[-1]
        pgid = server.proc.pid  # start_new_session: the group is the server's own
        if group_alive(pgid):  # a live member keeps the id from being reused
            os.killpg(pgid, signal.SIGKILL)
        server.proc.wait(timeout=10)
        wait_for(lambda: not group_alive(pgid), 10, "the server's process group gone")
        server.stop()  # closes its log; nothing is left to stop

    def tails(self) -> str:
        return "\n".join(f"--- {s.log}\n{s.tail()}" for s in self.servers)


@pytest.fixture
def database() -> str:
    """A migrated, empty database of this xdist worker's own: a kill here disturbs no other test."""
    url = worker_database(postgres_url_or_skip(), "crash")
    cli("migrate", env={**os.environ, "COMMONFUND_DATABASE_URL": url})
    reset_postgres(url)
    return url


@pytest.fixture
def serving(database: str, tmp_path: Path) -> Iterator[Serving]:
    env = {
        **os.environ,
        "COMMONFUND_DATABASE_URL": database,
        "COMMONFUND_SUPERVISE_DAILY": "false",
        "COMMONFUND_DELIVER_WEBHOOKS": "false",
    }  # and bench's Server turns the rate limits off: 200 writes through 3 tokens
    serving = Serving(env, tmp_path)
    try:
        serving.start()
        yield serving
    finally:
        if serving.servers:
            serving.kill()


@dataclass(frozen=True)
class Write:
    key: str
    account: int
    fen: int
    body: dict[str, Any]


@dataclass
class Load:
    """``CLIENTS`` threads, each posting its writes in turn, every key until a 2xx answers it."""

    base: str
    accounts: list[dict[str, str]]
    writes: list[list[Write]]
    first: dict[str, httpx.Response] = field(default_factory=dict)  # key -> first 2xx answer
    unanswered: dict[str, Counter[str]] = field(default_factory=dict)  # key -> errors it met
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.first)

    def run(self) -> list[threading.Thread]:
        deadline = time.monotonic() + LOAD_SECONDS
        threads = [threading.Thread(target=self.client, args=(w, deadline)) for w in self.writes]
        for thread in threads:
            thread.start()
        return threads

    def client(self, writes: list[Write], deadline: float) -> None:
        with httpx.Client(base_url=self.base, timeout=10) as http:
            for write in writes:
                self.send(http, write, deadline)

    def send(self, http: httpx.Client, write: Write, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                answer = post(http, self.accounts[write.account], write)
            except CONNECTION_ERRORS as error:  # the server is dead, or died mid-request
                with self.lock:
                    self.unanswered.setdefault(write.key, Counter())[type(error).__name__] += 1
                time.sleep(0.1)
                continue
            if answer.is_success:
                with self.lock:
                    self.first[write.key] = answer
                return
            if answer.status_code != 503 or answer.json().get("retryable") is not True:
                with self.lock:
                    self.failures.append(f"{write.key}: {answer.status_code} {answer.text[:300]}")
                return
            time.sleep(0.1)  # retryable: the database not reachable yet
        with self.lock:
            self.failures.append(f"{write.key}: no answer within {LOAD_SECONDS} s")


def post(http: httpx.Client, account: dict[str, str], write: Write) -> httpx.Response:
    return http.post(
        f"/v1/accounts/{account['id']}/income",
        json=write.body,
        headers={"Authorization": f"Bearer {account['token']}", "Idempotency-Key": write.key},
    )


def plan(accounts: int) -> list[list[Write]]:
    """Each client's writes, spread over the accounts, every amount its own (a sum names them)."""
    value_date = (shanghai_today() - timedelta(days=1)).isoformat()
    return [
        [
            Write(
                key=f"crash-{c}-{i}",
                account=(c + i) % accounts,
                fen=(100 + c) * 100 + i,
                body={
                    "category": "parking",
                    "amount": f"{100 + c}.{i:02d}",
                    "value_date": value_date,
                    "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
                },
            )
            for i in range(PER_CLIENT)
        ]
        for c in range(CLIENTS)
    ]


def stage(answer: httpx.Response, killed_at: datetime) -> str:
    """How far a request cut off by the kill had got, as its first answer after it shows:
    the middle case is the one a retry must answer from the ledger's record (issue #12)."""
    if answer.headers.get("idempotent-replayed") == "true":
        return "answered and stored before the kill"
    if datetime.fromisoformat(answer.json()["recorded_at"]) < killed_at:
        return "booked before the kill, its answer not stored"
    return "nothing booked before the kill"


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def entries(http: httpx.Client, account: dict[str, str]) -> list[dict[str, Any]]:
    """Every entry of the account, page by page."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": "500", **({"cursor": cursor} if cursor else {})}
        page = http.get(
            f"/v1/accounts/{account['id']}/entries",
            params=params,
            headers={"Authorization": f"Bearer {account['token']}"},
        )
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return found


def test_a_sigkilled_server_loses_no_acknowledged_write_and_replays_every_first_answer(
    database: str, serving: Serving
) -> None:
    """Spec/api.md: "Replaying a key returns the first response"; a crash must not change it."""
    env = {**os.environ, "COMMONFUND_DATABASE_URL": database}
    operator = cli("token", "issue", "--role", "operator", "--label", "crash", env=env)
    operator = operator.strip().splitlines()[-1]
    accounts = setup_accounts(serving.base, operator, ACCOUNTS, "crash", spend=False, publish=False)
    clients = plan(ACCOUNTS)
    writes = [w for client in clients for w in client]
    load = Load(serving.base, accounts, clients)

    threads = load.run()
    try:
        wait_for(lambda: load.acknowledged() >= KILL_AFTER, 30, "writes before the kill")
        killed_at = datetime.now(UTC)
        serving.kill()
        at_kill = load.acknowledged()
        serving.start()
    finally:
        for thread in threads:
            thread.join(timeout=LOAD_SECONDS + 15)  # + a last request's timeout
    assert not any(t.is_alive() for t in threads)
    assert load.failures == [], (load.failures[:5], serving.tails())
    assert at_kill < len(writes), "the load ended before the kill"
    assert load.unanswered, "no request met the dead server: the kill missed the load"
    assert set(load.first) == {w.key for w in writes}, "a key never acknowledged"
    cut = [k for k, errors in load.unanswered.items() if set(errors) - {"ConnectError"}]
    log.info(
        "killed at %d acknowledged; %d keys met the dead server, %d of them cut mid-request: %s",
        at_kill, len(load.unanswered), len(cut),
        {k: (dict(load.unanswered[k]), stage(load.first[k], killed_at)) for k in cut},
    )  # fmt: skip

    with httpx.Client(base_url=serving.base, timeout=10) as http:
        # every key again: the first answer, status and body, whichever server gave it
        for write in writes:
            first, again = load.first[write.key], post(http, accounts[write.account], write)
            assert (again.status_code, again.json()) == (first.status_code, first.json()), (
                write.key,
                load.unanswered.get(write.key),
            )
            assert again.content == first.content, write.key  # spec/api.md: byte for byte
            assert again.headers.get("idempotent-replayed") == "true", write.key

        for n, account in enumerate(accounts):
            # each key's own entry id (ledger/ids.py): the id a retry must book it under
            mine = {child_id(UUID(account["id"]), w.key): w for w in writes if w.account == n}
            listed = entries(http, account)
            booked = Counter(e["id"] for e in listed)
            assert [i for i, times in booked.items() if times > 1] == []  # no entry twice
            assert sorted(set(booked) - set(mine)) == []  # nor one a key did not ask for
            # nothing lost: every acknowledged write is in the account, as its answer said
            by_id = {e["id"]: e for e in listed}
            assert [
                w.key for i, w in mine.items() if by_id.get(i) != load.first[w.key].json()
            ] == []
            summary = http.get(
                f"/v1/accounts/{account['id']}",
                headers={"Authorization": f"Bearer {account['token']}"},
            ).json()
            assert (summary["entries"], summary["balance"]) == (
                len(mine),
                yuan(sum(w.fen for w in mine.values())),
            )

    verify = subprocess.run(
        [sys.executable, "-m", "commonfund.cli", "verify"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stderr
    assert verify.stdout.startswith("ok:"), verify.stdout
