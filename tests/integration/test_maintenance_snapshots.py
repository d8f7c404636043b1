"""A fund's snapshot is taken from the fund just saved (issue #6): it must equal the replayed state."""

from __future__ import annotations

from ledger.application import Ledger
from ledger.integrity import verify
from ledger.maintenance import MaintenanceFund
from ledger.maintenance.receipts import fund_id
from tests.plugins.clock import TODAY
from tests.plugins.maintenance import funded, pay, voted_project


def test_the_tenth_event_snapshots_the_saved_fund_and_it_equals_the_replay(ledger: Ledger) -> None:
    f = funded(ledger)
    project = voted_project(f, f.world.unit_ids, budget=60_000_00)
    the_fund = fund_id(f.complex_id)
    version = ledger.peek(the_fund, MaintenanceFund, lambda fund: fund.version)
    n = 0
    while version < 11:  # one payout's save takes the snapshot at version 10, one follows it
        n += 1
        pay(f, project, 1_000_00 + n, key_=f"pay-{n}", on=TODAY)
        version += 1
    assert ledger.snapshots is not None
    [snapshot] = list(ledger.snapshots.get(the_fund, desc=True, limit=1))
    assert snapshot.originator_version == 10

    replayed_at_10 = None
    for event in ledger.events.get(the_fund, lte=10):
        replayed_at_10 = event.mutate(replayed_at_10)  # type: ignore[attr-defined]
    from_snapshot = snapshot.mutate(None)  # type: ignore[attr-defined]
    assert vars(from_snapshot) == vars(replayed_at_10)

    cold = Ledger(env=ledger.env, policy=ledger.policy, clock=ledger.clock)  # snapshot + 1 event
    try:
        assert vars(cold.maintenance.fund(f.complex_id)) == vars(
            ledger.maintenance.fund(f.complex_id)
        )
    finally:
        cold.close()
    assert verify(ledger).ok  # H12: the latest snapshot equals the state replayed from the events
