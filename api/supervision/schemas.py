"""Request and response bodies of supervision (issue #5): alerts, their lifecycle, rule snoozes.

``AlertPublic`` is the one public shape of an alert: the API answers it and the webhook
delivers it (api/supervision/webhook_schemas.py ``AlertRaised``), both made by :func:`alert_public`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationInfo, field_validator

from api.schemas import PLAIN_TEXT, Day, Strict
from projections.supervision.queries import AlertRow

ID = "3f0c9a55-2b7e-5d1c-9e4a-8b6f0d2c1a77"
ACCOUNT = "7122fe88-c735-5d19-b2a0-f200c42beed5"
COMPLEX = "57af9fd5-795c-5088-8973-04c31927217e"
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
LongText = Annotated[str, Field(min_length=1, max_length=2000, pattern=PLAIN_TEXT)]
OptionalLongText = Annotated[str, Field(max_length=2000, pattern=PLAIN_TEXT)]
Reference = Annotated[str, Field(min_length=1, max_length=500, pattern=PLAIN_TEXT)]
Severity = Literal["info", "warning", "high", "critical"]
Status = Literal["open", "acknowledged", "closed", "snoozed"]
Outcome = Literal["confirmed", "explained", "false_positive"]


# --- requests -------------------------------------------------------------------------


class AcknowledgementCreate(Strict):
    note: OptionalLongText = Field(
        default="", examples=["已安排核查"], description="What the regulator is doing about it"
    )


class AlertClosureCreate(Strict):
    outcome: Outcome = Field(
        examples=["confirmed"],
        description="confirmed (a real problem; say the action), explained (the committee's"
        " explanation is accepted) or false_positive",
    )
    reason: LongText = Field(examples=["无合同支付属实"], description="Why this outcome")
    action: OptionalLongText = Field(
        default="",
        examples=["暂停付款，责令补签合同"],
        description="The action taken (required when the outcome is confirmed)",
    )
    suspend_payments: bool = Field(
        default=False,
        examples=[False],
        description="Also suspend payments on the alert's account (H02); only with outcome"
        " confirmed, and only when the alert's subject is an account",
    )

    @field_validator("suspend_payments")
    @classmethod
    def _only_when_confirmed(cls, value: bool, info: ValidationInfo) -> bool:  # noqa: FBT001
        if value and info.data.get("outcome") != "confirmed":
            raise ValueError("payments are suspended only on a confirmed alert")
        return value


class ExplanationCreate(Strict):
    text: LongText = Field(
        examples=["该笔为年度保洁合同的首期款，合同编号HT-2026-11，已补登。"],
        description="The committee's explanation",
    )
    evidence: list[Reference] = Field(
        default_factory=list,
        max_length=20,
        examples=[["HT-2026-11", "业委会决定 2026-11-20"]],
        description="References to what supports it (contracts, decisions, receipts), at most 20",
    )


class SnoozeCreate(Strict):
    subject_id: str = Field(
        pattern=UUID_PATTERN,
        examples=[ACCOUNT],
        description="The account, committee or complex the rule is snoozed for (inside the"
        " jurisdiction)",
    )
    until: Day
    reason: LongText = Field(
        examples=["年度保洁合同已备案，整数付款属正常"], description="Why (audited)"
    )


# --- responses ------------------------------------------------------------------------


class AlertExplanation(BaseModel):
    zh: str = Field(
        description="In Chinese",
        examples=["向青岛洁美保洁有限公司支付整数金额5000.00元，未登记合同编号。"],
    )
    en: str = Field(
        description="In English",
        examples=["A round 5000.00 paid to 青岛洁美保洁有限公司 with no contract reference."],
    )


class AlertPublic(BaseModel):
    alert_id: str = Field(description="Alert id (stable: rule + subject + trigger)", examples=[ID])
    rule: str = Field(description="Rule id (spec/alerts.md)", examples=["A04"])
    rule_version: int = Field(description="Version of the rule that raised it", examples=[1])
    severity: Severity = Field(description="info, warning, high or critical", examples=["warning"])
    status: Status = Field(
        description="open, acknowledged, closed, or snoozed (raised under a snooze)",
        examples=["open"],
    )
    outcome: Outcome | None = Field(description="Outcome once closed", examples=[None])
    subject_kind: str = Field(description="What the alert is about", examples=["account"])
    subject_id: str = Field(description="Its id", examples=[ACCOUNT])
    trigger: str = Field(
        description="What in the subject raised it (an entry, a period, a day): with the rule"
        " and the subject, what the alert id is made of",
        examples=["5d0f8e2a-6c41-5b37-9e18-2a4c6d8e0f13"],
    )
    complex_id: str = Field(description="The complex", examples=[COMPLEX])
    district: str = Field(description="District code", examples=["370202"])
    street: str = Field(description="Street code", examples=["370202001"])
    community: str = Field(description="Community code", examples=["370202001001"])
    raised_on: str = Field(description="The business date it concerns", examples=["2026-11-26"])
    position: int = Field(description="Ledger position of the event that raised it", examples=[42])
    evidence: dict[str, Any] = Field(
        description="What made it fire: the entries and figures, by reference",
        examples=[{"account_id": ACCOUNT, "entries": [ID], "amount": "5000.00"}],
    )
    explanation: AlertExplanation = Field(description="Why it fired, in two languages")
    url: str = Field(description="This alert in the API", examples=[f"/v1/alerts/{ID}"])


def alert_public(row: AlertRow) -> AlertPublic:
    """An alert as the API answers it and the webhook delivers it."""
    return AlertPublic.model_validate(
        {
            "alert_id": row.alert_id, "rule": row.rule, "rule_version": row.rule_version,
            "severity": row.severity, "status": row.status, "outcome": row.outcome,
            "subject_kind": row.subject_kind, "subject_id": row.subject_id,
            "trigger": row.trigger, "complex_id": row.complex_id, "district": row.district,
            "street": row.street, "community": row.community, "raised_on": row.raised_on,
            "position": row.position, "evidence": row.evidence,
            "explanation": {"zh": row.explanation_zh, "en": row.explanation_en},
            "url": f"/v1/alerts/{row.alert_id}",
        }
    )  # fmt: skip


class AlertStepPublic(BaseModel):
    step: str = Field(
        description="What happened: raised, acknowledged, explained or closed",
        examples=["acknowledged"],
    )
    by: str = Field(description="Who (role:token[/member])", examples=["regulator:tok_3f9a1c2b"])
    on: str = Field(description="When (business date, Asia/Shanghai)", examples=["2026-11-26"])
    detail: dict[str, Any] = Field(
        description="The step's own facts: note; text and evidence; outcome, reason and action",
        examples=[{"note": "已安排核查"}],
    )


class AlertDetailPublic(AlertPublic):
    history: list[AlertStepPublic] = Field(description="Every step, oldest first")
    version: int = Field(
        description="Version of the alert's lifecycle stream (0 until someone acts on it)",
        examples=[2],
    )


class AlertsPage(BaseModel):
    items: list[AlertPublic] = Field(description="Newest first (raised_on, then alert id)")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page", examples=[None]
    )


class SnoozePublic(BaseModel):
    id: str = Field(description="Snooze id (one per rule and subject)", examples=[ID])
    rule: str = Field(description="Rule id", examples=["A04"])
    subject_kind: str = Field(description="account, committee or complex", examples=["account"])
    subject_id: str = Field(description="Subject", examples=[ACCOUNT])
    until: str = Field(description="Last day snoozed", examples=["2026-12-26"])
    reason: str = Field(description="Why", examples=["年度保洁合同已备案"])
    by: str = Field(description="Who snoozed it", examples=["regulator:tok_3f9a1c2b"])
    version: int = Field(description="Stream version (2 and up: extended)", examples=[1])
