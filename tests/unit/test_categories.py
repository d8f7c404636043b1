"""The categories the API accepts are the ledger's: one list, shown twice (the OpenAPI enum)."""

from __future__ import annotations

from typing import get_args

from api.schemas import ExpenditureCategory, IncomeCreate
from ledger.policy import DEFAULT_POLICY


def test_the_api_accepts_exactly_the_ledgers_expenditure_categories() -> None:
    assert set(get_args(ExpenditureCategory)) == DEFAULT_POLICY.expenditure_categories


def test_the_api_accepts_exactly_the_ledgers_income_categories() -> None:
    accepted = set(get_args(IncomeCreate.model_fields["category"].annotation))
    assert accepted == DEFAULT_POLICY.income_categories
