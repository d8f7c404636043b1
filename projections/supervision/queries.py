"""Reading alerts: filtered, paginated lists and one alert with its history."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from projections.db import Database, Tx

NAME = "supervision"
COLUMNS = (
    "alert_id, rule, rule_version, severity, subject_kind, subject_id, complex_id, district,"
    " street, community, trigger_key, evidence, explanation_zh, explanation_en, raised_on,"
    " position, status, outcome"
)


@dataclass(frozen=True, slots=True)
class AlertFilter:
    community_prefix: str | None = None  # a regulator's jurisdiction as a code prefix
    complex_id: str | None = None
    severity: str | None = None
    status: str | None = None
    rule: str | None = None
    raised_from: str | None = None
    raised_to: str | None = None
    street: str | None = None  # a 9-digit street code (the regulator's desk)
    states: tuple[str, ...] | None = None  # any of these statuses (the desk: not closed)


def where(f: AlertFilter, generation: int) -> tuple[str, list[Any]]:
    """The SQL condition on ``alerts`` for a filter, and its parameters (the generation first)."""
    clauses: list[str] = ["generation = ?"]
    params: list[Any] = [generation]
    for column, value in (
        ("complex_id", f.complex_id), ("severity", f.severity), ("status", f.status),
        ("rule", f.rule), ("street", f.street),
    ):  # fmt: skip
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    if f.states is not None:
        clauses.append(f"status IN ({', '.join('?' for _ in f.states) or 'NULL'})")
        params.extend(f.states)
    if f.community_prefix is not None:
        clauses.append("community LIKE ?")
        params.append(f.community_prefix.replace("%", "").replace("_", "") + "%")
    if f.raised_from:
        clauses.append("raised_on >= ?")
        params.append(f.raised_from)
    if f.raised_to:
        clauses.append("raised_on <= ?")
        params.append(f.raised_to)
    return " AND ".join(clauses), params


@dataclass(frozen=True, slots=True)
class AlertRow:
    alert_id: str
    rule: str
    rule_version: int
    severity: str
    subject_kind: str
    subject_id: str
    complex_id: str
    district: str
    street: str
    community: str
    trigger: str
    evidence: dict[str, Any]
    explanation_zh: str
    explanation_en: str
    raised_on: str
    position: int
    status: str
    outcome: str | None
    history: list[dict[str, Any]] = field(default_factory=list)


def raised_row(alert: Mapping[str, Any]) -> AlertRow:
    """An alert as the supervision view hands it to its hooks when it is raised (the row it
    inserts, projections/supervision/alerts.py): not closed, so no outcome yet."""
    return AlertRow(
        alert["alert_id"], alert["rule"], alert["rule_version"], alert["severity"],
        alert["subject_kind"], alert["subject_id"], alert["complex_id"], alert["district"],
        alert["street"], alert["community"], alert["trigger_key"], alert["evidence"],
        alert["explanation_zh"], alert["explanation_en"], alert["raised_on"], alert["position"],
        alert["status"], None,
    )  # fmt: skip


def _row(r: tuple[Any, ...]) -> AlertRow:
    values = list(r)
    values[11] = json.loads(values[11])
    return AlertRow(*values)


class Alerts:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _generation(tx: Tx) -> int:
        rows = tx.execute("SELECT generation FROM projection_state WHERE name = ?", (NAME,))
        return int(rows[0][0]) if rows else 1

    def page(self, f: AlertFilter, *, after: tuple[str, str] | None, limit: int) -> list[AlertRow]:
        """Newest first, by (raised_on, alert_id); ``after`` is the last row of the page before."""
        with self.database.reading() as tx:
            condition, params = where(f, self._generation(tx))
            if after is not None:
                condition += " AND (raised_on < ? OR (raised_on = ? AND alert_id < ?))"
                params.extend([after[0], after[0], after[1]])
            sql = (
                f"SELECT {COLUMNS} FROM alerts WHERE {condition}"  # noqa: S608
                " ORDER BY raised_on DESC, alert_id DESC LIMIT ?"
            )
            rows = tx.execute(sql, (*params, limit))
        return [_row(r) for r in rows]

    def get(self, alert_id: str) -> AlertRow | None:
        with self.database.reading() as tx:
            g = self._generation(tx)
            rows = tx.execute(
                f"SELECT {COLUMNS} FROM alerts WHERE generation = ? AND alert_id = ?",  # noqa: S608
                (g, alert_id),
            )
            if not rows:
                return None
            steps = tx.execute(
                "SELECT version, step, principal, detail, step_on FROM alert_steps"
                " WHERE generation = ? AND alert_id = ? ORDER BY version",
                (g, alert_id),
            )
        alert = _row(rows[0])
        alert.history.extend(
            {"step": s, "by": p, "detail": json.loads(d), "on": on, "version": v}
            for v, s, p, d, on in steps
        )
        return alert


def open_by_severity(alerts: Alerts) -> dict[str, int]:
    """Alerts not closed, counted by severity: one grouped count for a scrape of ``/metrics``."""
    with alerts.database.reading() as tx:
        rows = tx.execute(
            "SELECT severity, COUNT(*) FROM alerts WHERE generation = ? AND status <> 'closed'"
            " GROUP BY severity",
            (Alerts._generation(tx),),
        )
    return {str(r[0]): int(r[1]) for r in rows}
