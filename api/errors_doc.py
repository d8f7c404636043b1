"""The error responses every route lists in OpenAPI (all application/problem+json)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    type: str = Field(
        description="Stable problem type; GET it for its page (Chinese, or English with ?lang=en)",
        examples=["/problems/debit-blocked"],
    )
    title: str = Field(description="Short summary of the type", examples=["Debit blocked (H02)"])
    status: int = Field(description="HTTP status", examples=[422])
    detail: str = Field(
        description="What is wrong and what is missing",
        examples=["no payment can be made: payments on account … are suspended"],
    )
    instance: str | None = Field(
        default=None, description="The request path", examples=["/v1/accounts/…/expenditures"]
    )
    rule: str | None = Field(
        default=None, description="The hard invariant that refused (H01–H15)", examples=["H02"]
    )
    retryable: bool | None = Field(default=None, description="Safe to retry as is", examples=[None])
    errors: list[dict[str, str]] | None = Field(
        default=None, description="Invalid fields", examples=[None]
    )


DESCRIBED = {
    401: "No valid bearer token",
    403: "The role may not do this here (H15)",
    404: "Not found, or outside the caller's scope",
    409: "Idempotency-Key reused with another body, or a concurrent update (retryable)",
    413: "Body above 1 MiB",
    415: "Not JSON",
    422: "Invalid field, or refused by a rule (the `rule` field names it)",
    # listed by api/app.py from the routes' dependencies, not by the routes
    428: "Idempotency-Key missing on a money movement",
    429: "Too many failed authentications from this address, or writes with this token;"
    " Retry-After says when to retry",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "model": Problem,
            "description": DESCRIBED[status],
            "content": {"application/problem+json": {}},
        }
        for status in (401, 403, 404, 422, *statuses)
    }
