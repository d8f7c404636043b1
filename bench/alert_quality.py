"""Precision and recall of the alert rules on the synthetic city (issue #5, acceptance; B01–B07,
issue #14).

    python bench/alert_quality.py --scale 0.05 [--seed 1] [--today 2026-11-26]
        [--database-url URL] [--manifest PATH] [--reuse]

1. **The city.** ``bench/city.py``'s code builds it through the ``Ledger`` and
   writes the manifest of planted anomalies. Without ``--database-url`` the city
   goes into a fresh SQLite file in a temporary directory (removed at the end).
   With ``--reuse`` an existing manifest and a database that holds the city's
   complexes are used as they are (the city is built only if either is missing;
   a partly built database is refused rather than mixed with a new build).
2. **The alerts.** The supervision read model catches up with the log, every
   account with a bank feed is matched again (``reconcile_feeds``, as the daily
   run does before its tick), one clock-rule run (``SupervisionClock`` tick) is
   recorded for the generator's ``today`` and applied, and every alert of the
   serving copy is read.
3. **The comparison.** Each alert is put in one class:

   - ``planted``: its rule is one of an anomaly's ``expected_rules``, on one of
     the anomaly's subjects (its account; A20: its complex's committee; for the
     maintenance fund's, the project and the units), and its evidence names one
     of the anomaly's expenditures (the booked payments or the refused attempt,
     or payout) or, for a bank difference (issue #14), one of its ``bank_keys``:
     the bank line (B01, B02), the entry (B03), the statement (B04, B06, B07),
     or B05's trigger ``quiet/<last statement end>``;
   - ``related``: its rule is one of an anomaly's ``related_rules``, on the
     anomaly's complex (the generator says the setting may trip it);
   - ``predicted``: a clock rule the generator's description names for normal
     activity: A08 on every complex (it publishes no statement), A07 and A21 on
     the committee of a complex built with an expired term;
   - ``unexplained``: anything else, an alert on normal activity the generator
     does not predict.

   ``bank_rules`` gives recall and precision rule by rule for B01–B07 (the same
   bar: recall 1.0, no unexplained alert).

   **Recall** is the share of (anomaly, expected rule) pairs found;
   ``anomalies_found`` counts the anomalies whose every expected rule was found.
   **Precision** is the share of alerts the generator accounts for (planted,
   related or predicted); ``event_rule_precision`` is the same over the alerts of
   the event rules only (the clock rules' predicted alerts left out), and
   ``planted_precision`` is planted / (planted + unexplained). The predicted
   clock alerts are checked too: ``predicted_missing`` lists the complexes with
   no A08, and expired-term committees with no A21.

The last line printed is a JSON object with these figures, counts per rule and
class, and every unexplained alert (rule, subject, trigger, explanation).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

from commonfund.scheduler import reconcile_feeds
from commonfund.settings import Settings
from commonfund.synthetic import BusinessClock, plan_city, use_synthetic_identity_secret
from commonfund.wiring import personal_keys, supervision_runner
from ledger import ids
from ledger.application import Actor, Ledger
from ledger.errors import NotFound
from projections.db import Database
from projections.supervision import ticks
from projections.supervision.catalog import DEFAULT_CATALOG

use_synthetic_identity_secret()  # made-up data: a made-up identity secret

DEFAULT_TODAY = date(2026, 11, 26)
CLOCK_RULES = frozenset(
    ("A07", "A08", "A10", "A11", "A13", "A21", "B01", "B02", "B03", "B04", "B05")
)
# What the generator's description (commonfund/synthetic.py) predicts on normal activity.
EVERY_COMPLEX = ("A08",)  # no statement is ever published
EXPIRED_TERM = ("A07", "A21")  # on the committee of a complex whose term has ended
OPERATOR = Actor("operator", "alert-quality")
BANK_RULES = ("B01", "B02", "B03", "B04", "B05", "B06", "B07")


def load_city() -> ModuleType:
    """``bench/city.py`` as a module (``bench`` is a directory of scripts, not a package)."""
    path = Path(__file__).resolve().parent / "city.py"
    spec = importlib.util.spec_from_file_location("bench_city", path)
    if spec is None or spec.loader is None:
        raise ImportError(path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


# --- the city ----------------------------------------------------------------------------


def city_ledger(settings: Settings, today: date) -> Ledger:
    return Ledger(
        personal=personal_keys(settings),
        env=settings.eventsourcing_env(),
        policy=settings.policy(),
        clock=BusinessClock(today, settings.timezone),
    )


def holds_city(settings: Settings, scale: float, seed: int, today: date) -> bool:
    """Whether the database holds the plan's first complex (the build writes it first)."""
    plan = plan_city(scale, seed=seed, today=today, identity_secret=settings.identity_secret)
    try:
        ledger = city_ledger(settings, today)
    except Exception:  # noqa: BLE001 - no database or no tables: nothing built
        return False
    try:
        ledger.complex(ids.complex_id(plan.specs[0].code))
    except NotFound:
        return False
    except Exception:  # noqa: BLE001 - tables missing: nothing built
        return False
    finally:
        ledger.close()
    return True


def ensure_city(
    *, scale: float, seed: int, today: date, database_url: str, manifest: Path, reuse: bool
) -> dict[str, Any]:
    """Build the city unless ``reuse`` finds it complete; the build's summary.

    The manifest is the mark of a complete build: ``bench/city.py`` writes it only
    once every complex is built and every anomaly planted, and it is removed here
    before a build starts.
    """
    settings = Settings(database_url=database_url)
    held = holds_city(settings, scale, seed, today)
    if reuse and held and manifest.exists():
        meta = json.loads(manifest.read_text(encoding="utf-8"))
        if (meta["scale"], meta["seed"], meta["today"]) != (scale, seed, today.isoformat()):
            raise SystemExit(f"{manifest} describes another city: give a fresh database")
        return {"reused": True, "complexes": meta["complexes"]}
    if held:
        raise SystemExit(
            f"the database already holds (part of) this city but {manifest} does not say it is"
            " complete: give a fresh database"
        )
    manifest.unlink(missing_ok=True)
    started = time.perf_counter()
    outcome = load_city().run(
        scale=scale, seed=seed, today=today, database_url=database_url, manifest_path=manifest,
        progress=False,
    )  # fmt: skip
    summary: dict[str, Any] = dict(outcome.summary)
    summary["reused"] = False
    summary["wall_seconds"] = round(time.perf_counter() - started, 1)
    return summary


# --- the alerts ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    rule: str
    subject_kind: str
    subject_id: str
    complex_id: str
    trigger: str
    evidence: dict[str, Any]
    explanation_en: str
    raised_on: str
    status: str


def read_alerts(database: Database) -> list[Alert]:
    """Every alert of the serving copy of the supervision read model."""
    with database.reading() as tx:
        rows = tx.execute(
            "SELECT rule, subject_kind, subject_id, complex_id, trigger_key, evidence,"
            " explanation_en, raised_on, status FROM alerts WHERE generation ="
            " (SELECT generation FROM projection_state WHERE name = 'supervision')"
            " ORDER BY rule, complex_id, subject_id, trigger_key"
        )
    return [
        Alert(
            str(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), json.loads(r[5]), str(r[6]),
            str(r[7]), str(r[8]),
        )
        for r in rows
    ]  # fmt: skip


def supervise(database_url: str, today: date, *, batch_size: int = 500) -> dict[str, Any]:
    """Catch the supervision read model up, record and apply the tick of ``today``."""
    settings = Settings(database_url=database_url)
    ledger = city_ledger(settings, today)
    runner = supervision_runner(settings, ledger, batch_size=batch_size)
    try:
        started = time.perf_counter()
        events = runner.catch_up()
        caught_up = time.perf_counter() - started
        # as the daily run does (commonfund/scheduler.py): match every feed, then the tick
        started = time.perf_counter()
        matched = reconcile_feeds(ledger, feed_accounts(runner.database), OPERATOR)
        reconciled = time.perf_counter() - started
        receipt = ledger.tick_supervision(today, actor=OPERATOR)
        started = time.perf_counter()
        runner.catch_up()
        swept = time.perf_counter() - started
        found = ticks.tick(runner.database, today.isoformat())
        if found is None:
            raise SystemExit(f"the tick of {today} was recorded but not applied")
    finally:
        runner.database.close()
        ledger.close()
    return {
        "events": events,
        "catch_up_seconds": round(caught_up, 2),
        "reconcile_matched": matched,
        "reconcile_seconds": round(reconciled, 2),
        "tick_replayed": receipt.replayed,
        "tick_position": found.position,
        "tick_raised": found.raised,
        "tick_seconds": round(swept, 2),
    }


def feed_accounts(database: Database) -> list[str]:
    """The accounts with a bank feed, as the supervision read model knows them (issue #14)."""
    with database.reading() as tx:
        rows = tx.execute(
            "SELECT account_id FROM sup_bank_feeds WHERE generation ="
            " (SELECT generation FROM projection_state WHERE name = 'supervision')"
            " ORDER BY account_id"
        )
    return [str(r[0]) for r in rows]


def committees(database: Database) -> dict[str, str]:
    """complex id -> the committee id of each complex (the supervision read model's facts)."""
    with database.reading() as tx:
        rows = tx.execute(
            "SELECT complex_id, committee_id FROM sup_committees WHERE generation ="
            " (SELECT generation FROM projection_state WHERE name = 'supervision')"
        )
    by_complex: dict[str, str] = {}
    for complex_id, committee_id in rows:
        by_complex.setdefault(str(complex_id), str(committee_id))
    return by_complex


# --- the comparison ----------------------------------------------------------------------


@dataclass(slots=True)
class Quality:
    classes: Counter[str] = field(default_factory=Counter)
    per_rule: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    unexplained: list[dict[str, Any]] = field(default_factory=list)
    found_pairs: int = 0
    expected_pairs: int = 0
    anomalies_found: int = 0
    missed: list[dict[str, Any]] = field(default_factory=list)
    predicted_missing: list[dict[str, str]] = field(default_factory=list)
    planted_to: dict[int, set[str]] = field(default_factory=dict)


def rule_quality(q: Quality, manifest: dict[str, Any], rules: Sequence[str]) -> dict[str, Any]:
    """Recall and precision rule by rule (the bank rules B01–B07, issue #14): recall over the
    anomalies that expect the rule, precision over the rule's alerts."""
    out: dict[str, Any] = {}
    for rule in rules:
        wanted = [n for n, a in enumerate(manifest["anomalies"]) if rule in a["expected_rules"]]
        found = sum(1 for n in wanted if rule in q.planted_to.get(n, set()))
        counts = q.per_rule.get(rule, Counter())
        alerts = sum(counts.values())
        out[rule] = {
            "expected": len(wanted), "found": found,
            "recall": round(found / len(wanted), 4) if wanted else 1.0,
            "alerts": alerts, "planted": counts["planted"], "related": counts["related"],
            "unexplained": counts["unexplained"],
            "precision": round((alerts - counts["unexplained"]) / alerts, 4) if alerts else 1.0,
        }  # fmt: skip
    return out


def _named(alert: Alert) -> set[str]:
    """The expenditure ids an alert's evidence names; for the bank rules (issue #14) its bank
    line (B01, B02), entry (B03), statement (B04, B06, B07) or, for B05, its trigger."""
    named = {str(x) for x in alert.evidence.get("entries", [])}
    for field_ in ("expenditure_id", "disbursement_id", "bank_line", "statement"):
        if alert.evidence.get(field_):
            named.add(str(alert.evidence[field_]))
    if alert.rule == "B05":
        named.add(alert.trigger)
    return named


def compare(
    alerts: Sequence[Alert], manifest: dict[str, Any], complexes: dict[str, str]
) -> Quality:
    """Put every alert in its class; find each anomaly's expected rules (see the docstring)."""
    q = Quality()
    anomalies = manifest["anomalies"]
    codes = {str(ids.complex_id(a["complex_code"])): a["complex_code"] for a in anomalies}
    expired = {str(ids.complex_id(code)) for code in manifest["expired_term_complexes"]}
    expired_committees = {complexes[c] for c in expired if c in complexes}
    planted_to: dict[int, set[str]] = defaultdict(set)  # anomaly index -> rules found
    q.planted_to = planted_to
    for alert in alerts:
        kind = "unexplained"
        for n, a in enumerate(anomalies):
            if (
                alert.rule in a["expected_rules"]
                and alert.subject_id in a["subject_ids"]
                and _named(alert) & {*a["expenditure_ids"], *a.get("bank_keys", [])}
            ):
                kind = "planted"
                planted_to[n].add(alert.rule)
                break
        if kind == "unexplained" and (
            (alert.rule in EVERY_COMPLEX and alert.subject_kind == "complex")
            or (alert.rule in EXPIRED_TERM and alert.subject_id in expired_committees)
        ):
            kind = "predicted"
        if kind == "unexplained" and any(
            alert.rule in a["related_rules"] and alert.complex_id == a["complex_id"]
            for a in anomalies
        ):
            kind = "related"
        q.classes[kind] += 1
        q.per_rule[alert.rule][kind] += 1
        if kind == "unexplained":
            q.unexplained.append(
                {
                    "rule": alert.rule, "subject": f"{alert.subject_kind}:{alert.subject_id}",
                    "complex": codes.get(alert.complex_id, alert.complex_id),
                    "trigger": alert.trigger, "raised_on": alert.raised_on,
                    "explanation": alert.explanation_en,
                }
            )  # fmt: skip
    for n, a in enumerate(anomalies):
        q.expected_pairs += len(a["expected_rules"])
        got = planted_to[n] & set(a["expected_rules"])
        q.found_pairs += len(got)
        if got == set(a["expected_rules"]):
            q.anomalies_found += 1
        else:
            q.missed.append(
                {
                    "kind": a["kind"], "complex": a["complex_code"],
                    "missing": sorted(set(a["expected_rules"]) - got),
                }
            )  # fmt: skip
    with_a08 = {x.subject_id for x in alerts if x.rule == "A08"}
    for complex_id, committee_id in sorted(complexes.items()):
        if complex_id not in with_a08:
            q.predicted_missing.append({"rule": "A08", "complex": complex_id})
        if complex_id in expired and not any(
            x.rule == "A21" and x.subject_id == committee_id for x in alerts
        ):
            q.predicted_missing.append({"rule": "A21", "committee": committee_id})
    return q


def report(q: Quality, manifest: dict[str, Any], alerts: Sequence[Alert]) -> dict[str, Any]:
    total = sum(q.classes.values())
    explained = total - q.classes["unexplained"]
    event_alerts = [a for a in alerts if a.rule not in CLOCK_RULES]
    event_unexplained = sum(
        n for rule, c in q.per_rule.items() if rule not in CLOCK_RULES for k, n in c.items()
        if k == "unexplained"
    )  # fmt: skip
    planted = q.classes["planted"]
    return {
        "scale": manifest["scale"],
        "seed": manifest["seed"],
        "today": manifest["today"],
        "complexes": manifest["complexes"],
        "anomalies": len(manifest["anomalies"]),
        "expired_term_complexes": len(manifest["expired_term_complexes"]),
        "recall": round(q.found_pairs / q.expected_pairs, 4) if q.expected_pairs else 1.0,
        "anomalies_found": q.anomalies_found,
        "precision": round(explained / total, 4) if total else 1.0,
        "event_rule_precision": (
            round((len(event_alerts) - event_unexplained) / len(event_alerts), 4)
            if event_alerts
            else 1.0
        ),
        "planted_precision": (
            round(planted / (planted + q.classes["unexplained"]), 4)
            if planted + q.classes["unexplained"]
            else 1.0
        ),
        "alerts": total,
        "classes": dict(sorted(q.classes.items())),
        "per_rule": {rule: dict(sorted(c.items())) for rule, c in sorted(q.per_rule.items())},
        "bank_rules": rule_quality(q, manifest, BANK_RULES),
        "bank_feeds": len(manifest.get("bank_feeds", [])),
        "rules_in_catalog": sorted(DEFAULT_CATALOG.rules),
        "unexplained": q.unexplained,
        "missed": q.missed,
        "predicted_missing": q.predicted_missing,
    }


def measure(
    *, scale: float, seed: int, today: date, database_url: str, manifest: Path, reuse: bool
) -> dict[str, Any]:
    """Build (or reuse) the city, supervise it for ``today``, compare; the report."""
    city = ensure_city(
        scale=scale, seed=seed, today=today, database_url=database_url, manifest=manifest,
        reuse=reuse,
    )  # fmt: skip
    supervised = supervise(database_url, today)
    return evaluate(database_url, manifest) | {"city": city, "supervision": supervised}


def evaluate(database_url: str, manifest: Path) -> dict[str, Any]:
    """Compare the alerts of a supervised city with its manifest."""
    meta = json.loads(manifest.read_text(encoding="utf-8"))
    settings = Settings(database_url=database_url)
    from commonfund.wiring import read_models  # noqa: PLC0415 - keeps the top import list short

    database = read_models(settings)
    try:
        alerts = read_alerts(database)
        quality = compare(alerts, meta, committees(database))
    finally:
        database.close()
    return report(quality, meta, alerts)


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text} is not a fraction of the city in (0, 1]")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=_fraction, default=0.05, help="fraction of Qingdao")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--today", type=date.fromisoformat, default=DEFAULT_TODAY)
    parser.add_argument(
        "--database-url", help="default: a fresh SQLite file in a temporary directory"
    )
    parser.add_argument("--manifest", type=Path, help="default: beside the database")
    parser.add_argument(
        "--reuse", action="store_true", help="use the city already in --database-url"
    )
    args = parser.parse_args(argv)
    workdir = None
    if args.database_url is None:
        workdir = Path(tempfile.mkdtemp(prefix="commonfund-alert-quality-"))
        args.database_url = f"sqlite:///{workdir / 'city.sqlite3'}"
    if args.manifest is None:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", args.database_url.rsplit("/", 1)[-1])
        args.manifest = (workdir or Path("var") / "alert-quality") / f"{name}.manifest.json"
    try:
        result = measure(
            scale=args.scale, seed=args.seed, today=args.today, database_url=args.database_url,
            manifest=args.manifest, reuse=args.reuse,
        )  # fmt: skip
    finally:
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)
    for line in result["unexplained"][:20]:
        print(
            f"unexplained {line['rule']} {line['complex']} {line['subject']} [{line['trigger']}]"
            f" {line['explanation']}",
            file=sys.stderr,
        )
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
