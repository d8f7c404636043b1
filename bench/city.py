"""Build a synthetic Qingdao at a fraction of its size through the ledger, and time it.

    python bench/city.py --scale 0.005 [--seed 1] [--today 2026-11-26]
        [--database-url sqlite:///var/city.sqlite3] [--manifest var/city-manifest.json]

At ``--scale F`` the city has round(4,000·F) complexes (at least 2: a complex
whose committee's term has ended cannot host the other anomalies) across the
ten districts, weighted by population, and round(2,540,000·F) units. Every
write goes through the ``Ledger`` application (see ``commonfund/synthetic.py``
for what each complex holds). The planted anomalies go to a manifest JSON file
(deterministic: same seed, scale and date, same content); the last line printed
is a JSON summary with the timing. Migrations are applied first. The database
must not already hold this city.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from commonfund.settings import Settings
from commonfund.synthetic import (
    BusinessClock,
    CityResult,
    build_city,
    plan_city,
    use_synthetic_identity_secret,
)
from commonfund.wiring import migrate, personal_keys
from ledger import ids
from ledger.application import Ledger
from ledger.errors import NotFound

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

DEFAULT_TODAY = date(2026, 11, 26)
DEFAULT_MANIFEST = Path("var") / "city-manifest.json"


@dataclass(frozen=True, slots=True)
class CityRun:
    summary: dict[str, Any]
    result: CityResult


def run(
    *,
    scale: float,
    seed: int = 1,
    today: date = DEFAULT_TODAY,
    database_url: str | None = None,
    manifest_path: Path = DEFAULT_MANIFEST,
    progress: bool = False,
) -> CityRun:
    """Migrate, build the city, write the manifest; return the summary and what was built."""
    settings = Settings(database_url=database_url) if database_url else Settings()
    migrate(settings)
    plan = plan_city(scale, seed=seed, today=today, identity_secret=settings.identity_secret)
    clock = BusinessClock(today, settings.timezone)
    ledger = Ledger(
        personal=personal_keys(settings),
        env=settings.eventsourcing_env(),
        policy=settings.policy(),
        clock=clock,
    )
    try:
        first = plan.specs[0].code
        try:
            ledger.complex(ids.complex_id(first))
        except NotFound:
            pass
        else:
            raise SystemExit(f"the database already holds complex {first}: use a fresh database")
        before = ledger.recorder.max_notification_id() or 0
        started = time.perf_counter()
        result = build_city(ledger, plan, progress=_report if progress else None)
        seconds = time.perf_counter() - started
        events = (ledger.recorder.max_notification_id() or 0) - before
    finally:
        ledger.close()
    manifest_path.parent.mkdir(parents=True, exist_ok=True)
    manifest_path.write_text(
        json.dumps(result.manifest(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    kinds: dict[str, int] = {}
    for anomaly in result.anomalies:
        kinds[anomaly["kind"]] = kinds.get(anomaly["kind"], 0) + 1
    summary = {
        "scale": scale,
        "seed": seed,
        "today": today.isoformat(),
        "store": "postgresql" if settings.is_postgres else "sqlite",
        "complexes": len(result.built),
        "units": sum(b.units for b in result.built),
        "events": events,
        "anomalies": kinds,
        "manifest": str(manifest_path),
        "seconds": round(seconds, 2),
        "events_per_second": round(events / seconds, 1) if seconds else None,
    }
    return CityRun(summary=summary, result=result)


def _report(done: int, total: int) -> None:
    if done == total or done % max(1, total // 20) == 0:
        print(f"built {done}/{total} complexes", file=sys.stderr, flush=True)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction of the city in (0, 1]")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--scale", type=_fraction, required=True, help="fraction of Qingdao, (0, 1]"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--today", type=date.fromisoformat, default=DEFAULT_TODAY, help="business date, YYYY-MM-DD"
    )
    parser.add_argument(
        "--database-url", help="default: COMMONFUND_DATABASE_URL or the SQLite file under var/"
    )
    parser.add_argument("--manifest", type=Path, default=DEFAULT_MANIFEST)
    parser.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    args = parser.parse_args(argv)
    outcome = run(
        scale=args.scale,
        seed=args.seed,
        today=args.today,
        database_url=args.database_url,
        manifest_path=args.manifest,
        progress=not args.quiet,
    )
    print(json.dumps(outcome.summary, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
