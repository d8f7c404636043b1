"""The maintenance fund's stream ids, the plan a committee submits and what its commands answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid5

from ledger import ids
from ledger.maintenance.fund import Contractor, Emergency, Item
from ledger.requests import fingerprint


def fund_id(complex_id: UUID) -> UUID:
    return uuid5(ids.NAMESPACE, f"maintenance-fund/{complex_id}")


def project_id(complex_id: UUID, idempotency_key: str) -> UUID:
    return uuid5(ids.NAMESPACE, f"maintenance-project/{complex_id}/{idempotency_key}")


def batch_id(fund: UUID, idempotency_key: str) -> UUID:
    return uuid5(fund, f"batch/{idempotency_key}")


@dataclass(frozen=True, slots=True)
class FundReceipt:
    """What a fund command made: the id, the stream version, the fund's balance after it."""

    id: str
    version: int
    fund_balance: int
    replayed: bool = False
    parts: int = 0  # how many unit sub-ledgers it moved
    status: str = ""


@dataclass(frozen=True, slots=True)
class ProjectPlan:
    """A repair project as the committee submits it (H07–H09)."""

    title: str
    items: list[Item]
    budget: int
    contract_sum: int
    contractor: Contractor
    affected_units: list[str]
    plan_published_on: date | None = None
    resolution_id: UUID | None = None
    emergency: Emergency | None = None


def interest_fingerprint(
    amount: int, period_from: date, period_to: date, on: date, reference: str
) -> str:
    return fingerprint(
        {"amount": amount, "period": [period_from, period_to], "on": on, "reference": reference}
    )
