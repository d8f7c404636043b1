"""Credentials for the operator: issue and revoke bearer tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path

from api.deps import PrincipalDep, ServicesDep
from api.errors_doc import problems
from api.ports import TokenRecord
from api.schemas import TokenCreate, TokenIssued, TokenPublic
from ledger.errors import InvalidCommand

router = APIRouter(prefix="/v1/admin/tokens", tags=["admin"])


def token_public(record: TokenRecord) -> TokenPublic:
    return TokenPublic(
        id=record.id,
        role=record.role,
        complex_id=str(record.complex_id) if record.complex_id else None,
        member_id=record.member_id,
        jurisdiction=record.jurisdiction,
        bank_code=record.bank_code,
        label=record.label,
        created_at=record.created_at.isoformat(),
        expires_at=record.expires_at.isoformat(),
        revoked_at=record.revoked_at.isoformat() if record.revoked_at else None,
    )


def check_scope(body: TokenCreate) -> UUID | None:
    """Each role's token names exactly the scope that role needs (spec/api.md)."""
    needs = {
        "operator": set(),
        "committee": {"complex_id", "member_id"},
        "owner": {"complex_id", "owner_key"},
        "regulator": {"jurisdiction"},
        "bank": {"bank_code"},
    }[body.role]
    given = {
        f
        for f in ("complex_id", "member_id", "owner_key", "jurisdiction", "bank_code")
        if getattr(body, f)
    }
    if given != needs:
        wanted = ", ".join(sorted(needs)) or "no scope fields"
        raise InvalidCommand(f"a {body.role} token takes {wanted}")
    if body.complex_id is None:
        return None
    try:
        return UUID(body.complex_id)
    except ValueError:
        raise InvalidCommand(f"complex_id: {body.complex_id!r} is not a complex id") from None


@router.post(
    "",
    status_code=201,
    summary="Issue a token (the secret is shown once)",
    response_model=TokenIssued,
    responses=problems(),
)
def issue(body: TokenCreate, services: ServicesDep, principal: PrincipalDep) -> TokenIssued:
    """The operator issues a bearer token with a role and its scope (a complex and member, an owner,
    a jurisdiction, a bank) and an expiry. The secret is in this answer only; the service keeps
    its hash."""
    principal.require_role(("operator",))
    complex_id = check_scope(body)
    if complex_id is not None:
        services.ledger.complex_summary(complex_id)  # 404 for an unknown complex
    now = services.now()
    secret, record = services.tokens.issue(
        role=body.role,
        complex_id=complex_id,
        member_id=body.member_id,
        owner_key=body.owner_key,
        jurisdiction=body.jurisdiction,
        bank_code=body.bank_code,
        expires_at=now + timedelta(days=body.expires_days),
        label=body.label,
        now=now,
    )
    return TokenIssued(**token_public(record).model_dump(), token=secret)


@router.delete(
    "/{token_id}", summary="Revoke a token", response_model=TokenPublic, responses=problems()
)
def revoke(
    token_id: Annotated[
        str,
        Path(
            pattern=r"^tok_[0-9a-f]{16}$", description="Token id", examples=["tok_3f9a1c2b7d4e5f60"]
        ),
    ],
    services: ServicesDep,
    principal: PrincipalDep,
) -> TokenPublic:
    """The operator revokes a token; from then on it answers 401."""
    principal.require_role(("operator",))
    record = services.tokens.revoke(token_id, services.now())
    if record is None:
        raise HTTPException(404, f"no token {token_id}")
    return token_public(record)
