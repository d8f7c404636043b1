"""Import and match a camt.053 of 100,000 entries against a ledger that holds them (issue #14).

    python bench/bank_import.py --entries 100000 --rounds 3

Builds once (kept in ``--work``, reused while ``--entries`` stays the same) a SQLite store
with one synthetic complex whose account holds ``--entries`` incomes over a year, half paid
by persons (their names sealed, as the bank's lines for them will be); writes a camt.053
statement of the same movements as the bank would report them (value dates shifted by up to
two days, counterparty names as banks write them: full-width, company suffixes).

Each round, on a fresh copy of that store:

- ``parse``: ``ledger.bank.formats.parse`` of the file alone;
- ``import``: what `commonfund bank import` does: parse, check, record every line once and
  match the account (``Ledger.import_bank_file``), all inside one write.

Rounds alternate the order of the two phases. The last line is a JSON object with the
medians, their ratio (target ≤ 3, goal 2) and the entries per second of the import; every
line must match (else exit 1).
"""

from __future__ import annotations

import argparse
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
from uuid import UUID

if __package__ in (None, ""):  # run as a script: make ``bench`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bank_files import camt053_bytes
from bench.one_complex import one_complex, writer
from commonfund.settings import Settings
from commonfund.synthetic import use_synthetic_identity_secret
from commonfund.wiring import migrate
from ledger.account.entries import IncomeDetails, Party
from ledger.application import Actor
from ledger.bank.feed import BankFeed, feed_id
from ledger.bank.formats import parse
from ledger.bank.statement import BankLine
from ledger.unit_of_work import Actor as BankActor

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

TODAY = date(2026, 11, 30)
ORGANISATIONS = ("青岛某停车管理有限公司", "青岛某广告传媒有限公司", "青岛海景物业管理有限公司")
SURNAMES = "王李张刘陈杨黄赵周吴"


def payer(i: int) -> Party:
    if i % 2:
        return Party(
            name=ORGANISATIONS[i % 3], kind="organisation", identity_key="", bank_account=""
        )
    return Party(
        name=f"{SURNAMES[i % 10]}{'伟芳娜敏静丽强磊军洋'[(i // 10) % 10]}{i % 97}",
        kind="individual", identity_key="", bank_account="",
    )  # fmt: skip


def as_the_bank_writes(name: str) -> str:
    """Full-width brackets and a different company suffix: what normalising takes away."""
    return name.replace("有限公司", "（有限公司）").replace("（有限公司）", "有限责任公司")


def build(work: Path, entries: int) -> tuple[Path, bytes, str]:
    """The store (built once per size) and the bank's file for it."""
    store = work / f"ledger-{entries}.sqlite"
    meta = work / f"ledger-{entries}.json"
    settings = Settings(database_url=f"sqlite:///{store}")
    if not (store.exists() and meta.exists()):
        for stale in work.glob(f"ledger-{entries}.*"):
            stale.unlink()
        migrate(settings)
        built = one_complex(settings, TODAY, prefix="BANK", name="银行对账小区")
        ledger = built.ledger
        try:
            actor = Actor("committee", "bench", "m1")
            opened = max(built.opened_on, TODAY - timedelta(days=360))
            days = (TODAY - timedelta(days=3) - opened).days
            for i in range(entries):
                details = IncomeDetails(
                    category="parking", payer=payer(i), amount=100_00 + i % 9_973,
                    value_date=opened + timedelta(days=(i * days) // entries),
                )  # fmt: skip
                ledger.record_income(
                    built.account_id, details, idempotency_key=f"in-{i}", actor=actor
                )
                if i % 10_000 == 0:
                    print(f"built {i} of {entries} entries", file=sys.stderr)
            number = ledger.account(built.account_id).account_number
        finally:
            ledger.close()
        meta.write_text(
            json.dumps(
                {
                    "account_id": str(built.account_id),
                    "opened": opened.isoformat(),
                    "account_number": number,
                }
            )
        )
    facts = json.loads(meta.read_text())
    account_id, opened = facts["account_id"], date.fromisoformat(facts["opened"])
    days = (TODAY - timedelta(days=3) - opened).days
    lines = []
    for i in range(entries):
        on = opened + timedelta(days=(i * days) // entries)
        shifted = on + timedelta(days=i % 3)  # the bank books up to two days later
        party = payer(i)
        lines.append(
            BankLine(
                key=f"QD{i:010d}", reference=f"QD{i:010d}", direction="credit",
                amount=100_00 + i % 9_973, booked_on=shifted, value_on=shifted,
                counterparty=as_the_bank_writes(party["name"]),
                counterparty_account="6222020000001234", remittance=f"停车费 {i}",
                transaction_code="PMNT/RCDT/DMCT", end_to_end_id=f"E2E{i}",
            )
        )  # fmt: skip
    data = camt053_bytes(
        lines, account_number=facts["account_number"], opening=0, statement_id="BENCH-STMT-1",
        message_id="BENCH-MSG-1",
    )  # fmt: skip
    return store, data, account_id


def time_parse(data: bytes) -> float:
    started = time.perf_counter()
    parse(data, "application/xml", None, max_bytes=None)
    return time.perf_counter() - started


def time_import(store: Path, data: bytes, account_id: str, entries: int) -> float:
    copy = store.with_suffix(".round.sqlite")
    shutil.copyfile(store, copy)
    settings = Settings(database_url=f"sqlite:///{copy}")
    ledger = writer(settings, TODAY)
    try:
        account = UUID(account_id)
        ledger.account(account)  # the account is loaded, as in a running server
        started = time.perf_counter()
        bank_file = parse(data, "application/xml", None, max_bytes=None)
        receipt = ledger.import_bank_file(account, bank_file, actor=BankActor("bank", "bench"))
        spent = time.perf_counter() - started
        feed = ledger.read(feed_id(account), BankFeed)
        if receipt.lines != entries or len(feed.line_match) != entries:
            raise SystemExit(
                f"recorded {receipt.lines} lines, matched {len(feed.line_match)} of {entries}"
            )
        return spent
    finally:
        ledger.close()
        copy.unlink(missing_ok=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", default=str(Path(tempfile.gettempdir()) / "commonfund-bank"))
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    store, data, account_id = build(work, args.entries)
    parses: list[float] = []
    imports: list[float] = []
    for round_ in range(args.rounds):
        if round_ % 2:
            imports.append(time_import(store, data, account_id, args.entries))
            parses.append(time_parse(data))
        else:
            parses.append(time_parse(data))
            imports.append(time_import(store, data, account_id, args.entries))
        print(f"round {round_ + 1}: parse {parses[-1]:.2f} s, import {imports[-1]:.2f} s",
              file=sys.stderr)  # fmt: skip
    parse_s, import_s = statistics.median(parses), statistics.median(imports)
    print(
        json.dumps(
            {
                "benchmark": "bank_import",
                "entries": args.entries,
                "bytes": len(data),
                "parse_seconds": round(parse_s, 3),
                "import_and_match_seconds": round(import_s, 3),
                "ratio": round(import_s / parse_s, 2),
                "entries_per_second": round(args.entries / import_s),
                "parse_runs": [round(t, 3) for t in parses],
                "import_runs": [round(t, 3) for t in imports],
                "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
                "store": "sqlite",
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
