"""A Fiscal Data Package of a complex's published statements for a year (open data).

The package is a zip of ``datapackage.json`` (profile ``fiscal-data-package``,
with the FDP ``model`` naming the measure and the dimensions) and
``lines.csv``: every line of the year's latest published quarterly versions,
amounts signed by their effect on the balance, so a sum per period gives the
change of the balance. Only published content goes in (H11). Each code has
its Chinese name beside it (``category_name``, FDP ``labelfor``), the names the
owners' page shows.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

from api.formats import SECTION_NAMES
from api.statements.page import CATEGORIES, METHODS
from projections.statements.queries import Version

FIELDS = (
    ("period", "string", "Statement period (quarter)"),
    ("version", "integer", "Published version of that period's statement"),
    ("entry_id", "string", "Ledger entry id"),
    ("date", "date", "Value date"),
    ("direction", "string", "income, expenditure or reversal"),
    ("direction_name", "string", "Direction in Chinese (收入, 支出, 冲正)"),
    ("category", "string", "Income or expenditure category"),
    ("category_name", "string", "Category in Chinese (停车收益, 保洁绿化, …)"),
    ("party", "string", "Payer or payee (individuals masked)"),
    ("amount", "number", "Effect on the balance, CNY (expenditure negative)"),
    ("method", "string", "Payment method of an expenditure"),
    ("method_name", "string", "Payment method in Chinese (转账, 现金)"),
    ("authorisation", "string", "Resolution or committee decision behind an expenditure"),
    ("contract_ref", "string", "Contract reference"),
    ("reverses", "string", "Entry a reversal reverses"),
)


def lines(version: Version) -> list[dict[str, Any]]:
    content = version.content
    out = [
        _row(version, direction, line, sign + line["amount"])
        for direction, sign in (("income", ""), ("expenditure", "-"))
        for category in content[direction]["categories"]
        for line in category["lines"]
    ]
    out.extend(_row(version, "reversal", x, x["amount"]) for x in content["reversals"]["lines"])
    return out


def _row(version: Version, direction: str, line: dict[str, Any], amount: str) -> dict[str, Any]:
    return {
        "period": version.period,
        "version": version.version,
        "entry_id": line["entry_id"],
        "date": line["date"],
        "direction": direction,
        "direction_name": SECTION_NAMES[direction],
        "category": line["category"],
        "category_name": CATEGORIES.get(line["category"], line["category"]),
        "party": line["party"],
        "amount": amount,
        "method": line.get("method") or "",
        "method_name": METHODS.get(line.get("method") or "", line.get("method") or ""),
        "authorisation": line.get("authorisation", ""),
        "contract_ref": line.get("contract_ref", ""),
        "reverses": line.get("reverses", ""),
    }


def package(complex_id: str, name: str, year: int, versions: list[Version]) -> bytes:
    rows = [row for version in versions for row in lines(version)]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[f for f, _, _ in FIELDS], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    descriptor = {
        "name": f"commonfund-{complex_id}-{year}",
        "title": f"{name} {year} 年公共收益收支（已公示）",
        "profile": "fiscal-data-package",
        "fiscalPeriod": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "countryCode": "CN",
        "sources": [
            {
                "title": "commonfund published statements",
                "path": f"/v1/public/complexes/{complex_id}/statements",
            }
        ],
        "statements": [
            {"period": v.period, "version": v.version, "content_hash": v.content_hash}
            for v in versions
        ],
        "resources": [
            {
                "name": "lines",
                "path": "lines.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {
                    "fields": [{"name": f, "type": t, "description": d} for f, t, d in FIELDS],
                    "primaryKey": ["period", "entry_id"],
                },
            }
        ],
        "model": {
            "measures": {"amount": {"source": "amount", "currency": "CNY"}},
            "dimensions": {
                "date": {
                    "dimensionType": "datetime",
                    "primaryKey": "date",
                    "attributes": {"date": {"source": "date"}},
                },
                "direction": {
                    "dimensionType": "classification",
                    "primaryKey": "direction",
                    "labelfield": "direction_name",
                    "attributes": {
                        "direction": {"source": "direction"},
                        "direction_name": {"source": "direction_name", "labelfor": "direction"},
                    },
                },
                "category": {
                    "dimensionType": "classification",
                    "primaryKey": "category",
                    "labelfield": "category_name",
                    "attributes": {
                        "category": {"source": "category"},
                        "category_name": {"source": "category_name", "labelfor": "category"},
                    },
                },
                "party": {
                    "dimensionType": "entity",
                    "primaryKey": "party",
                    "attributes": {"party": {"source": "party"}},
                },
                "entry": {
                    "dimensionType": "other",
                    "primaryKey": "entry_id",
                    "attributes": {"entry_id": {"source": "entry_id"}},
                },
            },
        },
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datapackage.json", json.dumps(descriptor, ensure_ascii=False, indent=2))
        archive.writestr("lines.csv", out.getvalue())
    return buffer.getvalue()


def latest_quarters(versions: list[Version], year: int) -> list[Version]:
    """The latest published version of each quarter of ``year``."""
    latest: dict[str, Version] = {}
    for v in versions:
        if v.period.startswith(f"{year}-Q") and v.superseded_by is None:
            latest[v.period] = v
    return [latest[p] for p in sorted(latest)]
