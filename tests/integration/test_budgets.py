"""Resolutions that authorise spending carry a structured budget (issue #12 item 16).

A budget is an expenditure category, an amount cap and a period (the resolution's). H05 matches
a payment to it by category, cap and period; a resolution without a budget category (all those
recorded before budgets had one) still matches by purpose, as it always did.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from ledger.application import Ledger
from ledger.chain import GENESIS, event_hash
from ledger.committees.resolution import Budget, Resolution
from ledger.errors import AuthorisationMissing, InvalidCommand, UnknownCategory
from ledger.integrity import verify
from ledger.topics import hashed_topic
from tests.plugins.builders import OPERATOR, World, world
from tests.plugins.clock import TODAY

FROM, TO = TODAY - timedelta(days=30), TODAY + timedelta(days=60)


def budget(w: World, category: str | None, cap: int, *, purpose: str = "2026年度维修预算") -> str:
    return w.ledger.record_resolution(
        w.complex_id, idempotency_key=w.next_key("res"), matter=9, purpose=purpose,
        amount_cap=cap, period_from=FROM, period_to=TO, scope_units=None,
        participated=w.unit_ids, consented=w.unit_ids, closed_on=FROM, budget_category=category,
        actor=OPERATOR,
    ).id  # fmt: skip


def repair(w: World, amount: int, resolution_id: str, *, on: date = TODAY, **more: str) -> str:
    details = w.expenditure(
        amount, authorisation=resolution_id, kind="resolution", purpose=more.pop("purpose", "x"),
        on=on,
    )  # fmt: skip
    return w.pay(replace(details, category=more.pop("category", "repairs")))


# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


def test_a_budget_covers_payments_of_its_category_within_its_cap_and_period(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    w.income(100_000_00, on=FROM)
    res = budget(w, "repairs", 10_000_00)
    assert ledger.resolution(UUID(res)).budget == Budget("repairs", 10_000_00, FROM, TO)
    repair(w, 6_000_00, res, purpose="更换单元门禁")  # any purpose: the category is the match
    repair(w, 4_000_00, res, purpose="修补屋面", on=FROM)  # the period's first day
    with pytest.raises(AuthorisationMissing, match="caps spending"):
        repair(w, 1, res, purpose="修补屋面")
    other = budget(w, "repairs", 10_000_00)
    with pytest.raises(AuthorisationMissing, match="budgets repairs, not cleaning_greening") as no:
        repair(w, 6_000_00, other, category="cleaning_greening")
    assert str(no.value.detail).startswith("resolution ")  # A01 reads it as not covering


def test_a_budget_covers_nothing_outside_its_period(ledger: Ledger) -> None:
    w = world(ledger, elected_on=TODAY - timedelta(days=120))
    w.income(100_000_00, on=FROM - timedelta(days=30))
    res = budget(w, "repairs", 60_000_00)
    with pytest.raises(AuthorisationMissing, match="not a payment dated"):
        repair(w, 6_000_00, res, on=FROM - timedelta(days=1))


def test_a_resolution_without_a_budget_category_still_matches_by_purpose(ledger: Ledger) -> None:
    w = world(ledger)
    w.income(100_000_00, on=FROM)
    res = budget(w, None, 60_000_00, purpose="更换门禁系统")
    assert ledger.resolution(UUID(res)).budget is None
    repair(w, 6_000_00, res, purpose="更换门禁系统", category="other")
    with pytest.raises(AuthorisationMissing, match="another purpose"):
        repair(w, 6_000_00, res, purpose="修补屋面")


@pytest.mark.parametrize(
    ("bad", "error", "message"),
    [
        (("flowers", 1_000_00, False), UnknownCategory, "not an expenditure category"),
        (("repairs", None, False), InvalidCommand, "amount_cap"),
        (("repairs", 1_000_00, True), InvalidCommand, "whole assembly"),
    ],
)
def test_a_budget_names_a_category_and_a_cap_and_is_the_whole_assemblys(
    ledger: Ledger, bad: tuple[str, int | None, bool], error: type[Exception], message: str
) -> None:
    category, cap, scoped = bad
    w = world(ledger)
    with pytest.raises(error, match=message):
        w.ledger.record_resolution(
            w.complex_id, idempotency_key="r", matter=5 if scoped else 9, purpose="预算",
            amount_cap=cap, period_from=FROM, period_to=TO,
            scope_units=w.unit_ids[:3] if scoped else None, participated=w.unit_ids[:3],
            consented=w.unit_ids[:3], closed_on=FROM, budget_category=category, actor=OPERATOR,
        )  # fmt: skip


def stored_before_budgets(ledger: Ledger, w: World, *, purpose: str, cap: int) -> UUID:
    """A resolution as the ledger wrote it before budgets (Resolution.Recorded version 1), under
    its topic of then (ledger.resolution, before issue #13 moved it: ledger/topics.py)."""
    resolution_id = uuid4()
    topic = hashed_topic(Resolution.Recorded)
    fields = {
        "complex_id": str(w.complex_id), "matter": 9, "purpose": purpose, "amount_cap": cap,
        "period_from": FROM.isoformat(), "period_to": TO.isoformat(), "scope_units": None,
        "participated": sorted(w.unit_ids), "consented": sorted(w.unit_ids),
        "closed_on": FROM.isoformat(),
        "tally": {"scope_area": 1, "scope_heads": 1, "participating_area": 1,
                  "participating_heads": 1, "consenting_area": 1, "consenting_heads": 1,
                  "participation_met": True, "consent_met": True},
        "passed": True, "fingerprint": "legacy", "principal": "operator:legacy",
        "value_date": FROM.isoformat(), "originator_topic": hashed_topic(Resolution),
        "timestamp": datetime(2026, 10, 27, 2, 0, tzinfo=UTC), "chain_prev": GENESIS,
    }  # fmt: skip
    hashed = {**fields, "originator_id": resolution_id, "originator_version": 1}
    state = {**fields, "chain_hash": event_hash(topic, hashed)}
    ledger.recorder.insert_events(
        [StoredEvent(resolution_id, 1, topic, ledger.mapper.transcoder.encode(state))]
    )
    return resolution_id


@pytest.mark.stores("sqlite", "postgres")  # an event stored by older code
def test_a_resolution_recorded_before_budgets_keeps_its_meaning_and_its_hash(
    ledger: Ledger,
) -> None:
    w = world(ledger)
    w.income(100_000_00, on=FROM)
    old = stored_before_budgets(ledger, w, purpose="更换门禁系统", cap=60_000_00)
    resolution = ledger.resolution(old)
    assert (resolution.budget_category, resolution.budget) == (None, None)  # the upcast
    repair(w, 6_000_00, str(old), purpose="更换门禁系统")  # matched by purpose, as before
    report = verify(ledger)
    assert report.ok, report.breaks  # hashed as it was recorded, not as it is read now
    assert report.heads[str(old)][0] == 1
