"""The bank feed and reconciliation (issue #14): the bank feeds statements; the committee and
the regulator read the reconciliation and link lines by hand.

Scope (H15): a ``bank`` token feeds and reads only the accounts whose ``bank_code`` it names;
every other account answers 404, as if it did not exist. A committee reads and links on its
own complex's account; a regulator inside its jurisdiction.

A bank file is the request body itself (``application/xml`` for camt.053, ``text/csv`` with
``?profile=``), at most 20 MB by default (``COMMONFUND_BANK_STATEMENT_MAX_BYTES``; api/limits.py
answers 413 above it before anything is read into the service). A file that fails a check is
refused whole with a problem naming the element or line; nothing of it is recorded.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool

from api.auth import NOT_VISIBLE, Principal
from api.bank.schemas import (
    BankImportPublic,
    BankStatementPublic,
    LinkCreate,
    LinkPublic,
    ReconciliationPublic,
    reconciliation_public,
    statement_public,
)
from api.deps import IdempotencyKey, PrincipalDep, Services, ServicesDep, place_of_part, unseen
from api.errors_doc import problems
from api.limits import media_type
from ledger import ids
from ledger.account import CommonFundAccount
from ledger.bank.formats import parse
from ledger.dates import parse_date
from ledger.errors import InvalidCommand
from ledger.requests import fingerprint
from projections.runner import Runner

router = APIRouter(tags=["bank feed"])
READERS = ("committee", "regulator", "bank")
LINKERS = ("committee", "regulator")
WAIT_SECONDS = 2.0  # a read after a write waits this long for the read model, at most


def guard(
    services: Services, principal: Principal, account_id: UUID, roles: tuple[str, ...]
) -> None:
    """H15 for an account: a bank by the account's bank_code, everyone else by place."""
    ledger = services.ledger
    if principal.role == "bank":
        with unseen():
            code = ledger.peek(account_id, CommonFundAccount, lambda a: a.bank_code)
        if not principal.token.bank_code or code != principal.token.bank_code:
            raise HTTPException(404, NOT_VISIBLE)
        principal.require_role(roles)
        return
    principal.require(place_of_part(ledger, account_id, CommonFundAccount), roles)


def _caught_up(services: Services, runner: Runner) -> None:
    runner.wait_for(services.ledger.recorder.max_notification_id() or 0, WAIT_SECONDS)


@router.post(
    "/v1/accounts/{account_id}/bank-statements",
    status_code=201,
    summary="Feed a bank statement file (camt.053 XML, or CSV with ?profile=)",
    response_model=BankImportPublic,
    responses=problems(409, 413, 415),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/xml": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def feed_statement(
    account_id: UUID,
    request: Request,
    services: ServicesDep,
    principal: PrincipalDep,
    profile: Annotated[
        str | None,
        Query(
            pattern=r"^[a-z0-9_]{1,32}$",
            description="The CSV layout (icbc, ccb, qdbank…); not for XML",
        ),
    ] = None,
) -> BankImportPublic:
    """The account's bank sends a statement file: camt.053 XML, or CSV in one of the known bank
    layouts (`?profile=`). A file is recorded whole or refused whole, with the element or line at
    fault (`reason`, `where`); the same file again is recognised, never recorded twice. Its lines
    are matched to ledger entries."""
    await run_in_threadpool(guard, services, principal, account_id, ("bank",))
    kind = media_type(request.headers.get("content-type", ""))
    data = await request.body()
    if not data:
        raise InvalidCommand("body: send the bank file as the request body")
    limit = getattr(request.app.state, "bank_body_limit", None)

    def run() -> BankImportPublic:
        bank_file = parse(data, kind, profile, max_bytes=limit)
        receipt = services.ledger.import_bank_file(account_id, bank_file, actor=principal.actor)
        return BankImportPublic(
            account_id=str(account_id), format=bank_file.format, message_id=bank_file.message_id,
            sha256=bank_file.sha256, statements=receipt.statements,
            statements_known=receipt.statements_known, lines=receipt.lines,
            lines_known=receipt.lines_known, matched=receipt.matched,
            unmatched=receipt.unmatched, continuity_breaks=receipt.breaks,
            version=receipt.version,
        )  # fmt: skip

    return await run_in_threadpool(run)


@router.get(
    "/v1/accounts/{account_id}/bank-statements",
    summary="The bank statements recorded for an account",
    response_model=list[BankStatementPublic],
    responses=problems(),
)
def list_statements(
    account_id: UUID, services: ServicesDep, principal: PrincipalDep
) -> list[BankStatementPublic]:
    """Every bank statement recorded for the account: its period, opening and closing balances,
    lines, any break in the sequence, and when and by whom it was recorded. Readable by the
    complex's committee, its regulators and the account's bank."""
    guard(services, principal, account_id, READERS)
    _caught_up(services, services.bank_runner)
    return [statement_public(s) for s in services.bank.statements(str(account_id))]


@router.get(
    "/v1/accounts/{account_id}/reconciliation",
    summary="Bank against ledger: balances, difference, unmatched lines on each side",
    response_model=ReconciliationPublic,
    responses=problems(),
)
def reconciliation(
    account_id: UUID,
    services: ServicesDep,
    principal: PrincipalDep,
    as_of: Annotated[
        str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$", description="YYYY-MM-DD; today if absent")
    ] = None,
) -> ReconciliationPublic:
    """As of a day (`?as_of=`, today by default): the bank's balance against the ledger's, their
    difference, and the bank lines and ledger entries that are not matched on either side. 404
    while the account has no bank statement."""
    guard(services, principal, account_id, READERS)
    day = parse_date(as_of) if as_of else services.ledger.today()
    _caught_up(services, services.bank_runner)
    status = services.bank.reconciliation(str(account_id), day)
    if status is None:
        raise HTTPException(404, f"account {account_id} has no bank statements yet")
    return reconciliation_public(status)


@router.post(
    "/v1/accounts/{account_id}/reconciliation/links",
    status_code=201,
    summary="Link bank lines to ledger entries by hand, with a reason",
    response_model=LinkPublic,
    responses=problems(409),
)
def link(
    account_id: UUID,
    body: LinkCreate,
    services: ServicesDep,
    principal: PrincipalDep,
    idempotency_key: IdempotencyKey = None,
) -> LinkPublic:
    """The committee or a regulator links bank lines to ledger entries that automatic matching could
    not pair,, with a reason."""
    guard(services, principal, account_id, LINKERS)
    key = idempotency_key or fingerprint(
        {"lines": body.bank_lines, "entries": body.entries, "by": principal.token.id}
    )
    link_id = "link-" + ids.child_id(account_id, f"bank-link/{key}")
    services.ledger.link_bank_lines(
        account_id, link_id, bank_keys=body.bank_lines, entry_ids=body.entries,
        reason=body.reason, actor=principal.actor,
    )  # fmt: skip
    return LinkPublic(
        link_id=link_id, account_id=str(account_id), bank_lines=body.bank_lines,
        entries=body.entries, reason=body.reason, by=principal.actor.principal,
    )  # fmt: skip


@router.delete(
    "/v1/accounts/{account_id}/reconciliation/links/{link_id}",
    status_code=204,
    summary="Undo a link made by hand, with a reason",
    responses=problems(409),
)
def unlink(
    account_id: UUID,
    link_id: str,
    services: ServicesDep,
    principal: PrincipalDep,
    reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why")],
) -> None:
    """Undoes a link made by hand, with a reason (`?reason=`); its lines and entries are unmatched
    again."""
    guard(services, principal, account_id, LINKERS)
    services.ledger.unlink_bank_lines(account_id, link_id, reason=reason, actor=principal.actor)
