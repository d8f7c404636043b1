"""Raising an alert: a stable id, the place it belongs to, snoozes, exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid5

from projections.db import Tx
from projections.supervision.catalog import Rule

NAMESPACE = UUID("0f6c1d2e-58a4-4b7e-a1c3-6d9e2b7f4a18")
OnRaise = Callable[[Tx, dict[str, Any]], None]


def alert_id(rule: str, subject_id: str, trigger: str) -> str:
    """The same rule, subject and trigger always name the same alert (replays raise it once)."""
    return str(uuid5(NAMESPACE, f"{rule}/{subject_id}/{trigger}"))


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule found: its subject, what triggered it, the evidence, and why, in two languages."""

    rule: Rule
    subject_kind: str
    subject_id: str
    complex_id: str
    trigger: str
    on: str  # the business date it concerns
    evidence: dict[str, Any]
    zh: str
    en: str


def place_of(tx: Tx, generation: int, complex_id: str) -> tuple[str, str, str]:
    rows = tx.execute(
        "SELECT district, street, community FROM sup_places WHERE generation = ?"
        " AND complex_id = ?",
        (generation, complex_id),
    )
    return (str(rows[0][0]), str(rows[0][1]), str(rows[0][2])) if rows else ("", "", "")


def snoozed(tx: Tx, generation: int, rule: str, subject_id: str, on: str) -> bool:
    rows = tx.execute(
        "SELECT 1 FROM sup_snoozes WHERE generation = ? AND rule = ? AND subject_id = ?"
        " AND until >= ?",
        (generation, rule, subject_id, on),
    )
    return bool(rows)


def raise_alert(
    tx: Tx, generation: int, finding: Finding, position: int, hooks: list[OnRaise]
) -> str | None:
    """Record the alert unless it exists already; the new alert's id, or None."""
    rule = finding.rule
    identity = alert_id(rule.id, finding.subject_id, finding.trigger)
    district, street, community = place_of(tx, generation, finding.complex_id)
    status = (
        "snoozed" if snoozed(tx, generation, rule.id, finding.subject_id, finding.on) else "open"
    )
    row = {
        "alert_id": identity,
        "rule": rule.id,
        "rule_version": rule.version,
        "severity": rule.severity,
        "subject_kind": finding.subject_kind,
        "subject_id": finding.subject_id,
        "complex_id": finding.complex_id,
        "district": district,
        "street": street,
        "community": community,
        "trigger_key": finding.trigger,
        "evidence": finding.evidence,
        "explanation_zh": finding.zh,
        "explanation_en": finding.en,
        "raised_on": finding.on,
        "position": position,
        "status": status,
    }
    inserted = tx.execute(
        "INSERT INTO alerts (generation, alert_id, rule, rule_version, severity, subject_kind,"
        " subject_id, complex_id, district, street, community, trigger_key, evidence,"
        " explanation_zh, explanation_en, raised_on, position, status) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (generation, alert_id) DO NOTHING RETURNING alert_id",
        (
            generation, identity, rule.id, rule.version, rule.severity, finding.subject_kind,
            finding.subject_id, finding.complex_id, district, street, community, finding.trigger,
            json.dumps(finding.evidence, ensure_ascii=False, sort_keys=True), finding.zh,
            finding.en, finding.on, position, status,
        ),
    )  # fmt: skip
    if not inserted:
        return None
    for hook in hooks:
        hook(tx, row)
    return identity
