"""The regulators' overview: counts per district and street from the supervision read model."""

from __future__ import annotations

from datetime import date, timedelta

from commonfund.settings import Settings
from commonfund.wiring import statements_runner, supervision_runner
from ledger.application import Ledger
from projections.statements.queries import Statements, publication_basis
from projections.supervision.overview import checked_quarter, overview
from tests.plugins.builders import OPERATOR, member_actor, units, world
from tests.plugins.clock import TODAY, MovableClock


def test_checked_quarter_is_the_last_one_past_its_deadline() -> None:
    assert checked_quarter(date(2026, 11, 26), 15).name == "2026-Q3"
    assert checked_quarter(date(2026, 10, 15), 15).name == "2026-Q2"  # Q3's deadline is today
    assert checked_quarter(date(2026, 10, 16), 15).name == "2026-Q3"


def test_overview_counts_by_district_and_street(
    settings: Settings, ledger: Ledger, clock: MovableClock
) -> None:
    elected = TODAY - timedelta(days=200)
    clock.set_today(date(2026, 10, 10))  # publish the third quarter on time
    w = world(ledger, elected_on=elected)
    w.income(12_000_00, on=date(2026, 9, 1))
    statements = statements_runner(settings, ledger)
    statements.catch_up()
    through, digest = publication_basis(Statements(statements.database), str(w.complex_id),
                                        checked_quarter(TODAY, 15))  # fmt: skip
    ledger.publish_statement(
        w.complex_id, period="2026-Q3", through=through, content_hash=digest,
        actor=member_actor("m1"),
    )  # fmt: skip
    clock.set_today(TODAY)
    decision = w.decision("保洁", 5_000_00, on=TODAY - timedelta(days=5))
    w.pay(w.expenditure(5_000_00, authorisation=decision, on=TODAY - timedelta(days=1)))  # A04
    other = w.decision("绿化", 5_000_00, on=TODAY - timedelta(days=5))
    w.pay(w.expenditure(500_00, authorisation=other, purpose="绿化"))
    ledger.register_complex(
        code="QD-SB-0001", name="北岸花园", district="370203", street="370203001",
        community="370203001001", units=units(3), actor=OPERATOR,
    )  # fmt: skip
    runner = supervision_runner(settings, ledger)
    runner.catch_up()
    try:
        city = overview(runner.database, community_prefix="3702", as_of=TODAY)
        mine = overview(runner.database, community_prefix="370203", as_of=TODAY)
    finally:
        runner.database.close()
        statements.database.close()
    assert city.quarter == "2026-Q3"
    shinan, shibei = city.districts()
    assert (shinan.district, shinan.complexes, shinan.committees_in_office) == ("370202", 1, 1)
    assert (shinan.accounts_open, shinan.balance) == (1, 12_000_00 - 500_00 - 5_000_00)
    assert (shinan.statements_due, shinan.statements_on_time) == (1, 1)
    assert shinan.open_alerts["warning"] >= 1  # A04
    assert (shibei.complexes, shibei.committees_in_office, shibei.accounts_open) == (1, 0, 0)
    assert [a.district for a in mine.streets] == ["370203"]  # a district sees only itself
    assert city.streets[0].street == "370202001"
