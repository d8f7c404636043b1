"""The bank feed's bodies (issue #14): money as yuan strings with two decimals, dates ISO."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from api.schemas import Strict
from ledger.money import format_fen

ID = "57af9fd5-795c-5088-8973-04c31927217e"


def _yuan(fen: int | None) -> str | None:
    return None if fen is None else format_fen(fen)


class BankImportPublic(BaseModel):
    account_id: str = Field(description="Account", examples=[ID])
    format: str = Field(description="What the file was read as", examples=["camt.053.001.08"])
    message_id: str = Field(description="GrpHdr/MsgId (or the CSV's hash)", examples=["MSG-1"])
    sha256: str = Field(description="SHA-256 of the bytes received", examples=["ab" * 32])
    statements: int = Field(description="Statements recorded now", examples=[1])
    statements_known: int = Field(
        description="Statements recorded before (a re-import)", examples=[0]
    )
    lines: int = Field(description="Bank transactions recorded now", examples=[42])
    lines_known: int = Field(
        description="Transactions recorded before (a re-import or an overlap)", examples=[0]
    )
    matched: int = Field(description="Automatic matches made now", examples=[40])
    unmatched: int = Field(description="Automatic matches given up now", examples=[0])
    continuity_breaks: int = Field(
        description="Opening ≠ previous closing, or a sequence gap (B07)", examples=[0]
    )
    version: int = Field(description="The feed's stream version after the import", examples=[3])


class BankStatementPublic(BaseModel):
    statement_id: str = Field(description="Stmt/Id (a CSV: its hash)", examples=["STMT-2026-11"])
    message_id: str = Field(description="GrpHdr/MsgId", examples=["MSG-1"])
    format: str = Field(description="What the file was read as", examples=["camt.053.001.08"])
    sequence: int | None = Field(description="ElctrncSeqNb", examples=[11])
    from_on: str | None = Field(
        description="First day the statement covers", examples=["2026-11-01"]
    )
    to_on: str | None = Field(description="Last day it covers", examples=["2026-11-30"])
    opening: str | None = Field(description="Opening balance, yuan", examples=["1000.00"])
    closing: str | None = Field(description="Closing balance, yuan", examples=["1200.00"])
    closing_on: str | None = Field(
        description="Date of the closing balance", examples=["2026-11-30"]
    )
    lines: int = Field(description="Transactions in the statement", examples=[42])
    new: int = Field(description="Of them recorded with it (the rest came before)", examples=[42])
    breaks: list[dict[str, Any]] = Field(description="Continuity breaks (B07)", examples=[[]])
    recorded_at: str = Field(
        description="When it was recorded", examples=["2026-12-01T02:00:00+00:00"]
    )
    recorded_by: str = Field(description="Who fed it", examples=["bank:tok_1"])


class BankLinePublic(BaseModel):
    key: str = Field(
        description="The line's key (the bank's reference)",
        examples=["2026113000012"],
    )
    reference: str = Field(description="AcctSvcrRef / 流水号", examples=["2026113000012"])
    direction: str = Field(description="credit (in) or debit (out)", examples=["debit"])
    amount: str = Field(description="Yuan", examples=["3000.00"])
    value_on: str = Field(description="Value date", examples=["2026-11-28"])
    booked_on: str = Field(description="Booking date", examples=["2026-11-28"])
    counterparty: str = Field(
        description="As the public may see it (a person masked)", examples=["张*"]
    )
    age_working_days: int = Field(description="Working days since its value date", examples=[2])


class LedgerLinePublic(BaseModel):
    entry_id: str = Field(description="Ledger entry", examples=[ID])
    kind: str = Field(description="Entry kind", examples=["income"])
    direction: str = Field(description="credit (in) or debit (out)", examples=["credit"])
    amount: str = Field(description="Yuan", examples=["300.00"])
    value_on: str = Field(description="Value date", examples=["2026-11-28"])
    age_working_days: int = Field(description="Working days since its value date", examples=[2])


class MatchPublic(BaseModel):
    match_id: str = Field(description="Match id", examples=["m-3f9a"])
    how: str = Field(
        description="reference, reversal, ledger_reversal, amount or manual", examples=["amount"]
    )
    bank_keys: list[str] = Field(description="Bank lines matched", examples=[["2026113000012"]])
    entry_ids: list[str] = Field(description="Ledger entries matched", examples=[[ID]])
    by: str = Field(
        description="Who matched (system for the automatic)",
        examples=["system:commonfund"],
    )
    reason: str = Field(description="Why", examples=["automatic matching"])
    at: str = Field(description="When", examples=["2026-12-01T02:00:00+00:00"])


class ReconciliationPublic(BaseModel):
    account_id: str = Field(description="Account", examples=[ID])
    as_of: str = Field(description="The day asked about", examples=["2026-11-30"])
    bank_code: str = Field(description="The bank's CNAPS code", examples=["313452060150"])
    bank_balance: str | None = Field(
        description="Closing balance the bank reported", examples=["1200.00"]
    )
    bank_balance_on: str | None = Field(description="Date of that balance", examples=["2026-11-30"])
    ledger_balance: str | None = Field(
        description="The ledger's balance that day", examples=["1200.00"]
    )
    difference: str | None = Field(description="Bank − ledger", examples=["0.00"])
    reconciled_through: str | None = Field(
        description="Up to this date everything matched and the balances agree",
        examples=["2026-11-30"],
    )
    unmatched_bank: list[BankLinePublic] = Field(description="Bank lines no entry explains")
    unmatched_ledger: list[LedgerLinePublic] = Field(description="Entries the bank does not show")
    matches: list[MatchPublic] = Field(description="Matches, automatic and by hand")
    statements: int = Field(description="Statements recorded", examples=[12])
    last_statement_on: str | None = Field(
        description="Closing date of the latest", examples=["2026-11-30"]
    )


class LinkCreate(Strict):
    bank_lines: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Keys of the bank lines",
        examples=[["2026113000012"]],
    )
    entries: list[str] = Field(
        min_length=1,
        max_length=100,
        description="Ledger entry ids",
        examples=[[ID]],
    )
    reason: str = Field(
        description="Why", min_length=1, max_length=2000, examples=["两笔停车费合并存入银行"]
    )


class LinkPublic(BaseModel):
    link_id: str = Field(description="Link id (DELETE it to undo)", examples=["link-" + ID])
    account_id: str = Field(description="Account", examples=[ID])
    bank_lines: list[str] = Field(description="Bank lines (keys)", examples=[["QD-003"]])
    entries: list[str] = Field(description="Ledger entry ids", examples=[[ID]])
    reason: str = Field(description="Why", examples=["两笔停车费合并存入银行"])
    by: str = Field(description="Who linked", examples=["committee:tok_1/m2"])


def _day(value: Any) -> str | None:
    return None if value is None else str(value)


def statement_public(s: dict[str, Any]) -> BankStatementPublic:
    return BankStatementPublic(
        **{
            **s,
            "from_on": _day(s.get("from_on")),
            "to_on": _day(s.get("to_on")),
            "closing_on": _day(s.get("closing_on")),
            "opening": _yuan(s.get("opening")),
            "closing": _yuan(s.get("closing")),
            "breaks": list(s.get("breaks") or []),
        }
    )


def reconciliation_public(r: dict[str, Any]) -> ReconciliationPublic:
    def day(value: Any) -> str | None:
        return None if value is None else str(value)

    return ReconciliationPublic(
        account_id=str(r["account_id"]),
        as_of=str(r["as_of"]),
        bank_code=r.get("bank_code") or "",
        bank_balance=_yuan(r.get("bank_balance")),
        bank_balance_on=day(r.get("bank_balance_on")),
        ledger_balance=_yuan(r.get("ledger_balance")),
        difference=_yuan(r.get("difference")),
        reconciled_through=day(r.get("reconciled_through")),
        unmatched_bank=[
            BankLinePublic(
                key=ln["key"],
                reference=ln.get("reference", ""),
                direction=ln["direction"],
                amount=format_fen(ln["amount"]),
                value_on=str(ln["value_on"]),
                booked_on=str(ln.get("booked_on") or ln["value_on"]),
                counterparty=ln.get("counterparty", ""),
                age_working_days=ln["age_working_days"],
            )
            for ln in r.get("unmatched_bank", [])
        ],
        unmatched_ledger=[
            LedgerLinePublic(
                entry_id=e["entry_id"],
                kind=e["kind"],
                direction=e["direction"],
                amount=format_fen(e["amount"]),
                value_on=str(e["value_on"]),
                age_working_days=e["age_working_days"],
            )
            for e in r.get("unmatched_ledger", [])
        ],
        matches=[
            MatchPublic(
                match_id=m["match_id"],
                how=m["how"],
                bank_keys=list(m["bank_keys"]),
                entry_ids=list(m["entry_ids"]),
                by=m.get("by", ""),
                reason=m.get("reason", ""),
                at=str(m.get("at", "")),
            )
            for m in r.get("matches", [])
        ],
        statements=r.get("statements", 0),
        last_statement_on=day(r.get("last_statement_on")),
    )
