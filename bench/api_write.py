"""HTTP write throughput and latency of ``commonfund serve`` on PostgreSQL, against a trivial route.

The benchmark drops and recreates its own database, runs ``commonfund migrate``,
starts ``commonfund serve --workers N`` on a free port of 127.0.0.1 and sets up
``--accounts`` complexes through the HTTP API (an operator token from ``commonfund
token issue``, a regulator token and committee tokens from ``/v1/admin/tokens``):
each with a filed and sealed committee and an open account whose signatories are m1
and m2; for the expenditure or mixed phase also an income of 1,000,000.00 dated in the
last month that ended before yesterday's month began; for the mixed phase that month's
statement published; for the expenditures m2's token and a budget resolution (repairs,
100,000,000.00 over today ± 30/60 days) that authorises them (H05).
With ``--projections separate`` the serving processes run without the read models
(COMMONFUND_RUN_PROJECTIONS=false) and a ``commonfund project`` process on the same
database follows the ledger for them; the default, ``in-serve``, leaves them inside
``serve``. The load starts once every read model has caught up with the setup.

A separate load-generating process (asyncio + aiohttp) then runs, in every round,
closed-loop phases: ``--connections`` keep-alive connections, each running one
iteration at a time, until ``--seconds`` or ``--requests`` iterations:

- ``income``: ``POST /v1/accounts/{id}/income`` round-robin over the accounts, each
  with a unique Idempotency-Key. Right after it, the read models' **live lag**: the
  time from the last acknowledged write until every read model's tracking position
  (``projection_tracking``, what ``/readyz`` reports) has reached the ledger's head
  as it stood then, polled every 2 ms (``floor_ms``: the first poll, the finest lag
  this can see);
- ``trivial``: ``GET /healthz`` the same way, the yardstick of every ratio;
- ``expenditures`` (``--no-expenditures`` skips it): a pair per iteration, a proposal
  by m1 (``POST /v1/accounts/{id}/expenditures``, the proposer's approval counts as
  the first) and its approval by m2 (``POST .../expenditures/{eid}/approvals``),
  which books it (H06); ratio = requests/s over healthz's;
- ``mixed`` (``--no-mixed`` skips it): ``--mixed-write-share`` of the iterations are
  income, evenly spread; the rest are reads in turn: ``GET /v1/accounts/{id}``,
  ``GET /v1/accounts/{id}/entries?limit=20`` and the published statement
  ``GET /v1/public/complexes/{id}/statements/{period}``.

After the rounds, the **open-loop** phase (``--open-loop-fraction`` of the median
closed-loop income rate, 0 skips it) offers income on a fixed schedule, evenly spaced
or ``--open-loop-arrivals poisson``, for ``--open-loop-seconds``: a request is sent at
its scheduled time whether or not earlier ones have been answered (at most
``--open-loop-max-in-flight`` at once; one past that waits for a slot), and its
latency runs from the scheduled time, so queueing shows (no coordinated omission).
Issue #15's target: p99 ≤ 50 ms at half the closed-loop maximum; the live lag is
measured after it too.

Any response that is not 2xx is an error, and the exit status is 1 if there was
one. The server runs with its rate limits off (COMMONFUND_RATE_LIMITS=false): a
token's write limit is far below what this pushes through one token. The medians
over ``--rounds`` are compared; the last line printed is a JSON object with both
throughputs, the ``ratio``, ``p50_ms``/``p99_ms`` of the income requests,
``target_met`` (as before: ratio ≥ 0.30 and that closed-loop p99 ≤ 50 ms), the cores
each party used per phase (``server``: the serving workers, ``projector``: the
``commonfund project`` process, 0 in-serve, ``postgres``, ``client``, ``machine``),
``live_lag_ms`` (median of the rounds; ``live_lag`` by read model), the
``expenditures``, ``mixed`` and ``open_loop`` results (null when skipped; each with
its ``ratio`` to healthz and its ``kinds`` of request), ``acceptance_met`` (issue
#15's: ratio ≥ 0.30, open-loop p99 ≤ 50 ms, no error), ``postgres_connections``
(the most seen: a shared PostgreSQL near ``max_connections`` fails requests with
503 after a 30 s pool wait) and the settings. The server and the project process
are stopped at the end, also on failure; their logs are kept in a temp dir when
anything failed.

    python bench/api_write.py --rounds 5 --seconds 10 --connections 32 --workers 2 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_api_bench

That run takes about 5 minutes (setup, 4 × 3 s of warm-up, 5 rounds of 4 phases of
10 s, 20 s of open loop). The CI smoke run (``--rounds 1 --seconds 3 --warmup-seconds
0 --accounts 3``) runs every phase briefly (the open loop 6 s), in under a minute.

Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import aiohttp
import httpx2
import psycopg
from psycopg import sql

from commonfund.synthetic import use_synthetic_identity_secret

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/commonfund_api_bench"
HOST = "127.0.0.1"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
JURISDICTION = "370202"
TRIVIAL = "/healthz"
UNITS_PER_COMPLEX = 7
BODY_VARIANTS = 97
MAX_SAMPLES = 5  # error bodies kept for the report
PY_SPY_MODE = os.environ.get("PY_SPY_MODE", "--idle").split()
CLOSED_PHASES = ("income", "trivial", "expenditures", "mixed")  # in the order a round runs them
LAG_TIMEOUT = 30.0  # s: a read model further behind than this is reported as not caught up
LAG_POLL = 0.002  # s between two looks at the tracking positions
CATCH_UP_TIMEOUT = 120.0  # s for the read models to apply the setup before the load starts
REQUEST_TIMEOUT = 30.0  # s, one request of the load
OPEN_LOOP_SEED = 15  # the Poisson arrivals are the same from run to run
TARGET_RATIO = 0.30  # issue #15: income over HTTP at least this share of /healthz
TARGET_P99_MS = 50.0  # issue #15: p99 at half the maximum, open loop


# --- helpers ----------------------------------------------------------------------------


def key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def cli(*args: str, env: dict[str, str]) -> str:
    """Run ``commonfund ARGS`` in this interpreter; return its stdout, fail loudly."""
    done = subprocess.run(
        [sys.executable, "-m", "commonfund.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"commonfund {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return done.stdout


def local_only(url: str) -> None:
    if urlsplit(url).hostname not in LOOPBACK:
        raise SystemExit("the benchmark runs against a local PostgreSQL only")


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to drop a database named {name!r}")
    local_only(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def where(url: str) -> str:
    """host:port/dbname, without credentials."""
    parts = urlsplit(url)
    return f"{parts.hostname}:{parts.port or 5432}{parts.path}"


def shanghai_today() -> date:
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def closed_month(today: date) -> tuple[str, str]:
    """The month that ended before yesterday's month began, and its last day: a period the
    benchmark may publish while its writes (dated yesterday) land in a later one."""
    last_day = (today - timedelta(days=1)).replace(day=1) - timedelta(days=1)
    return last_day.strftime("%Y-%m"), last_day.isoformat()


# --- the server and the project process -----------------------------------------------


class Child:
    """A ``commonfund`` command as a child in its own process group; ``stop()`` is idempotent."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "commonfund.cli", *args],
            env=env,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self, what: str) -> None:
        if self.proc.poll() is not None:
            raise SystemExit(f"{what} exited ({self.proc.returncode}):\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # serve stops its workers, project its runners
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own child's group, by id
                self.proc.wait(timeout=10)
        self._log_file.close()


class Server(Child):
    """``commonfund serve`` on 127.0.0.1:``port`` with ``workers`` uvicorn workers."""

    def __init__(self, port: int, workers: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        # throughput, not the rate limits, is measured: ~300 writes/s through one token
        # is far above a token's limit (docs/operations.md), so they are off here
        args = ["serve", "--host", HOST, "--port", str(port), "--workers", str(workers)]
        super().__init__(args, {**env, "COMMONFUND_RATE_LIMITS": "false"}, log)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx2.Client(base_url=self.base, timeout=2) as client:
            while time.monotonic() < deadline:
                self.check_alive("the server")
                with contextlib.suppress(httpx2.HTTPError):
                    if client.get("/readyz").status_code == 200:
                        return
                time.sleep(0.2)
        raise SystemExit(f"the server was not ready within {timeout:.0f} s:\n{self.tail()}")

    def read_models(self) -> list[str]:
        """The read models ``/readyz`` reports on: the ones whose lag the benchmark measures."""
        with httpx2.Client(base_url=self.base, timeout=10) as client:
            report = client.get("/readyz").json()
        return sorted(report.get("projections", {}))

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's workers, or the server itself with one."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            pids = []
        return pids or [self.proc.pid]


# --- the read models' positions -------------------------------------------------------

HEAD = "SELECT COALESCE(MAX(notification_id), 0) FROM ledger_events"
CONNECTIONS = (  # who holds PostgreSQL's connections: it is shared, and max_connections bounds it
    "SELECT count(*) FILTER (WHERE datname = current_database()), count(*),"
    " current_setting('max_connections')::int FROM pg_stat_activity"
    " WHERE backend_type = 'client backend'"
)
TRACKED = (  # the serving copy's position of each read model, as Runner.position() reads it
    "SELECT t.name, t.position FROM projection_tracking t JOIN projection_state s"
    " ON s.name = t.name AND s.generation = t.generation"
)


def live_lag(
    conn: psycopg.Connection[Any], names: list[str], since: float, timeout: float = LAG_TIMEOUT
) -> dict[str, Any]:
    """Milliseconds from ``since`` (``time.perf_counter()`` of the last acknowledged write)
    until each read model has applied the ledger's head as it is now; None past ``timeout``."""
    row = conn.execute(HEAD).fetchone()
    head = int(row[0]) if row else 0
    reached: dict[str, float] = {}
    floor: float | None = None
    deadline = time.perf_counter() + timeout
    while True:
        rows = conn.execute(TRACKED).fetchall()
        now = time.perf_counter()
        floor = now - since if floor is None else floor
        for name, position in rows:
            if name in names and name not in reached and int(position) >= head:
                reached[name] = now - since
        if len(reached) == len(names) or now > deadline:
            break
        time.sleep(LAG_POLL)
    caught_up = len(reached) == len(names)
    here, everywhere, limit = conn.execute(CONNECTIONS).fetchone() or (0, 0, 0)
    return {
        "ms": round(max(reached.values(), default=0.0) * 1000, 1) if caught_up else None,
        "by_read_model_ms": {
            n: round(reached[n] * 1000, 1) if n in reached else None for n in names
        },
        "floor_ms": round(floor * 1000, 1),
        "head": head,
        "caught_up": caught_up,
        "postgres_connections": {"this_database": here, "all": everywhere, "max": limit},
    }


def wait_caught_up(url: str, names: list[str], watched: list[tuple[str, Child]]) -> float:
    """Wait (bounded) until every read model has applied the setup; the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            found = live_lag(conn, names, started, timeout=1.0)
            if found["caught_up"]:
                return time.perf_counter() - started
            for what, child in watched:
                child.check_alive(what)
            if time.perf_counter() - started > CATCH_UP_TIMEOUT:
                raise SystemExit(
                    f"the read models did not apply the setup within {CATCH_UP_TIMEOUT:.0f} s:"
                    f" {found['by_read_model_ms']}"
                )


# --- setup through the API ------------------------------------------------------------


def call(
    client: httpx2.Client,
    method: str,
    path: str,
    token: str,
    expect: int,
    *,
    idempotency_key: str | None = None,
    **kw: Any,
) -> Any:
    headers = {"Authorization": f"Bearer {token}"}
    if idempotency_key is not None:
        headers["Idempotency-Key"] = idempotency_key
    response = client.request(method, path, headers=headers, **kw)
    if response.status_code != expect:
        raise SystemExit(f"setup: {method} {path} -> {response.status_code}: {response.text}")
    return response.json()


def setup_accounts(
    base: str, operator: str, count: int, run: str, *, spend: bool = False, publish: bool = False
) -> list[dict[str, str]]:
    """``count`` complexes with a sealed committee and an open account; m1's token each, and
    with ``spend`` m2's and a budget, with ``publish`` a published statement (see the top)."""
    today = shanghai_today()
    elected = (today - timedelta(days=60)).isoformat()
    period, period_end = closed_month(today)
    members = [
        {
            "member_id": f"m{i}",
            "name": f"委员{i}",
            "identity_key": key(f"{run}m{i}"),
            "role": "chair" if i == 1 else "member",
            "signatory": i <= 3,
        }
        for i in range(1, 6)
    ]
    accounts = []
    with httpx2.Client(base_url=base, timeout=60) as client:
        regulator = call(
            client,
            "POST",
            "/v1/admin/tokens",
            operator,
            201,
            json={"role": "regulator", "jurisdiction": JURISDICTION, "label": "bench"},
        )["token"]
        for n in range(count):
            units = [
                {
                    "unit_id": f"1-{i}",
                    "building": "1",
                    "floor_area": "90.00",
                    "owner_key": key(f"{run}-{n}-{i}"),
                }
                for i in range(1, UNITS_PER_COMPLEX + 1)
            ]
            cid = call(
                client,
                "POST",
                "/v1/complexes",
                operator,
                201,
                json={
                    "code": f"BENCH-{run}-{n}",
                    "name": f"基准小区{n}",
                    "district": JURISDICTION,
                    "street": "370202001",
                    "community": "370202001001",
                    "units": units,
                },
            )["id"]
            unit_ids = [u["unit_id"] for u in units]
            election = call(
                client,
                "POST",
                f"/v1/complexes/{cid}/resolutions",
                regulator,
                201,
                json={
                    "matter": 3,
                    "purpose": "选举业主委员会",
                    "period_from": elected,
                    "period_to": elected,
                    "participated": unit_ids,
                    "consented": unit_ids,
                    "closed_on": elected,
                },
            )
            kid = call(
                client,
                "POST",
                f"/v1/complexes/{cid}/committees",
                regulator,
                201,
                json={
                    "election_resolution_id": election["id"],
                    "elected_on": elected,
                    "term_end": (today + timedelta(days=900)).isoformat(),
                    "members": members,
                },
            )["id"]
            m1 = committee_token(client, operator, cid, "m1")
            call(
                client,
                "POST",
                f"/v1/committees/{kid}/filing",
                regulator,
                200,
                json={"number": f"F-{n}", "authority": "市南区住建局", "filed_on": elected},
            )
            call(
                client,
                "POST",
                f"/v1/committees/{kid}/seal",
                m1,
                200,
                json={"seal_number": f"S-{n}", "sealed_on": elected},
            )
            aid = call(
                client,
                "POST",
                f"/v1/complexes/{cid}/account",
                m1,
                201,
                json={
                    "bank": "青岛银行",
                    "account_number": f"62{n:010d}",
                    "signatories": ["m1", "m2"],
                    "opened_on": elected,
                },
            )["id"]
            account = {"id": aid, "token": m1, "complex_id": cid}
            if spend or publish:  # the money the expenditures spend, the statement's content
                call(
                    client, "POST", f"/v1/accounts/{aid}/income", m1, 201,
                    idempotency_key=f"{run}-setup-{n}",
                    json={
                        "category": "parking", "amount": "1000000.00", "value_date": period_end,
                        "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
                        "contract_ref": "TC-2026-018",
                    },
                )  # fmt: skip
            if publish:
                call(
                    client, "POST", f"/v1/complexes/{cid}/statements/{period}/publication", m1,
                    201,
                )  # fmt: skip
                account["period"] = period
            if spend:
                account["approver"] = committee_token(client, operator, cid, "m2")
                account["budget"] = call(
                    client, "POST", f"/v1/complexes/{cid}/resolutions", regulator, 201,
                    json={
                        "matter": 9, "purpose": "年度公共设施维修", "amount_cap": "100000000.00",
                        "budget_category": "repairs", "period_from": day(today, -30),
                        "period_to": day(today, 60), "participated": unit_ids,
                        "consented": unit_ids, "closed_on": day(today, -30),
                    },
                )["id"]  # fmt: skip
            accounts.append(account)
    return accounts


def committee_token(client: httpx2.Client, operator: str, complex_id: str, member: str) -> str:
    scope = {"role": "committee", "complex_id": complex_id, "member_id": member}
    body = {**scope, "label": "bench"}
    token: str = call(client, "POST", "/v1/admin/tokens", operator, 201, json=body)["token"]
    return token


def day(today: date, offset: int) -> str:
    return (today + timedelta(days=offset)).isoformat()


# --- the load-generating process --------------------------------------------------------

Request = tuple[str, str, dict[str, str], bytes | None]
TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) a process has used, from /proc; 0 once it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def postgres_pids() -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            with contextlib.suppress(OSError):
                if (proc / "comm").read_text().strip() == "postgres":
                    pids.append(int(proc.name))
    return pids


def cpu_snapshot(pids: dict[str, list[int]] | list[int]) -> dict[str, float]:
    """CPU seconds so far of: the server's workers, the ``commonfund project`` process (none
    in-serve), PostgreSQL (all its databases), this client, the whole machine.

    Differences over a phase, divided by its length, are cores in use (2.0 = both cores of this
    machine), which tells whether the server, the read models, the database or the client was
    the busy one. The machine's figure comes from /proc/stat, which samples on timer ticks: it
    undercounts short bursts (a mostly idle server), so read it as "was anyone else busy", not
    as an exact sum.
    """
    if isinstance(pids, list):  # the other benchmarks' call: only the server's processes
        pids = {"server": pids, "projector": []}
    with Path("/proc/stat").open() as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    return {
        "server": sum(process_cpu(p) for p in pids["server"]),
        "projector": sum(process_cpu(p) for p in pids["projector"]),
        "postgres": sum(process_cpu(p) for p in postgres_pids()),
        "client": time.process_time(),
        "machine": (user + nice + system + irq + softirq + steal) / TICKS,
    }


def cores_used(before: dict[str, float], pids: dict[str, list[int]], elapsed: float) -> Any:
    return {k: round((v - before[k]) / elapsed, 2) for k, v in cpu_snapshot(pids).items()}


def rounded_ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


class Tally:
    """What one phase saw: latencies by kind of request, errors, the last 2xx answer's time."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = {}
        self.answered: Counter[str] = Counter()  # 2xx answers by kind
        self.statuses: Counter[str] = Counter()
        self.samples: list[str] = []
        self.last_ack = 0.0  # time.perf_counter() of the last 2xx answer

    async def send(
        self,
        session: aiohttp.ClientSession,
        kind: str,
        request: Request,
        scheduled: float | None = None,
    ) -> bytes | None:
        """One request; its body if 2xx. Its latency runs from ``scheduled`` if given (open
        loop), else from the moment it is sent."""
        method, path, headers, body = request
        t0 = time.perf_counter() if scheduled is None else scheduled
        try:
            async with session.request(method, path, headers=headers, data=body) as r:
                payload = await r.read()
                status = str(r.status)
                ok = 200 <= r.status < 300
        except (aiohttp.ClientError, TimeoutError) as error:
            payload, status, ok = str(error).encode(), type(error).__name__, False
        done = time.perf_counter()
        self.latencies.setdefault(kind, []).append(done - t0)
        if ok:
            self.answered[kind] += 1
            self.last_ack = max(self.last_ack, done)
            return payload
        self.statuses[status] += 1
        if len(self.samples) < MAX_SAMPLES:
            self.samples.append(f"{method} {path} -> {status}: {payload[:300]!r}")
        return None

    def report(self, elapsed: float, used: dict[str, float]) -> dict[str, Any]:
        every = sorted(t for times in self.latencies.values() for t in times)
        found: dict[str, Any] = {
            "requests": len(every),
            "seconds": round(elapsed, 3),
            "req_per_s": round(len(every) / elapsed, 1),
            "p50_ms": rounded_ms(percentile(every, 50)),
            "p99_ms": rounded_ms(percentile(every, 99)),
            "errors": sum(self.statuses.values()),
            "error_statuses": dict(self.statuses),
            "error_samples": self.samples,
            "cores_used": used,
        }
        if len(self.latencies) > 1:
            found["kinds"] = {
                kind: {
                    "requests": len(times),
                    "answered": self.answered[kind],
                    "req_per_s": round(len(times) / elapsed, 1),
                    "p50_ms": rounded_ms(percentile(sorted(times), 50)),
                    "p99_ms": rounded_ms(percentile(sorted(times), 99)),
                }
                for kind, times in sorted(self.latencies.items())
            }
        return found


Act = Callable[[aiohttp.ClientSession, Tally, int], Awaitable[None]]
Then = Callable[[float], dict[str, Any]]  # called with the time of a phase's last 2xx answer


def session_for(base: str, connections: int) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT)
    return aiohttp.ClientSession(base, connector=connector, timeout=timeout)


async def drive(
    base: str,
    act: Act,
    *,
    connections: int,
    max_requests: int,
    seconds: float,
    pids: dict[str, list[int]],
    then: Then | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """``connections`` loops, each one iteration at a time, until the count or the time is up;
    the report, and what ``then`` found, called with the time of the last 2xx answer as soon
    as the last answer is in (the connections still open)."""
    tally = Tally()
    counter = itertools.count()
    async with session_for(base, connections) as session:
        before = cpu_snapshot(pids)
        started = time.perf_counter()
        deadline = started + seconds

        async def loop() -> None:
            while time.perf_counter() < deadline:
                i = next(counter)
                if i >= max_requests:
                    return
                await act(session, tally, i)

        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        used = cores_used(before, pids, elapsed)
        after = then(tally.last_ack) if then else None
    return tally.report(elapsed, used), after


def schedule(rate: float, seconds: float, arrivals: str) -> list[float]:
    """Send times (seconds from the start) of ``rate`` requests per second for ``seconds``."""
    if arrivals == "uniform":
        return [k / rate for k in range(int(rate * seconds))]
    times: list[float] = []
    t, rng = 0.0, random.Random(OPEN_LOOP_SEED)
    while True:
        t += rng.expovariate(rate)
        if t >= seconds:
            return times
        times.append(t)


async def open_loop(
    base: str,
    make: Callable[[int], Request],
    *,
    rate: float,
    seconds: float,
    arrivals: str,
    cap: int,
    pids: dict[str, list[int]],
    then: Then | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Requests on a schedule, sent whether or not the earlier ones are answered (at most
    ``cap`` at once), each timed from its scheduled send time; the report, and ``then``'s."""
    tally = Tally()
    slots = asyncio.Semaphore(cap)
    delays: list[float] = []  # scheduled -> sent: the client's own lateness and slot waits
    in_flight = peak = 0
    async with session_for(base, cap) as session:

        async def one(k: int, at: float) -> None:
            nonlocal in_flight, peak
            async with slots:
                delays.append(time.perf_counter() - at)
                in_flight += 1
                peak = max(peak, in_flight)
                try:
                    await tally.send(session, "income", make(k), scheduled=at)
                finally:
                    in_flight -= 1

        before = cpu_snapshot(pids)
        started = time.perf_counter() + 0.01
        tasks = []
        planned = schedule(rate, seconds, arrivals)
        for k, offset in enumerate(planned):
            at = started + offset
            pause = at - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(one(k, at)))
        await asyncio.gather(*tasks)  # each request is bounded by REQUEST_TIMEOUT
        elapsed = time.perf_counter() - started
        used = cores_used(before, pids, elapsed)
        after = then(tally.last_ack) if then else None
    found = tally.report(elapsed, used)
    latencies = sorted(tally.latencies.get("income", []))
    delays.sort()
    answered = tally.answered["income"]
    span = tally.last_ack - started if answered else elapsed
    found.update(
        {
            "offered_req_per_s": round(rate, 1),
            "scheduled_requests": len(planned),
            "achieved_req_per_s": round(answered / span, 1) if span > 0 else 0.0,
            "scheduled_seconds": seconds,
            "arrivals": arrivals,
            "p90_ms": rounded_ms(percentile(latencies, 90)),
            "max_ms": rounded_ms(latencies[-1]) if latencies else float("nan"),
            "send_delay_p99_ms": rounded_ms(percentile(delays, 99)),
            "send_delay_max_ms": rounded_ms(delays[-1]) if delays else float("nan"),
            "max_in_flight": peak,
            "in_flight_cap": cap,
            "target_p99_ms": TARGET_P99_MS,
            "target_met": found["p99_ms"] <= TARGET_P99_MS and found["errors"] == 0,
        }
    )
    return found, after


def income_requests(plan: dict[str, Any], tag: str) -> Callable[[int], Request]:
    accounts = plan["accounts"]
    value_date = plan["value_date"]
    bodies = [
        json.dumps(
            {
                "category": "parking",
                "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
                "amount": f"{100 + v}.00",
                "value_date": value_date,
                "contract_ref": "TC-2026-018",
            },
            ensure_ascii=False,
        ).encode()
        for v in range(BODY_VARIANTS)
    ]
    paths = [f"/v1/accounts/{a['id']}/income" for a in accounts]
    auth = [f"Bearer {a['token']}" for a in accounts]

    def make(i: int) -> Request:
        n = i % len(accounts)
        headers = {
            "Authorization": auth[n],
            "Idempotency-Key": f"{tag}-{i}",
            "Content-Type": "application/json",
        }
        return "POST", paths[n], headers, bodies[i % BODY_VARIANTS]

    return make


def trivial_request(_: int) -> Request:
    return "GET", TRIVIAL, {}, None


def one_request(kind: str, make: Callable[[int], Request]) -> Act:
    async def act(session: aiohttp.ClientSession, tally: Tally, i: int) -> None:
        await tally.send(session, kind, make(i))

    return act


def expenditure_pairs(plan: dict[str, Any], tag: str) -> Act:
    """Propose as m1, then approve as m2 (which books it): two requests an iteration."""
    accounts = plan["accounts"]

    def body(account: dict[str, str], v: int) -> bytes:
        return json.dumps(
            {
                "category": "repairs",
                "payee": {"name": "青岛某维修工程有限公司", "kind": "organisation"},
                "method": "transfer",
                "amount": f"{1 + v / 100:.2f}",
                "purpose": "公共设施维修",
                "value_date": plan["value_date"],
                "authorisation": {"kind": "resolution", "id": account["budget"]},
            },
            ensure_ascii=False,
        ).encode()

    bodies = [[body(a, v) for v in range(BODY_VARIANTS)] for a in accounts]

    async def act(session: aiohttp.ClientSession, tally: Tally, i: int) -> None:
        n = i % len(accounts)
        a = accounts[n]
        path = f"/v1/accounts/{a['id']}/expenditures"
        proposer = {
            "Authorization": f"Bearer {a['token']}",
            "Idempotency-Key": f"{tag}-p{i}",
            "Content-Type": "application/json",
        }
        proposed = await tally.send(
            session, "propose", ("POST", path, proposer, bodies[n][i % BODY_VARIANTS])
        )
        if proposed is None:
            return
        approver = {
            "Authorization": f"Bearer {a['approver']}",
            "Idempotency-Key": f"{tag}-a{i}",
            "Content-Type": "application/json",  # no body; aiohttp would say octet-stream
        }
        eid = json.loads(proposed)["id"]
        await tally.send(session, "approve", ("POST", f"{path}/{eid}/approvals", approver, None))

    return act


def mixed_requests(plan: dict[str, Any], tag: str) -> Act:
    """``write_share`` of the iterations income (evenly spread), the rest three reads in turn."""
    accounts, share = plan["accounts"], plan["mixed_write_share"]
    income = income_requests(plan, tag)
    readers = [(a, {"Authorization": f"Bearer {a['token']}"}) for a in accounts]
    statements = [
        f"/v1/public/complexes/{a['complex_id']}/statements/{a['period']}" for a in accounts
    ]
    reads: list[tuple[str, list[Request]]] = [
        ("account", [("GET", f"/v1/accounts/{a['id']}", h, None) for a, h in readers]),
        (
            "entries",
            [("GET", f"/v1/accounts/{a['id']}/entries?limit=20", h, None) for a, h in readers],
        ),
        ("statement", [("GET", statement, {}, None) for statement in statements]),
    ]

    async def act(session: aiohttp.ClientSession, tally: Tally, i: int) -> None:
        if int((i + 1) * share) > int(i * share):
            await tally.send(session, "income", income(i))
            return
        kind, requests = reads[i % len(reads)]
        await tally.send(session, kind, requests[(i // len(reads)) % len(accounts)])

    return act


def with_pairs(found: dict[str, Any]) -> None:
    """An expenditure phase's pairs: the approvals answered 2xx (each books one payment)."""
    pairs = found.get("kinds", {}).get("approve", {}).get("answered", 0)
    found["pairs"] = pairs
    found["pairs_per_s"] = round(pairs / found["seconds"], 1)


def closed_phases(plan: dict[str, Any], tag: str) -> list[tuple[str, Act]]:
    phases = [
        ("income", one_request("income", income_requests(plan, tag))),
        ("trivial", one_request("trivial", trivial_request)),
    ]
    if plan["expenditures"]:
        phases.append(("expenditures", expenditure_pairs(plan, f"{tag}-e")))
    if plan["mixed"]:
        phases.append(("mixed", mixed_requests(plan, f"{tag}-m")))
    return phases


def spy(plan: dict[str, Any], phase: str) -> list[subprocess.Popen[bytes]]:
    """py-spy on every worker for one warm-up phase (``--py-spy``): raw collapsed stacks, idle
    frames included, so a request's stacks add up to its wall time (filter on the handler)."""
    profile = plan.get("profile")
    if not profile:
        return []
    return [
        subprocess.Popen(
            [
                str(Path(sys.executable).with_name("py-spy")),
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(max(1, round(plan["warmup_seconds"]))),
                "--format",
                "raw",
                *PY_SPY_MODE,
                "--rate",
                "200",
                "--nonblocking",
                "--output",
                str(Path(profile["dir"]) / f"py-spy-{phase}-{pid}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in profile["pids"]
    ]


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def round_line(r: int, found: dict[str, Any]) -> None:
    income, trivial = found["income"], found["trivial"]
    say(
        f"round {r + 1}: income {income['req_per_s']:.0f} req/s"
        f" (p50 {income['p50_ms']:.1f} ms, p99 {income['p99_ms']:.1f} ms,"
        f" {income['errors']} errors), trivial {trivial['req_per_s']:.0f} req/s"
        f" (p99 {trivial['p99_ms']:.1f} ms, {trivial['errors']} errors);"
        f" cores used (income / trivial): {income['cores_used']} / {trivial['cores_used']}"
    )
    extras = [f"live lag {found['lag']['ms']} ms {found['lag']['by_read_model_ms']}"]
    if "expenditures" in found:
        e = found["expenditures"]
        extras.append(
            f"expenditures {e['pairs_per_s']:.0f} pairs/s"
            f" ({e['req_per_s']:.0f} req/s, p50 {e['p50_ms']:.1f} ms, p99 {e['p99_ms']:.1f} ms,"
            f" {e['errors']} errors)"
        )
    if "mixed" in found:
        m = found["mixed"]
        extras.append(
            f"mixed {m['req_per_s']:.0f} req/s (p50 {m['p50_ms']:.1f} ms,"
            f" p99 {m['p99_ms']:.1f} ms, {m['errors']} errors)"
        )
    say(f"round {r + 1}: " + "; ".join(extras))


async def load(plan: dict[str, Any]) -> dict[str, Any]:
    base, run, warmup = plan["base"], plan["run"], plan["warmup_seconds"]
    pids = {"server": plan["server_pids"], "projector": plan["projector_pids"]}
    limits = {"connections": plan["connections"], "max_requests": plan["requests"], "pids": pids}
    warm: list[dict[str, Any]] = []
    for phase, act in closed_phases(plan, f"{run}-w") if warmup > 0 else ():
        spies = spy(plan, phase)
        warm.append((await drive(base, act, seconds=warmup, **limits))[0])
        for s in spies:
            s.wait(timeout=60)
    rounds = []
    with psycopg.connect(plan["database_url"], autocommit=True) as db:

        def lag(since: float) -> dict[str, Any]:
            return live_lag(db, plan["read_models"], since)

        for r in range(plan["rounds"]):
            found: dict[str, Any] = {}
            for phase, act in closed_phases(plan, f"{run}-{r}"):
                then = lag if phase == "income" else None
                found[phase], lagged = await drive(
                    base, act, seconds=plan["seconds"], then=then, **limits
                )
                if lagged is not None:
                    found["lag"] = lagged
                if phase == "expenditures":
                    with_pairs(found[phase])
            rounds.append(found)
            round_line(r, found)
        opened = await open_loop_phase(plan, lag, rounds, pids)
    return {"warmup": warm, "rounds": rounds, "open_loop": opened}


async def open_loop_phase(
    plan: dict[str, Any],
    lag: Then,
    rounds: list[dict[str, Any]],
    pids: dict[str, list[int]],
) -> dict[str, Any] | None:
    settings = plan["open_loop"]
    maximum = median_of(rounds, "income", "req_per_s")
    rate = settings["fraction"] * maximum
    if rate <= 0:
        return None
    found, lagged = await open_loop(
        plan["base"],
        income_requests(plan, f"{plan['run']}-open"),
        rate=rate,
        seconds=settings["seconds"],
        arrivals=settings["arrivals"],
        cap=settings["max_in_flight"],
        pids=pids,
        then=lag,
    )
    found["fraction"] = settings["fraction"]
    found["closed_loop_req_per_s"] = maximum
    found["live_lag"] = lagged
    say(
        f"open loop: offered {found['offered_req_per_s']:.0f} req/s"
        f" ({settings['fraction']:g} of {maximum:.0f}), achieved"
        f" {found['achieved_req_per_s']:.0f}; from the scheduled time p50 {found['p50_ms']:.1f}"
        f" ms, p99 {found['p99_ms']:.1f} ms, max {found['max_ms']:.1f} ms, {found['errors']}"
        f" errors; target p99 ≤ {TARGET_P99_MS:g} ms:"
        f" {'met' if found['target_met'] else 'NOT met'}; cores used {found['cores_used']}"
    )
    return found


def load_main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    if urlsplit(plan["base"]).hostname != HOST:
        raise SystemExit("the load generator targets 127.0.0.1 only")
    local_only(plan["database_url"])
    print(json.dumps(asyncio.run(load(plan))))
    return 0


# --- the run --------------------------------------------------------------------------


@contextlib.contextmanager
def terminate_as_exit() -> Iterator[None]:
    """SIGTERM unwinds like Ctrl-C, so the server is stopped on every way out."""

    def handler(signum: int, _: object) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def median_of(rounds: list[dict[str, Any]], phase: str, field: str) -> float:
    return float(statistics.median(r[phase][field] for r in rounds))


def median_or_none(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(float(statistics.median(known)), 2) if known else None


def keepalive_probe(base: str, count: int = 21) -> float:
    """Median ms of sequential GET /healthz on one keep-alive connection.

    About 40 ms means the server's sockets lack TCP_NODELAY (Nagle against delayed ACK), as
    uvicorn's ``--workers N`` leaves them (uvicorn issue #3149): a fault of the deployment that
    would hide the application's own costs, so it is measured and reported.
    """
    times = []
    with httpx2.Client(base_url=base, timeout=10) as client:
        for _ in range(count):
            t0 = time.perf_counter()
            client.get(TRIVIAL).raise_for_status()
            times.append(time.perf_counter() - t0)
    return round(statistics.median(times) * 1000, 2)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    parser.add_argument("--accounts", type=int, default=50, help="complexes, one account each")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=10, help="time limit of a phase")
    parser.add_argument(
        "--requests", type=int, default=50_000, help="count limit of a phase (pairs: pairs)"
    )
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup-seconds", type=float, default=3, help="per phase, not counted")
    parser.add_argument(
        "--projections",
        choices=("in-serve", "separate"),
        default="in-serve",
        help="the read models inside serve's workers, or in a `commonfund project` process",
    )
    parser.add_argument(
        "--expenditures",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a phase of propose + approve pairs in every round",
    )
    parser.add_argument(
        "--mixed",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="a phase of reads and income in every round",
    )
    parser.add_argument(
        "--mixed-write-share", type=float, default=0.2, help="income's share of the mixed phase"
    )
    parser.add_argument(
        "--open-loop-fraction",
        type=float,
        default=0.5,
        help="offered load of the open-loop phase, of the median closed-loop income rate;"
        " 0 skips it",
    )
    parser.add_argument(
        "--open-loop-seconds", type=float, help="its length (default: 2 × --seconds, ≤ 30)"
    )
    parser.add_argument("--open-loop-arrivals", choices=("uniform", "poisson"), default="uniform")
    parser.add_argument(
        "--open-loop-max-in-flight",
        type=int,
        default=256,
        help="requests in flight at most; one past it waits for a slot (its latency runs on)",
    )
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="record py-spy profiles of every worker during the warm-up phases (into the temp"
        " dir; wall clock, or PY_SPY_MODE=--gil for CPU only); needs `pip install py-spy`",
    )
    parser.add_argument("--load-plan", help=argparse.SUPPRESS)  # the load process's own entry
    args = parser.parse_args()
    if args.load_plan:
        return args
    if urlsplit(args.database_url).scheme not in ("postgresql", "postgres"):
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    if not 0 < args.mixed_write_share < 1:
        parser.error("--mixed-write-share is a share between 0 and 1")
    if args.open_loop_fraction < 0 or args.open_loop_max_in_flight < 1:
        parser.error("--open-loop-fraction ≥ 0 and --open-loop-max-in-flight ≥ 1, please")
    if args.open_loop_seconds is None:
        args.open_loop_seconds = min(30.0, 2 * args.seconds)
    return args


def load_timeout(args: argparse.Namespace) -> float:
    """Seconds the load process may take: every phase with its requests' time-out, and more."""
    phases = 2 + args.expenditures + args.mixed
    per_phase = max(args.seconds, args.warmup_seconds) + REQUEST_TIMEOUT + 5
    lags = (args.rounds + 1) * LAG_TIMEOUT
    opened = args.open_loop_seconds + REQUEST_TIMEOUT + 5 if args.open_loop_fraction else 0
    return float(60 + phases * (args.rounds + 1) * per_phase + lags + opened)


def run_load(plan_path: Path, timeout: float) -> dict[str, Any]:
    """The load-generating process: this file again, on the plan; its last line is the result."""
    loader = subprocess.run(
        [sys.executable, __file__, "--load-plan", str(plan_path)],
        stdout=subprocess.PIPE,
        text=True,
        timeout=timeout,
        check=False,
    )
    if loader.returncode != 0:
        raise SystemExit(f"the load process failed ({loader.returncode})")
    result: dict[str, Any] = json.loads(loader.stdout.strip().splitlines()[-1])
    return result


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Set up, start the server (and the project process), run the load process; both are
    stopped on every way out."""
    env = {**os.environ, "COMMONFUND_DATABASE_URL": args.database_url}
    separate = args.projections == "separate"
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    recreate_database(args.database_url)
    cli("migrate", env=env)
    operator = cli("token", "issue", "--role", "operator", "--label", "bench", env=env)
    operator = operator.strip().splitlines()[-1]
    serve_env = {**env, "COMMONFUND_RUN_PROJECTIONS": "false"} if separate else env
    server = Server(free_port(), args.workers, serve_env, workdir / "server.log")
    projector: Child | None = None
    try:
        with terminate_as_exit():
            if separate:
                projector = Child(["project"], env, workdir / "project.log")
            watched: list[tuple[str, Child]] = [("the server", server)]
            watched += [("commonfund project", projector)] if projector else []
            server.wait_ready()
            accounts = setup_accounts(
                server.base, operator, args.accounts, run, spend=args.expenditures,
                publish=args.mixed,
            )  # fmt: skip
            read_models = server.read_models()
            applied = wait_caught_up(args.database_url, read_models, watched)
            probe = keepalive_probe(server.base)
            say(
                f"server on {server.base} ({args.workers} workers), {len(accounts)} accounts"
                f" ready in {time.monotonic() - started:.1f} s; keep-alive GET {TRIVIAL}"
                f" {probe} ms; log: {server.log}"
            )
            say(
                f"read models {', '.join(read_models)} {args.projections}"
                + (f" (commonfund project, log: {projector.log})" if projector else "")
                + f"; caught up with the setup {applied:.1f} s after it"
            )
            if probe > 20:
                say(
                    f"WARNING: {probe} ms per keep-alive request: the server's sockets lack"
                    " TCP_NODELAY (uvicorn issue #3149 with --workers > 1); every figure below"
                    " carries that delay"
                )
            plan = {
                "base": server.base,
                "database_url": args.database_url,
                "run": run,
                "accounts": accounts,
                "value_date": (shanghai_today() - timedelta(days=1)).isoformat(),
                "connections": args.connections,
                "requests": args.requests,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "warmup_seconds": args.warmup_seconds,
                "server_pids": server.worker_pids(),
                "projector_pids": [projector.proc.pid] if projector else [],
                "read_models": read_models,
                "expenditures": args.expenditures,
                "mixed": args.mixed,
                "mixed_write_share": args.mixed_write_share,
                "open_loop": {
                    "fraction": args.open_loop_fraction,
                    "seconds": args.open_loop_seconds,
                    "arrivals": args.open_loop_arrivals,
                    "max_in_flight": args.open_loop_max_in_flight,
                },
            }
            if args.py_spy:
                pids = plan["server_pids"] + plan["projector_pids"]
                plan["profile"] = {"pids": pids, "dir": str(workdir)}
            plan_path = workdir / "plan.json"
            plan_path.write_text(json.dumps(plan))
            result = run_load(plan_path, timeout=load_timeout(args))
            for what, child in watched:
                child.check_alive(what)  # it ran the whole time: its figures are real
    except BaseException:
        say(f"the server's log: {server.log}")
        if projector is not None:
            say(f"the project process's log: {projector.log}")
        raise
    finally:
        try:
            if projector is not None:
                projector.stop()
        finally:
            server.stop()
    result["keepalive_healthz_ms"] = probe
    return result


def kinds_of(rounds: list[dict[str, Any]], phase: str) -> dict[str, Any]:
    """Medians over the rounds of each kind of request in a phase of several."""
    names = sorted({k for r in rounds for k in r[phase].get("kinds", {})})
    return {
        name: {
            field: median_or_none(
                [r[phase].get("kinds", {}).get(name, {}).get(field) for r in rounds]
            )
            for field in ("req_per_s", "p50_ms", "p99_ms")
        }
        for name in names
    }


def phase_summary(rounds: list[dict[str, Any]], phase: str, trivial: float) -> dict[str, Any]:
    rate = median_of(rounds, phase, "req_per_s")
    return {
        "req_per_s": round(rate, 1),
        "ratio": round(rate / trivial, 3),
        "p50_ms": round(median_of(rounds, phase, "p50_ms"), 2),
        "p99_ms": round(median_of(rounds, phase, "p99_ms"), 2),
        "errors": sum(r[phase]["errors"] for r in rounds),
        "requests": sum(r[phase]["requests"] for r in rounds),
        "kinds": kinds_of(rounds, phase),
        "rounds": [r[phase]["req_per_s"] for r in rounds],
        "p99_rounds": [r[phase]["p99_ms"] for r in rounds],
    }


def expenditure_summary(rounds: list[dict[str, Any]], trivial: float) -> dict[str, Any]:
    return {
        "pairs_per_s": round(median_of(rounds, "expenditures", "pairs_per_s"), 1),
        "pairs": sum(r["expenditures"]["pairs"] for r in rounds),
        "pairs_rounds": [r["expenditures"]["pairs_per_s"] for r in rounds],
        **phase_summary(rounds, "expenditures", trivial),
    }


def lag_summary(rounds: list[dict[str, Any]], opened: dict[str, Any] | None) -> dict[str, Any]:
    names = sorted({n for r in rounds for n in r["lag"]["by_read_model_ms"]})
    return {
        "by_read_model_ms": {
            n: median_or_none([r["lag"]["by_read_model_ms"].get(n) for r in rounds]) for n in names
        },
        "floor_ms": median_or_none([r["lag"]["floor_ms"] for r in rounds]),
        "caught_up": all(r["lag"]["caught_up"] for r in rounds),
        "after_open_loop_ms": opened["live_lag"]["ms"] if opened else None,
    }


def connections_summary(
    rounds: list[dict[str, Any]], opened: dict[str, Any] | None
) -> dict[str, int]:
    """The most PostgreSQL connections seen (after each income phase and the open loop): this
    database's, everyone's, and the server's limit, which a shared PostgreSQL may reach."""
    seen = [r["lag"]["postgres_connections"] for r in rounds]
    seen += [opened["live_lag"]["postgres_connections"]] if opened else []
    return {k: max(c[k] for c in seen) for k in ("this_database", "all", "max")}


def summary(args: argparse.Namespace, result: dict[str, Any], wall: float) -> dict[str, Any]:
    rounds = result["rounds"]
    opened: dict[str, Any] | None = result.get("open_loop")
    income = median_of(rounds, "income", "req_per_s")
    trivial = median_of(rounds, "trivial", "req_per_s")
    p99 = median_of(rounds, "income", "p99_ms")
    closed = [r[phase] for r in rounds for phase in CLOSED_PHASES if phase in r]
    phases = closed + result["warmup"] + ([opened] if opened else [])
    errors = sum(p["errors"] for p in phases)
    statuses: Counter[str] = Counter()
    for p in phases:
        statuses.update(p["error_statuses"])
    ratio = income / trivial
    measured = [phase for phase in CLOSED_PHASES if phase in rounds[0]]
    lags = [r["lag"]["ms"] for r in rounds]
    return {
        "benchmark": "api_write",
        "income_req_per_s": round(income, 1),
        "trivial_req_per_s": round(trivial, 1),
        "ratio": round(ratio, 3),
        "p50_ms": round(median_of(rounds, "income", "p50_ms"), 2),
        "p99_ms": round(p99, 2),
        "errors": errors,
        "error_statuses": dict(statuses),
        "error_samples": [s for p in phases for s in p["error_samples"]][:MAX_SAMPLES],
        "target_met": ratio >= TARGET_RATIO and p99 <= TARGET_P99_MS and errors == 0,
        "trivial_p50_ms": median_of(rounds, "trivial", "p50_ms"),
        "trivial_p99_ms": median_of(rounds, "trivial", "p99_ms"),
        "keepalive_healthz_ms": result["keepalive_healthz_ms"],
        "income_rounds": [r["income"]["req_per_s"] for r in rounds],
        "trivial_rounds": [r["trivial"]["req_per_s"] for r in rounds],
        "p99_rounds": [r["income"]["p99_ms"] for r in rounds],
        "income_requests": sum(r["income"]["requests"] for r in rounds),
        "cores_used": {
            **{
                phase: {
                    k: round(statistics.median(r[phase]["cores_used"][k] for r in rounds), 3)
                    for k in rounds[0][phase]["cores_used"]
                }
                for phase in measured
            },
            **({"open_loop": opened["cores_used"]} if opened else {}),
        },
        "live_lag_ms": median_or_none(lags),
        "live_lag_rounds": lags,
        "live_lag": lag_summary(rounds, opened),
        "postgres_connections": connections_summary(rounds, opened),
        "expenditures": expenditure_summary(rounds, trivial) if args.expenditures else None,
        "mixed": (
            {"write_share": args.mixed_write_share, **phase_summary(rounds, "mixed", trivial)}
            if args.mixed
            else None
        ),
        "open_loop": opened,
        "acceptance_met": (
            None
            if opened is None
            else ratio >= TARGET_RATIO and opened["p99_ms"] <= TARGET_P99_MS and errors == 0
        ),
        "settings": {
            "workers": args.workers,
            "connections": args.connections,
            "accounts": args.accounts,
            "seconds_per_phase": args.seconds,
            "max_requests_per_phase": args.requests,
            "rounds": args.rounds,
            "warmup_seconds": args.warmup_seconds,
            "trivial_route": f"GET {TRIVIAL}",
            "write_route": "POST /v1/accounts/{id}/income",
            "client": f"aiohttp {aiohttp.__version__}, one process",
            "database": where(args.database_url),
            "projections": args.projections,
            "expenditure_routes": "POST /v1/accounts/{id}/expenditures (m1), then POST"
            " /v1/accounts/{id}/expenditures/{eid}/approvals (m2)",
            "mixed_routes": "POST /v1/accounts/{id}/income; GET /v1/accounts/{id},"
            " /v1/accounts/{id}/entries?limit=20, /v1/public/complexes/{id}/statements/{period}",
            "open_loop": {
                "fraction": args.open_loop_fraction,
                "seconds": args.open_loop_seconds,
                "arrivals": args.open_loop_arrivals,
                "max_in_flight": args.open_loop_max_in_flight,
            },
        },
        "wall_seconds": round(wall, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }


def main() -> int:
    args = parse_args()
    if args.load_plan:
        return load_main(args.load_plan)
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="commonfund-api-bench-"))
    result = run_benchmark(args, workdir)
    report = summary(args, result, time.monotonic() - started)
    connections = report["postgres_connections"]
    if connections["all"] >= 0.9 * connections["max"]:
        say(
            f"WARNING: PostgreSQL held {connections['all']} connections of its"
            f" {connections['max']} ({connections['this_database']} of them this benchmark's):"
            " a 'too many clients' failure in the server's log is the shared database's"
        )
    if report["acceptance_met"] is not None:
        say(
            f"issue #15 acceptance (ratio ≥ {TARGET_RATIO:g}, open-loop p99 ≤ {TARGET_P99_MS:g}"
            f" ms, no errors): {'met' if report['acceptance_met'] else 'NOT met'}"
        )
    if report["errors"] or args.py_spy:
        say(f"kept for inspection: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
