"""Statement downloads: CSV (UTF-8 with BOM, one row per line item) and XLSX (a sheet per section)."""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterator
from typing import Any

from fastapi import HTTPException
from fastapi.responses import Response
from openpyxl import Workbook

from api.statements.schemas import StatementPublic

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SECTION_NAMES = {"income": "收入", "expenditure": "支出", "reversal": "冲正"}
COLUMNS = (
    ("section", "类别"),
    ("category", "科目"),
    ("date", "日期"),
    ("party", "付款方/收款方"),
    ("amount", "金额（元）"),
    ("method", "支付方式"),
    ("authorisation", "授权依据"),
    ("contract_ref", "合同编号"),
    ("description", "摘要"),
    ("reverses", "冲正对象"),
    ("reversed_by", "被冲正"),
    ("entry_id", "分录号"),
)


def rows(statement: StatementPublic) -> Iterator[dict[str, Any]]:
    """Every line item of the statement, income first, then expenditure, then reversals."""
    content = statement.content
    for section, part in (("income", content.income), ("expenditure", content.expenditure)):
        for category in part.categories:
            for line in category.lines:
                yield {"section": section, **line.model_dump()}
    for line in content.reversals.lines:
        yield {"section": "reversal", **line.model_dump()}


def _filename(statement: StatementPublic, extension: str) -> str:
    version = f"-v{statement.version}" if statement.version else "-draft"
    return f"statement-{statement.content.period}{version}.{extension}"


def csv_response(statement: StatementPublic) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh for _, zh in COLUMNS])
    for row in rows(statement):
        row["section"] = SECTION_NAMES[row["section"]]
        writer.writerow([_cell(row.get(key)) for key, _ in COLUMNS])
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
    for label, value in (
        ("期间", c.period),
        ("期初余额", c.opening_balance),
        ("收入合计", c.income.total),
        ("物业公司扣留", c.deductions.total),
        ("支出合计", c.expenditure.total),
        ("冲正合计", c.reversals.total),
        ("期末余额", c.closing_balance),
        ("版本", statement.version or "草稿"),
        ("内容哈希", statement.content_hash),
    ):
        summary.append([label, value])
    by_section: dict[str, list[dict[str, Any]]] = {"income": [], "expenditure": [], "reversal": []}
    for row in rows(statement):
        by_section[row["section"]].append(row)
    for section, lines in by_section.items():
        sheet = book.create_sheet(SECTION_NAMES[section])
        sheet.append([zh for key, zh in COLUMNS if key != "section"])
        for row in lines:
            sheet.append([_cell(row.get(key)) for key, _ in COLUMNS if key != "section"])
    deductions = book.create_sheet("物业扣留")
    deductions.append(["分录号", "日期", "科目", "代收单位", "代收金额", "扣留", "入账"])
    for d in c.deductions.lines:
        deductions.append(
            [d.entry_id, d.date, d.category, d.collector, d.gross, d.kept, d.credited]
        )
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{_filename(statement, "xlsx")}"'},
    )


def _cell(value: Any) -> str:
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
