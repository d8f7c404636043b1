"""Loading an account with 5,000 entries: cold from its snapshot, against full replay, and cached.

    python bench/account_load.py --entries 5000 [--database-url postgresql://…] [--repeat 7]

Builds one synthetic complex through the application, records ``--entries``
income entries on its account, then, in a new ``Ledger`` (empty cache) each
time, loads the account the normal way (latest snapshot plus the events after
it) and by replaying every event from the start. Prints the medians; the last
line is a JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.one_complex import one_complex
from commonfund.settings import Settings
from commonfund.synthetic import (
    use_synthetic_identity_secret,
)
from commonfund.wiring import migrate, personal_keys
from ledger.account import CommonFundAccount
from ledger.account.entries import IncomeDetails, Party
from ledger.application import AccountSummary, Actor, Ledger

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

TODAY = date(2026, 11, 26)
PAYER = Party(name="青岛某停车管理有限公司", kind="organisation", identity_key="", bank_account="")


def cold_load(settings: Settings, account_id: UUID, expected: AccountSummary) -> float:
    reader = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), policy=settings.policy()
    )
    try:
        reader.recorder.max_notification_id()  # open the pool's connection outside the timing
        started = time.perf_counter()
        loaded = reader.account_summary(account_id)
        elapsed = time.perf_counter() - started
    finally:
        reader.close()
    if loaded != expected:
        raise SystemExit("the account loaded from its snapshot differs from the written one")
    return elapsed


def full_replay(settings: Settings, account_id: UUID, expected: AccountSummary) -> float:
    reader = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), policy=settings.policy()
    )
    try:
        reader.recorder.max_notification_id()
        started = time.perf_counter()
        state: Any = None
        for event in reader.events.get(account_id):
            state = event.mutate(state)  # type: ignore[attr-defined]
        elapsed = time.perf_counter() - started
    finally:
        reader.close()
    if not isinstance(state, CommonFundAccount) or state.balance != expected.balance:
        raise SystemExit("the replayed account differs from the written one")
    return elapsed


def warm_summary(settings: Settings, account_id: UUID) -> float:
    reader = Ledger(
        personal=personal_keys(settings), env=settings.eventsourcing_env(), policy=settings.policy()
    )
    try:
        reader.account_summary(account_id)
        started = time.perf_counter()
        reader.account_summary(account_id)
        return time.perf_counter() - started
    finally:
        reader.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "COMMONFUND_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/commonfund_bench"
        ),
    )
    args = parser.parse_args()
    settings = Settings(database_url=args.database_url)
    migrate(settings)
    built = one_complex(settings, TODAY, prefix="LOAD", name="负载小区")
    writer, account_id = built.ledger, built.account_id
    try:
        actor = Actor("committee", "bench", "m1")
        for i in range(args.entries):
            details = IncomeDetails(
                category="parking", payer=PAYER, amount=100 + i % 500, value_date=TODAY
            )
            writer.record_income(account_id, details, idempotency_key=f"load-{i}", actor=actor)
        expected = writer.account_summary(account_id)
    finally:
        writer.close()

    snapshot_ms = [cold_load(settings, account_id, expected) * 1000 for _ in range(args.repeat)]
    warm_ms = [warm_summary(settings, account_id) * 1000 for _ in range(args.repeat)]
    replay_ms = [full_replay(settings, account_id, expected) * 1000 for _ in range(args.repeat)]
    print(
        json.dumps(
            {
                "benchmark": "account_load",
                "entries": args.entries,
                "account_version": expected.version,
                "cold_load_ms_median": round(statistics.median(snapshot_ms), 1),
                "full_replay_ms_median": round(statistics.median(replay_ms), 1),
                "cached_summary_ms_median": round(statistics.median(warm_ms), 2),
                "cold_load_ms": [round(x, 1) for x in snapshot_ms],
                "full_replay_ms": [round(x, 1) for x in replay_ms],
                "store": "postgresql" if settings.is_postgres else "sqlite",
            }
        )
    )


if __name__ == "__main__":
    main()
