"""Raising an alert: a stable id, the place it belongs to, snoozes, exactly once."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from hashlib import sha1
from typing import Any
from uuid import UUID

from projections.db import Tx
from projections.supervision.catalog import Rule, Severity

NAMESPACE = UUID("0f6c1d2e-58a4-4b7e-a1c3-6d9e2b7f4a18")
_NAMESPACE_BYTES = NAMESPACE.bytes
_EVIDENCE = json.JSONEncoder(ensure_ascii=False, sort_keys=True)  # as json.dumps(…, same flags)
OnRaise = Callable[[Tx, dict[str, Any]], None]


def alert_id(rule: str, subject_id: str, trigger: str) -> str:
    """The same rule, subject and trigger always name the same alert (replays raise it once).

    It is ``str(uuid5(NAMESPACE, "rule/subject/trigger"))``, computed without the ``UUID``
    object (half the time; a clock-rule sweep names thousands): SHA-1 of the namespace and
    the name, the version (5) and the RFC 4122 variant set in the first 16 bytes.
    """
    name = _NAMESPACE_BYTES + f"{rule}/{subject_id}/{trigger}".encode()
    digest = bytearray(sha1(name, usedforsecurity=False).digest())  # as uuid5 does
    digest[6] = digest[6] & 0x0F | 0x50
    digest[8] = digest[8] & 0x3F | 0x80
    h = digest[:16].hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


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
    # one rule may speak to two audiences at two levels (A26: the committee, the owner);
    # None: the rule's own severity
    severity: Severity | None = None


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


_COLUMN_NAMES = (
    "generation", "alert_id", "rule", "rule_version", "severity", "subject_kind", "subject_id",
    "complex_id", "district", "street", "community", "trigger_key", "evidence", "explanation_zh",
    "explanation_en", "raised_on", "position", "status",
)  # fmt: skip
_COLUMNS = ", ".join(_COLUMN_NAMES)
_PLACEHOLDERS = "(" + ", ".join("?" * len(_COLUMN_NAMES)) + ")"
_CHUNK = 500  # rows per multi-row INSERT: 9,000 parameters, under SQLite's and PostgreSQL's limits


def _alert_row(
    identity: str, finding: Finding, position: int, place: tuple[str, str, str], status: str
) -> dict[str, Any]:
    rule = finding.rule
    district, street, community = place
    return {
        "alert_id": identity,
        "rule": rule.id,
        "rule_version": rule.version,
        "severity": finding.severity or rule.severity,
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


def _values(generation: int, row: dict[str, Any]) -> tuple[Any, ...]:
    return (
        generation, row["alert_id"], row["rule"], row["rule_version"], row["severity"],
        row["subject_kind"], row["subject_id"], row["complex_id"], row["district"], row["street"],
        row["community"], row["trigger_key"],
        _EVIDENCE.encode(row["evidence"]), row["explanation_zh"],
        row["explanation_en"], row["raised_on"], row["position"], row["status"],
    )  # fmt: skip


def raise_alert(
    tx: Tx, generation: int, finding: Finding, position: int, hooks: list[OnRaise]
) -> str | None:
    """Record the alert unless it exists already; the new alert's id, or None."""
    place = place_of(tx, generation, finding.complex_id)
    status = (
        "snoozed"
        if snoozed(tx, generation, finding.rule.id, finding.subject_id, finding.on)
        else "open"
    )
    identity = alert_id(finding.rule.id, finding.subject_id, finding.trigger)
    row = _alert_row(identity, finding, position, place, status)
    inserted = tx.execute(
        f"INSERT INTO alerts ({_COLUMNS}) VALUES {_PLACEHOLDERS}"  # noqa: S608 - constants
        " ON CONFLICT (generation, alert_id) DO NOTHING RETURNING alert_id",
        _values(generation, row),
    )
    if not inserted:
        return None
    for hook in hooks:
        hook(tx, row)
    return str(row["alert_id"])


def raise_alerts(
    tx: Tx,
    generation: int,
    findings: Sequence[Finding],
    position: int,
    hooks: list[OnRaise],
    *,
    known: Collection[str] = (),
) -> list[str]:
    """``raise_alert`` for many findings at once (a clock-rule sweep): the new alerts' ids.

    The same outcome as raising them one by one in order, in a few statements: the places
    and snoozes are read once, the alerts written together (``COPY`` on PostgreSQL, after
    one look for those stored already), and a hook with a ``many(tx,
    rows)`` method gets every new alert in one call (others one call each). Findings whose
    alert id is in ``known`` (alerts the caller knows exist) are passed over at once.
    """
    fresh: dict[str, Finding] = {}
    for f in findings:
        identity = alert_id(f.rule.id, f.subject_id, f.trigger)
        if identity not in known:
            fresh.setdefault(identity, f)  # the same alert twice: the first is raised
    if not fresh:
        return []
    places = _places(tx, generation, sorted({f.complex_id for f in fresh.values()}))
    snoozes = {
        (str(rule), str(subject)): str(until)
        for rule, subject, until in tx.execute(
            "SELECT rule, subject_id, until FROM sup_snoozes WHERE generation = ?", (generation,)
        )
    }
    rows: dict[str, dict[str, Any]] = {}
    for identity, f in fresh.items():
        until = snoozes.get((f.rule.id, f.subject_id))
        status = "snoozed" if until is not None and until >= f.on else "open"
        place = places.get(f.complex_id, ("", "", ""))
        rows[identity] = _alert_row(identity, f, position, place, status)
    ordered = list(rows.values())
    new = _insert(tx, generation, [_values(generation, row) for row in ordered])
    raised = [row for row in ordered if row["alert_id"] in new]
    for hook in hooks:
        many = getattr(hook, "many", None)
        if many is not None:
            many(tx, raised)
        else:
            for row in raised:
                hook(tx, row)
    return [str(row["alert_id"]) for row in raised]


def _insert(tx: Tx, generation: int, values: Sequence[tuple[Any, ...]]) -> set[str]:
    """Insert the alerts (rows of _COLUMN_NAMES) that do not exist yet; the ids inserted."""
    if tx.dialect == "postgres":  # the ids stored already, then one COPY of the others
        stored = {
            str(r[0])
            for r in tx.execute(
                "SELECT alert_id FROM alerts WHERE generation = ? AND alert_id = ANY(%b::text[])",
                (generation, [v[1] for v in values]),
            )
        }
        new = [v for v in values if v[1] not in stored]
        tx.append("alerts", _COLUMN_NAMES, new)
        return {str(v[1]) for v in new}
    inserted: set[str] = set()
    for i in range(0, len(values), _CHUNK):
        chunk = values[i : i + _CHUNK]
        rows = tx.execute(
            f"INSERT INTO alerts ({_COLUMNS}) VALUES"  # noqa: S608 - constants and placeholders
            f" {', '.join([_PLACEHOLDERS] * len(chunk))}"
            " ON CONFLICT (generation, alert_id) DO NOTHING RETURNING alert_id",
            [value for row in chunk for value in row],
        )
        inserted.update(str(r[0]) for r in rows)
    return inserted


def _places(tx: Tx, generation: int, complex_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    found: dict[str, tuple[str, str, str]] = {}
    for i in range(0, len(complex_ids), _CHUNK):
        chunk = complex_ids[i : i + _CHUNK]
        for complex_id, district, street, community in tx.execute(
            "SELECT complex_id, district, street, community FROM sup_places"  # noqa: S608
            f" WHERE generation = ? AND complex_id IN ({', '.join('?' * len(chunk))})",
            (generation, *chunk),
        ):
            found[str(complex_id)] = (str(district), str(street), str(community))
    return found
