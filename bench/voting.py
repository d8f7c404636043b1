"""Owners' votes over HTTP on one ballot of ``--units`` units, against a trivial route, and the
tally's time (issue #16).

The benchmark drops and recreates its own PostgreSQL database, runs ``commonfund migrate``,
starts ``commonfund serve --workers N`` on a free port of 127.0.0.1 and sets up, through the
API: one complex of ``--units`` units in buildings of 200, each delivered to an owner of its
own (so a unit is a head, art. 9), a filed and sealed committee, a ballot of ``--matters``
matters over every unit (announced 20 days ago, voting open since a minute ago, closing in a
day), opened, and one owner token per unit (``/v1/admin/tokens``).

Then ``--clients`` keep-alive connections (asyncio + aiohttp, loopback only, one request at a
time each) run, closed loop:

- **cast**: every unit's vote, ``POST /v1/ballots/{id}/votes`` with its owner's token, in a
  shuffled order, each unit once, the choice drawn (agree 60%, disagree 25%, abstain 15%);
- **change**: ``--changes`` of the units (default 10%) vote again with another choice;
- **trivial**: ``GET /healthz`` for ``--trivial-seconds``, the yardstick of the ratio.

The cast throughput is every vote request of both phases over their time together (each
phase is reported too); ``ratio`` = that over ``/healthz``'s (issue #16's target: ≥ 0.30).
Every non-2xx answer is an error.

Checks, all of which must hold (exit status 1 otherwise), while voting is open:

- over HTTP: the live quorum (``GET /v1/ballots/{id}/quorum``) counts every unit as a
  participating head and exactly the units whose last vote agreed as consenting heads;
  ``--sample`` owners' own votes (``GET …/votes/mine``) are exactly their casts and changes,
  in order, with the receipts they were handed;
- in the ledger (a ``Ledger`` in this process on the same database): the ballot holds
  exactly casts + changes votes per matter, their receipts are exactly the ones handed out,
  each unit's counted vote is its last one, and ``Ballot.tally`` counts per choice what was
  voted. ``Ballot.tally`` over all matters is timed here, in process (``--tally-repeats``,
  the median): issue #16's target is ≤ 1 s at 10,000 units.

Then the ballot is **closed by the clock**: the server is stopped and started again (one
worker) with its clock moved past the closing time (``VOTING_BENCH_CLOCK_SHIFT``, read only by
this file's app factory, never by ``commonfund serve``), the ballot is read once (the load of
its stream, timed) and ``POST /v1/ballots/{id}/close`` is timed; its results must count
casts + changes votes and the outcome the votes give. The published list
(``GET /v1/public/ballots/{id}/list``) must hold exactly the receipts handed out, mark counted
exactly each unit's last one, recount to the same choices and carry the result's Merkle root.

The last line printed is a JSON object with every figure and check. ``--smoke`` (300 units,
8 clients, 2 s of ``/healthz``) proves it all still runs in well under a minute; CI and
``tests/e2e/test_voting_load.py`` run it.

    python bench/voting.py --units 10000 --clients 32 --changes 0.1 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_voting_bench

``--tally-only`` times ``Ballot.tally`` alone, on a ballot of ``--units`` units every one of
which voted (``--changes`` changed) set up in process, with no server and no database: the
tally's target at 10,000 units can be checked where the HTTP load takes too long to get there.

Only loopback addresses are accepted as targets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from uuid import UUID

import aiohttp
import httpx2

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api_write import (  # a sibling benchmark's helpers: the server, database, CLI, load
    HOST,
    Server,
    Tally,
    call,
    cli,
    cores_used,
    cpu_snapshot,
    free_port,
    key,
    local_only,
    percentile,
    postgres_pids,
    recreate_database,
    rounded_ms,
    session_for,
    shanghai_today,
    terminate_as_exit,
    where,
)
from commonfund.synthetic import use_synthetic_identity_secret

if TYPE_CHECKING:
    from fastapi import FastAPI

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/commonfund_voting_bench"
JURISDICTION = "370202"
CST = timezone(timedelta(hours=8))
TRIVIAL = "/healthz"
PER_BUILDING = 200
UNITS_PER_CALL = 2_000
CHOICES = ("agree", "disagree", "abstain")
WEIGHTS = (60, 25, 15)
SHIFT_ENV = "VOTING_BENCH_CLOCK_SHIFT"  # seconds the restarted server's clock runs ahead
TARGET_RATIO = 0.30  # issue #16: votes over HTTP at least this share of /healthz
TARGET_TALLY_S = 1.0  # issue #16: the tally of 10,000 units within a second
SEED = 16
READY_S = 180  # for a server to answer /readyz: two workers import slowly on a busy machine


# --- the server whose clock has passed the closing time ---------------------------------


def shifted_app() -> FastAPI:
    """``commonfund.server:app`` with every clock of the services ``VOTING_BENCH_CLOCK_SHIFT``
    seconds ahead: the ballot closes by the clock without the benchmark waiting a day."""
    from commonfund import server  # noqa: PLC0415 - only the shifted workers import it here
    from commonfund.stores import utcnow  # noqa: PLC0415

    shift = timedelta(seconds=float(os.environ[SHIFT_ENV]))
    build = server.build_services

    def shifted(settings: Any, clock: Any = None) -> Any:
        return build(settings, lambda: utcnow() + shift)

    server.build_services = shifted
    return server.app()


def serve_shifted(port: int, workers: int) -> int:
    """This file's own entry for the restarted server: ``commonfund serve`` on ``shifted_app``."""
    from commonfund import serving  # noqa: PLC0415
    from commonfund.settings import load_settings  # noqa: PLC0415

    settings = load_settings()
    serving.APP = "bench.voting:shifted_app"
    serving.serve(
        host=HOST, port=port, workers=workers,
        healthcheck_seconds=settings.worker_healthcheck_seconds, log_format=settings.log_format,
    )  # fmt: skip
    return 0


class ShiftedServer(Server):
    """The server again on the same database, its clock ``shift`` seconds ahead."""

    def __init__(
        self, port: int, workers: int, env: dict[str, str], log: Path, shift: float
    ) -> None:
        self.port = port
        self.base = f"http://{HOST}:{port}"
        self.log = log
        self._log_file = log.open("wb")
        root = str(Path(__file__).resolve().parents[1])
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--serve-shifted", str(port), "--workers", str(workers)],
            env={
                **env,
                SHIFT_ENV: f"{shift:.3f}",
                "COMMONFUND_RATE_LIMITS": "false",
                "PYTHONPATH": os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p),
            },
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


# --- setup through the API ------------------------------------------------------------


@dataclass
class Plan:
    """The ballot, its owners' tokens and what each unit votes: the checks' expectations."""

    ballot: str
    complex_id: str
    m1: str
    matters: int
    closes_at: datetime
    units: list[str]
    tokens: dict[str, str] = field(default_factory=dict)  # unit -> owner token
    choices: dict[str, list[str]] = field(default_factory=dict)  # unit -> choices, in order
    receipts: dict[str, list[list[str]]] = field(default_factory=dict)  # unit -> per cast

    def final(self) -> Counter[str]:
        return Counter(theirs[-1] for theirs in self.choices.values())

    def votes(self) -> int:
        return sum(len(c) for c in self.choices.values())


def unit_ids(count: int) -> list[str]:
    return [f"{1 + i // PER_BUILDING}-{1 + i % PER_BUILDING:03d}" for i in range(count)]


def owner_of(run: str, unit: str) -> str:
    return key(f"{run}-owner-{unit}")


def setup_ballot(base: str, operator: str, args: argparse.Namespace, run: str) -> Plan:
    """The complex, its sealed committee and the open ballot (the owners' tokens come after)."""
    today = shanghai_today()
    elected = (today - timedelta(days=60)).isoformat()
    units = unit_ids(args.units)
    rows = [
        {"unit_id": u, "building": u.split("-")[0], "floor_area": f"{80 + i % 61}.00",
         "owner_key": owner_of(run, u)}
        for i, u in enumerate(units)
    ]  # fmt: skip
    members = [
        {"member_id": f"m{i}", "name": f"委员{i}", "identity_key": owner_of(run, units[i - 1]),
         "role": "chair" if i == 1 else "member", "signatory": i <= 3}
        for i in range(1, 6)
    ]  # fmt: skip
    with httpx2.Client(base_url=base, timeout=120) as client:
        regulator = call(
            client, "POST", "/v1/admin/tokens", operator, 201,
            json={"role": "regulator", "jurisdiction": JURISDICTION, "label": "bench"},
        )["token"]  # fmt: skip
        cid = call(
            client, "POST", "/v1/complexes", operator, 201,
            json={"code": f"VOTE-{run}", "name": "投票基准小区", "district": JURISDICTION,
                  "street": "370202001", "community": "370202001001",
                  "units": rows[:UNITS_PER_CALL]},
        )["id"]  # fmt: skip
        for start in range(UNITS_PER_CALL, len(rows), UNITS_PER_CALL):
            chunk = rows[start : start + UNITS_PER_CALL]
            call(client, "POST", f"/v1/complexes/{cid}/units", operator, 201,
                 json={"units": chunk})  # fmt: skip
        election = call(
            client, "POST", f"/v1/complexes/{cid}/resolutions", regulator, 201,
            json={"matter": 3, "purpose": "选举业主委员会", "period_from": elected,
                  "period_to": elected, "participated": units, "consented": units,
                  "closed_on": elected},
        )  # fmt: skip
        kid = call(
            client, "POST", f"/v1/complexes/{cid}/committees", regulator, 201,
            json={"election_resolution_id": election["id"], "elected_on": elected,
                  "term_end": (today + timedelta(days=900)).isoformat(), "members": members},
        )["id"]  # fmt: skip
        m1 = call(
            client, "POST", "/v1/admin/tokens", operator, 201,
            json={"role": "committee", "complex_id": cid, "member_id": "m1", "label": "bench"},
        )["token"]  # fmt: skip
        call(client, "POST", f"/v1/committees/{kid}/filing", regulator, 200,
             json={"number": "F-1", "authority": "市南区住建局", "filed_on": elected})  # fmt: skip
        call(client, "POST", f"/v1/committees/{kid}/seal", m1, 200,
             json={"seal_number": "S-1", "sealed_on": elected})  # fmt: skip
        now = datetime.now(CST)
        opens, closes = now - timedelta(minutes=1), now + timedelta(days=1)
        matters = [
            {"item": 1 + (m % 4), "question": f"第{m + 1}项：是否同意？", "documents": ["cd" * 32]}
            for m in range(args.matters)
        ]  # items 1–4: consent > 1/2 of the participants
        ballot = call(
            client, "POST", f"/v1/complexes/{cid}/ballots", m1, 201,
            json={"title": "投票基准业主大会", "matters": matters,
                  "notice_on": (opens.date() - timedelta(days=20)).isoformat(),
                  "opens_at": opens.isoformat(), "closes_at": closes.isoformat()},
        )["id"]  # fmt: skip
        call(client, "POST", f"/v1/ballots/{ballot}/open", m1, 200)
    return Plan(ballot, cid, m1, args.matters, closes, units)


def vote_plan(plan: Plan, changes: float) -> tuple[list[str], list[str]]:
    """What each unit votes first and which units change, to what: the order casts go in."""
    rng = random.Random(SEED)
    for unit in plan.units:
        plan.choices[unit] = [rng.choices(CHOICES, WEIGHTS)[0]]
    casting = plan.units[:]
    rng.shuffle(casting)
    changing = rng.sample(plan.units, round(changes * len(plan.units)))
    for unit in changing:
        plan.choices[unit].append(rng.choice([c for c in CHOICES if c != plan.choices[unit][0]]))
    return casting, changing


# --- the load ---------------------------------------------------------------------------


def post(path: str, token: str, body: Any) -> tuple[str, str, dict[str, str], bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    return ("POST", path, headers, json.dumps(body).encode())


async def issue_tokens(base: str, operator: str, plan: Plan, run: str, clients: int) -> Tally:
    tally = Tally()
    work = iter(plan.units)

    async def client(session: aiohttp.ClientSession) -> None:
        for unit in work:
            body = {"role": "owner", "complex_id": plan.complex_id,
                    "owner_key": owner_of(run, unit), "label": "bench"}  # fmt: skip
            got = await tally.send(session, "token", post("/v1/admin/tokens", operator, body))
            if got is not None:
                plan.tokens[unit] = json.loads(got)["token"]

    async with session_for(base, clients) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return tally


async def cast_phase(
    base: str, plan: Plan, order: Sequence[str], *, nth: int, clients: int, pids: dict[str, Any]
) -> dict[str, Any]:
    """Every unit of ``order`` casts its ``nth`` choice on every matter; the phase's report."""
    tally = Tally()
    work = iter(order)
    path = f"/v1/ballots/{plan.ballot}/votes"

    async def client(session: aiohttp.ClientSession) -> None:
        for unit in work:
            choice = plan.choices[unit][nth]
            body = {"choices": {str(m): choice for m in range(1, plan.matters + 1)}}
            got = await tally.send(session, "vote", post(path, plan.tokens[unit], body))
            if got is not None:
                votes = json.loads(got)["votes"]
                plan.receipts.setdefault(unit, []).append([v["receipt"] for v in votes])

    async with session_for(base, clients) as session:
        before = cpu_snapshot(pids)
        started = time.perf_counter()
        await asyncio.gather(*(client(session) for _ in range(clients)))
        elapsed = time.perf_counter() - started
        report = tally.report(elapsed, cores_used(before, pids, elapsed))
    report["latencies"] = tally.latencies.get("vote", [])
    return report


async def trivial_phase(
    base: str, seconds: float, clients: int, pids: dict[str, Any]
) -> dict[str, Any]:
    tally = Tally()
    request: tuple[str, str, dict[str, str], bytes | None] = ("GET", TRIVIAL, {}, None)
    async with session_for(base, clients) as session:
        before = cpu_snapshot(pids)
        started = time.perf_counter()
        deadline = started + seconds

        async def client() -> None:
            while time.perf_counter() < deadline:
                await tally.send(session, "trivial", request)

        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
        return tally.report(elapsed, cores_used(before, pids, elapsed))


def summarise(phase: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in phase.items() if k != "latencies"}


# --- the checks -------------------------------------------------------------------------


class Checks:
    """Named checks and what failed; every one is reported, the run fails if any failed."""

    def __init__(self) -> None:
        self.passed: list[str] = []
        self.failed: dict[str, str] = {}

    def check(self, name: str, ok: bool, detail: object = "") -> None:  # noqa: FBT001
        if ok:
            self.passed.append(name)
        else:
            self.failed[name] = str(detail)[:500]


def check_open_over_http(base: str, plan: Plan, sample: int, checks: Checks) -> None:
    final = plan.final()
    with httpx2.Client(base_url=base, timeout=60) as client:
        quorum = call(client, "GET", f"/v1/ballots/{plan.ballot}/quorum", plan.m1, 200)
        for matter in quorum["matters"]:
            count = matter["without_deemed"]
            seen = (count["participating_heads"], count["consenting_heads"])
            want = (len(plan.units), final["agree"])
            checks.check(f"quorum matter {matter['matter']}: heads voted, agreed", seen == want,
                         f"{seen} != {want}")  # fmt: skip
        rng = random.Random(SEED + 1)
        changed = [u for u in plan.units if len(plan.choices[u]) > 1]
        chosen = set(rng.sample(changed, min(len(changed), sample // 2)))
        chosen |= set(rng.sample(plan.units, min(len(plan.units), sample - len(chosen))))
        wrong = []
        for unit in sorted(chosen):
            mine = call(client, "GET", f"/v1/ballots/{plan.ballot}/votes/mine",
                        plan.tokens[unit], 200)  # fmt: skip
            want_choices = [c for c in plan.choices[unit] for _ in range(plan.matters)]
            want_receipts = [r for cast in plan.receipts.get(unit, []) for r in cast]
            if [v["choice"] for v in mine] != want_choices or [
                v["receipt"] for v in mine
            ] != want_receipts:
                wrong.append(unit)
        checks.check(f"{len(chosen)} owners' own votes: every cast and change, in order",
                     not wrong, f"wrong for {wrong[:5]}")  # fmt: skip


def check_in_ledger(database_url: str, plan: Plan, repeats: int, checks: Checks) -> dict[str, Any]:
    """The stored ballot against the plan, and the in-process tally's time."""
    from commonfund.settings import Settings  # noqa: PLC0415 - the ledger only for the checks
    from commonfund.wiring import build_ledger  # noqa: PLC0415
    from ledger.voting.ballot import Ballot  # noqa: PLC0415
    from ledger.voting.register import counted_votes  # noqa: PLC0415

    ledger = build_ledger(Settings(database_url=database_url))
    try:
        t0 = time.perf_counter()
        ballot = ledger.read(UUID(plan.ballot), Ballot)
        loaded = time.perf_counter() - t0
        handed = Counter(r for casts in plan.receipts.values() for cast in casts for r in cast)
        stored = Counter(v["receipt"] for v in ballot.votes)
        checks.check("ledger: as many votes as casts + changes, per matter",
                     len(ballot.votes) == plan.votes() * plan.matters,
                     f"{len(ballot.votes)} != {plan.votes() * plan.matters}")  # fmt: skip
        checks.check("ledger: exactly the receipts handed out, each once", stored == handed,
                     f"{sum((stored - handed).values())} extra, "
                     f"{sum((handed - stored).values())} missing")  # fmt: skip
        times, cpu, tallies = [], [], []
        for _ in range(repeats):
            t0, c0 = time.perf_counter(), time.process_time()
            tallies = [ballot.tally(m) for m in range(1, plan.matters + 1)]
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        want = tuple((c, plan.final()[c]) for c in CHOICES)
        for m, counted in enumerate(tallies, start=1):
            checks.check(f"ledger: matter {m}'s tally counts each unit's last choice",
                         counted.without_deemed.units == want,
                         f"{counted.without_deemed.units} != {want}")  # fmt: skip
            last = {u: plan.receipts[u][-1][m - 1] for u in plan.units if u in plan.receipts}
            counted_votes_ = counted_votes(
                ballot.unit_records(m), ballot.matter_votes(m), ballot.counting()
            )
            by_receipt = {v["nonce"]: v["receipt"] for v in ballot.votes if v["matter"] == m}
            picked = {u: by_receipt[v.nonce] for u, v in counted_votes_.items()}
            checks.check(f"ledger: matter {m} counts each unit's last receipt", picked == last,
                         f"{sum(1 for u in last if picked.get(u) != last[u])} differ")  # fmt: skip
        return {
            "tally_s": round(statistics.median(times), 4),
            "tally_runs_s": [round(t, 4) for t in times],
            "tally_cpu_s": round(statistics.median(cpu), 4),  # the rest of the wall: other load
            "ballot_read_s": round(loaded, 3),
            "stored_votes": len(ballot.votes),
            "ballot_version": ballot.version,
            "passed": [t.passed for t in tallies],
        }
    finally:
        ledger.close()


def close_and_check(base: str, plan: Plan, passed: list[bool], checks: Checks) -> dict[str, Any]:
    """Read the ballot once (its stream's load), close it, check the result and the list."""
    path = f"/v1/ballots/{plan.ballot}"
    with httpx2.Client(base_url=base, timeout=300) as client:
        t0 = time.perf_counter()
        seen = call(client, "GET", path, plan.m1, 200)
        read = time.perf_counter() - t0
        checks.check("after the closing time the ballot is counting", seen["state"] == "counting",
                     seen["state"])  # fmt: skip
        t0 = time.perf_counter()
        closed = call(client, "POST", f"{path}/close", plan.m1, 200)
        closing = time.perf_counter() - t0
        final = plan.final()
        listed_s = []
        for result in closed["results"]:
            m = result["matter"]
            checks.check(
                f"close: matter {m} counts casts + changes votes",
                result["votes"] == plan.votes(),
                f"{result['votes']} != {plan.votes()}",
            )
            t0 = time.perf_counter()
            listed = call(client, "GET", f"/v1/public/ballots/{plan.ballot}/list?matter={m}",
                          plan.m1, 200)  # fmt: skip
            listed_s.append(time.perf_counter() - t0)
            entries = listed["entries"]
            handed = Counter(cast[m - 1] for casts in plan.receipts.values() for cast in casts)
            last = Counter(casts[-1][m - 1] for casts in plan.receipts.values())
            checks.check(f"list: matter {m} holds exactly the receipts handed out",
                         Counter(e["receipt"] for e in entries) == handed,
                         f"{len(entries)} entries, {sum(handed.values())} handed")  # fmt: skip
            checks.check(
                f"list: matter {m} counts exactly each unit's last receipt",
                Counter(e["receipt"] for e in entries if e["counted"]) == last,
            )
            recount = Counter(e["choice"] for e in entries if e["counted"])
            checks.check(f"list: matter {m} recounts to the votes", recount == final,
                         f"{dict(recount)} != {dict(final)}")  # fmt: skip
            checks.check(
                f"list: matter {m} under the result's root", listed["root"] == result["root"]
            )
        outcome = [r["passed"] for r in closed["results"]]
        checks.check("close: closed, each matter decided as the tally of the votes decides",
                     closed["state"] == "closed" and outcome == passed,
                     f"{closed['state']}, {outcome} != {passed}")  # fmt: skip
    return {
        "read_after_restart_s": round(read, 3),
        "close_s": round(closing, 3),
        "list_s": round(max(listed_s), 3),
        "passed": [r["passed"] for r in closed["results"]],
    }


# --- the run --------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="dropped and recreated")
    parser.add_argument("--units", type=int, help="units on the ballot (default 10,000)")
    parser.add_argument("--clients", type=int, help="concurrent connections (default 32)")
    parser.add_argument("--changes", type=float, default=0.10, help="share of units that change")
    parser.add_argument("--matters", type=int, default=1, help="matters on the ballot (1–20)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers while voting")
    parser.add_argument("--trivial-seconds", type=float, help="of /healthz (default 5)")
    parser.add_argument("--tally-repeats", type=int, default=3)
    parser.add_argument("--sample", type=int, default=200, help="owners whose votes are read")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="300 units, 8 clients, 2 s of /healthz, 60 owners read (CI)",
    )
    parser.add_argument(
        "--py-spy",
        metavar="DIR",
        help="record py-spy (raw, --gil) of every worker during the votes into DIR",
    )
    parser.add_argument(
        "--tally-only",
        action="store_true",
        help="only time Ballot.tally on a ballot of --units units set up in process (no HTTP)",
    )
    parser.add_argument("--serve-shifted", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_shifted is not None:
        return args
    smoke = args.smoke  # its sizes, unless given
    args.units = args.units or (300 if smoke else 10_000)
    args.clients = args.clients or (8 if smoke else 32)
    args.trivial_seconds = args.trivial_seconds or (2.0 if smoke else 5.0)
    if smoke:
        args.sample = min(args.sample, 60)
    if urlsplit(args.database_url).scheme not in ("postgresql", "postgres"):
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    if not (1 <= args.units <= 10_000 and 1 <= args.clients <= 256 and 0 <= args.changes <= 1):
        parser.error("--units 1–10,000, --clients 1–256, --changes 0–1, please")
    if not 1 <= args.matters <= 20:
        parser.error("--matters 1–20")
    return args


def spy(directory: str, pids: list[int]) -> list[subprocess.Popen[bytes]]:
    tool = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    Path(directory).mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                tool,
                "record",
                "--pid",
                str(pid),
                "--format",
                "raw",
                "--gil",
                "--rate",
                "200",
                "--output",
                f"{directory}/worker-{pid}.txt",
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def progress(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:6.1f} s] {text}", file=sys.stderr, flush=True)


def load(
    server: Server, plan: Plan, casting: list[str], changing: list[str], args: argparse.Namespace
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The casts, the changes (under py-spy if asked) and then the trivial route."""
    pids = {"server": server.worker_pids(), "projector": [], "postgres": postgres_pids()}
    spies = spy(args.py_spy, pids["server"]) if args.py_spy else []
    try:
        cast = asyncio.run(
            cast_phase(server.base, plan, casting, nth=0, clients=args.clients, pids=pids)
        )
        change = asyncio.run(
            cast_phase(server.base, plan, changing, nth=1, clients=args.clients, pids=pids)
        )
    finally:
        for recorder in spies:
            recorder.send_signal(signal.SIGINT)  # py-spy writes its profile on SIGINT
            recorder.wait(timeout=60)
    trivial = asyncio.run(trivial_phase(server.base, args.trivial_seconds, args.clients, pids))
    return cast, change, trivial


def run_benchmark(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "COMMONFUND_DATABASE_URL": args.database_url,
        "COMMONFUND_SUPERVISE_DAILY": "false",
        "COMMONFUND_DELIVER_WEBHOOKS": "false",
        # a worker still importing on a loaded machine is not killed as hung (uvicorn's ping)
        "COMMONFUND_WORKER_HEALTHCHECK_SECONDS": "60",
    }
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    local_only(args.database_url)
    recreate_database(args.database_url)
    cli("migrate", env=env)
    progress(started, "database recreated and migrated")
    operator = cli("token", "issue", "--role", "operator", "--label", "bench", env=env)
    operator = operator.strip().splitlines()[-1]
    checks = Checks()
    server = Server(free_port(), args.workers, env, workdir / "server.log")
    with terminate_as_exit():
        try:
            server.wait_ready(timeout=READY_S)
            progress(started, f"server ready at {server.base}")
            plan = setup_ballot(server.base, operator, args, run)
            progress(started, f"ballot {plan.ballot} open over {len(plan.units)} units")
            casting, changing = vote_plan(plan, args.changes)
            issued = asyncio.run(
                issue_tokens(server.base, operator, plan, run, min(args.clients, 16))
            )
            checks.check("every owner token issued", len(plan.tokens) == len(plan.units),
                         issued.samples)  # fmt: skip
            setup_s = time.monotonic() - started
            progress(started, f"{len(plan.tokens)} owner tokens issued")
            cast, change, trivial = load(server, plan, casting, changing, args)
            progress(
                started, f"votes cast: {cast['req_per_s']} /s, changed: {change['req_per_s']} /s"
            )
            checks.check("no vote answered with an error", cast["errors"] + change["errors"] == 0,
                         cast["error_samples"] + change["error_samples"])  # fmt: skip
            check_open_over_http(server.base, plan, args.sample, checks)
            progress(started, "checked over HTTP")
            ledger = check_in_ledger(args.database_url, plan, args.tally_repeats, checks)
            progress(started, "checked in the ledger")
        finally:
            server.stop()
        shift = (plan.closes_at - datetime.now(UTC)).total_seconds() + 60
        again = ShiftedServer(free_port(), 1, env, workdir / "server-closing.log", shift)
        try:
            again.wait_ready(timeout=READY_S)
            progress(started, "server restarted past the closing time")
            closing = close_and_check(again.base, plan, ledger["passed"], checks)
            progress(started, "closed and checked")
        finally:
            again.stop()
    latencies = sorted(cast["latencies"] + change["latencies"])
    votes_s = cast["seconds"] + change["seconds"]
    rate = (cast["requests"] + change["requests"]) / votes_s
    ratio = rate / trivial["req_per_s"]
    return {
        "votes_per_s": round(rate, 1),
        "trivial_req_per_s": trivial["req_per_s"],
        "ratio": round(ratio, 4),
        "p50_ms": rounded_ms(percentile(latencies, 50)),
        "p99_ms": rounded_ms(percentile(latencies, 99)),
        "tally_s": ledger["tally_s"],
        "close_s": closing["close_s"],
        "ratio_target_met": ratio >= TARGET_RATIO,
        "tally_target_met": ledger["tally_s"] <= TARGET_TALLY_S,
        "checks_passed": len(checks.passed),
        "checks_failed": checks.failed,
        "cast": summarise(cast),
        "change": summarise(change),
        "trivial": trivial,
        "ledger": ledger,
        "closing": closing,
        "casts": len(casting),
        "changes": len(changing),
        "setup_s": round(setup_s, 1),
        "wall_s": round(time.monotonic() - started, 1),
        "settings": {
            "units": args.units, "clients": args.clients, "changes": args.changes,
            "matters": args.matters, "workers": args.workers, "smoke": args.smoke,
            "database": where(args.database_url), "python": platform.python_version(),
            "cores": os.cpu_count(),
        },
    }  # fmt: skip


def tally_only(units: int, changes: float, matters: int, repeats: int) -> dict[str, Any]:
    """``Ballot.tally`` over every matter of a ballot of ``units`` units that every unit voted on
    and ``changes`` of them changed, its state set in process (no HTTP, no database): the
    tally's time at a size the HTTP load does not reach on a small machine."""
    from ledger.voting.ballot import Ballot, Matter, RegisterUnit, Scope, VoteRecord  # noqa: PLC0415
    from ledger.voting.receipts import receipt  # noqa: PLC0415
    from ledger.voting.register import Vote  # noqa: PLC0415

    ballot = Ballot.__new__(Ballot)
    Ballot.__init__(ballot)
    opens = datetime(2026, 12, 1, 9, tzinfo=CST)
    ballot.matters = [
        Matter(item=1, question="?", documents=[], scope=Scope(kind="all", buildings=[], units=[]),
               purpose="", amount_cap=None, period_from=None, period_to=None, budget_category=None)
        for _ in range(matters)
    ]  # fmt: skip
    ballot.opens_at, ballot.closes_at = opens.isoformat(), (opens + timedelta(days=5)).isoformat()
    ballot.deemed_votes, ballot.counting_rule, ballot.opened = False, "signed_later", True
    plan = Plan("bench", "bench", "", matters, opens, unit_ids(units))
    ballot.roll = {
        u: RegisterUnit(building=u.split("-")[0], owner_key=owner_of("tally", u),
                        state="sold_delivered", area_kind="registered", area=8_000 + i % 6_100)
        for i, u in enumerate(plan.units)
    }  # fmt: skip
    casting, changing = vote_plan(plan, changes)
    for nth, order in enumerate((casting, changing)):
        for k, unit in enumerate(order):
            signed = opens + timedelta(seconds=nth * units + k)
            for m in range(1, matters + 1):
                vote = Vote(unit, plan.choices[unit][nth], "electronic", signed, f"{k:032x}")  # type: ignore[arg-type]
                ballot.votes.append(
                    VoteRecord(unit=unit, matter=m, choice=vote.choice, channel="electronic",
                               signed_at=signed.isoformat(), nonce=vote.nonce,
                               receipt=receipt(vote, ballot_id="bench", matter=m), by="bench",
                               device=None)
                )  # fmt: skip
    times, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        counted = [ballot.tally(m) for m in range(1, matters + 1)]
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    want = tuple((c, plan.final()[c]) for c in CHOICES)
    return {
        "units": units,
        "votes": len(ballot.votes),
        "tally_s": round(statistics.median(times), 4),
        "tally_runs_s": [round(t, 4) for t in times],
        "tally_cpu_s": round(statistics.median(cpu), 4),  # this process's CPU: the machine's load
        "counts_match": all(t.without_deemed.units == want for t in counted),
        "tally_target_met": statistics.median(times) <= TARGET_TALLY_S,
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_shifted is not None:
        return serve_shifted(args.serve_shifted, args.workers)
    if args.tally_only:
        found = tally_only(args.units, args.changes, args.matters, args.tally_repeats)
        print(json.dumps(found))
        return 0 if found["counts_match"] else 1
    workdir = Path(tempfile.mkdtemp(prefix="commonfund-voting-bench-"))
    ok = False
    try:
        found = run_benchmark(args, workdir)
        ok = not found["checks_failed"]
        say(found)
        print(json.dumps(found, ensure_ascii=False))
    finally:
        if ok:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"logs kept in {workdir}", file=sys.stderr)
    return 0 if ok else 1


def say(found: dict[str, Any]) -> None:
    s = found["settings"]
    print(
        f"{s['units']} units, {s['clients']} clients: {found['casts']} casts and"
        f" {found['changes']} changes at {found['votes_per_s']} votes/s"
        f" (cast {found['cast']['req_per_s']}, change {found['change']['req_per_s']}),"
        f" p50 {found['p50_ms']} ms, p99 {found['p99_ms']} ms;"
        f" /healthz {found['trivial_req_per_s']} req/s; ratio {found['ratio']}"
        f" (target ≥ {TARGET_RATIO})",
        file=sys.stderr,
    )
    print(
        f"tally in process {found['tally_s']} s (target ≤ {TARGET_TALLY_S} s); close over HTTP"
        f" {found['close_s']} s; checks: {found['checks_passed']} passed,"
        f" {len(found['checks_failed'])} failed {found['checks_failed'] or ''}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    sys.exit(main())
