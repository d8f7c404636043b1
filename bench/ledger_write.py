"""Ledger write throughput on PostgreSQL against plain psycopg inserts of the same rows.

Application: ``Ledger.record_income`` round-robin over many accounts, each call
a full command (load from cache, validate, hash-chain, one transaction under
the events table's EXCLUSIVE lock, snapshot every 200 events).
Raw: the same number of rows, of the same shape and size, inserted with plain
psycopg into a table like the events table, under the same table lock, one row
per transaction. The two phases alternate ``--rounds`` times; the medians are
compared. The last line printed is a JSON object with both rates and ``ratio``.

    python bench/ledger_write.py --events 2000 --accounts 50 --rounds 5 \
        --database-url postgresql://postgres@127.0.0.1:5432/commonfund_bench
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg

from commonfund.settings import Settings
from commonfund.synthetic import use_synthetic_identity_secret
from commonfund.wiring import build_ledger, committee_notices, migrate, personal_keys
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Actor, Ledger
from ledger.committees.committee import Member
from ledger.complexes.complex import Unit

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

TODAY = date(2026, 11, 26)
OPERATOR = Actor("operator", "bench")
PAYER = Party(name="青岛某停车管理有限公司", kind="organisation", identity_key="", bank_account="")
RAW_TABLE = "bench_raw_events"
# eventsourcing's own defaults: no aggregate cache, so every command replays from the
# latest snapshot; with a cache, fast-forward and deep copy on (see docs/benchmarks.md).
LIBRARY_DEFAULTS = {
    "AGGREGATE_CACHE_MAXSIZE": "",
    "AGGREGATE_CACHE_FASTFORWARD": "y",
    "DEEPCOPY_FROM_AGGREGATE_CACHE": "y",
}


def clock() -> datetime:
    return datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def open_accounts(ledger: Ledger, count: int, run: str) -> list[uuid.UUID]:
    """Complexes with a sealed committee and an open account, through the application."""
    accounts = []
    elected = TODAY - timedelta(days=60)
    team = [
        Member(
            member_id=f"m{i}",
            name=f"委员{i}",
            identity_key=key(f"{run}m{i}"),
            role="chair" if i == 1 else "member",
            signatory=i <= 3,
        )
        for i in range(1, 6)
    ]
    for n in range(count):
        units = {
            f"1-{i}": Unit(
                building="1", area=9_000, owner_key=key(f"{run}-{n}-{i}"), developer_held=False
            )
            for i in range(1, 8)
        }
        complex_id = uuid.UUID(
            ledger.register_complex(
                code=f"BENCH-{run}-{n}",
                name=f"基准小区{n}",
                district="370202",
                street="370202001",
                community="370202001001",
                units=units,
                actor=OPERATOR,
            ).id
        )
        resolution = ledger.record_resolution(
            complex_id,
            idempotency_key="elect",
            matter=3,
            purpose="选举",
            amount_cap=None,
            period_from=elected,
            period_to=elected,
            scope_units=None,
            participated=list(units),
            consented=list(units),
            closed_on=elected,
            actor=OPERATOR,
        )
        committee = uuid.UUID(
            ledger.elect_committee(
                complex_id,
                election_resolution_id=uuid.UUID(resolution.id),
                elected_on=elected,
                term_end=elected + timedelta(days=1000),
                members=team,
                actor=OPERATOR,
            ).id
        )
        ledger.file_committee(
            committee, number="F", authority="市南区住建局", filed_on=elected, actor=OPERATOR
        )
        ledger.seal_committee(committee, seal_number="S", sealed_on=elected, actor=OPERATOR)
        accounts.append(
            uuid.UUID(
                ledger.open_account(
                    complex_id,
                    bank="青岛银行",
                    account_number=f"62{n:010d}",
                    signatories=["m1", "m2"],
                    opened_on=elected,
                    actor=OPERATOR,
                ).id
            )
        )
    return accounts


def application_phase(ledger: Ledger, accounts: list[uuid.UUID], events: int, tag: str) -> float:
    actor = Actor("committee", "bench", "m1")
    started = time.perf_counter()
    for i in range(events):
        details = IncomeDetails(
            category="parking",
            payer=PAYER,
            amount=100 + i % 997,
            value_date=TODAY,
            contract_ref="TC-2026-018",
        )
        ledger.record_income(
            accounts[i % len(accounts)], details, idempotency_key=f"{tag}-{i}", actor=actor
        )
    return events / (time.perf_counter() - started)


def sample_state(url: str) -> tuple[str, bytes]:
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT topic, state FROM ledger_events WHERE topic LIKE '%IncomeRecorded'"
            " ORDER BY notification_id DESC LIMIT 1"
        ).fetchone()
    if row is None:
        raise SystemExit("no IncomeRecorded event was written: the application phase failed")
    return row[0], bytes(row[1])


def raw_phase(url: str, events: int, topic: str, state: bytes) -> float:
    """One row per transaction under the same EXCLUSIVE lock the recorder takes."""
    streams = [uuid.uuid4() for _ in range(50)]
    versions = dict.fromkeys(streams, 0)
    with psycopg.connect(url) as conn:
        started = time.perf_counter()
        for i in range(events):
            stream = streams[i % len(streams)]
            versions[stream] += 1
            with conn.transaction():
                conn.execute(f"LOCK TABLE {RAW_TABLE} IN EXCLUSIVE MODE")
                conn.execute(
                    f"INSERT INTO {RAW_TABLE} (originator_id, originator_version, topic, state)"
                    " VALUES (%s, %s, %s, %s) RETURNING notification_id",
                    (stream, versions[stream], topic, state),
                ).fetchone()
        return events / (time.perf_counter() - started)


def prepare_raw_table(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"DROP TABLE IF EXISTS {RAW_TABLE}")
        conn.execute(
            f"CREATE TABLE {RAW_TABLE} (originator_id uuid NOT NULL,"
            " originator_version bigint NOT NULL, topic text, state bytea,"
            " notification_id bigserial, PRIMARY KEY (originator_id, originator_version))"
        )
        conn.execute(f"CREATE UNIQUE INDEX ON {RAW_TABLE} (notification_id ASC)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=2000, help="events per phase and round")
    parser.add_argument("--accounts", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--compare-defaults",
        action="store_true",
        help="also time the library's default command path (no aggregate cache) in each round",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "COMMONFUND_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/commonfund_bench"
        ),
    )
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url)
    if not settings.is_postgres:
        parser.error("the benchmark measures PostgreSQL: give a postgresql:// --database-url")
    migrate(settings)
    prepare_raw_table(args.database_url)
    ledger = build_ledger(settings, clock)  # as `commonfund serve` builds it
    # and, as serve does, hear committee changes: the member-in-office check (H15) then reads
    # the committee from the cache while no notice names it (migrations/0012)
    hearing, stop = committee_notices(settings, ledger), threading.Event()
    listener = threading.Thread(target=hearing.run, args=(stop,), daemon=True)
    listener.start()
    if not hearing.listening.wait(10):
        raise SystemExit("the committee notices never started listening")
    default_ledger = Ledger(
        personal=personal_keys(settings),
        env={**settings.eventsourcing_env(), **LIBRARY_DEFAULTS},
        policy=settings.policy(),
        clock=clock,
    )
    run = uuid.uuid4().hex[:8]
    try:
        accounts = open_accounts(ledger, args.accounts, run)
        application_phase(ledger, accounts, min(200, args.events), f"{run}-warm")  # warm caches
        topic, state = sample_state(args.database_url)
        app_rates, raw_rates, default_rates = [], [], []
        for r in range(args.rounds):
            app_rates.append(application_phase(ledger, accounts, args.events, f"{run}-{r}"))
            raw_rates.append(raw_phase(args.database_url, args.events, topic, state))
            print(
                f"round {r + 1}: application {app_rates[-1]:.0f}/s, raw {raw_rates[-1]:.0f}/s",
                flush=True,
            )
        # After the main rounds, so that its writes do not leave the fast path's cache stale.
        for r in range(args.rounds if args.compare_defaults else 0):
            default_rates.append(
                application_phase(default_ledger, accounts, args.events, f"{run}-d{r}")
            )
            print(f"round {r + 1}: library default path {default_rates[-1]:.0f}/s", flush=True)
    finally:
        stop.set()
        listener.join(10)
        default_ledger.close()
        ledger.close()
    app_median, raw_median = statistics.median(app_rates), statistics.median(raw_rates)
    print(
        json.dumps(
            {
                "benchmark": "ledger_write",
                "events_per_round": args.events,
                "rounds": args.rounds,
                "accounts": args.accounts,
                "application_events_per_s": round(app_median, 1),
                "raw_rows_per_s": round(raw_median, 1),
                "ratio": round(app_median / raw_median, 3),
                "library_default_path_events_per_s": (
                    round(statistics.median(default_rates), 1) if default_rates else None
                ),
                "library_default_path_ratio": (
                    round(statistics.median(default_rates) / raw_median, 3)
                    if default_rates
                    else None
                ),
                "application_rounds": [round(x, 1) for x in app_rates],
                "raw_rounds": [round(x, 1) for x in raw_rates],
                "state_bytes": len(state),
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
