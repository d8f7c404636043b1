"""Response schemas of statements (issue #4): content, versions, digests, the public list."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, field_serializer

ID = "6f1c2b8e-3d4a-5b6c-8d7e-9f0a1b2c3d4e"
HASH = "9c1185a5c5e9fc54612808977ee8f548b2258d31" + "0" * 24


class StatementLine(BaseModel):
    entry_id: str = Field(description="The ledger entry", examples=[ID])
    account_id: str = Field(description="The account it was booked on", examples=[ID])
    date: str = Field(description="Value date", examples=["2026-07-03"])
    category: str = Field(description="Income or expenditure category", examples=["parking"])
    party: str = Field(
        description="Payer or payee: organisations in full, individuals masked (王*)",
        examples=["青岛某物业服务有限公司"],
    )
    amount: str = Field(
        description="Yuan; reversals signed (their effect on the balance)", examples=["8500.00"]
    )
    contract_ref: str = Field(description="Contract reference, if any", examples=["HT-2026-07"])
    description: str = Field(description="What it was (unit ids masked)", examples=["7月车位费"])
    reversed_by: str = Field(description="The reversal that undid it, if any", examples=[""])
    method: str | None = Field(
        default=None, description="Expenditure: transfer or cash", examples=["transfer"]
    )
    authorisation: str | None = Field(
        default=None,
        description="Expenditure: resolution:<id> or decision:<id> that authorised it (H05)",
        examples=[f"resolution:{ID}"],
    )
    reverses: str | None = Field(
        default=None, description="Reversal: the entry it reverses", examples=[None]
    )


class StatementCategory(BaseModel):
    category: str = Field(description="Category", examples=["parking"])
    total: str = Field(description="Yuan", examples=["25500.00"])
    lines: list[StatementLine] = Field(description="Its lines, by value date")


class StatementSection(BaseModel):
    total: str = Field(description="Yuan", examples=["42000.00"])
    categories: list[StatementCategory] = Field(description="By category")


class DeductionLine(BaseModel):
    entry_id: str = Field(description="The income entry", examples=[ID])
    date: str = Field(description="Value date", examples=["2026-07-03"])
    category: str = Field(description="Income category", examples=["parking"])
    collector: str = Field(description="The property company", examples=["青岛某物业"])
    gross: str = Field(description="What it collected, yuan", examples=["10000.00"])
    kept: str = Field(description="What it kept, yuan", examples=["1500.00"])
    credited: str = Field(description="What reached the account, yuan", examples=["8500.00"])


class Deductions(BaseModel):
    total: str = Field(description="Kept by collecting companies, yuan", examples=["1500.00"])
    lines: list[DeductionLine] = Field(description="One per income line with a deduction")


class Reversals(BaseModel):
    total: str = Field(description="Signed effect on the balance, yuan", examples=["-200.00"])
    lines: list[StatementLine] = Field(description="Reversing entries")


class BankReconciliationPublic(BaseModel):
    """The bank status of the period as of its end (issue #14; domain.md Disclosure)."""

    reconciled_through: str | None = Field(
        default=None,
        description="Bank and ledger agree through this day (absent: not reconciled yet)",
        examples=["2026-09-30"],
    )
    bank_balance: str = Field(description="The bank's balance, yuan", examples=["51800.00"])
    bank_balance_on: str | None = Field(
        default=None, description="The day of the bank's balance", examples=["2026-09-30"]
    )
    difference: str = Field(description="Bank − ledger, yuan", examples=["0.00"])


class StatementContent(BaseModel):
    complex_id: str = Field(description="Complex", examples=[ID])
    period: str = Field(description="2026-Q3, 2026-07 or 2026", examples=["2026-Q3"])
    period_kind: str = Field(description="month, quarter or year", examples=["quarter"])
    from_: str = Field(alias="from", description="First day", examples=["2026-07-01"])
    to: str = Field(description="Last day", examples=["2026-09-30"])
    opening_balance: str = Field(description="Yuan", examples=["10000.00"])
    income: StatementSection = Field(description="Income by category")
    deductions: Deductions = Field(description="Kept by property companies that collected")
    expenditure: StatementSection = Field(description="Expenditure by category")
    reversals: Reversals = Field(description="Corrections")
    closing_balance: str = Field(
        description="opening + income − expenditure + reversals, yuan", examples=["51800.00"]
    )
    line_count: int = Field(description="Lines in the period", examples=[37])
    bank_reconciliation: BankReconciliationPublic | None = Field(
        default=None,
        description="The bank status as of the period's end, for a complex with a bank feed",
    )

    model_config = {"populate_by_name": True}


class Head(BaseModel):
    stream_id: str = Field(description="A stream of the complex", examples=[ID])
    version: int = Field(description="Its version", examples=[12])
    head: str = Field(description="Its chain hash (H12)", examples=[HASH])


class DigestPublic(BaseModel):
    complex_id: str = Field(description="Complex", examples=[ID])
    heads: list[Head] = Field(description="Chain head of every stream")
    root: str = Field(description="SHA-256 over the heads", examples=[HASH])


class StatementPublic(BaseModel):
    status: str = Field(description="draft or published", examples=["published"])
    version: int | None = Field(description="Published version (None for a draft)", examples=[1])
    published_on: str | None = Field(description="Publication date", examples=["2026-10-10"])
    published_by: str | None = Field(
        description="Who published: a committee member, or `correction`",
        examples=["committee:tok_1/m1"],
    )
    superseded_by: int | None = Field(description="A later version, if any", examples=[None])
    position: int = Field(description="Ledger position the content was made at", examples=[812])
    content_hash: str = Field(
        description="SHA-256 of the content's canonical JSON", examples=[HASH]
    )
    content: StatementContent = Field(
        description="The statement",
        examples=[
            {
                "complex_id": ID,
                "period": "2026-Q3",
                "period_kind": "quarter",
                "from": "2026-07-01",
                "to": "2026-09-30",
                "opening_balance": "0.00",
                "income": {"total": "0.00", "categories": []},
                "deductions": {"total": "0.00", "lines": []},
                "expenditure": {"total": "0.00", "categories": []},
                "reversals": {"total": "0.00", "lines": []},
                "closing_balance": "0.00",
                "line_count": 0,
            }
        ],
    )
    digest: DigestPublic | None = Field(
        description="Chain heads at publication: check with `commonfund verify --digest`"
    )
    diff: dict[str, Any] | None = Field(
        description="What changed since the previous version, and the entry that caused it",
        examples=[None],
    )

    @field_serializer("content")
    def _exact(self, content: StatementContent) -> dict[str, Any]:
        """The content exactly as hashed: a line shows only the fields its section has."""
        return content.model_dump(mode="json", by_alias=True, exclude_none=True)


class VersionSummary(BaseModel):
    period: str = Field(description="Period", examples=["2026-Q3"])
    version: int = Field(description="Version", examples=[1])
    published_on: str = Field(description="Date", examples=["2026-10-10"])
    content_hash: str = Field(description="SHA-256 of the content", examples=[HASH])
    closing_balance: str = Field(description="Yuan", examples=["51800.00"])
    superseded_by: int | None = Field(description="A later version, if any", examples=[None])


class VersionsPage(BaseModel):
    complex_id: str = Field(description="Complex", examples=[ID])
    items: list[VersionSummary] = Field(description="Every published version, by period")


class LatestStatement(BaseModel):
    period: str = Field(description="Period", examples=["2026-Q3"])
    version: int = Field(description="Version", examples=[1])
    published_on: str = Field(description="Date", examples=["2026-10-10"])


class PublicComplex(BaseModel):
    id: str = Field(description="Complex id", examples=[ID])
    code: str = Field(description="Registry code", examples=["QD-SN-0001"])
    name: str = Field(description="Name", examples=["海逸花园"])
    district: str = Field(description="District code", examples=["370202"])
    street: str = Field(description="Street office code", examples=["370202001"])
    community: str = Field(description="Community code", examples=["370202001001"])
    latest_statement: LatestStatement | None = Field(
        description="The most recently published statement", examples=[None]
    )


class PublicComplexesPage(BaseModel):
    items: list[PublicComplex] = Field(description="Complexes by code")
    next_cursor: str | None = Field(
        description="Pass as ?cursor= for the next page", examples=[None]
    )
