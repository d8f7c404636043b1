"""One synthetic complex with an open account, written through a Ledger: what the account
benchmarks (entries, account_load, bank_import) start from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from commonfund.settings import Settings
from commonfund.synthetic import BusinessClock, build_complex, plan_complex, seeded
from commonfund.wiring import personal_keys
from ledger.application import Ledger


@dataclass(frozen=True, slots=True)
class Built:
    ledger: Ledger  # the writer; the caller closes it
    complex_id: str
    account_id: UUID
    opened_on: date


def writer(settings: Settings, today: date) -> Ledger:
    """A Ledger on the benchmark's store whose business day is ``today``."""
    return Ledger(
        personal=personal_keys(settings),
        env=settings.eventsourcing_env(),
        policy=settings.policy(),
        clock=BusinessClock(today, settings.timezone),
    )


def one_complex(settings: Settings, today: date, *, prefix: str, name: str) -> Built:
    """A complex of 100 units (a fresh code each run), its committee sealed, its account open."""
    ledger = writer(settings, today)
    run = uuid4().hex[:8]
    rng = seeded(prefix.lower(), run)
    spec = plan_complex(
        code=f"{prefix}-{run}",
        name=name,
        district="370202",
        street="370202001",
        community="370202001001",
        unit_count=100,
        today=today,
        rng=rng,
        identity_secret=settings.identity_secret,
    )
    built = build_complex(ledger, spec, rng, today)
    return Built(ledger, built.complex_id, UUID(built.account_id), built.opened_on)
