"""The owners' page of the maintenance fund's annual statement (Disclosure), in Chinese, public.

Like the statements' pages (api/pages.py): server-rendered, self-contained,
readable on a phone, errors as Chinese HTML. Buildings only, never a unit: an owner
reads their own unit's sub-ledger through the API with their owner credentials.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse

from api.charts import Bar
from api.deps import ServicesDep
from api.pages import complex_of, html, not_found
from api.statements.page import Chart, cents, day_label, money

router = APIRouter(include_in_schema=False)
KINDS = {"normal": "业主大会表决", "emergency": "应急使用"}
EMERGENCIES = {
    "lift_stopped_by_inspection": "电梯因检验停运",
    "roof_or_wall_leak": "屋面、外墙渗漏",
    "high_rise_water_supply_failure": "高层供水设施故障",
    "facade_falling_risk": "外墙饰面有脱落危险",
    "drainage_collapse_or_burst": "排水设施堵塞、爆裂",
    "fire_system_failure_ordered": "消防设施故障被责令维修",
}


# what made a correction (H11), as ``diff.cause.movement`` names it
MOVEMENTS = {
    "deposit": "缴存",
    "interest": "利息",
    "transfer_in": "共有资金转入",
    "disbursement": "维修资金拨付",
    "acceptance": "竣工验收",
    "disclosure": "使用情况公开",
}
TOTALS = {
    "opening": "期初余额",
    "deposits": "本年缴存",
    "interest": "利息",
    "transfers_in": "共有资金转入",
    "disbursements": "维修使用",
    "closing": "期末余额",
}


@router.get("/complexes/{complex_id}/maintenance-fund/{year}", response_class=HTMLResponse)
def annual_page(
    complex_id: str,
    year: Annotated[str, Path(max_length=10)],
    services: ServicesDep,
    version: Annotated[str | None, Query(max_length=10)] = None,
) -> HTMLResponse:
    """The fund's published statement of a year (the latest version, or ?version=N): totals,
    buildings, projects, and what a correction changed."""
    found = complex_of(services, complex_id)
    if found is None:
        return not_found("没有找到这个小区。请核对网址中的小区编号。")
    if not (year.isdigit() and len(year) == 4):
        return not_found(f"“{year}”不是年份：请写成 2026 这样的四位数字。")
    if version is not None and not (version.isdigit() and 1 <= int(version) <= 10_000):
        return not_found(f"“{version}”不是版本号：请写成 1、2 这样的数字。")
    number = int(version) if version is not None else None
    shown = services.maintenance.published(str(found.id), int(year), version=number)
    if shown is None:
        which = f"第{number}版" if number else ""
        return not_found(f"{found.name}尚未公布{year}年度专项维修资金使用情况{which}。")
    public = f"/v1/public/complexes/{found.id}/maintenance-fund/{year}"
    return html(
        "maintenance_fund.html",
        complex=found,
        shown=shown,
        content=shown.content,
        kinds=KINDS,
        emergencies=EMERGENCIES,
        download=public,
        page=f"/complexes/{found.id}/maintenance-fund/{year}",
        correction=correction(shown.version, shown.diff),
        chart=by_building(shown.content),
    )


def by_building(content: dict[str, Any]) -> Chart:
    """The fund's closing balance of each building (public: buildings, never a unit)."""
    return Chart(
        "fund-by-building", f"{content['year']}年末各楼栋维修资金余额", "楼栋",
        [Bar(f"{b['building']}号楼", cents(b["closing"]), money(b["closing"]))
         for b in content["buildings"]],
    )  # fmt: skip


def correction(number: int, diff: dict[str, Any] | None) -> list[str]:
    """The 更正说明 of a version > 1, from its ``diff``: the event that caused it, then what
    changed (totals, buildings, projects)."""
    if not diff:
        return []
    cause = diff.get("cause", {})
    movement = cause.get("movement", "")
    amount = f"（{money(cause['amount'])} 元）" if cause.get("amount") else ""
    if movement == "recorded_while_publishing":
        told = [
            f"第{number}版收入了公布时已记账、但公布所依据的草稿中尚未包含的记录，与上一版相比："
        ]
    else:
        when = day_label(cause["value_date"]) if cause.get("value_date") else "本年度"
        what = MOVEMENTS.get(movement, movement)
        recorded = day_label(cause["recorded_on"]) if cause.get("recorded_on") else "其后"
        told = [
            f"第{number}版因{recorded}补记的一笔日期为{when}的{what}{amount}而更正，与上一版相比："
        ]
    changed = diff.get("totals", {})
    for key in [*(k for k in TOTALS if k in changed), *(k for k in changed if k not in TOTALS)]:
        change, label = changed[key], TOTALS.get(key)
        if label is not None:
            told.append(f"{label}：{money(change['before'])} 元 → {money(change['after'])} 元")
        elif key == "units_below_replenishment":
            told.append(f"应续筹户数：{change['before']} → {change['after']}")
        elif key == "units":
            told.append(f"户数：{change['before']} → {change['after']}")
    for row in diff.get("buildings", []):
        before, after = row.get("before"), row.get("after")
        closing = (
            f"期末 {money(before['closing'])} 元 → {money(after['closing'])} 元"
            if before and after
            else "新增"
        )
        told.append(f"{row['building']}号楼分户账汇总有变化（{closing}）")
    projects = diff.get("projects", {})
    told += [f"新增项目：{p['title']}" for p in projects.get("added", [])]
    told += [f"项目有变化：{c['after']['title']}" for c in projects.get("changed", [])]
    return told
