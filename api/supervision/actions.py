"""The desk's forms (issue #17): acknowledge, close with an outcome, suspend and resume payments.

Each POST checks the session and its CSRF token (api/supervision/csrf.py), then
goes through exactly what the API's route does: the same visibility and role
check (a regulator of the alert's or account's place, H15) and the same
command (``acknowledge_row``, ``close_row``, ``suspend_account``,
``resume_account``). Success redirects back (POST-redirect-GET) with
``done=…`` for the confirmation; a refusal is a Chinese page with its status.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit
from uuid import UUID

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.account.routes import resume_account, suspend_account
from api.auth import Principal
from api.deps import Services, ServicesDep
from api.privacy import depends_on_credentials
from api.ratelimit import RateLimited
from api.schemas import SuspensionCreate
from api.supervision import csrf
from api.supervision import desk_text as zh
from api.supervision.alerts import acknowledge_row, close_row, visible_alert
from api.supervision.regulator import COOKIE, caller, message_page, too_many
from api.supervision.schemas import AcknowledgementCreate, AlertClosureCreate
from ledger.errors import LedgerError

router = APIRouter(include_in_schema=False, dependencies=[Depends(depends_on_credentials)])
MAX_FORM_BYTES = 16_384
Form = dict[str, str]


def back_to(form: Form, done: str) -> str:
    """Where the form came from, inside the desk only, with ``done`` for the confirmation."""
    back = form.get("back", "")
    parts = urlsplit(back)
    if not back.startswith("/regulator") or parts.netloc or "\\" in back or "//" in back:
        back, parts = "/regulator", urlsplit("/regulator")
    query = {k: v[0] for k, v in parse_qs(parts.query).items() if k != "done"}
    query["done"] = done
    return f"{parts.path}?{urlencode(query)}"


async def form_of(request: Request) -> Form | None:
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return None
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}


async def act(
    request: Request, services: Services, step: Callable[[Principal, Form], str]
) -> Response:
    """The checks every form goes through, then ``step`` (which answers the ``done`` value)."""
    form = await form_of(request)
    if form is None:
        return message_page(413, "内容太长", "提交的内容太长，请精简后再提交。")
    try:
        principal = caller(request, services)
    except RateLimited as limited:
        return too_many(limited)
    if principal is None:
        return message_page(403, "请先登录", "登录已失效或尚未登录，请重新登录后再操作。")
    session = request.cookies.get(COOKIE)
    if not csrf.valid(session, request.cookies.get(csrf.NONCE_COOKIE), form.get(csrf.FIELD)):
        return message_page(
            403, "操作被拒绝",
            "这个表单没有有效的安全校验码（可能来自其他网站，或页面已过期）。"
            "请回到监管工作台，刷新页面后重新操作。",
        )  # fmt: skip
    try:
        done = await run_in_threadpool(step, principal, form)
    except HTTPException as refused:
        if refused.status_code == 404:
            return message_page(404, "找不到", "没有找到这条预警或账户，或它不在您的辖区内。")
        return message_page(
            refused.status_code, "无权操作", "只有辖区内的监管人员可以处理预警和暂停付款。"
        )
    except ValidationError as invalid:
        errors = invalid.errors()
        first = errors[0] if errors else {"loc": ("",), "type": ""}
        field = str(first["loc"][-1]) if first["loc"] else ""
        if field == "suspend_payments":
            message = "只有结论为“属实”的预警才能同时暂停付款。"
        else:
            message = zh.invalid_field(field, str(first["type"]))
        return message_page(400, "请检查填写的内容", message, back=form.get("back", "/regulator"))
    except LedgerError as error:
        status = 409 if error.kind in ("refused", "conflict") else 400
        return message_page(
            status, "未能完成", zh.refusal(error), back=form.get("back", "/regulator")
        )
    return RedirectResponse(back_to(form, done), status_code=303)


def _alert_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise HTTPException(404, "not an alert id") from None


@router.post("/regulator/alerts/{alert_id}/acknowledgement")
async def acknowledge(alert_id: str, request: Request, services: ServicesDep) -> Response:
    def step(principal: Principal, form: Form) -> str:
        row = visible_alert(services, principal, _alert_id(alert_id), ("regulator",))
        body = AcknowledgementCreate(note=form.get("note", "").strip())
        acknowledge_row(services, principal, row, body.note)
        return f"acknowledged:{row.alert_id}"

    return await act(request, services, step)


@router.post("/regulator/alerts/{alert_id}/closure")
async def close(alert_id: str, request: Request, services: ServicesDep) -> Response:
    def step(principal: Principal, form: Form) -> str:
        row = visible_alert(services, principal, _alert_id(alert_id), ("regulator",))
        body = AlertClosureCreate(
            outcome=form.get("outcome", ""),  # type: ignore[arg-type]  # pydantic checks it
            reason=form.get("reason", "").strip(),
            action=form.get("action", "").strip(),
            suspend_payments=form.get("suspend_payments") == "1",
        )
        close_row(services, principal, row, body)
        return f"closed:{row.alert_id}"

    return await act(request, services, step)


@router.post("/regulator/accounts/{account_id}/suspension")
async def suspend(account_id: str, request: Request, services: ServicesDep) -> Response:
    def step(principal: Principal, form: Form) -> str:
        wanted = _alert_id(account_id)
        body = SuspensionCreate(reason=form.get("reason", "").strip())
        suspend_account(services.ledger, principal, wanted, body.reason)
        return f"suspended:{wanted}"

    return await act(request, services, step)


@router.post("/regulator/accounts/{account_id}/resumption")
async def resume(account_id: str, request: Request, services: ServicesDep) -> Response:
    def step(principal: Principal, form: Form) -> str:
        wanted = _alert_id(account_id)
        body = SuspensionCreate(reason=form.get("reason", "").strip())  # the same 1–200 text
        resume_account(services.ledger, principal, wanted, body.reason)
        return f"resumed:{wanted}"

    return await act(request, services, step)
