"""A statement's content, computed from the lines of the statements read model.

The same function makes the live draft and, at a ledger position, the frozen
published version, so a published statement can always be rebuilt from the
log and checked against its content hash (H11, H12).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ledger.money import format_fen
from ledger.periods import Period
from projections.db import Row, Tx

LINE_COLUMNS = (
    "entry_id, account_id, value_date, section, category, party, amount, gross, deduction,"
    " collector, method, authorisation, contract_ref, description, reverses, reversed_by,"
    " reversed_at, position"
)
_NAMES = [c.strip() for c in LINE_COLUMNS.split(",")]
QUALIFIED_LINE_COLUMNS = ", ".join(f"l.{c}" for c in _NAMES)
AMOUNT = _NAMES.index("amount")
# the opening balance's row of ``statements``: the sum in the amount column, NULL elsewhere
OPENING_COLUMNS = ", ".join(
    "CAST(SUM(l.amount) AS BIGINT)" if c == "amount" else "NULL" for c in _NAMES
)
# lines in date, position, entry order (result column numbers: p.i and the kind come first)
ORDER_COLUMNS = ", ".join(str(3 + _NAMES.index(c)) for c in ("value_date", "position", "entry_id"))
FOREVER = 2**62
WANTED_PER_QUERY = 100  # statements per query: 6 parameters each, far below SQLite's limit


yuan = format_fen  # one money format (ledger/money.py), as the API shows it


def content_hash(content: dict[str, Any]) -> str:
    return hash_of(canonical(content))


def hash_of(canonical_json: bytes) -> str:
    return hashlib.sha256(canonical_json).hexdigest()


def canonical(content: dict[str, Any]) -> bytes:
    return json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def statement(
    tx: Tx, generation: int, complex_id: str, period: Period, *, through: int = FOREVER
) -> dict[str, Any]:
    """The statement of ``period`` as the ledger stood at position ``through``."""
    return statements(tx, generation, [(complex_id, period, through)])[0]


def statements(
    tx: Tx, generation: int, wanted: Sequence[tuple[str, Period, int]]
) -> list[dict[str, Any]]:
    """The statements of ``(complex, period, through)`` triples, one query per hundred.

    A rebuild freezes the content of a batch's publications at the end of the batch,
    all at once (projections/statements/view.py): their lines and opening balances come in
    one round trip, not one per statement.
    """
    found: list[dict[str, Any]] = []
    for start in range(0, len(wanted), WANTED_PER_QUERY):
        part = wanted[start : start + WANTED_PER_QUERY]
        # the generation is in the VALUES, not a constant: while a rebuild fills it PostgreSQL
        # has no statistics of it and would scan all of it (see statements._pairs)
        values = ", ".join(
            ["(CAST(? AS INTEGER), CAST(? AS INTEGER), ?, ?, ?, CAST(? AS BIGINT))"] * len(part)
        )
        params: list[Any] = []
        for i, (complex_id, period, through) in enumerate(part):
            params += [
                i, generation, complex_id, period.start.isoformat(), period.end.isoformat(), through,
            ]  # fmt: skip
        lines: list[list[Row]] = [[] for _ in part]
        openings = [0] * len(part)
        # one round trip: a line is (i, 0, its columns…); an opening balance (i, 1, …, the sum
        # before the period in ``amount``, …), absent for a complex with no earlier line
        for row in tx.execute(
            f"WITH p (i, g, complex_id, first_day, last_day, through) AS (VALUES {values})"  # noqa: S608 (constants)
            f" SELECT p.i, 0, {QUALIFIED_LINE_COLUMNS} FROM p JOIN stmt_lines l"
            " ON l.generation = p.g AND l.complex_id = p.complex_id AND l.value_date >= p.first_day"
            " AND l.value_date <= p.last_day AND l.position <= p.through"
            f" UNION ALL SELECT p.i, 1, {OPENING_COLUMNS} FROM p JOIN stmt_lines l"
            " ON l.generation = p.g AND l.complex_id = p.complex_id AND l.value_date < p.first_day"
            " AND l.position <= p.through GROUP BY p.i"
            f" ORDER BY 1, 2, {ORDER_COLUMNS}",
            params,
        ):
            if row[1] == 0:
                lines[int(row[0])].append(row[2:])
            else:
                openings[int(row[0])] = int(row[2 + AMOUNT])
        found += [
            compose(complex_id, period, through, openings[i], lines[i])
            for i, (complex_id, period, through) in enumerate(part)
        ]
    return found


def compose(
    complex_id: str, period: Period, through: int, opening: int, rows: Sequence[Row]
) -> dict[str, Any]:
    """A statement from its opening balance and its lines (rows of ``LINE_COLUMNS``, in order)."""
    sections: dict[str, dict[str, list[dict[str, Any]]]] = {
        "income": defaultdict(list),
        "expenditure": defaultdict(list),
    }
    totals = {"income": 0, "expenditure": 0, "reversal": 0}
    reversals: list[dict[str, Any]] = []
    deductions: list[dict[str, Any]] = []
    deducted = 0
    for row in rows:
        (entry_id, account_id, day, section, category, party, amount, gross, deduction,
         collector, method, authorisation, contract_ref, description, reverses, reversed_by,
         reversed_at, _position) = row  # fmt: skip
        line: dict[str, Any] = {
            "entry_id": entry_id,
            "account_id": account_id,
            "date": day,
            "category": category,
            "party": party,
            "amount": yuan(abs(amount) if section != "reversal" else amount),
            "contract_ref": contract_ref,
            "description": description,
            # a reversal recorded after ``through`` is not yet known at that position
            "reversed_by": reversed_by
            if reversed_at is not None and reversed_at <= through
            else "",
        }
        if section == "expenditure":
            line["method"] = method
            line["authorisation"] = authorisation
        if section == "reversal":
            line["reverses"] = reverses
            reversals.append(line)
            totals["reversal"] += amount
            continue
        totals[section] += abs(amount)
        sections[section][category].append(line)
        if deduction:
            deducted += deduction
            deductions.append(
                {
                    "entry_id": entry_id,
                    "date": day,
                    "category": category,
                    "collector": collector,
                    "gross": yuan(gross or 0),
                    "kept": yuan(deduction),
                    "credited": yuan(amount),
                }
            )
    closing = opening + totals["income"] - totals["expenditure"] + totals["reversal"]
    return {
        "complex_id": complex_id,
        "period": period.name,
        "period_kind": period.kind,
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "opening_balance": yuan(opening),
        "income": _section(sections["income"], totals["income"]),
        "deductions": {"total": yuan(deducted), "lines": deductions},
        "expenditure": _section(sections["expenditure"], totals["expenditure"]),
        "reversals": {"total": yuan(totals["reversal"]), "lines": reversals},
        "closing_balance": yuan(closing),
        "line_count": len(rows),
    }


def with_reconciliation(
    content: dict[str, Any], status: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The statement with the bank status of its period (issue #14; domain.md Disclosure: the
    reconciled bank balance), in the statement's money format; unchanged without one, so the
    content of a statement published before the bank feed hashes as it did."""
    if status is None:
        return content
    shown = {
        "reconciled_through": status["reconciled_through"],  # None: never reconciled
        "bank_balance": yuan(status["bank_balance"]),
        "bank_balance_on": status["bank_balance_on"],
        "difference": yuan(status["difference"]),
    }
    # as the API shows content (exclude_none): the hash covers exactly what is shown
    return {**content, "bank_reconciliation": {k: v for k, v in shown.items() if v is not None}}


def _section(by_category: dict[str, list[dict[str, Any]]], total: int) -> dict[str, Any]:
    categories = []
    for category in sorted(by_category):
        lines = by_category[category]
        subtotal = sum(_fen(line["amount"]) for line in lines)
        categories.append({"category": category, "total": yuan(subtotal), "lines": lines})
    return {"total": yuan(total), "categories": categories}


def _fen(amount: str) -> int:
    sign = -1 if amount.startswith("-") else 1
    whole, cents = amount.lstrip("-").split(".")
    return sign * (int(whole) * 100 + int(cents))


def diff(old: dict[str, Any], new: dict[str, Any], cause: dict[str, Any]) -> dict[str, Any]:
    """What changed between two versions of a statement, and the entry that caused it."""
    before, after = _lines_by_id(old), _lines_by_id(new)
    changed = [
        {"entry_id": entry_id, "before": before[entry_id], "after": after[entry_id]}
        for entry_id in sorted(before.keys() & after.keys())
        if before[entry_id] != after[entry_id]
    ]
    totals = {
        key: {"before": old[key], "after": new[key]}
        for key in ("opening_balance", "closing_balance")
        if old[key] != new[key]
    }
    for section in ("income", "expenditure", "reversals", "deductions"):
        if old[section]["total"] != new[section]["total"]:
            totals[section] = {"before": old[section]["total"], "after": new[section]["total"]}
    if old.get("bank_reconciliation") != new.get("bank_reconciliation"):
        totals["bank_reconciliation"] = {
            "before": old.get("bank_reconciliation"),
            "after": new.get("bank_reconciliation"),
        }
    return {
        "cause": cause,
        "added": [after[i] for i in sorted(after.keys() - before.keys())],
        "removed": [before[i] for i in sorted(before.keys() - after.keys())],
        "changed": changed,
        "totals": totals,
    }


def _lines_by_id(content: dict[str, Any]) -> dict[str, dict[str, Any]]:
    lines: dict[str, dict[str, Any]] = {}
    for section in ("income", "expenditure"):
        for category in content[section]["categories"]:
            lines.update({line["entry_id"]: line for line in category["lines"]})
    lines.update({line["entry_id"]: line for line in content["reversals"]["lines"]})
    return lines
