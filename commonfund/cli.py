"""The ``commonfund`` command line: serve, migrate, demo, verify, project, rebuild, supervise, rules, tokens, keys."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import ValidationError

from api.admin import check_scope
from api.ports import ROLES
from api.schemas import TokenCreate
from commonfund import job_reports, progress
from commonfund.bank_import import import_file
from commonfund.demo import load_demo
from commonfund.dry_run import Outcome, dry_run
from commonfund.erasure import erase, person_of
from commonfund.maintenance_interest import allocate, read_advices
from commonfund.personal_data import PersonalKeys
from commonfund.scheduler import reconcile_feeds
from commonfund.server import build_stores
from commonfund.serving import serve
from commonfund.settings import load_settings
from commonfund.stores import utcnow
from commonfund.wiring import (
    bank_runner,
    build_ledger,
    maintenance_runner,
    migrate,
    pending_migrations,
    statements_runner,
    supervision_catalog,
    supervision_runner,
    webhook_deliverer,
)
from ledger.application import Actor
from ledger.bank.formats import PROFILES
from ledger.dates import parse_date
from ledger.errors import LedgerError
from ledger.identity import identity_key
from ledger.integrity import verify
from projections.bank.queries import BankReads
from projections.runner import REBUILD_BATCH
from projections.supervision import ticks


def cmd_migrate(_: argparse.Namespace) -> int:
    applied = migrate(load_settings())
    print("applied: " + ", ".join(applied) if applied else "the database is up to date")
    return 0


PAGES = (("owners' pages", "/"), ("regulator's page", "/regulator"), ("API docs", "/docs"))


def announce_pages(urls: list[str]) -> None:
    """Where to look, printed once the server answers (``make run`` ends with it)."""
    base = urls[0] if urls else ""
    width = max(len(name) for name, _ in PAGES) + 1
    lines = [f"  {name + ':':<{width}} {base}{path}" for name, path in PAGES]
    print("commonfund is serving:", *lines, sep="\n", flush=True)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = load_settings()
    if args.migrate:
        migrate(settings)
    missing = pending_migrations(settings)
    if missing:
        print(
            f"commonfund: migrations not applied: {missing}; run `commonfund migrate`",
            file=sys.stderr,
        )
        return 2
    serve(
        host=args.host, port=args.port, workers=args.workers,
        healthcheck_seconds=settings.worker_healthcheck_seconds,
        trusted_proxies=settings.trusted_proxies, log_format=settings.log_format,
        on_listening=announce_pages,
    )  # fmt: skip
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = load_settings()
    migrate(settings)
    ledger = build_ledger(settings)
    try:
        has_data = bool(ledger.recorder.max_notification_id())
    finally:
        ledger.close()
    if has_data and args.if_empty:
        print("the database already holds data; the demo is not loaded again")
        return 0
    summary = load_demo(settings)
    print(json.dumps(summary, ensure_ascii=False, indent=2))
    return 0


def emit(summary: dict[str, Any], lines: list[str], *, as_json: bool, failed: bool = False) -> None:
    """A long job's closing summary: one JSON object (``--json``) or its lines."""
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return
    for line in lines:
        print(line, file=sys.stderr if failed else sys.stdout)


def cmd_verify(args: argparse.Namespace) -> int:
    settings = load_settings()
    anchors = read_anchors(args.digest) if args.digest else None
    ledger = build_ledger(settings)
    try:
        with progress.bar(quiet=args.json) as shown:
            shown.step("校验 verifying", total=ledger.recorder.max_notification_id() or 0)
            report = verify(ledger, anchors=anchors, progress=shown.update)
    finally:
        ledger.close()
    summary = job_reports.verified(report, shown.seconds)
    if not report.ok and not args.json:
        print(f"BROKEN: {report.breaks[0]}", file=sys.stderr)
        for extra in report.breaks[1:10]:
            print(f"  also: {extra}", file=sys.stderr)
    emit(summary, job_reports.verified_lines(summary), as_json=args.json, failed=not report.ok)
    return 0 if report.ok else 1


READ_MODELS = {
    "statements": statements_runner,
    "supervision": supervision_runner,
    "maintenance": maintenance_runner,
    "bank": bank_runner,
}


def cmd_project(args: argparse.Namespace) -> int:
    """Follow the ledger for the read models until SIGTERM/SIGINT (standby while another runs)."""
    settings = load_settings()
    ledger = build_ledger(settings)
    names = args.only or list(READ_MODELS)
    runners = [READ_MODELS[n](settings, ledger, batch_size=args.batch_size) for n in names]
    # webhook deliveries go out beside the read models (leased: safe next to serve's workers)
    workers = [webhook_deliverer(settings)] if settings.deliver_webhooks and not args.once else []
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    try:
        if args.once:
            for runner in runners:
                applied = runner.catch_up()
                print(f"{runner.view.name}: {applied} events applied; position {runner.position()}")
        else:
            print(f"{', '.join(names)}: following the ledger (batch {args.batch_size})", flush=True)
            threads = [
                threading.Thread(target=r.run, args=(stop,), name=r.view.name) for r in runners
            ] + [threading.Thread(target=w.run, args=(stop,), name=w.name) for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        for runner in runners:
            runner.database.close()
        for worker in workers:
            worker.close()
        ledger.close()
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    """Replay the whole log into a fresh copy while the old one keeps serving, then swap."""
    settings = load_settings()
    ledger = build_ledger(settings)
    runner = READ_MODELS[args.name](settings, ledger, batch_size=args.batch_size)
    try:
        with progress.bar(quiet=args.json) as shown:
            shown.step(f"重建 rebuilding {args.name}", total=runner.head())
            events = runner.rebuild(progress=shown.update)
        summary = job_reports.rebuilt(args.name, events, runner.position(), shown.seconds)
    finally:
        runner.database.close()
        ledger.close()
    emit(summary, job_reports.rebuilt_lines(summary), as_json=args.json)
    return 0


def cmd_erase_person(args: argparse.Namespace) -> int:
    """Destroy a person's key (their sealed names everywhere), scrub stored answers, report."""
    settings = load_settings()
    ledger = build_ledger(settings)
    keys = ledger.personal
    assert isinstance(keys, PersonalKeys)  # noqa: S101 - build_ledger gives it its keeper
    try:
        try:
            person = person_of(
                keys, settings, key=args.key, name=args.name, id_number=args.id_number
            )
        except ValueError as error:
            print(f"commonfund: {error}", file=sys.stderr)
            return 2
        names = [args.name] if args.name else []
        report = erase(settings, ledger, keys, person, names=names, by=args.by, now=utcnow())
    finally:
        ledger.close()  # and its keeper
    if report.erased_now:
        print(f"erased: person {person}: the key is destroyed; their sealed names and bank")
        print("  accounts are unreadable in events, snapshots, read models and stored answers")
        print(f"  (every serving process within {settings.personal_key_cache_seconds:g} s)")
    elif report.erased_at:
        print(f"already erased: person {person} on {report.erased_at}; no key to destroy")
    else:
        print(f"no key: nothing was ever sealed for person {person}")
    print(f"stored answers scrubbed of plaintext: {report.answers_scrubbed}")
    if report.complete:
        print("nothing of theirs is left in plain text")
        return 0
    print(
        f"INCOMPLETE: {len(report.legacy_events)} event(s) and {len(report.legacy_snapshots)}"
        " snapshot(s) written before migration 0010 hold their name in plain text; a chained"
        ' event cannot be rewritten (docs/operations.md, "Erasing a person"):'
    )
    for where in [*report.legacy_events, *report.legacy_snapshots][:50]:
        print(f"  {where}")
    return 3


CLI_ACTOR = Actor("operator", "cli")
JSON_HELP = "print one machine-readable summary object instead (no progress bar)"


def cmd_supervise(args: argparse.Namespace) -> int:
    """Record the clock-rule run for a date, then summarise the alerts it raised once applied:
    counts by rule, each alert only with ``--details``."""
    settings = load_settings()
    as_of = parse_date(args.as_of, "--as-of")
    ledger = build_ledger(settings)
    runner = supervision_runner(settings, ledger, batch_size=args.batch_size)
    try:
        with progress.bar(quiet=args.json) as shown:
            feeds = bank_runner(settings, ledger)
            try:
                shown.step("银行流水 bank feeds", total=feeds.head())
                feeds.catch_up(progress=shown.update)  # every account with a feed, as of now
                shown.step("对账 reconciling")
                reconcile_feeds(ledger, BankReads(feeds.database).feed_accounts(), CLI_ACTOR)
            finally:
                feeds.database.close()
            shown.step("时钟规则 clock rules")
            receipt = ledger.tick_supervision(as_of, actor=CLI_ACTOR)
            shown.step("应用 applying", total=runner.head())
            runner.catch_up(progress=shown.update)  # safe beside a live runner (batches serialise)
        found = ticks.tick(runner.database, as_of.isoformat())
        if found is None:
            print(f"commonfund: the run of {as_of} is recorded but not applied", file=sys.stderr)
            return 1
        alerts = ticks.raised_by(runner.database, found)
    finally:
        runner.database.close()
        ledger.close()
    summary = job_reports.supervised(
        as_of.isoformat(), replayed=receipt.replayed, position=found.position, alerts=alerts,
        seconds=shown.seconds, details=args.details,
    )  # fmt: skip
    emit(summary, job_reports.supervised_lines(summary, alerts), as_json=args.json)
    return 0


def _params(pairs: list[str]) -> dict[str, int]:
    params: dict[str, int] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if not name or not value.strip().isdigit():
            raise SystemExit(f"commonfund: --param {pair!r}: write name=whole number (count=4)")
        params[name.strip()] = int(value)
    return params


def _print_outcome(outcome: Outcome, start: str, end: str) -> None:
    changed = ", ".join(f"{k}={v}" for k, v in sorted(outcome.params.items())) or "no change"
    print(f"{outcome.rule} dry run over {outcome.events} events, alerts dated {start} to {end}")
    print(f"  parameters in force: {len(outcome.in_force)} alert(s)")
    print(f"  with {changed}: {len(outcome.changed)} alert(s)", end="")
    print(f" ({len(outcome.added)} more, {len(outcome.dropped)} fewer); nothing was raised")
    for mark, rows in (("+", outcome.added), ("-", outcome.dropped)):
        for a in rows:
            print(f"{mark} {a['raised_on']} {a['subject']} [{a['trigger']}] {a['explanation_en']}")
    kept = {a["alert_id"] for a in outcome.in_force}
    for a in outcome.changed:
        if a["alert_id"] in kept:
            print(f"= {a['raised_on']} {a['subject']} [{a['trigger']}] {a['explanation_en']}")


def cmd_bank_import(args: argparse.Namespace) -> int:
    """A bank file for one account: checked whole, then recorded statement by statement."""
    settings = load_settings()
    ledger = build_ledger(settings)
    try:
        report = import_file(
            ledger, Path(args.file), UUID(args.account), profile=args.profile,
            progress=not args.quiet,
        )  # fmt: skip
    finally:
        ledger.close()
    print(json.dumps(report, ensure_ascii=False))
    return 0


def cmd_maintenance_interest(args: argparse.Namespace) -> int:
    """A period's interest for every fund in the CSV, in one command (resumable)."""
    settings = load_settings()
    advices = read_advices(Path(args.file))
    ledger = build_ledger(settings)
    try:
        with progress.bar(quiet=args.json) as shown:
            shown.step("利息分配 allocating", total=len(advices))
            run = allocate(
                ledger, advices, period_from=parse_date(args.period_from, "--from"),
                period_to=parse_date(args.period_to, "--to"), on=parse_date(args.on, "--on"),
                reference=args.reference, actor=Actor("operator", "cli"),
                per_transaction=args.per_transaction, progress=shown.update,
            )  # fmt: skip
    finally:
        ledger.close()
    summary = job_reports.allocated(run, args.period_from, args.period_to, shown.seconds)
    emit(summary, job_reports.allocated_lines(summary), as_json=args.json)
    return 0


def cmd_rules_dry_run(args: argparse.Namespace) -> int:
    """Replay history with one rule's parameters changed; print what it would raise, raise nothing."""
    settings = load_settings()
    start, end = parse_date(args.date_from, "--from"), parse_date(args.date_to, "--to")
    in_force = supervision_catalog(settings)
    try:
        changed = in_force.with_params(args.rule, **_params(args.param or []))
    except ValueError as error:
        print(f"commonfund: {error}", file=sys.stderr)
        return 2
    ledger = build_ledger(settings)
    try:
        outcome = dry_run(ledger, in_force, changed, args.rule, start, end)
    finally:
        ledger.close()
    _print_outcome(outcome, start.isoformat(), end.isoformat())
    return 0


def cmd_token_issue(args: argparse.Namespace) -> int:
    settings = load_settings()
    body = TokenCreate(
        role=args.role,
        complex_id=args.complex,
        member_id=args.member,
        owner_key=args.owner_key,
        jurisdiction=args.jurisdiction,
        bank_code=args.bank_code,
        expires_days=args.expires_days,
        label=args.label,
    )
    complex_id = check_scope(body)
    stores = build_stores(settings)
    try:
        now = utcnow()
        secret, record = stores.issue(
            role=body.role,
            complex_id=complex_id,
            member_id=body.member_id,
            owner_key=body.owner_key,
            jurisdiction=body.jurisdiction,
            bank_code=body.bank_code,
            expires_at=now + timedelta(days=body.expires_days),
            label=body.label,
            now=now,
        )
    finally:
        stores.close()
    print(f"token {record.id}: role {record.role}, expires {record.expires_at.isoformat()}")
    print(secret)
    return 0


def cmd_token_revoke(args: argparse.Namespace) -> int:
    stores = build_stores(load_settings())
    try:
        record = stores.revoke(args.token_id, utcnow())
    finally:
        stores.close()
    if record is None:
        print(f"commonfund: no token {args.token_id}", file=sys.stderr)
        return 1
    print(f"token {record.id} revoked at {record.revoked_at}")
    return 0


def cmd_identity_key(_: argparse.Namespace) -> int:
    """The identity key of each ID number on standard input, line for line; never the number."""
    secret = load_settings().identity_secret
    for line in sys.stdin:
        number = line.strip()
        print(identity_key(secret, number) if number else "")
    return 0


def read_anchors(path: str) -> dict[str, tuple[int, str]]:
    """Heads from a digest file (`commonfund digest`, one complex or many) or a statement's JSON."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    data = data.get("digest", data)  # a published statement carries its digest
    digests = data.get("complexes", [data])
    return {
        head["stream_id"]: (int(head["version"]), str(head["head"]))
        for digest in digests
        for head in digest["heads"]
    }


def cmd_digest(args: argparse.Namespace) -> int:
    settings = load_settings()
    ledger = build_ledger(settings)
    try:
        ids = [UUID(c) for c in args.complex] if args.complex else ledger.complex_ids()
        digests = [ledger.digest(complex_id) for complex_id in ids]
    finally:
        ledger.close()
    text = json.dumps({"complexes": digests}, ensure_ascii=False, indent=2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        print(f"digest of {len(digests)} complex(es) written to {args.output}")
    else:
        print(text)
    return 0


def _supervision_commands(sub: Any) -> None:
    supervise = sub.add_parser(
        "supervise", help="record the clock-rule run for a date and print the alerts it raised"
    )
    supervise.add_argument("--as-of", required=True, help="YYYY-MM-DD (today or earlier)")
    supervise.add_argument("--batch-size", type=int, default=500)
    supervise.add_argument("--details", action="store_true", help="list every alert raised")
    supervise.add_argument("--json", action="store_true", help=JSON_HELP)
    supervise.set_defaults(run=cmd_supervise)
    rules = sub.add_parser("rules", help="alert rules").add_subparsers(
        dest="rules_command", required=True
    )
    dry = rules.add_parser(
        "dry-run", help="replay history with a changed rule and print what it would raise"
    )
    dry.add_argument("--rule", required=True, help="a rule id, e.g. A02")
    dry.add_argument("--param", action="append", help="name=value, e.g. count=4 (repeatable)")
    dry.add_argument("--from", dest="date_from", required=True, help="YYYY-MM-DD")
    dry.add_argument("--to", dest="date_to", required=True, help="YYYY-MM-DD")
    dry.set_defaults(run=cmd_rules_dry_run)


def _context_commands(sub: Any) -> None:
    """The contexts' own commands: the maintenance fund's, the bank feed's."""
    _maintenance_commands(sub)
    _bank_commands(sub)


def _maintenance_commands(sub: Any) -> None:
    # `fund` is the name this command had before issue #13 (kept so operators' scripts run)
    maintenance = sub.add_parser(
        "maintenance", aliases=["fund"], help="maintenance funds"
    ).add_subparsers(dest="maintenance_command", required=True)
    interest = maintenance.add_parser(
        "interest", help="allocate a period's interest to every fund in a CSV of complex_id,amount"
    )
    interest.add_argument("--file", required=True, help="CSV: complex_id,amount (yuan)")
    interest.add_argument("--from", dest="period_from", required=True, help="YYYY-MM-DD")
    interest.add_argument("--to", dest="period_to", required=True, help="YYYY-MM-DD")
    interest.add_argument("--on", required=True, help="the day the bank paid it, YYYY-MM-DD")
    interest.add_argument("--reference", required=True, help="the bank's advice or voucher")
    interest.add_argument("--per-transaction", type=int, default=50, help="funds per write")
    interest.add_argument("--json", action="store_true", help=JSON_HELP)
    interest.set_defaults(run=cmd_maintenance_interest)


def _bank_commands(sub: Any) -> None:
    bank = sub.add_parser("bank", help="the bank feed (issue #14)").add_subparsers(
        dest="bank_command", required=True
    )
    bank_import = bank.add_parser(
        "import", help="import a bank file (camt.053 XML, or CSV with --profile) for one account"
    )
    bank_import.add_argument("file", help="the bank's file")
    bank_import.add_argument("--account", required=True, help="the account id")
    bank_import.add_argument("--profile", help="the CSV layout: " + ", ".join(sorted(PROFILES)))
    bank_import.add_argument("--quiet", action="store_true", help="no progress bar")
    bank_import.set_defaults(run=cmd_bank_import)


def _token_commands(sub: Any) -> None:
    token = sub.add_parser("token", help="issue or revoke API tokens").add_subparsers(
        dest="token_command", required=True
    )
    issue = token.add_parser("issue", help="issue a token; the secret is the last line printed")
    issue.add_argument("--role", required=True, choices=ROLES)
    issue.add_argument("--complex", help="complex id (committee and owner tokens)")
    issue.add_argument("--member", help="member id (committee tokens)")
    issue.add_argument("--owner-key", help="owner identity key (owner tokens)")
    issue.add_argument("--jurisdiction", help="division code (regulator tokens)")
    issue.add_argument("--bank-code", help="the bank's 12-digit CNAPS code (bank tokens)")
    issue.add_argument("--expires-days", type=int, default=90)
    issue.add_argument("--label", default="")
    issue.set_defaults(run=cmd_token_issue)
    revoke = token.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("token_id")
    revoke.set_defaults(run=cmd_token_revoke)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="commonfund",
        description="Supervision of residential owners' common funds. "
        "Configured by COMMONFUND_* environment variables (see README).",
    )
    sub = top.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--migrate", action="store_true", help="apply pending migrations first")
    serve.set_defaults(run=cmd_serve)
    sub.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    eraser = sub.add_parser(
        "erase-person",
        help="erase a person's names and bank accounts everywhere (their key is destroyed)",
        description="Name the person by their identity key (64 hex, as the API was given it),"
        " by --id-number (the key is computed with COMMONFUND_IDENTITY_SECRET), or, for someone"
        " recorded by name only (a payer or payee without an identity key), by --name exactly as"
        " recorded (spaces, case, full-width and invisible characters do not matter). Exit 0"
        " when nothing of theirs is left readable, 3 when events written before migration 0010"
        " still hold their name in plain text (listed).",
    )
    eraser.add_argument("key", nargs="?", help="the identity key (or person) to erase")
    eraser.add_argument("--name", help="a person recorded by name only")
    eraser.add_argument("--id-number", help="the national ID number (never stored)")
    eraser.add_argument("--by", default="operator:cli", help="who erases (kept in the audit)")
    eraser.set_defaults(run=cmd_erase_person)
    demo = sub.add_parser("demo", help="load the demo complex in Qingdao's Shinan district")
    demo.add_argument("--if-empty", action="store_true", help="only into an empty database")
    demo.set_defaults(run=cmd_demo)
    check = sub.add_parser("verify", help="recompute every hash chain (H12); exit 1 if broken")
    check.add_argument("--digest", help="also check the heads published in this digest file")
    check.add_argument("--json", action="store_true", help=JSON_HELP)
    check.set_defaults(run=cmd_verify)
    digest = sub.add_parser("digest", help="print the chain heads of complexes, for publication")
    digest.add_argument("--complex", action="append", help="a complex id (default: all)")
    digest.add_argument("--output", help="write to this file")
    digest.set_defaults(run=cmd_digest)
    project = sub.add_parser(
        "project", help="follow the ledger for the read models (standby while another runs)"
    )
    project.add_argument("--batch-size", type=int, default=500)
    project.add_argument("--once", action="store_true", help="catch up once, then exit")
    project.add_argument(
        "--only", action="append", choices=list(READ_MODELS), help="only this read model"
    )
    project.set_defaults(run=cmd_project)
    rebuild = sub.add_parser("rebuild", help="rebuild a read model from the whole history")
    rebuild.add_argument("name", choices=list(READ_MODELS))
    rebuild.add_argument("--batch-size", type=int, default=REBUILD_BATCH)
    rebuild.add_argument("--json", action="store_true", help=JSON_HELP)
    rebuild.set_defaults(run=cmd_rebuild)
    _supervision_commands(sub)
    _context_commands(sub)
    _token_commands(sub)
    sub.add_parser(
        "identity-key",
        help="print the identity key of each ID number read from standard input, one a line",
    ).set_defaults(run=cmd_identity_key)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except LedgerError as refusal:
        print(f"commonfund: {refusal.detail}", file=sys.stderr)
        return 1
    except ValidationError as invalid:
        print(f"commonfund: {invalid}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
