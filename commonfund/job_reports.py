"""What the long CLI jobs report when they end: one summary object (``--json``) and its lines.

Each job's summary is a plain dict with ``command`` and ``seconds``, printed whole
by ``--json`` (one object, one line, for scripts and monitoring) or told in a few
lines for a person. ``supervise`` summarises by rule: a city's run may raise
thousands of alerts, listed one by one only with ``--details``.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from commonfund.maintenance_interest import InterestRun
from ledger.integrity import Report
from ledger.money import format_fen
from projections.supervision.catalog import RULES
from projections.supervision.queries import AlertRow

MAX_BREAKS = 100  # a summary names at most this many broken streams (the count is whole)
SEVERITIES = ("critical", "high", "warning", "info")


def verified(report: Report, seconds: float) -> dict[str, Any]:
    return {
        "command": "verify",
        "ok": report.ok,
        "events": report.events,
        "streams": len(report.heads),
        "snapshots": report.snapshots,
        "broken_streams": len(report.breaks),
        "breaks": [
            {
                "stream_id": b.stream_id,
                "version": b.version,
                "notification_id": b.notification_id,
                "reason": b.reason,
            }
            for b in report.breaks[:MAX_BREAKS]
        ],
        "seconds": seconds,
    }


def verified_lines(summary: dict[str, Any]) -> list[str]:
    if summary["ok"]:
        return [
            (
                f"ok: {summary['events']} events in {summary['streams']} streams and"
                f" {summary['snapshots']} snapshots verified in {summary['seconds']:.1f} s;"
                " every chain is intact"
            )
        ]
    return [
        (
            f"{summary['broken_streams']} stream(s) broken out of {summary['streams']};"
            f" {summary['events']} events read in {summary['seconds']:.1f} s"
        )
    ]


def rebuilt(name: str, events: int, position: int, seconds: float) -> dict[str, Any]:
    return {
        "command": "rebuild", "read_model": name, "events": events, "position": position,
        "seconds": seconds,
    }  # fmt: skip


def rebuilt_lines(summary: dict[str, Any]) -> list[str]:
    return [
        (
            f"{summary['read_model']}: rebuilt from {summary['events']} events in"
            f" {summary['seconds']:.1f} s; the new copy serves from position {summary['position']}"
        )
    ]


def allocated(run: InterestRun, period_from: str, period_to: str, seconds: float) -> dict[str, Any]:
    return {
        "command": "maintenance interest", "period_from": period_from, "period_to": period_to,
        "funds": run.funds, "units": run.units, "already": run.already,
        "total": format_fen(run.total), "seconds": seconds,
    }  # fmt: skip


def allocated_lines(summary: dict[str, Any]) -> list[str]:
    return [
        (
            f"interest {summary['period_from']}/{summary['period_to']}: {summary['funds']} funds"
            f" allocated ({summary['units']} unit sub-ledgers, {summary['total']} yuan);"
            f" {summary['already']} already allocated for this period"
            f" ({summary['seconds']:.1f} s)"
        )
    ]


def supervised(
    as_of: str, *, replayed: bool, position: int, alerts: list[AlertRow], seconds: float,
    details: bool,
) -> dict[str, Any]:  # fmt: skip
    """The run's alerts counted by rule (its severity and names) and by severity."""
    counts = Counter(a.rule for a in alerts)
    by_rule = {
        rule: {
            "count": count,
            "severity": RULES[rule].severity if rule in RULES else "",
            "title_zh": RULES[rule].title_zh if rule in RULES else "",
            "title_en": RULES[rule].title_en if rule in RULES else "",
        }
        for rule, count in sorted(counts.items())
    }
    severities = Counter(a.severity for a in alerts)
    summary: dict[str, Any] = {
        "command": "supervise",
        "as_of": as_of,
        "recorded": not replayed,
        "position": position,
        "alerts": len(alerts),
        "by_rule": by_rule,
        "by_severity": {s: severities[s] for s in SEVERITIES if severities[s]},
        "seconds": seconds,
    }
    if details:
        summary["items"] = [
            {"alert_id": a.alert_id, "rule": a.rule, "severity": a.severity,
             "subject": f"{a.subject_kind}:{a.subject_id}", "complex_id": a.complex_id,
             "trigger": a.trigger, "status": a.status, "explanation_zh": a.explanation_zh,
             "explanation_en": a.explanation_en}
            for a in alerts
        ]  # fmt: skip
    return summary


def supervised_lines(summary: dict[str, Any], alerts: list[AlertRow]) -> list[str]:
    how = "recorded" if summary["recorded"] else "was recorded before"
    lines = [
        (
            f"clock rules for {summary['as_of']}: {how}, applied at position {summary['position']}"
            f" ({summary['seconds']:.1f} s);"
        ),
        f"{summary['alerts']} alert(s) raised by it"
        + (f", by {len(summary['by_rule'])} rule(s):" if summary["alerts"] else ""),
    ]
    for rule, told in summary["by_rule"].items():
        name = f"{told['title_zh']} ({told['title_en']})" if told["title_zh"] else ""
        lines.append(f"  {rule} {told['severity']:<8} {told['count']:>6}  {name}".rstrip())
    if "items" in summary:
        for a in alerts:
            lines.append(
                f"{a.rule} {a.severity:<8} {a.subject_kind}:{a.subject_id} [{a.trigger}] {a.status}"
            )
            lines.append(f"    {a.explanation_zh}")
            lines.append(f"    {a.explanation_en}")
    elif alerts:
        lines.append("(each alert with --details, or in /v1/alerts and the regulator's desk)")
    return lines
