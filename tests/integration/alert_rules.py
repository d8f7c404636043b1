"""Helpers for the alert-rule tests: a supervision runner, payments with their own authority, ticks."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from ledger.account.entries import IncomeDetails, Party
from projections.runner import Runner
from projections.supervision.queries import AlertFilter, AlertRow, Alerts
from tests.plugins.builders import COMPANY, OPERATOR, World, member_actor
from tests.plugins.clock import TODAY


def org(name: str) -> Party:
    return Party(name=name, kind="organisation", identity_key="", bank_account="")


def alerts(runner: Runner, rule: str | None = None) -> list[AlertRow]:
    runner.catch_up()
    rows = Alerts(runner.database).page(AlertFilter(rule=rule), after=None, limit=1000)
    return sorted(rows, key=lambda a: (a.raised_on, a.trigger))


def pay(  # noqa: PLR0917 - a test's short call
    w: World,
    amount: int,
    payee: Party = COMPANY,
    on: date = TODAY,
    purpose: str = "保洁",
    category: str = "cleaning_greening",
    contract_ref: str = "",
) -> str:
    """A payment under its own committee decision (cap = the amount), decided before it."""
    decision = w.decision(
        purpose, amount, on=min(on, TODAY - timedelta(days=1)) - timedelta(days=1)
    )
    details = w.expenditure(
        amount, authorisation=decision, purpose=purpose, payee=payee, on=on,
        contract_ref=contract_ref,
    )  # fmt: skip
    return w.pay(replace(details, category=category))


def resolution(
    w: World,
    purpose: str,
    cap: int | None,
    start: date,
    end: date,
    *,
    matter: int = 9,
    closed: date | None = None,
    budget_category: str | None = None,
) -> str:
    return w.ledger.record_resolution(
        w.complex_id, idempotency_key=w.next_key("res"), matter=matter, purpose=purpose,
        amount_cap=cap, period_from=start, period_to=end, scope_units=None,
        participated=w.unit_ids, consented=w.unit_ids, closed_on=closed or start,
        budget_category=budget_category, actor=OPERATOR,
    ).id  # fmt: skip


def income(
    w: World,
    amount: int,
    on: date,
    *,
    category: str = "parking",
    contract_ref: str = "",
    payer: Party = COMPANY,
) -> str:
    details = IncomeDetails(
        category=category, payer=payer, amount=amount, value_date=on, contract_ref=contract_ref
    )
    return w.ledger.record_income(
        w.account_id, details, idempotency_key=w.next_key("inc"), actor=member_actor("m1")
    ).id
