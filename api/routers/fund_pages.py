"""The owners' page of the maintenance fund's annual statement (Disclosure), in Chinese, public.

Like the statements' pages (api/routers/pages.py): server-rendered, self-contained,
readable on a phone, errors as Chinese HTML. Buildings only, never a unit: an owner
reads their own unit's sub-ledger through the API with their owner credentials.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import HTMLResponse

from api.deps import ServicesDep
from api.routers.pages import complex_of, html, not_found

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


@router.get("/complexes/{complex_id}/maintenance-fund/{year}", response_class=HTMLResponse)
def annual_page(
    complex_id: str,
    year: Annotated[str, Path(max_length=10)],
    services: ServicesDep,
) -> HTMLResponse:
    """The fund's published statement of a year: totals, buildings, projects."""
    found = complex_of(services, complex_id)
    if found is None:
        return not_found("没有找到这个小区。请核对网址中的小区编号。")
    if not (year.isdigit() and len(year) == 4):
        return not_found(f"“{year}”不是年份：请写成 2026 这样的四位数字。")
    shown = services.fund.published(str(found.id), int(year))
    if shown is None:
        return not_found(f"{found.name}尚未公布{year}年度专项维修资金使用情况。")
    public = f"/v1/public/complexes/{found.id}/maintenance-fund/{year}"
    return html(
        "maintenance_fund.html",
        complex=found,
        shown=shown,
        content=shown.content,
        kinds=KINDS,
        emergencies=EMERGENCIES,
        download=public,
    )
