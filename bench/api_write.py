"""HTTP write throughput of ``commonfund serve`` on PostgreSQL against a trivial route of the same server.

The benchmark drops and recreates its own database, runs ``commonfund migrate``,
starts ``commonfund serve --workers N`` on a free port of 127.0.0.1, and sets up
``--accounts`` complexes, each with a filed and sealed committee and an open
account, through the HTTP API (an operator token from ``commonfund token issue``,
a regulator token and one committee token per complex from ``/v1/admin/tokens``).

A separate load-generating process (asyncio + aiohttp, ``--connections``
keep-alive connections, each running one request at a time) then drives, in
every round, ``POST /v1/accounts/{id}/income`` round-robin over the accounts,
each with a unique Idempotency-Key, and ``GET /healthz`` the same way. A phase
stops after ``--seconds`` or ``--requests`` requests, whichever comes first.
Any response that is not 2xx is an error, and the exit status is 1 if there was
one. The server runs with its rate limits off (COMMONFUND_RATE_LIMITS=false): a
token's write limit is far below what this pushes through one token. The medians
over ``--rounds`` are compared; the last line printed is a JSON object with both
throughputs, the ``ratio``, ``p50_ms``/``p99_ms`` of the income
requests, the cores each party used and the settings. The server is stopped at
the end, also on failure; its log is kept in a temp dir when anything failed.

    python bench/api_write.py --rounds 5 --seconds 10 --connections 32 --workers 2 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_api_bench

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
from collections.abc import Callable, Iterator
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
JURISDICTION = "370202"
TRIVIAL = "/healthz"
UNITS_PER_COMPLEX = 7
BODY_VARIANTS = 97
MAX_SAMPLES = 5  # error bodies kept for the report
PY_SPY_MODE = os.environ.get("PY_SPY_MODE", "--idle").split()


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


def recreate_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"refusing to drop a database named {name!r}")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("the benchmark runs against a local PostgreSQL only")
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


# --- the server ---------------------------------------------------------------------------


class Server:
    """``commonfund serve`` as a child in its own process group; ``stop()`` is idempotent."""

    def __init__(self, port: int, workers: int, env: dict[str, str], log: Path) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "commonfund.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            # throughput, not the rate limits, is measured: ~300 writes/s through one token
            # is far above a token's limit (docs/operations.md), so they are off here
            env={**env, "COMMONFUND_RATE_LIMITS": "false"},
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        with httpx2.Client(base_url=self.base, timeout=2) as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise SystemExit(f"the server exited ({self.proc.returncode}):\n{self.tail()}")
                with contextlib.suppress(httpx2.HTTPError):
                    if client.get("/readyz").status_code == 200:
                        return
                time.sleep(0.2)
        raise SystemExit(f"the server was not ready within {timeout:.0f} s:\n{self.tail()}")

    def worker_pids(self) -> list[int]:
        """The processes that serve requests: uvicorn's workers, or the server itself with one."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            pids = [int(p) for p in children.read_text().split()]
        except OSError:
            pids = []
        return pids or [self.proc.pid]

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # uvicorn's supervisor stops its workers
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)  # our own child's group, by id
                self.proc.wait(timeout=10)
        self._log_file.close()


# --- setup through the API ------------------------------------------------------------


def call(client: httpx2.Client, method: str, path: str, token: str, expect: int, **kw: Any) -> Any:
    response = client.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw)
    if response.status_code != expect:
        raise SystemExit(f"setup: {method} {path} -> {response.status_code}: {response.text}")
    return response.json()


def setup_accounts(base: str, operator: str, count: int, run: str) -> list[dict[str, str]]:
    """``count`` complexes with a sealed committee and an open account; a committee token each."""
    today = shanghai_today()
    elected = (today - timedelta(days=60)).isoformat()
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
            m1 = call(
                client,
                "POST",
                "/v1/admin/tokens",
                operator,
                201,
                json={"role": "committee", "complex_id": cid, "member_id": "m1", "label": "bench"},
            )["token"]
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
            accounts.append({"id": aid, "token": m1})
    return accounts


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


def cpu_snapshot(server_pids: list[int]) -> dict[str, float]:
    """CPU seconds so far of: the server's workers, PostgreSQL (all its databases), this client,
    the whole machine.

    Differences over a phase, divided by its length, are cores in use (2.0 = both cores of this
    machine), which tells whether the server, the database or the client was the busy one. The
    machine's figure comes from /proc/stat, which samples on timer ticks: it undercounts short
    bursts (a mostly idle server), so read it as "was anyone else busy", not as an exact sum.
    """
    with Path("/proc/stat").open() as stat:
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(
            int, stat.readline().split()[1:9]
        )
    return {
        "server": sum(process_cpu(p) for p in server_pids),
        "postgres": sum(process_cpu(p) for p in postgres_pids()),
        "client": time.process_time(),
        "machine": (user + nice + system + irq + softirq + steal) / TICKS,
    }


async def drive(
    base: str,
    make: Callable[[int], Request],
    *,
    connections: int,
    max_requests: int,
    seconds: float,
    server_pids: list[int],
) -> dict[str, Any]:
    """``connections`` loops, each one request at a time, until the count or the time is up."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    samples: list[str] = []
    counter = itertools.count()
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, connector=connector, timeout=timeout) as session:
        before = cpu_snapshot(server_pids)
        started = time.perf_counter()
        deadline = started + seconds

        async def loop() -> None:
            while time.perf_counter() < deadline:
                i = next(counter)
                if i >= max_requests:
                    return
                method, path, headers, body = make(i)
                t0 = time.perf_counter()
                try:
                    async with session.request(method, path, headers=headers, data=body) as r:
                        payload = await r.read()
                        status = str(r.status)
                        ok = 200 <= r.status < 300
                except (aiohttp.ClientError, TimeoutError) as error:
                    payload, status, ok = str(error).encode(), type(error).__name__, False
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    statuses[status] += 1
                    if len(samples) < MAX_SAMPLES:
                        samples.append(f"{method} {path} -> {status}: {payload[:300]!r}")

        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        used = {
            k: round((v - before[k]) / elapsed, 2) for k, v in cpu_snapshot(server_pids).items()
        }
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p99_ms": round(percentile(latencies, 99) * 1000, 2),
        "errors": sum(statuses.values()),
        "error_statuses": dict(statuses),
        "error_samples": samples,
        "cores_used": used,
    }


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


async def load(plan: dict[str, Any]) -> dict[str, Any]:
    base, run, warmup = plan["base"], plan["run"], plan["warmup_seconds"]
    limits = {
        "connections": plan["connections"],
        "max_requests": plan["requests"],
        "server_pids": plan["server_pids"],
    }
    warm: list[dict[str, Any]] = []
    phases = (("income", income_requests(plan, f"{run}-w")), ("trivial", trivial_request))
    for phase, make in phases if warmup > 0 else ():
        spies = spy(plan, phase)
        warm.append(await drive(base, make, seconds=warmup, **limits))
        for s in spies:
            s.wait(timeout=60)
    rounds = []
    for r in range(plan["rounds"]):
        income_make = income_requests(plan, f"{run}-{r}")
        income = await drive(base, income_make, seconds=plan["seconds"], **limits)
        trivial = await drive(base, trivial_request, seconds=plan["seconds"], **limits)
        rounds.append({"income": income, "trivial": trivial})
        print(
            f"round {r + 1}: income {income['req_per_s']:.0f} req/s"
            f" (p50 {income['p50_ms']:.1f} ms, p99 {income['p99_ms']:.1f} ms,"
            f" {income['errors']} errors), trivial {trivial['req_per_s']:.0f} req/s"
            f" (p99 {trivial['p99_ms']:.1f} ms, {trivial['errors']} errors);"
            f" cores used (income / trivial): {income['cores_used']} / {trivial['cores_used']}",
            file=sys.stderr,
            flush=True,
        )
    return {"warmup": warm, "rounds": rounds}


def load_main(plan_path: str) -> int:
    plan = json.loads(Path(plan_path).read_text())
    if urlsplit(plan["base"]).hostname != HOST:
        raise SystemExit("the load generator targets 127.0.0.1 only")
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
    parser.add_argument("--requests", type=int, default=50_000, help="count limit of a phase")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup-seconds", type=float, default=3, help="per route, not counted")
    parser.add_argument(
        "--py-spy",
        action="store_true",
        help="record py-spy profiles of every worker during the warm-up phases (into the temp"
        " dir; wall clock, or PY_SPY_MODE=--gil for CPU only); needs `pip install py-spy`",
    )
    parser.add_argument("--load-plan", help=argparse.SUPPRESS)  # the load process's own entry
    args = parser.parse_args()
    if not args.load_plan and urlsplit(args.database_url).scheme not in ("postgresql", "postgres"):
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    return args


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
    """Set up, start the server, run the load process; the server is stopped on every way out."""
    env = {**os.environ, "COMMONFUND_DATABASE_URL": args.database_url}
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    recreate_database(args.database_url)
    cli("migrate", env=env)
    operator = cli("token", "issue", "--role", "operator", "--label", "bench", env=env)
    operator = operator.strip().splitlines()[-1]
    server = Server(free_port(), args.workers, env, workdir / "server.log")
    try:
        with terminate_as_exit():
            server.wait_ready()
            accounts = setup_accounts(server.base, operator, args.accounts, run)
            probe = keepalive_probe(server.base)
            print(
                f"server on {server.base} ({args.workers} workers), {len(accounts)} accounts"
                f" ready in {time.monotonic() - started:.1f} s; keep-alive GET {TRIVIAL}"
                f" {probe} ms; log: {server.log}",
                file=sys.stderr,
                flush=True,
            )
            if probe > 20:
                print(
                    f"WARNING: {probe} ms per keep-alive request: the server's sockets lack"
                    " TCP_NODELAY (uvicorn issue #3149 with --workers > 1); every figure below"
                    " carries that delay",
                    file=sys.stderr,
                    flush=True,
                )
            plan = {
                "base": server.base,
                "run": run,
                "accounts": accounts,
                "value_date": (shanghai_today() - timedelta(days=1)).isoformat(),
                "connections": args.connections,
                "requests": args.requests,
                "seconds": args.seconds,
                "rounds": args.rounds,
                "warmup_seconds": args.warmup_seconds,
                "server_pids": server.worker_pids(),
            }
            if args.py_spy:
                plan["profile"] = {"pids": plan["server_pids"], "dir": str(workdir)}
            plan_path = workdir / "plan.json"
            plan_path.write_text(json.dumps(plan))
            result = run_load(plan_path, timeout=60 + 2 * (args.rounds + 1) * (args.seconds + 35))
    except BaseException:
        print(f"the server's log: {server.log}", file=sys.stderr)
        raise
    finally:
        server.stop()
    result["keepalive_healthz_ms"] = probe
    return result


def summary(args: argparse.Namespace, result: dict[str, Any], wall: float) -> dict[str, Any]:
    rounds = result["rounds"]
    income = median_of(rounds, "income", "req_per_s")
    trivial = median_of(rounds, "trivial", "req_per_s")
    p99 = median_of(rounds, "income", "p99_ms")
    phases = [p for r in rounds for p in r.values()] + result["warmup"]
    errors = sum(p["errors"] for p in phases)
    statuses: Counter[str] = Counter()
    for p in phases:
        statuses.update(p["error_statuses"])
    ratio = income / trivial
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
        "target_met": ratio >= 0.30 and p99 <= 50 and errors == 0,
        "trivial_p50_ms": median_of(rounds, "trivial", "p50_ms"),
        "trivial_p99_ms": median_of(rounds, "trivial", "p99_ms"),
        "keepalive_healthz_ms": result["keepalive_healthz_ms"],
        "income_rounds": [r["income"]["req_per_s"] for r in rounds],
        "trivial_rounds": [r["trivial"]["req_per_s"] for r in rounds],
        "p99_rounds": [r["income"]["p99_ms"] for r in rounds],
        "income_requests": sum(r["income"]["requests"] for r in rounds),
        "cores_used": {
            phase: {
                k: statistics.median(r[phase]["cores_used"][k] for r in rounds)
                for k in rounds[0][phase]["cores_used"]
            }
            for phase in ("income", "trivial")
        },
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
    if report["errors"] or args.py_spy:
        print(f"kept for inspection: {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
