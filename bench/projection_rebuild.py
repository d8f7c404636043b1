"""Rebuilding the statements read model against reading the log, live lag, and reading statements.

    python bench/projection_rebuild.py [--events 1000000] [--fresh] \
        [--database-url postgresql://postgres@127.0.0.1:5432/commonfund_bench_rebuild]

1. **History.** Unless the database already holds a complete history of at
   least ``--events`` events (then it is reused; ``--fresh`` drops it), the
   benchmark drops and recreates the database, migrates it and writes about
   ``--events`` events through the ``Ledger`` in ``--processes`` processes,
   each on its own complexes (one per ``--events-per-complex`` events: 4,000,
   Qingdao's number, for 1,000,000). Each complex is set up one command at a
   time (registration with 80–400 units, an election resolution, a committee
   elected, filed and sealed, the account, a maintenance resolution of the
   owners). Then a year is written day by day across all of a process's
   complexes, so the log interleaves them as a city's would: income (parking
   collected by the property company with its deduction, advertising, rent,
   fees, some from individuals with a unit number in the description),
   payments under the owners' resolution (proposed, then approved or rejected
   1–7 days later: four events for a booked one), and reversals. These are
   the account aggregate's own commands (every domain check, the hash chain)
   saved through the application's ``save``, about ``--save-every`` events of
   many accounts per transaction instead of one per command (the generator's
   sessions also commit with ``synchronous_commit=off``). The read model then
   catches up (the live runner's ``catch_up``, timed), every committee
   publishes each ended quarter through ``Ledger.publish_statement`` (the
   basis read from the read model, as the API does), 5% correct one published
   quarter by a reversal dated in it, and the read model catches up again. One
   more complex (``RB-STATEMENT``) has exactly ``--statement-lines`` lines in
   the last complete quarter.
2. **Raw:** every notification read with ``recorder.select_notifications`` in
   batches and decoded with ``mapper.to_domain_event``, nothing else; read
   with batches of ``--batch-size`` and of ``--rebuild-batch-size``, and the
   faster read is the baseline. **Rebuild:** ``Runner.rebuild()`` of the
   statements view in batches of ``--rebuild-batch-size`` (``commonfund
   rebuild``'s default): a fresh copy from the start of the log, the swap, and
   the deletion of the old copy. Both report events/s; ``ratio`` is rebuild /
   raw (target ≥ 0.25). Time inside the view's ``apply`` and ``clear`` is
   reported apart, and the reads the runner does ahead in its thread. Both run
   after ``VACUUM (ANALYZE)`` of the tables (autovacuum is off on the bench
   machine), on a warm cache.
3. **Statement reads:** ``commonfund serve --workers N`` on the same database;
   ``--readers`` keep-alive clients GET the published quarter
   (``/v1/public/complexes/{id}/statements/{period}``) for ``--read-seconds``,
   then ``/healthz`` the same way, ``--read-rounds`` times (target: statement
   p95 ≤ 30 ms). Every GET fetches the whole body (no ``If-None-Match``) with
   ``Accept-Encoding: --accept-encoding`` (a browser's ``gzip, deflate, br`` by
   default; ``identity`` for the uncompressed JSON); ``wire_bytes`` is what
   crossed the socket, ``response_bytes`` the decoded JSON. Each round also
   runs readers that keep the gzipped bytes (``undecoded``): on this machine
   the readers share the server's cores, and gunzipping 800 KB per response
   takes a good part of one.
4. **Live lag:** on the same server, ``--accounts`` complexes are set up
   through the API and income is written as bench/api_write.py does
   (``--connections`` connections, one request at a time each) for
   ``--lag-seconds``, while ``/readyz`` is sampled every ``--sample-ms``
   (``projections.statements.view.lag_seconds`` and ``lag_events``; target: the
   median below 1 s).

The last line printed is a JSON object with the rates, ``ratio``, the read
latencies and their ratio to the trivial route, and the lag. Only a local
PostgreSQL is accepted.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import math
import multiprocessing
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import aiohttp
import httpx2
import psycopg

if __package__ in (None, ""):  # run as a script: make ``bench`` importable for api_write
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import api_write
from bench.log_read import read_log
from commonfund.settings import Settings
from commonfund.synthetic import (
    BANKS,
    BusinessClock,
    committee_actor,
    firm,
    make_units,
    organisation,
    person_name,
    plan_complex,
    sample_tally,
    seeded,
)
from commonfund.wiring import build_ledger, migrate, read_models, statements_runner
from ledger import ids
from ledger.account import CommonFundAccount
from ledger.account.entries import Authority, ExpenditureDetails, IncomeDetails, Party
from ledger.application import Actor, Ledger
from ledger.committees.committee import Committee, Member
from ledger.committees.resolution import MATTER_ELECT_COMMITTEE
from ledger.complexes.complex import Unit
from ledger.errors import NotFound
from ledger.identity import identity_key
from ledger.periods import Period
from ledger.requests import fingerprint
from projections.db import Tx
from projections.runner import REBUILD_BATCH, Batch, Runner
from projections.statements.queries import Statements, publication_basis
from projections.statements.view import StatementsView

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/commonfund_bench_rebuild"
STATEMENT_CODE = "RB-STATEMENT"
OPERATOR = Actor("operator", "bench-rebuild")
BULK_PURPOSE = "小区共用部位共用设施日常维修养护"
BULK_CAP = 10**12  # fen: the owners' resolution caps the year's maintenance generously
MAX_SAMPLES = 5
EVENTS_PER_LINE = 1.75  # a payment is four events (proposed, approved twice, booked)
SETUP_EVENTS = 12  # registration with units, election, committee, filing, seal, account, resolution
CATEGORIES = ("repairs", "repairs", "cleaning_greening", "security", "utilities_common")

# --- generating the history ------------------------------------------------------------


def shanghai_today() -> date:
    return api_write.shanghai_today()


def last_complete_quarter(today: date) -> Period:
    current = Period.containing(today, "quarter")
    return Period.containing(current.start - timedelta(days=1), "quarter")


@dataclass(frozen=True, slots=True)
class Setup:
    """A complex set up through the Ledger's commands: a sealed committee and an open account."""

    code: str
    complex_id: UUID
    committee_id: UUID
    account_id: UUID
    opened_on: date
    signatories: tuple[str, ...]
    member_names: frozenset[str]
    units: dict[str, Unit]


def setup_complex(ledger: Ledger, code: str, index: int, today: date, rng: random.Random) -> Setup:
    """Register (with units), elect, file, seal and open the account, one command at a time.

    Dates as ``commonfund.synthetic.plan_complex`` makes them: the account opened about a
    year before ``today``. Each command runs with the business clock on its own date.
    """
    clock = ledger.clock
    if not isinstance(clock, BusinessClock):
        raise TypeError("build the Ledger with a BusinessClock")
    spec = plan_complex(
        code=code,
        name=f"基准{index}号小区",
        district="370202",
        street=f"370202{1 + index % 11:03d}",
        community=f"370202{1 + index % 11:03d}{1 + index % 7:03d}",
        unit_count=rng.randint(80, 400),
        today=today,
        rng=rng,
        identity_secret=Settings().identity_secret,
    )
    units = make_units(spec, rng)
    try:
        clock.set(spec.registered_on)
        complex_id = UUID(
            ledger.register_complex(
                code=code, name=spec.name, district=spec.district, street=spec.street,
                community=spec.community, units=units, actor=OPERATOR,
            ).id
        )  # fmt: skip
        participated, consented = sample_tally(units, rng, 75, 80)
        clock.set(spec.elected_on)
        election = ledger.record_resolution(
            complex_id, idempotency_key=f"{code}-election", matter=MATTER_ELECT_COMMITTEE,
            purpose="选举第一届业主委员会", amount_cap=None,
            period_from=spec.elected_on - timedelta(days=14), period_to=spec.elected_on,
            scope_units=None, participated=participated, consented=consented,
            closed_on=spec.elected_on, actor=OPERATOR,
        )  # fmt: skip
        owners = sorted({u["owner_key"] for u in units.values() if not u["developer_held"]})
        names: list[str] = []
        while len(names) < 5:
            name = person_name(rng)
            if name not in names:
                names.append(name)
        members = [
            Member(
                member_id=f"m{i}", name=names[i - 1], identity_key=key,
                role={1: "chair", 2: "vice_chair"}.get(i, "member"), signatory=i <= 3,
            )
            for i, key in enumerate(rng.sample(owners, 5), start=1)
        ]  # fmt: skip
        committee_id = UUID(
            ledger.elect_committee(
                complex_id, election_resolution_id=UUID(election.id), elected_on=spec.elected_on,
                term_end=spec.term_end, members=members, actor=OPERATOR,
            ).id
        )  # fmt: skip
        filed_on = spec.elected_on + timedelta(days=rng.randint(5, 25))
        clock.set(filed_on)
        ledger.file_committee(
            committee_id, number=f"370202YWH{filed_on:%Y}{rng.randint(1_000, 9_999)}",
            authority="青岛市市南区住房和城乡建设局", filed_on=filed_on, actor=OPERATOR,
        )  # fmt: skip
        sealed_on = filed_on + timedelta(days=rng.randint(2, 10))
        clock.set(sealed_on)
        ledger.seal_committee(
            committee_id, seal_number=f"{rng.randrange(10**12, 10**13)}", sealed_on=sealed_on,
            actor=OPERATOR,
        )  # fmt: skip
        clock.set(spec.opened_on)
        account_id = UUID(
            ledger.open_account(
                complex_id, bank=rng.choice(BANKS), account_number=f"{rng.randrange(10**18, 10**19)}",
                signatories=["m1", "m2", "m3"], opened_on=spec.opened_on, actor=OPERATOR,
            ).id
        )  # fmt: skip
    finally:
        clock.reset()
    return Setup(
        code=code,
        complex_id=complex_id,
        committee_id=committee_id,
        account_id=account_id,
        opened_on=spec.opened_on,
        signatories=("m1", "m2", "m3"),
        member_names=frozenset(names),
        units=units,
    )


@dataclass(slots=True)
class Filler:
    """Writes many lines on one account through its own commands, saving many events at once.

    The account is the ``Ledger``'s cached aggregate; every line goes through the
    aggregate's command (``record_income``, ``propose_expenditure``,
    ``approve_expenditure``, ``reject_expenditure``, ``reverse``) with the
    policy, the committee and the authority the ``Ledger`` itself would pass,
    and ``Ledger.save`` writes up to ``save_every`` events in one transaction
    (snapshots every 200 events of the account, as always). Payments cite a
    resolution of the owners recorded through ``Ledger.record_resolution``.
    """

    ledger: Ledger
    setup: Setup
    rng: random.Random
    today: date
    save_every: int
    account: CommonFundAccount = field(init=False)
    committee: Committee = field(init=False)
    authority: Authority = field(init=False)
    payees: list[Party] = field(init=False)
    payers: list[tuple[str, Party]] = field(init=False)
    people: list[Party] = field(init=False)
    incomes: list[str] = field(default_factory=list)
    committed: int = 0  # proposed, not yet settled (fen)
    keys: int = 0
    pending: int = 0  # events not saved yet
    start: int = 0  # the account's version before the filler wrote
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        ledger, setup, rng = self.ledger, self.setup, self.rng
        participated, consented = sample_tally(setup.units, rng, 76, 82)
        start = setup.opened_on
        clock = ledger.clock
        if not isinstance(clock, BusinessClock):
            raise TypeError("build the Ledger with a BusinessClock")
        clock.set(start)
        try:
            receipt = ledger.record_resolution(
                setup.complex_id, idempotency_key=f"{setup.code}-maintenance", matter=9,
                purpose=BULK_PURPOSE, amount_cap=BULK_CAP, period_from=start,
                period_to=self.today, scope_units=None, participated=participated,
                consented=consented, closed_on=start, actor=OPERATOR,
            )  # fmt: skip
        finally:
            clock.reset()
        resolution = ledger.resolution(UUID(receipt.id))
        if not resolution.passed:
            raise RuntimeError(f"{setup.code}: the maintenance resolution did not pass")
        self.authority = Authority(
            kind="resolution",
            id=receipt.id,
            valid=resolution.passed,
            purpose_key=resolution.purpose_key,
            amount_cap=resolution.amount_cap,
            valid_from=date.fromisoformat(resolution.period_from),
            valid_to=date.fromisoformat(resolution.period_to),
        )
        self.committee = ledger.committee(setup.committee_id)
        loaded: object = ledger.repository.get(setup.account_id)
        if not isinstance(loaded, CommonFundAccount):
            raise TypeError(f"{setup.account_id} is not an account")
        self.account = loaded
        self.start = loaded.version
        self.payers = [
            ("parking", organisation(firm(rng, "物业服务有限公司"), rng)),
            ("advertising", organisation(firm(rng, "传媒有限公司"), rng)),
            ("venue_rent", organisation(f"{firm(rng, '便民超市')}", rng)),
            ("facility_fee", organisation(firm(rng, "快递服务有限公司"), rng)),
            ("compensation", organisation(firm(rng, "财产保险股份有限公司"), rng)),
        ]
        self.payees = [
            organisation(firm(rng, kind), rng)
            for kind in (
                "保洁服务有限公司", "园林绿化工程有限公司", "电梯工程有限公司",
                "消防设备有限公司", "供水设备有限公司", "建筑工程有限公司",
            )
        ]  # fmt: skip
        self.people = []
        while len(self.people) < 6:
            name = person_name(rng)
            if name not in setup.member_names:
                self.people.append(
                    Party(
                        name=name,
                        kind="individual",
                        identity_key=identity_key("bench", f"{setup.code}-{name}"),
                        bank_account="",
                    )
                )

    # --- one line -------------------------------------------------------------------

    def key(self, kind: str) -> str:
        self.keys += 1
        return f"{self.setup.code}-{kind}-{self.keys}"

    def principal(self, member_id: str) -> str:
        return committee_actor(self.setup.code, member_id).principal

    def income(self, day: date) -> None:
        rng, code = self.rng, self.setup.code
        roll = rng.random()
        gross = deduction = rate = None
        collector = contract = ""
        if roll < 0.5:  # parking, collected by the property company, which keeps its share
            category, payer = self.payers[0]
            gross = rng.randint(50, 3_000) * 100
            rate = 1_500
            deduction = (gross * rate + 5_000) // 10_000
            amount = gross - deduction
            collector, contract = payer["name"], f"{code}-TC-01"
            description = f"{day.month}月{day.day}日临时停车费"
        elif roll < 0.9:
            category, payer = self.payers[rng.randrange(1, len(self.payers))]
            amount = rng.randint(200, 20_000) * 100
            contract = f"{category[:2].upper()}-{code}-{day:%Y}"
            description = {"advertising": "电梯广告位租金", "venue_rent": "物业用房租金"}.get(
                category, "场地使用费"
            )
        else:  # an owner pays for damage: an individual, and a unit number to mask
            category, payer = "other", rng.choice(self.people)
            amount = rng.randint(50, 2_000) * 100
            unit = rng.choice(list(self.setup.units))
            description = f"{unit}业主赔偿公共设施损坏"
        details = IncomeDetails(
            category=category,
            payer=payer,
            amount=amount,
            value_date=day,
            contract_ref=contract,
            description=description,
            gross=gross,
            deduction=deduction,
            contracted_rate_bp=rate,
            collector=collector,
        )
        entry_id = ids.child_id(self.account.id, self.key("income"))
        self.account.record_income(
            entry_id,
            details,
            fingerprint=fingerprint({"income": repr(details)}),
            policy=self.ledger.policy,
            today=self.today,
            principal=self.principal("m1"),
            personal=self.ledger.personal,
        )
        self.incomes.append(entry_id)
        self.counts["income"] += 1

    def propose(self, day: date) -> str | None:
        """A signatory proposes a payment (and approves it as maker); None if funds are short."""
        rng = self.rng
        budget = (self.account.balance - self.committed) * 3 // 10
        if budget < 100_00:
            return None
        individual = rng.random() < 0.1
        amount = min(budget, rng.randint(100, 8_000) * 100) // 100 * 100
        cash = individual and amount <= self.ledger.policy.cash_single_payment_limit
        details = ExpenditureDetails(
            category=rng.choice(CATEGORIES),
            payee=rng.choice(self.people) if individual else rng.choice(self.payees),
            method="cash" if cash else "transfer",
            amount=amount,
            purpose=BULK_PURPOSE,
            value_date=day,
            authorisation_kind="resolution",
            authorisation_id=self.authority.id,
            contract_ref="" if individual else f"WX-{self.setup.code}-{day:%Y%m}",
            description="零星维修人工费" if individual else f"{day.month}月共用设施维修养护",
        )
        maker = rng.choice(self.setup.signatories)
        expenditure_id = ids.child_id(self.account.id, self.key("exp"))
        self.account.propose_expenditure(
            expenditure_id,
            details,
            proposer=maker,
            committee=self.committee,
            authority=self.authority,
            fingerprint=fingerprint({"expenditure": repr(details)}),
            policy=self.ledger.policy,
            today=self.today,
            principal=self.principal(maker),
            personal=self.ledger.personal,
        )
        self.committed += amount
        return expenditure_id

    def settle(self, expenditure_id: str) -> None:
        """A second signatory approves, which books the payment; a few are rejected instead."""
        before = self.account.version
        try:
            self._settle(expenditure_id)
        finally:
            self.pending += self.account.version - before

    def _settle(self, expenditure_id: str) -> None:
        proposal = self.account.proposals[expenditure_id]
        checker = self.rng.choice([m for m in self.setup.signatories if m != proposal["proposer"]])
        self.committed -= proposal["amount"]
        if self.rng.random() < 0.03 or proposal["amount"] > self.account.balance:
            self.account.reject_expenditure(
                expenditure_id,
                member_id=checker,
                reason="报价偏高，请重新询价",
                committee=self.committee,
                principal=self.principal(checker),
            )
            self.counts["rejected"] += 1
            return
        self.account.approve_expenditure(
            expenditure_id,
            member_id=checker,
            committee=self.committee,
            authority=self.authority,
            policy=self.ledger.policy,
            today=self.today,
            principal=self.principal(checker),
        )
        self.counts["payment"] += 1

    def reversal(self, day: date) -> None:
        """An income line recorded twice or by mistake, reversed on the same day or a few later."""
        rng = self.rng
        if not self.incomes:
            self.income(day)
            return
        entry_id = self.incomes.pop(
            rng.randrange(max(0, len(self.incomes) - 20), len(self.incomes))
        )
        entry = self.account.entries[entry_id]
        if entry["amount"] > self.account.balance:
            self.income(day)
            return
        when = max(day, date.fromisoformat(entry["value_date"]))
        reason = "重复入账，予以冲销"
        self.account.reverse(
            ids.child_id(self.account.id, self.key("reversal")),
            reverses=entry_id,
            reason=reason,
            value_date=when,
            fingerprint=fingerprint({"reversal": [entry_id, reason, when.isoformat()]}),
            committee=self.committee,
            today=self.today,
            principal=self.principal("m1"),
        )
        self.counts["reversal"] += 1

    def line(self, day: date, *, payments: float = 0.25, reversals: float = 0.02) -> str | None:
        """One line dated ``day``; a payment is only proposed: its id is returned, to settle."""
        before = self.account.version
        roll = self.rng.random()
        proposed = None
        if roll < reversals:
            self.reversal(day)
        elif roll < reversals + payments:
            proposed = self.propose(day)
            if proposed is None:
                self.income(day)
        else:
            self.income(day)
        self.pending += self.account.version - before
        return proposed

    def save(self) -> None:
        if self.pending:
            self.ledger.save(self.account)
            self.pending = 0


def bench_ledger(url: str, today: date) -> Ledger:
    """The generator's Ledger: the business clock on ``today``, commits not waiting for the disk.

    ``synchronous_commit=off`` only for the generator's own sessions (a bulk load: the
    events written are the same; a crash could lose the last few transactions).
    """
    os.environ["PGOPTIONS"] = "-c synchronous_commit=off"
    settings = Settings(database_url=url)
    return build_ledger(settings, BusinessClock(today, settings.timezone))


def build_share(
    url: str, *, worker: int, workers: int, complexes: int, per_complex: int, today: str,
    save_every: int,
) -> dict[str, Any]:  # fmt: skip
    """One process's share of the history: complexes ``worker``, ``worker + workers``, …

    All of them are set up first; then their year is written day by day, every account's
    lines of a day before the next day's, so the log interleaves the complexes as a city's
    would. A payment is proposed on its day and approved (or rejected) 1–7 days later.
    ``Ledger.save`` gets every account touched since the last save: about ``save_every``
    events in one transaction.
    """
    day = date.fromisoformat(today)
    ledger = bench_ledger(url, day)
    counts: Counter[str] = Counter()
    started = time.perf_counter()
    try:
        fillers = []
        for index in range(worker, complexes, workers):
            code = f"RB-{index:05d}"
            rng = seeded("rebuild", code)
            setup = setup_complex(ledger, code, index, day, rng)
            fillers.append(Filler(ledger, setup, rng, day, save_every))
        print(
            f"  process {worker}: {len(fillers)} complexes set up in"
            f" {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
            flush=True,
        )
        schedule: dict[date, list[Filler]] = {}
        for filler in fillers:
            span = (day - filler.setup.opened_on).days
            lines = max(1, round((per_complex - SETUP_EVENTS) / EVENTS_PER_LINE))
            for _ in range(lines):
                on = filler.setup.opened_on + timedelta(days=filler.rng.randint(1, span))
                schedule.setdefault(on, []).append(filler)
        approvals: dict[date, list[tuple[Filler, str]]] = {}
        touched: dict[UUID, Filler] = {}

        def flush(*, force: bool = False) -> None:
            if touched and (force or sum(f.pending for f in touched.values()) >= save_every):
                ledger.save(*(f.account for f in touched.values()))
                for f in touched.values():
                    f.pending = 0
                touched.clear()

        for on in sorted(schedule.keys() | approvals.keys()):
            for filler, expenditure_id in approvals.pop(on, []):
                filler.settle(expenditure_id)
                touched[filler.account.id] = filler
                flush()
            for filler in schedule.pop(on, []):
                proposed = filler.line(on)
                touched[filler.account.id] = filler
                if proposed is not None:
                    due = min(day, on + timedelta(days=filler.rng.randint(1, 7)))
                    approvals.setdefault(due, []).append((filler, proposed))
                flush()
        for due in sorted(approvals):  # those due on a day after the last line
            for filler, expenditure_id in approvals[due]:
                filler.settle(expenditure_id)
                touched[filler.account.id] = filler
        quota = len(fillers) * (per_complex - SETUP_EVENTS)
        written = sum(f.account.version - f.start for f in fillers)
        while written < quota:  # a short year: top up with income dated today
            filler = fillers[written % len(fillers)]
            before = filler.account.version
            filler.income(day)
            filler.pending += filler.account.version - before
            written += filler.account.version - before
            touched[filler.account.id] = filler
        flush(force=True)
        for filler in fillers:
            counts.update(filler.counts)
    finally:
        ledger.close()
    return {"counts": dict(counts), "seconds": time.perf_counter() - started}


def build_statement_complex(url: str, today: date, lines: int, save_every: int) -> dict[str, Any]:
    """RB-STATEMENT: exactly ``lines`` lines (70% income, 30% payments) in the last quarter."""
    ledger = bench_ledger(url, today)
    period = last_complete_quarter(today)
    try:
        rng = seeded("rebuild", STATEMENT_CODE)
        setup = setup_complex(ledger, STATEMENT_CODE, 0, today, rng)
        filler = Filler(ledger, setup, rng, today, save_every)
        for month in range(1, period.start.month):  # the year so far: an opening balance
            filler.line(date(period.start.year, month, 15), payments=0.0, reversals=0.0)
        span = (period.end - period.start).days
        days = sorted(period.start + timedelta(days=rng.randint(0, span)) for _ in range(lines))
        have = 0
        while have < lines:
            day = days[min(have, lines - 1)]
            before = len(filler.account.entries)
            proposed = filler.line(day, payments=0.3, reversals=0.0)
            if proposed is not None:
                filler.settle(proposed)
            have += len(filler.account.entries) - before
            if filler.pending >= save_every:
                filler.save()
        filler.save()
        return {"complex_id": str(setup.complex_id), "period": period.name, "lines": have}
    finally:
        ledger.close()


def catch_up(url: str) -> dict[str, Any]:
    """The live runner's ``catch_up`` from where the serving copy stands, timed."""
    settings = Settings(database_url=url)
    ledger = build_ledger(settings)
    runner = statements_runner(settings, ledger)
    try:
        started = time.perf_counter()
        events = runner.catch_up()
        seconds = time.perf_counter() - started
    finally:
        runner.database.close()
        ledger.close()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds, 1) if seconds else None,
    }


def publish_share(
    url: str, *, worker: int, workers: int, codes: list[str], today: str, corrections: float
) -> dict[str, int]:
    """Each committee publishes every complete quarter since its account opened (the real path:
    the draft from the read model, then ``Ledger.publish_statement``); a share of them then
    reverse an income line of a published quarter, dated in it, which makes a version 2.
    """
    day = date.fromisoformat(today)
    ledger = bench_ledger(url, day)
    database = read_models(Settings(database_url=url))
    statements = Statements(database)
    done: Counter[str] = Counter()
    try:
        for code in codes[worker::workers]:
            complex_id = ids.complex_id(code)
            account_id = UUID(str(ledger.complex_summary(complex_id).current_account_id))
            opened = date.fromisoformat(ledger.account_summary(account_id).opened_on)
            periods, quarter = [], Period.containing(opened, "quarter")
            while quarter.end < day:
                periods.append(quarter)
                quarter = quarter.following()
            actor = committee_actor(code, "m1")
            for period in periods:
                through, digest = publication_basis(statements, str(complex_id), period)
                ledger.publish_statement(
                    complex_id, period=period.name, through=through, content_hash=digest,
                    actor=actor,
                )  # fmt: skip
                done["publications"] += 1
            rng = seeded("rebuild", code, "correction")
            if code == STATEMENT_CODE or not periods or rng.random() >= corrections:
                continue
            period = rng.choice(periods)
            lines = [
                e
                for e in ledger.entries(account_id)
                if e.kind == "income" and e.reversed_by is None
                and period.contains(date.fromisoformat(e.value_date))
            ]  # fmt: skip
            if lines:
                ledger.reverse_entry(
                    account_id, reverses=rng.choice(lines).id, reason="收入重复入账，予以冲销",
                    value_date=period.end, idempotency_key=f"{code}-correction", actor=actor,
                )  # fmt: skip
                done["corrections"] += 1
    finally:
        database.close()
        ledger.close()
    return dict(done)


def check_statement_complex(url: str, complex_id: str, period: str, lines: int) -> None:
    database = read_models(Settings(database_url=url))
    try:
        version = Statements(database).version(complex_id, Period.parse(period))
    finally:
        database.close()
    if version is None or version.version != 1 or not version.hash_matches:
        raise SystemExit(f"{STATEMENT_CODE}: {period} was not published as expected")
    if version.content["line_count"] != lines:
        raise SystemExit(f"{STATEMENT_CODE}: {version.content['line_count']} lines in {period}")


def existing_history(url: str, wanted: int) -> dict[str, Any] | None:
    """The statement complex and its published quarter when the database holds a full history."""
    try:
        settings = Settings(database_url=url)
        ledger = build_ledger(settings)
    except Exception:  # noqa: BLE001 - no database, no tables: not reusable
        return None
    database = read_models(settings)
    try:
        head = ledger.recorder.max_notification_id() or 0
        complex_id = str(ids.complex_id(STATEMENT_CODE))
        versions = Statements(database).versions(complex_id)
    except (NotFound, psycopg.Error):
        return None
    finally:
        database.close()
        ledger.close()
    if head < wanted or not versions:
        return None
    quarter = max(v.period for v in versions)  # the last complete quarter when generated
    return {"complex_id": complex_id, "period": quarter, "events": head}


def generate(args: argparse.Namespace) -> dict[str, Any]:
    url = args.database_url
    today = shanghai_today()
    api_write.recreate_database(url)
    migrate(Settings(database_url=url))
    complexes = max(1, math.ceil(args.events / args.events_per_complex))
    per_complex = math.ceil(args.events / complexes)
    workers = max(1, min(args.processes, complexes))
    print(
        f"generating ~{args.events:,} events: {complexes} complexes of ~{per_complex} events"
        f" in {workers} processes",
        file=sys.stderr,
        flush=True,
    )
    started = time.perf_counter()
    context = multiprocessing.get_context("spawn")  # PGOPTIONS stays in the generators
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        statement_job = pool.submit(
            build_statement_complex, url, today, args.statement_lines, args.save_every
        )
        futures = [
            pool.submit(
                build_share, url, worker=w, workers=workers, complexes=complexes,
                per_complex=per_complex, today=today.isoformat(), save_every=args.save_every,
            )
            for w in range(workers)
        ]  # fmt: skip
        shares = [f.result() for f in futures]
        statement = statement_job.result()
        written = time.perf_counter() - started
        print(f"lines written in {written:.0f} s; catching up", file=sys.stderr, flush=True)
        first = catch_up(url)
        codes = [f"RB-{i:05d}" for i in range(complexes)] + [STATEMENT_CODE]
        published: Counter[str] = Counter()
        for job in [
            pool.submit(
                publish_share, url, worker=w, workers=workers, codes=codes,
                today=today.isoformat(), corrections=args.corrections,
            )
            for w in range(workers)
        ]:  # fmt: skip
            published.update(job.result())
    second = catch_up(url)
    seconds = time.perf_counter() - started
    check_statement_complex(url, statement["complex_id"], statement["period"], statement["lines"])
    counts: Counter[str] = Counter()
    for share in shares:
        counts.update(share["counts"])
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM ledger_events").fetchone()
    events = int(row[0]) if row else 0
    print(
        f"generated {events:,} events in {seconds:.0f} s ({events / seconds:,.0f}/s); first"
        f" catch-up {first['seconds']} s, {published['publications']} publications and"
        f" {published['corrections']} corrections",
        file=sys.stderr,
        flush=True,
    )
    return {
        "complex_id": statement["complex_id"],
        "period": statement["period"],
        "events": events,
        "generated": {
            "seconds": round(seconds, 1),
            "events_per_s": round(events / seconds, 1),
            "lines_seconds": round(written, 1),
            "complexes": complexes + 1,
            "processes": workers,
            "lines": dict(counts),
            "statement_lines": statement["lines"],
            **dict(published),
            "first_catch_up": first,
            "publications_catch_up": second,
        },
    }


# --- (a) raw read and decode, (b) rebuild ----------------------------------------------


def measured(run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``run``'s result with the CPU seconds used meanwhile by this process (all its threads),
    PostgreSQL (every backend) and everyone else: the machine is shared, and the rate is
    only comparable between runs where ``others`` stayed small."""
    pids = {"server": [os.getpid()], "projector": []}
    before, started = api_write.cpu_snapshot(pids), time.perf_counter()
    result = run()
    after, wall = api_write.cpu_snapshot(pids), time.perf_counter() - started
    used = {k: after[k] - before[k] for k in ("server", "postgres", "machine")}
    result["cpu_seconds"] = {
        "this_process": round(used["server"], 1),
        "postgres": round(used["postgres"], 1),
        "others": round(max(0.0, used["machine"] - used["server"] - used["postgres"]), 1),
        "wall": round(wall, 1),
    }
    return result


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


VACUUMED = (
    "ledger_events", "stmt_lines", "stmt_streams", "stmt_versions",
    "projection_tracking", "projection_state",
)  # fmt: skip


def vacuum(url: str) -> dict[str, Any]:
    """VACUUM (ANALYZE) the log and the statements' tables, outside any timing.

    Autovacuum is off on the bench machine's PostgreSQL: without this, every rebuild
    leaves the old copy's rows dead, and each run would measure the garbage of the
    previous ones.
    """
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SHOW autovacuum").fetchone()
        conn.execute(f"VACUUM (ANALYZE) {', '.join(VACUUMED)}")
    return {
        "autovacuum": row[0] if row else "?",
        "seconds": round(time.perf_counter() - started, 1),
    }


def warm_cache(url: str) -> None:
    """Read the events table once, so neither measurement pays for a cold disk."""
    with psycopg.connect(url) as conn:
        conn.execute("SELECT count(*), sum(length(state)) FROM ledger_events").fetchone()


def read_and_decode(url: str, batch_size: int) -> dict[str, Any]:
    """Every notification, in batches, decoded to its domain event; nothing else."""
    settings = Settings(database_url=url)
    ledger = build_ledger(settings)
    try:
        head = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        events, reading = read_log(ledger, batch_size, head)
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds, 1),
        "select_seconds": round(reading, 2),
        "decode_seconds": round(seconds - reading, 2),
    }


class TimedView:
    """The statements view, timing its own work (the rest of a rebuild is the runner's)."""

    def __init__(self, view: StatementsView) -> None:
        self.view = view
        self.name = view.name
        self.apply_seconds = 0.0
        self.clear_seconds = 0.0

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        started = time.perf_counter()
        self.view.apply(tx, generation, batch)
        self.apply_seconds += time.perf_counter() - started

    def clear(self, tx: Tx, generation: int) -> None:
        started = time.perf_counter()
        self.view.clear(tx, generation)
        self.clear_seconds += time.perf_counter() - started

    def __getattr__(self, name: str) -> Any:
        """The view's optional hooks (``resync``) reach it as if unwrapped."""
        return getattr(self.view, name)


def rebuild(url: str, batch_size: int) -> dict[str, Any]:
    """``Runner.rebuild()`` of the statements view: a fresh copy, the swap, the old copy dropped."""
    settings = Settings(database_url=url)
    ledger = build_ledger(settings)
    view = TimedView(StatementsView())
    runner = Runner(ledger, read_models(settings), view, batch_size=batch_size)
    read, reading = runner._read, {"main": 0.0, "ahead": 0.0}  # the runner reads ahead in a thread

    def timed_read(after: int, head: int) -> tuple[Batch, int]:
        started = time.perf_counter()
        try:
            return read(after, head)
        finally:
            where = "main" if threading.current_thread() is threading.main_thread() else "ahead"
            reading[where] += time.perf_counter() - started

    runner._read = timed_read  # type: ignore[method-assign]  # instrumentation only
    try:
        runner.head()
        started = time.perf_counter()
        events = runner.rebuild()
        seconds = time.perf_counter() - started
        if runner.position() != runner.head():
            raise SystemExit("the rebuilt copy does not serve from the head of the log")
    finally:
        runner.database.close()
        ledger.close()
    return {
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds, 1),
        "read_and_decode_seconds": round(reading["main"], 2),
        "read_ahead_seconds": round(reading["ahead"], 2),  # in the runner's thread, overlapped
        "view_apply_seconds": round(view.apply_seconds, 2),
        "old_copy_delete_seconds": round(view.clear_seconds, 2),
        "other_seconds": round(
            seconds - reading["main"] - view.apply_seconds - view.clear_seconds, 2
        ),
    }


# --- the server: statement reads and live lag ----------------------------------------


async def drive_get(
    base: str, path: str, *, connections: int, seconds: float, server_pids: list[int],
    encoding: str = "gzip, deflate, br", decode: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """``connections`` keep-alive loops, each one GET at a time, for ``seconds``; ``decode``:
    the readers gunzip each body (as a browser does), else they keep the bytes received."""
    latencies: list[float] = []
    statuses: Counter[str] = Counter()
    size = wire = 0
    headers = {"Accept-Encoding": encoding}
    connector = aiohttp.TCPConnector(limit=connections)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(
        base, connector=connector, timeout=timeout, auto_decompress=decode
    ) as session:
        before = api_write.cpu_snapshot({"server": server_pids, "projector": []})
        started = time.perf_counter()
        deadline = started + seconds

        async def loop() -> None:
            nonlocal size, wire
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                length = 0
                try:
                    async with session.get(path, headers=headers) as response:
                        body = await response.read()  # decoded if it came gzipped and ``decode``
                        status, ok = str(response.status), response.status == 200
                        length = response.content_length or len(body)
                except (aiohttp.ClientError, TimeoutError) as error:
                    body, status, ok = b"", type(error).__name__, False
                latencies.append(time.perf_counter() - t0)
                size, wire = max(size, len(body)), max(wire, length)
                if not ok:
                    statuses[status] += 1

        await asyncio.gather(*(loop() for _ in range(connections)))
        elapsed = time.perf_counter() - started
        after = api_write.cpu_snapshot({"server": server_pids, "projector": []})
    latencies.sort()
    return {
        "requests": len(latencies),
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(api_write.percentile(latencies, 50) * 1000, 2),
        "p95_ms": round(api_write.percentile(latencies, 95) * 1000, 2),
        "p99_ms": round(api_write.percentile(latencies, 99) * 1000, 2),
        "errors": sum(statuses.values()),
        "error_statuses": dict(statuses),
        "response_bytes": size,
        "wire_bytes": wire,
        "cores_used": {k: round((v - before[k]) / elapsed, 2) for k, v in after.items()},
    }


async def reads(
    base: str, path: str, *, connections: int, seconds: float, rounds: int, pids: list[int],
    encoding: str,
) -> list[dict[str, Any]]:  # fmt: skip
    found = []
    for r in range(rounds):
        statement = await drive_get(
            base, path, connections=connections, seconds=seconds, server_pids=pids,
            encoding=encoding,
        )  # fmt: skip
        kept = await drive_get(
            base, path, connections=connections, seconds=seconds, server_pids=pids,
            encoding=encoding, decode=False,
        )  # fmt: skip
        trivial = await drive_get(
            base, api_write.TRIVIAL, connections=connections, seconds=seconds, server_pids=pids,
            encoding=encoding,
        )  # fmt: skip
        found.append({"statement": statement, "undecoded": kept, "trivial": trivial})
        print(
            f"reads round {r + 1}: statement {statement['req_per_s']:.0f} req/s"
            f" (p50 {statement['p50_ms']:.1f} ms, p95 {statement['p95_ms']:.1f} ms,"
            f" {statement['errors']} errors); readers not gunzipping {kept['req_per_s']:.0f}"
            f" req/s (p50 {kept['p50_ms']:.1f} ms, p95 {kept['p95_ms']:.1f} ms,"
            f" {kept['errors']} errors); {api_write.TRIVIAL} {trivial['req_per_s']:.0f}"
            f" req/s (p95 {trivial['p95_ms']:.1f} ms); cores {statement['cores_used']}",
            file=sys.stderr,
            flush=True,
        )
    return found


async def sample_lag(
    base: str, until: float, interval: float
) -> list[dict[str, tuple[float, int]]]:
    """``/readyz`` every ``interval`` seconds: each projection's (lag_seconds, lag_events)."""
    samples: list[dict[str, tuple[float, int]]] = []
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(base, timeout=timeout) as session:
        while time.perf_counter() < until:
            t0 = time.perf_counter()
            async with session.get("/readyz") as response:
                body = await response.json()
            samples.append(
                {
                    name: (float(lag["lag_seconds"]), int(lag["lag_events"]))
                    for name, lag in body["projections"].items()
                }
            )
            await asyncio.sleep(max(0.0, interval - (time.perf_counter() - t0)))
    return samples


def lag_figures(samples: list[dict[str, tuple[float, int]]], name: str) -> dict[str, Any]:
    seconds = sorted(s[name][0] for s in samples if name in s)
    events = sorted(float(s[name][1]) for s in samples if name in s)
    if not seconds:
        return {}
    return {
        "median_seconds": round(statistics.median(seconds), 3),
        "p95_seconds": round(api_write.percentile(seconds, 95), 3),
        "max_seconds": round(seconds[-1], 3),
        "median_events": statistics.median(events),
        "p95_events": api_write.percentile(events, 95),
        "max_events": events[-1],
    }


async def lag_under_load(
    base: str, plan: dict[str, Any], *, seconds: float, interval: float, pids: list[int]
) -> dict[str, Any]:
    make = api_write.income_requests(plan, f"{plan['run']}-lag")
    until = time.perf_counter() + seconds
    (load, _), samples = await asyncio.gather(
        api_write.drive(
            base, api_write.one_request("income", make), connections=plan["connections"],
            max_requests=10**9, seconds=seconds, pids={"server": pids, "projector": []},
        ),
        sample_lag(base, until, interval),
    )  # fmt: skip
    others = sorted({name for s in samples for name in s} - {"statements"})
    return {
        "samples": len(samples),
        **lag_figures(samples, "statements"),
        "income": {k: load[k] for k in ("requests", "req_per_s", "p50_ms", "p99_ms", "errors")},
        "income_error_samples": load["error_samples"][:MAX_SAMPLES],
        "cores_used": load["cores_used"],
        "other_projections": {name: lag_figures(samples, name) for name in others},
    }


def wait_caught_up(base: str, timeout: float) -> dict[str, float]:
    """Wait until every projection the server follows has reached the head of the log (a
    read model new to this database, as a new projection is, first catches up)."""
    started = time.monotonic()
    last = 0.0
    with httpx2.Client(base_url=base, timeout=30) as client:
        while True:
            lags = client.get("/readyz").json()["projections"]
            behind = {name: lag["lag_events"] for name, lag in lags.items() if lag["lag_events"]}
            waited = time.monotonic() - started
            if not behind:
                return {"waited_seconds": round(waited, 1)}
            if waited > timeout:
                raise SystemExit(
                    f"the server's projections did not catch up in {timeout} s: {behind}"
                )
            if waited - last >= 30:
                print(
                    f"  waiting for projections to catch up: {behind}", file=sys.stderr, flush=True
                )
                last = waited
            time.sleep(1)


def check_statement(base: str, path: str, lines: int) -> int:
    """One GET of the statement: it must be the published quarter with its lines."""
    with httpx2.Client(base_url=base, timeout=30) as client:
        response = client.get(path)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} -> {response.status_code}: {response.text[:300]}")
    got = response.json()["content"]["line_count"]
    if got != lines:
        raise SystemExit(f"GET {path}: {got} lines, expected {lines}")
    return len(response.content)


def serve_phases(
    args: argparse.Namespace, history: dict[str, Any], workdir: Path
) -> dict[str, Any]:
    """Start ``commonfund serve`` on the benchmark's database; reads, then lag under writes."""
    env = {**os.environ, "COMMONFUND_DATABASE_URL": args.database_url}
    api_write.cli("migrate", env=env)  # a reused database may predate the newest migrations
    path = f"/v1/public/complexes/{history['complex_id']}/statements/{history['period']}"
    server = api_write.Server(api_write.free_port(), args.workers, env, workdir / "server.log")
    result: dict[str, Any] = {}
    try:
        with api_write.terminate_as_exit():
            server.wait_ready(timeout=120)
            pids = server.worker_pids()
            result["caught_up"] = wait_caught_up(server.base, args.catch_up_timeout)
            if args.read_rounds:
                result["statement_bytes"] = check_statement(server.base, path, args.statement_lines)
                result["reads"] = asyncio.run(
                    reads(
                        server.base, path, connections=args.readers, seconds=args.read_seconds,
                        rounds=args.read_rounds, pids=pids, encoding=args.accept_encoding,
                    )
                )  # fmt: skip
            if args.lag_seconds > 0:
                operator = api_write.cli(
                    "token", "issue", "--role", "operator", "--label", "bench", env=env
                )
                run = uuid.uuid4().hex[:8]
                plan = {
                    "run": run,
                    "accounts": api_write.setup_accounts(
                        server.base, operator.strip().splitlines()[-1], args.accounts, run
                    ),
                    "value_date": (shanghai_today() - timedelta(days=1)).isoformat(),
                    "connections": args.connections,
                }
                result["lag"] = asyncio.run(
                    lag_under_load(
                        server.base, plan, seconds=args.lag_seconds,
                        interval=args.sample_ms / 1000, pids=pids,
                    )
                )  # fmt: skip
                lag = result["lag"]
                print(
                    f"lag under {lag['income']['req_per_s']:.0f} income req/s: median"
                    f" {lag['median_seconds']} s / {lag['median_events']} events, p95"
                    f" {lag['p95_seconds']} s, max {lag['max_seconds']} s"
                    f" ({lag['samples']} samples)",
                    file=sys.stderr,
                    flush=True,
                )
    except BaseException:
        print(f"the server's log: {server.log}", file=sys.stderr)
        raise
    finally:
        server.stop()
    return result


# --- the run ----------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL, help="kept between runs")
    parser.add_argument("--events", type=int, default=1_000_000, help="history to generate")
    parser.add_argument("--fresh", action="store_true", help="regenerate even if reusable")
    parser.add_argument("--processes", type=int, default=2, help="generating processes")
    parser.add_argument("--events-per-complex", type=int, default=250)
    parser.add_argument("--save-every", type=int, default=200, help="events per bulk save")
    parser.add_argument("--statement-lines", type=int, default=2_000)
    parser.add_argument(
        "--corrections", type=float, default=0.05, help="share of complexes that correct a"
        " published quarter",
    )  # fmt: skip
    parser.add_argument(
        "--batch-size", type=int, default=500,
        help="of the raw read (it is read at the rebuild's batch size too; the faster counts)",
    )  # fmt: skip
    parser.add_argument(
        "--rebuild-batch-size", type=int, default=REBUILD_BATCH,
        help="of the rebuild (commonfund rebuild's default)",
    )  # fmt: skip
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--readers", type=int, default=16)
    parser.add_argument("--read-seconds", type=float, default=10)
    parser.add_argument("--read-rounds", type=int, default=3, help="0: skip the reads")
    parser.add_argument(
        "--accept-encoding", default="gzip, deflate, br",
        help="the readers' Accept-Encoding (a browser's by default; identity: uncompressed)",
    )  # fmt: skip
    parser.add_argument("--accounts", type=int, default=50, help="written to in the lag phase")
    parser.add_argument("--connections", type=int, default=32, help="writers in the lag phase")
    parser.add_argument("--lag-seconds", type=float, default=30, help="0: skip the lag phase")
    parser.add_argument("--sample-ms", type=float, default=200, help="/readyz sampling interval")
    parser.add_argument(
        "--catch-up-timeout", type=float, default=3600,
        help="seconds to wait for the server's projections to reach the head before measuring",
    )  # fmt: skip
    args = parser.parse_args()
    parts = urlsplit(args.database_url)
    if parts.scheme not in ("postgresql", "postgres"):
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the benchmark runs against a local PostgreSQL only")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", parts.path.lstrip("/")):
        parser.error("name the benchmark's own database (lower-case letters, digits, _)")
    return args


def median_of(rounds: list[dict[str, Any]], phase: str, key: str) -> float:
    return float(statistics.median(r[phase][key] for r in rounds))


def summary(
    args: argparse.Namespace, *, history: dict[str, Any], raw: dict[str, Any],
    rebuilt: dict[str, Any], served: dict[str, Any], wall: float,
) -> dict[str, Any]:  # fmt: skip
    ratio = rebuilt["events_per_s"] / raw["events_per_s"]
    report: dict[str, Any] = {
        "benchmark": "projection_rebuild",
        "events": raw["events"],
        "raw_events_per_s": raw["events_per_s"],
        "rebuild_events_per_s": rebuilt["events_per_s"],
        "ratio": round(ratio, 3),
        "raw": raw,
        "rebuild": rebuilt,
    }
    targets = {"rebuild_ratio": ratio >= 0.25}
    reads_ = served.get("reads")
    if reads_:
        p95 = median_of(reads_, "statement", "p95_ms")
        statement_rate = median_of(reads_, "statement", "req_per_s")
        trivial_rate = median_of(reads_, "trivial", "req_per_s")
        report["statement_read"] = {
            "lines": args.statement_lines,
            "response_bytes": served["statement_bytes"],
            "accept_encoding": args.accept_encoding,
            "wire_bytes": reads_[0]["statement"]["wire_bytes"],
            "p50_ms": median_of(reads_, "statement", "p50_ms"),
            "p95_ms": p95,
            "req_per_s": statement_rate,
            "trivial_p50_ms": median_of(reads_, "trivial", "p50_ms"),
            "trivial_p95_ms": median_of(reads_, "trivial", "p95_ms"),
            "trivial_req_per_s": trivial_rate,
            "ratio": round(statement_rate / trivial_rate, 3),
            "p95_rounds": [r["statement"]["p95_ms"] for r in reads_],
            "errors": sum(
                r[p]["errors"] for r in reads_ for p in ("statement", "undecoded", "trivial")
            ),
            "cores_used": reads_[len(reads_) // 2]["statement"]["cores_used"],
            # the same GETs by readers that keep the gzipped bytes: what the server takes to
            # answer, without the readers' gunzip on the server's two cores
            "undecoded": {
                "p50_ms": median_of(reads_, "undecoded", "p50_ms"),
                "p95_ms": median_of(reads_, "undecoded", "p95_ms"),
                "req_per_s": median_of(reads_, "undecoded", "req_per_s"),
                "p95_rounds": [r["undecoded"]["p95_ms"] for r in reads_],
                "cores_used": reads_[len(reads_) // 2]["undecoded"]["cores_used"],
            },
        }
        targets["statement_p95"] = p95 <= 30
        targets["statement_p95_undecoded"] = median_of(reads_, "undecoded", "p95_ms") <= 30
    lag = served.get("lag")
    if lag:
        report["live_lag"] = lag
        targets["live_lag"] = lag["median_seconds"] < 1
    report["targets_met"] = targets
    if "caught_up" in served:
        report["server_projections_caught_up"] = served["caught_up"]
    report["history"] = history
    report["settings"] = {
        "batch_size": args.batch_size,
        "rebuild_batch_size": args.rebuild_batch_size,
        "workers": args.workers,
        "readers": args.readers,
        "read_seconds": args.read_seconds,
        "read_rounds": args.read_rounds,
        "accounts": args.accounts,
        "connections": args.connections,
        "lag_seconds": args.lag_seconds,
        "sample_ms": args.sample_ms,
        "database": api_write.where(args.database_url),
    }
    report["wall_seconds"] = round(wall, 1)
    report["machine"] = (
        f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    return report


def main() -> int:
    args = parse_args()
    started = time.monotonic()
    history = None if args.fresh else existing_history(args.database_url, args.events)
    if history is None:
        history = generate(args)
    else:
        print(
            f"reusing {history['events']:,} events in {api_write.where(args.database_url)}",
            file=sys.stderr,
            flush=True,
        )
        history["reused"] = True
    vacuumed = [vacuum(args.database_url)]
    warm_cache(args.database_url)
    loads = {"before_raw": load_average()}
    # the raw read at both batch sizes; the faster is the baseline
    raws: dict[int, dict[str, Any]] = {}
    for size in sorted({args.batch_size, args.rebuild_batch_size}):
        raws[size] = measured(functools.partial(read_and_decode, args.database_url, size))
        print(
            f"raw read and decode (batches of {size}): {raws[size]['events']:,} events in"
            f" {raws[size]['seconds']} s ({raws[size]['events_per_s']:,.0f}/s)",
            file=sys.stderr,
            flush=True,
        )
    raw = dict(max(raws.values(), key=lambda r: r["events_per_s"]))
    raw["by_batch_size"] = {str(k): v["events_per_s"] for k, v in raws.items()}
    loads["before_rebuild"] = load_average()
    rebuilt = measured(lambda: rebuild(args.database_url, args.rebuild_batch_size))
    print(
        f"rebuild: {rebuilt['events']:,} events in {rebuilt['seconds']} s"
        f" ({rebuilt['events_per_s']:,.0f}/s, ratio {rebuilt['events_per_s'] / raw['events_per_s']:.3f})",
        file=sys.stderr,
        flush=True,
    )
    loads["after_rebuild"] = load_average()
    vacuumed.append(vacuum(args.database_url))  # the old copy's rows, before serving
    workdir = Path(tempfile.mkdtemp(prefix="commonfund-rebuild-bench-"))
    served = serve_phases(args, history, workdir)
    loads["end"] = load_average()
    report = summary(
        args, history=history, raw=raw, rebuilt=rebuilt, served=served,
        wall=time.monotonic() - started,
    )  # fmt: skip
    report["load_average_1min"] = loads  # the machine is shared: who else was busy
    report["vacuum"] = vacuumed
    errors = report.get("statement_read", {}).get("errors", 0) + (
        served["lag"]["income"]["errors"] if "lag" in served else 0
    )
    if errors:
        print(f"kept for inspection: {workdir}", file=sys.stderr)
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, ensure_ascii=False))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
