"""How long ``commonfund serve`` takes to come back under a write load: one worker killed, then all.

For each value of ``--healthcheck`` (uvicorn's worker health check, the setting
``COMMONFUND_WORKER_HEALTHCHECK_SECONDS``; 5 is uvicorn's own default, the
baseline of issue #12) the benchmark recreates its database, starts
``commonfund serve --workers 2``, sets up ``--accounts`` accounts through the API
and starts ``--clients`` threads recording income without pause. Then, per round:

- **worker**: SIGKILL one worker; the time until the supervisor's replacement logs
  ``Application startup complete``, and how many replacements the health check
  killed on the way (``Child process [...] died`` after the first);
- **group**: SIGKILL the whole server group and start a new ``serve``; the time
  until it answers ``/readyz`` with 200 while the clients keep writing.

The last line is a JSON object with the medians per setting and their ratio to
the baseline's. Only loopback is used.

    python bench/restart.py --rounds 3 --healthcheck 5 30 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_restart_bench
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx2

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import api_write

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/commonfund_restart_bench"
BASELINE = 5  # uvicorn's own timeout_worker_healthcheck


class Writers:
    """Client threads recording income without pause until ``stop``; errors are counted."""

    def __init__(self, base: str, accounts: list[dict[str, str]], clients: int) -> None:
        self.base, self.accounts = base, accounts
        self.stop = threading.Event()
        self.ok = self.failed = 0
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.write, args=(n,)) for n in range(clients)]

    def __enter__(self) -> Writers:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def write(self, n: int) -> None:
        i = 0
        with httpx2.Client(base_url=self.base, timeout=10) as client:
            while not self.stop.is_set():
                account = self.accounts[(n + i) % len(self.accounts)]
                i += 1
                body = {
                    "category": "parking", "amount": f"{1 + i % 97}.00",
                    "value_date": api_write.shanghai_today().isoformat(),
                    "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
                }  # fmt: skip
                headers = {"Authorization": f"Bearer {account['token']}",
                           "Idempotency-Key": f"restart-{n}-{i}-{time.monotonic_ns()}"}  # fmt: skip
                try:
                    answer = client.post(
                        f"/v1/accounts/{account['id']}/income", json=body, headers=headers
                    )
                    good = answer.status_code == 201
                except httpx2.HTTPError:
                    good = False
                with self.lock:
                    if good:
                        self.ok += 1
                    else:
                        self.failed += 1
                if not good:
                    time.sleep(0.05)


def log_lines(path: Path) -> list[str]:
    return path.read_text(errors="replace").splitlines()


def workers_of(server: api_write.Server) -> list[int]:
    """uvicorn's worker processes (the supervisor's other child is multiprocessing's tracker)."""
    found = []
    for pid in server.worker_pids():
        with contextlib.suppress(OSError):
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
    if not found:
        raise SystemExit(f"no worker process found under {server.proc.pid}")
    return found


def kill_one_worker(server: api_write.Server, timeout: float) -> dict[str, Any]:
    """SIGKILL one worker; seconds until a replacement finished starting, and the kills on the way."""
    before = len(log_lines(server.log))
    victim = workers_of(server)[0]
    killed_at = time.monotonic()
    os.kill(victim, signal.SIGKILL)
    while time.monotonic() - killed_at < timeout:
        new = log_lines(server.log)[before:]
        if any("Application startup complete" in line for line in new):
            died = sum("died" in line for line in new)
            return {
                "seconds": round(time.monotonic() - killed_at, 2),
                "killed_while_starting": died - 1,
            }
        time.sleep(0.05)
    return {"seconds": None, "killed_while_starting": None}


def restart_group(
    server: api_write.Server, port: int, env: dict[str, str], log: Path, timeout: float
) -> tuple[api_write.Server, float | None]:
    """SIGKILL the server's group, start a new one; seconds until ``/readyz`` answers 200."""
    os.killpg(server.proc.pid, signal.SIGKILL)
    server.proc.wait(timeout=30)
    server.stop()
    started = time.monotonic()
    fresh = api_write.Server(port, 2, env, log)
    with httpx2.Client(base_url=fresh.base, timeout=2) as client:
        while time.monotonic() - started < timeout:
            with contextlib.suppress(httpx2.HTTPError):
                if client.get("/readyz").status_code == 200:
                    return fresh, round(time.monotonic() - started, 2)
            time.sleep(0.05)
    return fresh, None


def measure(args: argparse.Namespace, healthcheck: int, workdir: Path) -> dict[str, Any]:
    api_write.recreate_database(args.database_url)
    env = {
        **os.environ,
        "COMMONFUND_DATABASE_URL": args.database_url,
        "COMMONFUND_WORKER_HEALTHCHECK_SECONDS": str(healthcheck),
        "COMMONFUND_SUPERVISE_DAILY": "false",
    }
    api_write.cli("migrate", env=env)
    operator = (
        api_write.cli("token", "issue", "--role", "operator", env=env).strip().splitlines()[-1]
    )
    port = api_write.free_port()
    server = api_write.Server(port, 2, env, workdir / f"serve-{healthcheck}.log")
    workers: list[dict[str, Any]] = []
    groups: list[float | None] = []
    try:
        server.wait_ready()
        accounts = api_write.setup_accounts(
            server.base, operator, args.accounts, f"r{healthcheck}", spend=False, publish=False
        )
        with Writers(server.base, accounts, args.clients) as writers:
            time.sleep(args.warmup)
            for n in range(args.rounds):
                workers.append(kill_one_worker(server, args.timeout))
                time.sleep(args.settle)
                log = workdir / f"serve-{healthcheck}-{n}.log"
                server, seconds = restart_group(server, port, env, log, args.timeout)
                groups.append(seconds)
                time.sleep(args.settle)
            written, failed = writers.ok, writers.failed
    finally:
        server.stop()
    worker_seconds = [w["seconds"] for w in workers]
    return {
        "healthcheck_seconds": healthcheck,
        "worker_restart_s": worker_seconds,
        "worker_restart_median_s": median(worker_seconds),
        "killed_while_starting": [w["killed_while_starting"] for w in workers],
        "group_restart_s": groups,
        "group_restart_median_s": median(groups),
        "writes_ok": written,
        "writes_failed": failed,
    }


def median(values: list[float | None]) -> float | None:
    """The median, a round that never came back counting as the worst."""
    if not values:
        return None
    middle = statistics.median(float("inf") if v is None else v for v in values)
    return None if middle == float("inf") else middle


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--healthcheck", type=int, nargs="+", default=[BASELINE, 30])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--clients", type=int, default=16, help="writing threads")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds between restarts")
    parser.add_argument("--timeout", type=float, default=90.0, help="give a restart up after")
    args = parser.parse_args()
    if not api_write.where(args.database_url).startswith(("127.0.0.1", "localhost", "::1")):
        raise SystemExit("the benchmark runs against a local PostgreSQL only")
    workdir = Path(tempfile.mkdtemp(prefix="commonfund-restart-bench-"))
    results = [measure(args, h, workdir) for h in args.healthcheck]
    base = next((r for r in results if r["healthcheck_seconds"] == BASELINE), results[0])
    for r in results:
        for field in ("worker_restart_median_s", "group_restart_median_s"):
            ours, theirs = r[field], base[field]
            r[field.replace("_median_s", "_ratio_to_baseline")] = (
                round(ours / theirs, 3) if ours is not None and theirs else None
            )
    print(f"logs: {workdir}", file=sys.stderr)
    print(json.dumps({"machine": platform.node(), "cpus": os.cpu_count(), "results": results}))
    return 0 if all(r["worker_restart_median_s"] is not None for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
