"""The maintenance fund's read model (issue #6): it agrees with the ledger, rebuilds alike, and
freezes the annual statement (Disclosure) with the hash the committee published."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import maintenance_runner
from ledger.application import Ledger
from ledger.errors import SubLedgerShortfall
from ledger.maintenance import Item, MaintenanceFund
from ledger.maintenance.receipts import fund_id
from projections.maintenance.content import canonical, hash_of
from projections.maintenance.queries import MaintenanceReads
from projections.runner import Runner
from projections.statements.view import recorded_on
from tests.plugins.builders import OPERATOR, units
from tests.plugins.clock import TODAY, MovableClock
from tests.plugins.maintenance import (
    AUTHORITY,
    OPENED,
    TREASURER,
    Funded,
    funded,
    maintenance_vote,
    pay,
    plan,
    voted_project,
)

TABLES = {
    "mf_funds": "complex_id",
    "mf_units": "complex_id, unit_id",
    "mf_entries": "complex_id, unit_id, position",
    "mf_projects": "project_id",
    "mf_disbursements": "project_id, disbursement_id",
    "mf_statements": "complex_id, year, version",
}


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = maintenance_runner(settings, ledger, batch_size=7)  # batches split transactions
    yield runner
    runner.database.close()


def dump(runner: Runner) -> dict[str, list[Any]]:
    """The serving copy of every table of the view, without the generation column."""
    with runner.database.reading() as tx:
        (generation,) = tx.execute(
            "SELECT generation FROM projection_state WHERE name = 'maintenance'"
        )[0]
        return {
            table: [
                row[1:]
                for row in tx.execute(
                    f"SELECT * FROM {table} WHERE generation = ? ORDER BY {order}",
                    (generation,),
                )
            ]
            for table, order in TABLES.items()
        }


def busy_fund(ledger: Ledger) -> tuple[Funded, UUID]:
    """Two buildings, first deposits, a top-up, a voted repair paid 70%, interest."""
    f = funded(ledger)  # building 1: 12 units of 100 m², 1,000.00 each
    ledger.add_units(f.complex_id, units(4, area=5_000, prefix="2"), actor=OPERATOR)
    ledger.maintenance.record_deposits(
        f.complex_id, dict.fromkeys(["2-001", "2-002", "2-003", "2-004"], 400_00), kind="first",
        on=OPENED + timedelta(days=1), reference="二号楼首次缴存", idempotency_key="first-2",
        actor=AUTHORITY,
    )  # fmt: skip
    ledger.maintenance.record_deposits(
        f.complex_id, {"1-001": 250_00}, kind="additional", on=OPENED + timedelta(days=5),
        reference="续筹", idempotency_key="top-up", actor=AUTHORITY,
    )  # fmt: skip
    affected = ["1-001", "1-002", "2-001", "2-002"]
    project = voted_project(f, affected, budget=1_200_00)
    pay(f, project, 840_00, key_="p1", on=TODAY - timedelta(days=1))  # 70% before acceptance
    ledger.maintenance.record_interest(
        f.complex_id, 37_13, period_from=OPENED, period_to=TODAY - timedelta(days=1), on=TODAY,
        reference="结息", actor=AUTHORITY,
    )  # fmt: skip
    return f, project


def test_the_read_model_agrees_with_the_fund(ledger: Ledger, runner: Runner) -> None:
    f, project = busy_fund(ledger)
    runner.catch_up()
    reads = MaintenanceReads(runner.database)
    fund = ledger.maintenance.fund(f.complex_id)
    totals = reads.totals(str(f.complex_id))
    assert totals is not None
    assert (totals.balance, totals.units) == (fund.balance, len(fund.units))
    assert totals.deposits == 12 * 1_000_00 + 4 * 400_00 + 250_00
    assert (totals.interest, totals.disbursed) == (37_13, 840_00)
    for unit_id in fund.units:
        ledger_ = reads.unit_ledger(str(f.complex_id), unit_id, after=0, limit=100)
        assert ledger_ is not None
        assert ledger_.balance == fund.unit_balance(unit_id)  # H10, unit by unit
        assert ledger_.lines[-1]["balance_after"] == ledger_.balance
        assert sum(line["amount"] for line in ledger_.lines) == ledger_.balance
    found = reads.project(str(project))
    assert found is not None
    p, payments = found
    assert (p["disbursed"], p["affected_units"]) == (840_00, 4)
    assert p["buildings"] == {"1": {"units": 2, "area": 20_000}, "2": {"units": 2, "area": 10_000}}
    (payment,) = payments
    # by floor area: building 1's two units have twice the area of building 2's two
    assert payment["by_building"] == {"1": 560_00, "2": 280_00}
    assert payment["payee"] == "青岛某建筑工程有限公司"


def test_a_unit_ledger_pages_by_position(ledger: Ledger, runner: Runner) -> None:
    f, _ = busy_fund(ledger)
    runner.catch_up()
    reads = MaintenanceReads(runner.database)
    first = reads.unit_ledger(str(f.complex_id), "1-001", after=0, limit=2)
    assert first is not None
    assert [line["kind"] for line in first.lines] == ["first", "additional"]
    rest = reads.unit_ledger(
        str(f.complex_id), "1-001", after=first.lines[-1]["position"], limit=10
    )
    assert rest is not None
    assert [line["kind"] for line in rest.lines] == ["disbursement", "interest"]
    assert first.entries == 4
    assert rest.lines[0]["reference"].startswith("disbursement:")


def test_a_refused_disbursement_changes_no_sub_ledger(ledger: Ledger, runner: Runner) -> None:
    f = funded(ledger, amount=100_00)
    project = voted_project(f, ["1-001", "1-002"], budget=1_000_00)
    runner.catch_up()
    before = dump(runner)
    with pytest.raises(SubLedgerShortfall) as refused:
        pay(f, project, 600_00, key_="too-much")
    assert [s["unit_id"] for s in refused.value.shortfalls] == ["1-001", "1-002"]
    runner.catch_up()
    assert dump(runner)["mf_entries"] == before["mf_entries"]


def test_a_rebuild_equals_the_live_read_model(ledger: Ledger, runner: Runner) -> None:
    busy_fund(ledger)
    runner.catch_up()
    live = dump(runner)
    assert len(live["mf_entries"]) > 16
    assert runner.rebuild() == runner.head()
    assert dump(runner) == live
    with runner.database.reading() as tx:
        assert tx.execute("SELECT DISTINCT generation FROM mf_entries") == [(2,)]


def publish_2026(f: Funded, runner: Runner, clock: MovableClock) -> tuple[int, str]:
    runner.catch_up()
    through, digest = MaintenanceReads(runner.database).publication_basis(str(f.complex_id), 2026)
    clock.set_today(date(2027, 3, 1))
    f.ledger.maintenance.publish_annual_statement(
        f.complex_id, 2026, through=through, content_hash=digest, actor=TREASURER
    )
    runner.catch_up()
    return through, digest


def test_the_annual_statement_is_frozen_with_its_hash_and_adds_up(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, project = busy_fund(ledger)
    fund = ledger.maintenance.fund(f.complex_id)
    through, digest = publish_2026(f, runner, clock)
    ledger.maintenance.record_deposits(  # after publication: not in the frozen statement
        f.complex_id, {"1-003": 10_00}, kind="additional", on=date(2027, 3, 1), reference="",
        idempotency_key="later", actor=AUTHORITY,
    )  # fmt: skip
    runner.catch_up()
    published = MaintenanceReads(runner.database).published(str(f.complex_id), 2026)
    assert published is not None
    assert (published.through, published.content_hash, published.hash_matches) == (
        through,
        digest,
        True,
    )
    content = published.content
    totals = content["totals"]
    assert totals["opening"] == "0.00"
    assert totals["closing"] == f"{fund.balance // 100}.{fund.balance % 100:02d}"
    assert (totals["deposits"], totals["interest"], totals["disbursements"]) == (
        "13850.00",
        "37.13",
        "840.00",
    )
    assert totals["units"] == 16
    buildings = {b["building"]: b for b in content["buildings"]}
    assert set(buildings) == {"1", "2"}
    closing = sum(fund.unit_balance(u) for u in fund.units if u.startswith("2-"))
    assert buildings["2"]["closing"] == f"{closing // 100}.{closing % 100:02d}"
    (shown,) = content["projects"]
    assert shown["project_id"] == str(project)
    assert [a["disbursed_in_year"] for a in shown["apportionment"]] == ["560.00", "280.00"]
    assert "1-001" not in str(content)  # no unit in public
    # the same content rebuilt from the log has the same hash
    assert runner.rebuild() == runner.head()
    again = MaintenanceReads(runner.database).published(str(f.complex_id), 2026)
    assert again is not None
    assert hash_of(canonical(again.content)) == digest


def late_interest(f: Funded, amount: int = 12_34) -> None:
    """The bank's interest of 26 November to 31 December 2026, dated the 31st: recorded late."""
    f.ledger.maintenance.record_interest(
        f.complex_id, amount, period_from=TODAY, period_to=date(2026, 12, 31),
        on=date(2026, 12, 31), reference="2026年末结息", actor=AUTHORITY,
    )  # fmt: skip


def test_a_movement_dated_into_a_published_year_makes_its_next_version_with_a_diff(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, _ = busy_fund(ledger)
    through, digest = publish_2026(f, runner, clock)
    reads = MaintenanceReads(runner.database)
    first = reads.published(str(f.complex_id), 2026)
    assert first is not None
    assert first.version == 1
    late_interest(f)  # recorded on 1 March 2027, dated 31 December 2026
    ledger.maintenance.record_deposits(  # dated 2027: not the 2026 statement's
        f.complex_id, {"1-003": 10_00}, kind="additional", on=date(2027, 3, 1), reference="",
        idempotency_key="later", actor=AUTHORITY,
    )  # fmt: skip
    runner.catch_up()
    latest = reads.published(str(f.complex_id), 2026)
    assert latest is not None
    assert (latest.version, latest.superseded_by, latest.published_by) == (2, None, "correction")
    late = [
        e
        for e in ledger.events.get(fund_id(f.complex_id))
        if isinstance(e, MaintenanceFund.InterestAllocated) and e.value_date == "2026-12-31"
    ]
    assert latest.published_on == recorded_on(late[0])  # the day the late entry was recorded
    assert (latest.content["totals"]["interest"], first.content["totals"]["interest"]) == (
        "49.47",
        "37.13",
    )
    assert latest.hash_matches
    assert latest.content_hash == hash_of(canonical(latest.content))
    diff = latest.diff
    assert diff is not None
    assert diff["cause"]["movement"] == "interest"
    assert (diff["cause"]["value_date"], diff["cause"]["amount"]) == ("2026-12-31", "12.34")
    assert diff["cause"]["recorded_on"] == latest.published_on
    assert diff["cause"]["event"] == f"{late[0].originator_id}/{late[0].originator_version}"
    assert diff["totals"]["interest"] == {"before": "37.13", "after": "49.47"}
    assert diff["totals"]["closing"]["after"] == latest.content["totals"]["closing"]
    assert {b["building"] for b in diff["buildings"]} == {"1", "2"}  # every unit earned some
    # version 1 stays as it was published, and says what superseded it
    again = reads.published(str(f.complex_id), 2026, version=1)
    assert again is not None
    assert (again.content, again.content_hash, again.superseded_by) == (first.content, digest, 2)
    assert (again.through, again.diff) == (through, None)
    assert [v.version for v in reads.versions(str(f.complex_id), 2026)] == [1, 2]
    # a rebuild makes the same versions from the log
    live = dump(runner)
    assert runner.rebuild() == runner.head()
    assert dump(runner) == live


def test_a_backdated_acceptance_makes_the_next_version_of_the_year(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, project = busy_fund(ledger)
    publish_2026(f, runner, clock)
    ledger.maintenance.accept_project(
        project, on=date(2026, 12, 20), reference="竣工验收单", actor=TREASURER
    )
    runner.catch_up()
    latest = MaintenanceReads(runner.database).published(str(f.complex_id), 2026)
    assert latest is not None
    assert latest.version == 2
    (shown,) = latest.content["projects"]
    assert shown["accepted_on"] == "2026-12-20"
    assert latest.diff is not None
    assert latest.diff["cause"]["movement"] == "acceptance"
    assert [c["project_id"] for c in latest.diff["projects"]["changed"]] == [str(project)]


def test_an_entry_recorded_while_publishing_makes_version_2(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, _ = busy_fund(ledger)
    runner.catch_up()
    through, digest = MaintenanceReads(runner.database).publication_basis(str(f.complex_id), 2026)
    clock.set_today(date(2027, 3, 1))
    late_interest(f)  # after the draft the committee saw, before its publication
    ledger.maintenance.publish_annual_statement(
        f.complex_id, 2026, through=through, content_hash=digest, actor=TREASURER
    )
    runner.catch_up()
    reads = MaintenanceReads(runner.database)
    first = reads.published(str(f.complex_id), 2026, version=1)
    latest = reads.published(str(f.complex_id), 2026)
    assert first is not None
    assert latest is not None
    assert (first.content_hash, first.hash_matches, first.superseded_by) == (digest, True, 2)
    assert first.content["totals"]["interest"] == "37.13"
    assert (latest.version, latest.content["totals"]["interest"]) == (2, "49.47")
    assert latest.diff is not None
    assert latest.diff["cause"]["movement"] == "recorded_while_publishing"


def test_a_year_published_without_later_changes_keeps_one_version(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, _ = busy_fund(ledger)
    publish_2026(f, runner, clock)
    ledger.maintenance.record_deposits(  # dated after the year
        f.complex_id, {"1-003": 10_00}, kind="additional", on=date(2027, 3, 1), reference="",
        idempotency_key="later", actor=AUTHORITY,
    )  # fmt: skip
    runner.catch_up()
    assert [
        v.version for v in MaintenanceReads(runner.database).versions(str(f.complex_id), 2026)
    ] == [1]


def test_a_runner_that_resumes_reads_which_years_are_published(
    settings: Settings, ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    f, _ = busy_fund(ledger)
    publish_2026(f, runner, clock)
    late_interest(f)
    resumed = maintenance_runner(settings, ledger)  # another process: its view knows nothing
    try:
        resumed.catch_up()
        found = MaintenanceReads(resumed.database).published(str(f.complex_id), 2026)
    finally:
        resumed.database.close()
    assert found is not None
    assert (found.version, found.content["totals"]["interest"]) == (2, "49.47")


def test_registered_unit_ids_in_a_projects_text_are_masked_in_public(
    ledger: Ledger, runner: Runner, clock: MovableClock
) -> None:
    """Issue #12, item 12: a unit id of any shape the complex registered (here 1-001, which no
    rule of three parts catches) shows its building only in the public annual statement."""
    f = funded(ledger)
    affected = ["1-001", "1-002"]
    resolution_id = maintenance_vote(f, affected, key_="vote-units")
    titled = replace(
        plan(affected, resolution_id=resolution_id, budget=900_00),
        title="1-001、1-002屋面漏水维修",
        items=[Item(description="1-002室内墙面修补", amount=900_00)],
    )
    ledger.maintenance.plan_project(f.complex_id, titled, idempotency_key="units", actor=TREASURER)
    publish_2026(f, runner, clock)
    published = MaintenanceReads(runner.database).published(str(f.complex_id), 2026)
    assert published is not None
    (shown,) = published.content["projects"]
    assert shown["title"] == "1-*、1-*屋面漏水维修"
    assert [i["description"] for i in shown["items"]] == ["1-*室内墙面修补"]
