"""The regulator's reconciliation page (issue #14): bank against ledger for one account.

Server-rendered in Chinese beside the regulator's other pages (api/supervision/regulator.py),
behind the same session: the balances on both sides and their difference, the day through
which everything matched, the lines each side has and the other lacks with their age in
working days, every match with who made it and why, and the breaks in the bank's sequence.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from api.deps import ServicesDep
from api.pages import html
from api.privacy import PRIVATE, depends_on_credentials
from api.supervision.regulator import account_in_scope
from ledger.dates import parse_date
from ledger.errors import InvalidCommand
from ledger.money import grouped

router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
HOW_ZH = {
    "reference": "银行流水号",
    "reversal": "冲正对冲正",
    "ledger_reversal": "账本自行冲正",
    "amount": "金额与日期",
    "manual": "人工关联",
}
DIRECTION_ZH = {"credit": "收入", "debit": "支出"}
KIND_ZH = {
    "income": "收入",
    "expenditure": "支出",
    "reversal": "冲正",
    "transfer_in": "转入",
    "transfer_out": "转出",
}
ROLE_ZH = {"committee": "业委会", "regulator": "监管部门", "operator": "平台运维", "bank": "银行"}
BREAK_ZH = {"opening": "期初余额与上一期期末余额不符", "sequence": "对账单序号不连续"}


def yuan(fen: int | None) -> str:
    """``-1234567`` as ``-12,345.67``, as the owners' sentence writes it; ``—`` for none."""
    return "—" if fen is None else grouped(fen)


def told_break(found: dict[str, Any]) -> str:
    kind = str(found.get("kind", ""))
    return BREAK_ZH.get(kind, kind)


@router.get("/regulator/accounts/{account_id}/reconciliation", response_class=HTMLResponse)
def reconciliation_page(
    account_id: str, request: Request, services: ServicesDep, as_of: str | None = None
) -> Response:
    wanted = account_in_scope(request, services, account_id)
    if isinstance(wanted, Response):
        return wanted
    back = f"/regulator/accounts/{wanted}/reconciliation"
    try:
        day: date = parse_date(as_of, "as_of") if as_of else services.ledger.today()
    except InvalidCommand:
        return html(
            "not_found.html", 404, message=f"“{as_of}”不是日期（写作 2026-09-30）。", back=back
        )
    services.bank_runner.wait_for(services.ledger.recorder.max_notification_id() or 0, 2.0)
    status = services.bank.reconciliation(str(wanted), day)
    summary = services.ledger.account_summary(wanted)
    return html(
        "regulator_reconciliation.html",
        cache=PRIVATE,
        account=summary,
        found=status,
        as_of=day.isoformat(),
        yuan=yuan,
        how_zh=HOW_ZH,
        direction_zh=DIRECTION_ZH,
        kind_zh=KIND_ZH,
        role_zh=ROLE_ZH,
        told_break=told_break,
    )
