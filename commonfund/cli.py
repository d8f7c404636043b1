"""The ``commonfund`` command line: serve, migrate, demo, verify."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

import uvicorn
from pydantic import ValidationError

from commonfund.demo import load_demo
from commonfund.settings import Settings
from commonfund.wiring import build_ledger, migrate, pending_migrations
from ledger.errors import LedgerError
from ledger.integrity import verify


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise SystemExit(f"commonfund: bad configuration:\n{error}") from None


def cmd_migrate(_: argparse.Namespace) -> int:
    applied = migrate(_settings())
    print("applied: " + ", ".join(applied) if applied else "the database is up to date")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings()
    if args.migrate:
        migrate(settings)
    missing = pending_migrations(settings)
    if missing:
        print(
            f"commonfund: migrations not applied: {missing}; run `commonfund migrate`",
            file=sys.stderr,
        )
        return 2
    uvicorn.run(
        "commonfund.server:app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
    )
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
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


def cmd_verify(_: argparse.Namespace) -> int:
    settings = _settings()
    ledger = build_ledger(settings)
    try:
        report = verify(ledger)
    finally:
        ledger.close()
    if not report.ok:
        print(f"BROKEN: {report.breaks[0]}", file=sys.stderr)
        for extra in report.breaks[1:10]:
            print(f"  also: {extra}", file=sys.stderr)
        print(
            f"{len(report.breaks)} stream(s) broken out of {len(report.heads)};"
            f" {report.events} events read",
            file=sys.stderr,
        )
        return 1
    print(
        f"ok: {report.events} events in {len(report.heads)} streams and"
        f" {report.snapshots} snapshots verified; every chain is intact"
    )
    return 0


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
    demo = sub.add_parser("demo", help="load the demo complex in Qingdao's Shinan district")
    demo.add_argument("--if-empty", action="store_true", help="only into an empty database")
    demo.set_defaults(run=cmd_demo)
    check = sub.add_parser("verify", help="recompute every hash chain (H12); exit 1 if broken")
    check.set_defaults(run=cmd_verify)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        code: int = args.run(args)
    except LedgerError as refusal:
        print(f"commonfund: {refusal.detail}", file=sys.stderr)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
