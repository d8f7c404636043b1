"""The demo complex: one realistic year of a complex in Qingdao's Shinan district (市南区)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from commonfund.settings import Settings
from commonfund.synthetic import BusinessClock, build_complex, plan_complex, seeded
from ledger.application import Ledger
from ledger.money import format_fen

DEMO_CODE = "QD-SN-DEMO-001"
DEMO_SEED = 2026


def load_demo(settings: Settings) -> dict[str, Any]:
    """Register the demo complex with 300 units, a filed and sealed committee, an account, a year
    of income and payments, an election and a repair resolution; return what was made."""
    probe = Ledger(env=settings.eventsourcing_env(), policy=settings.policy())
    today = probe.today()
    probe.close()
    clock = BusinessClock(today, settings.timezone)
    ledger = Ledger(env=settings.eventsourcing_env(), policy=settings.policy(), clock=clock)
    try:
        rng = seeded("demo", DEMO_SEED)
        spec = plan_complex(
            code=DEMO_CODE,
            name="海韵花园",
            district="370202",
            street="370202008",
            community="370202008002",
            unit_count=300,
            today=today,
            rng=rng,
            identity_secret=settings.identity_secret,
        )
        built = build_complex(ledger, spec, rng, today)
        account = ledger.account_summary(UUID(built.account_id))
    finally:
        ledger.close()
    return {
        "complex": {"code": built.code, "name": spec.name, "id": built.complex_id},
        "district": "370202 市南区",
        "units": built.units,
        "committee_id": built.committee_id,
        "account_id": built.account_id,
        "resolutions": list(built.resolution_ids),
        "income_entries": built.incomes,
        "payments": built.payments,
        "reversals": built.reversals,
        "balance": format_fen(account.balance),
        "as_of": today.isoformat(),
    }
