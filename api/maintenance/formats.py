"""The fund's annual statement as CSV (UTF-8 with a BOM, so Excel reads the Chinese: one table)
and as XLSX (a sheet per kind of row, amounts and counts as numbers, dates as dates).

One row per figure set: the complex's totals (汇总), each building (楼栋), each project (项目),
each project's apportionment per building (分摊) and each disbursement (拨付); cells that
would start a formula are neutralised as in the statements' CSV (api/formats.py). A
project's codes (its kind, an emergency's category) stay for machines with their Chinese
names beside them, the names the owners' page shows (api/maintenance/pages.py).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from fastapi.responses import Response
from openpyxl import Workbook

from api.formats import append_row, text_cell, typed, workbook_response
from api.maintenance.pages import EMERGENCIES, KINDS
from api.maintenance.schemas import AnnualPublic

COLUMNS = (
    ("section", "类别"),
    ("name", "名称"),
    ("building", "楼栋"),
    ("units", "户数"),
    ("opening", "期初余额"),
    ("deposits", "缴存"),
    ("interest", "利息"),
    ("transfers_in", "转入"),
    ("disbursements", "使用"),
    ("closing", "期末余额"),
    ("units_below_replenishment", "低于续筹线户数"),
    ("date", "日期"),
    ("amount", "金额（元）"),
    ("reference", "编号"),
    ("kind", "使用方式代码"),
    ("kind_name", "使用方式"),
    ("emergency_category", "应急情形代码"),
    ("emergency_name", "应急情形"),
)


def rows(statement: AnnualPublic) -> Iterator[dict[str, Any]]:
    content = statement.content
    yield {"section": "汇总", "name": f"{content['year']}年度", **content["totals"]}
    for building in content["buildings"]:
        yield {"section": "楼栋", "name": building["building"], **building}
    for project in content["projects"]:
        emergency = project.get("emergency_category")
        yield {
            "section": "项目", "name": project["title"], "units": project["affected_units"],
            "disbursements": project["disbursed_in_year"], "date": project["planned_on"],
            "amount": project["contract_sum"], "reference": project["project_id"],
            "kind": project["kind"], "kind_name": KINDS.get(project["kind"], project["kind"]),
            "emergency_category": emergency,
            "emergency_name": EMERGENCIES.get(emergency, emergency) if emergency else None,
        }  # fmt: skip
        for share in project["apportionment"]:
            yield {
                "section": "分摊", "name": project["title"], "building": share["building"],
                "units": share["units"], "disbursements": share["disbursed_in_year"],
                "reference": project["project_id"],
            }  # fmt: skip
        for payment in project["disbursements"]:
            yield {
                "section": "拨付", "name": project["title"], "date": payment["date"],
                "amount": payment["amount"], "reference": payment["disbursement_id"],
            }  # fmt: skip


def csv_response(statement: AnnualPublic) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([zh for _, zh in COLUMNS])
    for row in rows(statement):
        writer.writerow([text_cell(row.get(key)) for key, _ in COLUMNS])
    name = f"maintenance-fund-{statement.year}.csv"
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


AMOUNTS = frozenset(
    {"opening", "deposits", "interest", "transfers_in", "disbursements", "closing", "amount"}
)
DATES = frozenset({"date"})


def xlsx_response(statement: AnnualPublic) -> Response:
    """The rows of the CSV, one sheet per 类别 (汇总, 楼栋, 项目, 分摊, 拨付), each with the columns
    its rows fill: a treasurer sums a column or filters a building without converting text."""
    by_section: dict[str, list[dict[str, Any]]] = {}
    for row in rows(statement):
        by_section.setdefault(row["section"], []).append(row)
    book = Workbook()
    book.remove(book.worksheets[0])  # the default empty sheet
    for section, lines in by_section.items():
        keys = [
            k for k, _ in COLUMNS if k != "section" and any(r.get(k) is not None for r in lines)
        ]
        sheet = book.create_sheet(section)
        sheet.append([zh for k, zh in COLUMNS if k in keys])
        for line in lines:
            append_row(sheet, [typed(k, line.get(k), amounts=AMOUNTS, dates=DATES) for k in keys])
    return workbook_response(book, f"maintenance-fund-{statement.year}.xlsx")
