"""A published statement carries the bank status of its period (issue #14; domain.md Disclosure).

Publication freezes the reconciliation as of the period's end in version 1, under the
content hash; a later change of it (a match made after publication) is recorded by the
daily run as ``StatementReconciled`` and makes a new version like any correction; the run
records nothing when nothing changed. Both stores.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from commonfund.scheduler import SCHEDULER, bank_statuses, reconcile_statements
from commonfund.settings import Settings
from commonfund.wiring import bank_runner, statements_runner
from ledger.application import Ledger
from ledger.complexes.complex import BankStatus
from ledger.errors import InvalidCommand, InvalidState
from ledger.periods import Period
from projections.bank.queries import BankReads, bank_status_of
from projections.runner import Runner
from projections.statements.queries import Statements, publication_basis
from tests.integration.alert_rules import pay
from tests.plugins.bank import BANK_CODE, feed, line, statement
from tests.plugins.builders import World, member_actor, world
from tests.plugins.clock import TODAY

OCTOBER = Period.parse("2026-10")


@pytest.fixture
def runners(settings: Settings, ledger: Ledger) -> Iterator[tuple[Runner, Runner]]:
    statements, bank = statements_runner(settings, ledger), bank_runner(settings, ledger)
    yield statements, bank
    statements.database.close()
    bank.database.close()


@pytest.fixture
def w(ledger: Ledger) -> World:
    return world(ledger, bank_code=BANK_CODE)


def october_feed(w: World) -> None:
    """Income the books and the bank agree on, and a debit of 200.00 the books lack."""
    w.income(1_000_00, on=date(2026, 10, 20))
    feed(
        w,
        statement(
            "S1", [line("R1", 1_000_00, on=date(2026, 10, 20))],
            from_on=date(2026, 10, 1), closing_on=date(2026, 10, 20), sequence=1,
        ),
        statement(
            "S2", [line("R2", 200_00, direction="debit", on=date(2026, 10, 28), counterparty="")],
            opening=1_000_00, from_on=date(2026, 10, 21), closing_on=date(2026, 10, 31),
            sequence=2,
        ),
    )  # fmt: skip


def status_now(w: World, runners: tuple[Runner, Runner]) -> BankStatus | None:
    for runner in runners:
        runner.catch_up()
    public = BankReads(runners[1].database).public_status(str(w.complex_id), OCTOBER.end)
    return None if public is None else bank_status_of(public)


def publish(w: World, runners: tuple[Runner, Runner]) -> Statements:
    status = status_now(w, runners)
    statements = Statements(runners[0].database)
    through, digest = publication_basis(statements, str(w.complex_id), OCTOBER, status)
    w.ledger.publish_statement(
        w.complex_id, period=OCTOBER.name, through=through, content_hash=digest,
        reconciliation=status, actor=member_actor("m1"),
    )  # fmt: skip
    runners[0].catch_up()
    return statements


def daily(w: World, runners: tuple[Runner, Runner]) -> int:
    for runner in runners:
        runner.catch_up()
    found = bank_statuses(Statements(runners[0].database), BankReads(runners[1].database), TODAY)
    made = reconcile_statements(w.ledger, found)
    runners[0].catch_up()
    return made


def test_publication_freezes_the_bank_status_under_the_hash(
    w: World, runners: tuple[Runner, Runner]
) -> None:
    october_feed(w)
    statements = publish(w, runners)
    first = statements.version(str(w.complex_id), OCTOBER)
    assert first is not None
    assert first.hash_matches
    assert first.content["bank_reconciliation"] == {
        "reconciled_through": "2026-10-20",  # the end of the statement that agreed
        "bank_balance": "800.00",
        "bank_balance_on": "2026-10-31",
        "difference": "-200.00",
    }


def test_a_later_match_makes_a_new_version_and_an_unchanged_status_none(
    w: World, runners: tuple[Runner, Runner]
) -> None:
    october_feed(w)
    statements = publish(w, runners)
    assert daily(w, runners) == 0  # nothing changed since publication
    paid = pay(w, 200_00, on=date(2026, 10, 28))  # the committee records the debit late
    runners[0].catch_up()
    correction = statements.version(str(w.complex_id), OCTOBER)
    assert correction is not None
    assert correction.version == 2
    assert correction.content["bank_reconciliation"]["difference"] == "-200.00"  # carried over
    assert w.ledger.reconcile(w.account_id, actor=SCHEDULER).matched == 1
    assert daily(w, runners) == 1
    third = statements.version(str(w.complex_id), OCTOBER)
    assert third is not None
    assert third.version == 3
    assert third.content["bank_reconciliation"] == {
        "reconciled_through": "2026-10-31",
        "bank_balance": "800.00",
        "bank_balance_on": "2026-10-31",
        "difference": "0.00",
    }
    assert third.diff is not None
    assert third.diff["cause"]["section"] == "bank_reconciliation"
    assert third.diff["totals"]["bank_reconciliation"]["before"]["difference"] == "-200.00"
    assert third.diff["added"] == []
    assert third.diff["removed"] == []
    assert paid in {
        line["entry_id"] for line in third.content["expenditure"]["categories"][0]["lines"]
    }
    assert daily(w, runners) == 0  # recorded once
    assert statements.version(str(w.complex_id), OCTOBER, 4) is None


def test_a_status_is_recorded_only_for_a_published_period_and_whole(w: World) -> None:
    status = BankStatus(
        reconciled_through="2026-10-31", bank_balance=0, bank_balance_on="2026-10-31", difference=0
    )
    with pytest.raises(InvalidState, match="not published"):
        w.ledger.reconcile_statement(
            w.complex_id, period="2026-10", reconciliation=status, actor=SCHEDULER
        )
    broken = dict(status, bank_balance="0.00")
    with pytest.raises(InvalidCommand, match="whole fen"):
        w.ledger.publish_statement(
            w.complex_id, period="2026-10", through=0, content_hash="0" * 64,
            reconciliation=broken, actor=member_actor("m1"),  # type: ignore[arg-type]
        )  # fmt: skip
