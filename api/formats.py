"""Statement downloads: CSV (UTF-8 with BOM, one row per line item) and XLSX (a sheet per section).

Codes stay for machines and a Chinese name stands beside each (科目代码 and 科目,
the names the owners' page shows, api/statements/page.py); in XLSX amounts are
numbers (exact decimals from the integer fen, shown ``#,##0.00``) and dates are dates.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from api.statements.page import AUTHORITIES, CATEGORIES, METHODS, TOTALS
from api.statements.schemas import StatementPublic
from ledger.money import parse_signed_fen

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
YUAN_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"
SECTION_NAMES = {"income": "收入", "expenditure": "支出", "reversal": "冲正"}
COLUMNS = (
    ("section", "类别"),
    ("category", "科目代码"),
    ("category_name", "科目"),
    ("date", "日期"),
    ("party", "付款方/收款方"),
    ("amount", "金额（元）"),
    ("method", "支付方式代码"),
    ("method_name", "支付方式"),
    ("authorisation", "授权依据"),
    ("authority_name", "授权类型"),
    ("contract_ref", "合同编号"),
    ("description", "摘要"),
    ("reverses", "冲正对象"),
    ("reversed_by", "被冲正"),
    ("entry_id", "分录号"),
)
AMOUNTS = frozenset({"amount", "gross", "kept", "credited"})
DATES = frozenset({"date"})


def rows(statement: StatementPublic) -> Iterator[dict[str, Any]]:
    """Every line item of the statement, income first, then expenditure, then reversals."""
    content = statement.content
    for section, part in (("income", content.income), ("expenditure", content.expenditure)):
        for category in part.categories:
            for line in category.lines:
                yield _named({"section": section, **line.model_dump()})
    for line in content.reversals.lines:
        yield _named({"section": "reversal", **line.model_dump()})


def _named(row: dict[str, Any]) -> dict[str, Any]:
    """The row with the Chinese names of its codes beside them."""
    authority = (row.get("authorisation") or "").partition(":")[0]
    return {
        **row,
        "category_name": CATEGORIES.get(row["category"], row["category"]),
        "method_name": METHODS.get(row.get("method") or "", row.get("method")),
        "authority_name": AUTHORITIES.get(authority, authority or None),
    }


def _filename(statement: StatementPublic, extension: str) -> str:
    version = f"-v{statement.version}" if statement.version else "-draft"
    return f"statement-{statement.content.period}{version}.{extension}"


def csv_response(statement: StatementPublic) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh for _, zh in COLUMNS])
    for row in rows(statement):
        row["section"] = SECTION_NAMES[row["section"]]
        writer.writerow([text_cell(row.get(key)) for key, _ in COLUMNS])
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),  # the BOM makes Excel read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(statement, "csv")}"'},
    )


def xlsx_response(statement: StatementPublic) -> Response:
    book = Workbook()
    summary = book.create_sheet("汇总", 0)
    book.remove(book.worksheets[1])  # the default empty sheet
    c = statement.content
    summary.append(["期间", c.period])
    for key, value in (
        ("opening_balance", c.opening_balance),
        ("income", c.income.total),
        ("deductions", c.deductions.total),
        ("expenditure", c.expenditure.total),
        ("reversals", c.reversals.total),
        ("closing_balance", c.closing_balance),
    ):
        append_row(summary, [TOTALS[key], _yuan(value)])
    summary.append(["版本", statement.version or "草稿"])
    summary.append(["内容哈希", statement.content_hash])
    by_section: dict[str, list[dict[str, Any]]] = {"income": [], "expenditure": [], "reversal": []}
    for row in rows(statement):
        by_section[row["section"]].append(row)
    for section, lines in by_section.items():
        sheet = book.create_sheet(SECTION_NAMES[section])
        keys = [key for key, _ in COLUMNS if key != "section"]
        sheet.append([zh for key, zh in COLUMNS if key != "section"])
        for row in lines:
            append_row(sheet, [typed(key, row.get(key)) for key in keys])
    deductions = book.create_sheet(TOTALS["deductions"])
    deductions.append(
        ["分录号", "日期", "科目代码", "科目", "代收单位", "代收金额", "扣留", "入账"]
    )
    for d in c.deductions.lines:
        append_row(
            deductions,
            [
                d.entry_id, _date(d.date), d.category, CATEGORIES.get(d.category, d.category),
                text_cell(d.collector), _yuan(d.gross), _yuan(d.kept), _yuan(d.credited),
            ],
        )  # fmt: skip
    return workbook_response(book, _filename(statement, "xlsx"))


def workbook_response(book: Workbook, filename: str) -> Response:
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def append_row(sheet: Worksheet, values: list[Any]) -> None:
    """A row whose amounts show as ``12,345.60`` and whose dates as ``2026-10-20``."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, Decimal):
            cell.number_format = YUAN_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT


def typed(
    key: str, value: Any, *, amounts: frozenset[str] = AMOUNTS, dates: frozenset[str] = DATES
) -> Any:
    """A cell as a spreadsheet should hold it: amounts and counts as numbers, dates as dates,
    text neutralised (``_cell``), so that sums and filters work in Excel (issue #17)."""
    if value is None or value == "":
        return None
    if key in amounts:
        return _yuan(value)
    if key in dates:
        return _date(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return text_cell(value)


def _yuan(text: str) -> Decimal:
    """Exact: the integer fen scaled by 10⁻², never a float."""
    return Decimal(parse_signed_fen(text)).scaleb(-2)


def _date(text: str) -> date:
    return date.fromisoformat(text)


def text_cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # a cell starting with = + - @ is a formula to a spreadsheet: neutralise text ones
    if text[:1] in ("=", "+", "@") or (text[:1] == "-" and not _is_amount(text)):
        return "'" + text
    return text


def _is_amount(text: str) -> bool:
    return text.lstrip("-").replace(".", "", 1).isdigit()


def encode_cursor(code: str) -> str:
    return base64.urlsafe_b64encode(f"c1:{code}".encode()).decode()


def decode_cursor(cursor: str | None) -> str:
    if cursor is None:
        return ""
    try:
        text = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if not text.startswith("c1:"):
        raise HTTPException(422, "cursor: not a cursor this service issued")
    return text.removeprefix("c1:")
