"""Latency of an account's entries and as-of balance over HTTP, for an account with 5,000 entries.

The benchmark drops and recreates its own database, runs ``commonfund migrate``,
and writes one synthetic complex through the ``Ledger`` directly (a year of
normal activity from ``commonfund.synthetic``, then income entries spread over
the year and a reversal every ``--reversal-every`` of them, until the account
holds ``--entries`` entries). ``commonfund project --once`` brings the read
models up to the ledger's head, then ``commonfund serve --workers N`` starts on a
free port of 127.0.0.1 with a committee token from ``commonfund token issue``.

Each round then sends, one request at a time on one keep-alive connection,
``--requests`` requests of each phase:

- ``first``: ``GET /v1/accounts/{id}/entries`` (the first page of 100);
- ``middle``: the page of 100 after the middle of the account, via the cursor
  (found once by walking the pages with ``limit=500``);
- ``month``: one month by value date (``from``/``to``) and one category;
- ``balance``: ``GET /v1/accounts/{id}/balance?as_of=`` a day in the middle.

Any response that is not 200 is an error (exit status 1). The last line printed
is a JSON object with the median over ``--rounds`` of each phase's p50/p95 in ms.
The server is stopped on every way out; its log is kept when anything failed.

    python bench/entries.py --rounds 5 --requests 40 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_entries_bench

Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx2

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_write import (  # a sibling benchmark's helpers: the server, database, CLI
    HOST,
    Server,
    cli,
    free_port,
    percentile,
    recreate_database,
    shanghai_today,
    terminate_as_exit,
    where,
)
from bench.one_complex import one_complex
from commonfund.settings import Settings
from commonfund.synthetic import use_synthetic_identity_secret
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Actor

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/commonfund_entries_bench"
PAGE = 100
PHASES = ("first", "middle", "month", "balance")
MAX_SAMPLES = 5
PAYERS = (
    Party(name="青岛某停车管理有限公司", kind="organisation", identity_key="", bank_account=""),
    Party(name="青岛某广告有限公司", kind="organisation", identity_key="", bank_account=""),
)
CATEGORIES = ("parking", "advertising")


# --- the account, written through the Ledger -------------------------------------------


def build_account(settings: Settings, entries: int, reversal_every: int) -> dict[str, Any]:
    """One complex whose account holds ``entries`` entries; its ids and dates."""
    today = shanghai_today()
    built = one_complex(settings, today, prefix="ENTRIES", name="分录小区")
    ledger, account_id = built.ledger, built.account_id
    try:
        actor = Actor("committee", "bench", "m1")
        opened = max(built.opened_on, today - timedelta(days=364))
        days = (today - opened).days + 1
        have = ledger.account_summary(account_id).entries
        missing = max(0, entries - have)
        incomes: list[tuple[str, date]] = []
        for i in range(missing):
            # a reversal now and then, of an income recorded shortly before
            if reversal_every and incomes and i % reversal_every == reversal_every - 1:
                reversed_id, day = incomes.pop(len(incomes) // 2)
                ledger.reverse_entry(
                    account_id,
                    reverses=reversed_id,
                    reason="重复入账",
                    value_date=max(day, opened + timedelta(days=(i * days) // missing)),
                    idempotency_key=f"reverse-{i}",
                    actor=actor,
                )
                continue
            day = opened + timedelta(days=(i * days) // missing)
            details = IncomeDetails(
                category=CATEGORIES[i % 2],
                payer=PAYERS[i % 2],
                amount=100_00 + i % 997,
                value_date=day,
                contract_ref=f"TC-{i % 17:03d}",
            )
            receipt = ledger.record_income(
                account_id, details, idempotency_key=f"income-{i}", actor=actor
            )
            incomes = [*incomes[-50:], (receipt.id, day)]
        summary = ledger.account_summary(account_id)
    finally:
        ledger.close()
    middle = opened + timedelta(days=days // 2)
    return {
        "complex_id": built.complex_id,
        "account_id": str(account_id),
        "entries": summary.entries,
        "version": summary.version,
        "opened_on": opened.isoformat(),
        "middle_day": middle.isoformat(),
        "month": (middle.replace(day=1).isoformat(), _month_end(middle).isoformat()),
    }


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


# --- the measurement ---------------------------------------------------------------------


def middle_cursor(client: httpx2.Client, path: str, entries: int) -> str:
    """The cursor after the first half of the entries, walking pages of 500."""
    cursor = ""
    seen = 0
    while seen < entries // 2:
        limit = min(500, entries // 2 - seen)
        params: dict[str, Any] = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = client.get(path, params=params)
        response.raise_for_status()
        page = response.json()
        seen += len(page["items"])
        if page["next_cursor"] is None:
            raise SystemExit(f"the account has only {seen} entries, not {entries}")
        cursor = page["next_cursor"]
    return cursor


def requests_of(account: dict[str, Any], cursor: str) -> dict[str, tuple[str, dict[str, Any]]]:
    entries = f"/v1/accounts/{account['account_id']}/entries"
    low, high = account["month"]
    return {
        "first": (entries, {}),
        "middle": (entries, {"cursor": cursor, "limit": PAGE}),
        "month": (entries, {"from": low, "to": high, "category": "parking"}),
        "balance": (
            f"/v1/accounts/{account['account_id']}/balance",
            {"as_of": account["middle_day"]},
        ),
    }


def phase(
    client: httpx2.Client, path: str, params: dict[str, Any], count: int, samples: list[str]
) -> dict[str, Any]:
    latencies, errors, items = [], 0, None
    for _ in range(count):
        t0 = time.perf_counter()
        response = client.get(path, params=params)
        body = response.content
        latencies.append(time.perf_counter() - t0)
        if response.status_code != 200:
            errors += 1
            if len(samples) < MAX_SAMPLES:
                samples.append(f"GET {path} {params} -> {response.status_code}: {body[:300]!r}")
        elif items is None:
            payload = json.loads(body)
            items = len(payload["items"]) if "items" in payload else None
    latencies.sort()
    return {
        "p50_ms": round(percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(percentile(latencies, 95) * 1000, 2),
        "max_ms": round(latencies[-1] * 1000, 2),
        "errors": errors,
        "items": items,
    }


def measure(base: str, token: str, account: dict[str, Any], args: argparse.Namespace) -> Any:
    if urlsplit(base).hostname != HOST:
        raise SystemExit("the benchmark targets 127.0.0.1 only")
    headers = {"Authorization": f"Bearer {token}"}
    samples: list[str] = []
    with httpx2.Client(base_url=base, headers=headers, timeout=60) as client:
        path = f"/v1/accounts/{account['account_id']}/entries"
        cursor = middle_cursor(client, path, account["entries"])
        plan = requests_of(account, cursor)
        for name in PHASES:  # warm-up, not counted
            phase(client, *plan[name], args.warmup, samples)
        rounds = []
        for r in range(args.rounds):
            result = {name: phase(client, *plan[name], args.requests, samples) for name in PHASES}
            rounds.append(result)
            print(
                f"round {r + 1}: "
                + ", ".join(
                    f"{n} p50 {v['p50_ms']:.1f} / p95 {v['p95_ms']:.1f} ms"
                    for n, v in result.items()
                ),
                file=sys.stderr,
                flush=True,
            )
    return rounds, samples


# --- the run -------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated")
    parser.add_argument("--entries", type=int, default=5000, help="entries on the account")
    parser.add_argument("--reversal-every", type=int, default=250, help="0: no reversals")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--requests", type=int, default=40, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=5, help="requests per phase, not counted")
    args = parser.parse_args()
    if urlsplit(args.database_url).scheme not in ("postgresql", "postgres"):
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    if not 1 <= args.requests <= 10_000 or not 1 <= args.rounds <= 100:
        parser.error("--requests 1..10000 and --rounds 1..100")
    if not 200 <= args.entries <= 100_000:
        parser.error("--entries 200..100000")
    return args


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="commonfund-entries-bench-"))
    env = {**os.environ, "COMMONFUND_DATABASE_URL": args.database_url}
    recreate_database(args.database_url)  # loopback only (api_write.recreate_database)
    cli("migrate", env=env)
    settings = Settings(database_url=args.database_url)
    account = build_account(settings, args.entries, args.reversal_every)
    built = time.monotonic() - started
    cli("project", "--once", env=env)  # the read models at the ledger's head before serving
    token = cli(
        "token", "issue", "--role", "committee", "--complex", account["complex_id"],
        "--member", "m1", "--label", "bench", env=env,
    ).strip().splitlines()[-1]  # fmt: skip
    server = Server(free_port(), args.workers, env, workdir / "server.log")
    try:
        with terminate_as_exit():
            server.wait_ready()
            print(
                f"{account['entries']} entries on {account['account_id']} in {built:.1f} s;"
                f" server on {server.base} ({args.workers} workers); log: {server.log}",
                file=sys.stderr,
                flush=True,
            )
            rounds, samples = measure(server.base, token, account, args)
    except BaseException:
        print(f"the server's log: {server.log}", file=sys.stderr)
        raise
    finally:
        server.stop()
    errors = sum(r[n]["errors"] for r in rounds for n in PHASES)
    report = {
        "benchmark": "entries",
        **{
            f"{n}_{q}_ms": round(statistics.median(r[n][f"{q}_ms"] for r in rounds), 2)
            for n in PHASES
            for q in ("p50", "p95")
        },
        "p95_rounds": {n: [r[n]["p95_ms"] for r in rounds] for n in PHASES},
        "items": {n: rounds[0][n]["items"] for n in PHASES},
        "errors": errors,
        "error_samples": samples,
        "account": {k: account[k] for k in ("entries", "version", "opened_on", "middle_day")},
        "settings": {
            "workers": args.workers,
            "requests_per_phase": args.requests,
            "rounds": args.rounds,
            "warmup_requests": args.warmup,
            "page": PAGE,
            "client": "httpx2, one keep-alive connection, one request at a time",
            "database": where(args.database_url),
        },
        "wall_seconds": round(time.monotonic() - started, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    if errors:
        print(f"kept for inspection: {workdir}", file=sys.stderr)
    else:
        with contextlib.suppress(OSError):
            shutil.rmtree(workdir)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
