"""Statements read model (issue #4): identities, publication (H11), corrections, rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from commonfund.settings import Settings
from commonfund.wiring import statements_runner
from ledger.account.entries import Party
from ledger.application import Ledger
from ledger.dates import local_today
from ledger.errors import AlreadyExists, InvalidState
from ledger.periods import Period
from projections.runner import Runner
from projections.statements.content import content_hash
from projections.statements.queries import Statements, publication_basis
from projections.statements.view import LINE_NAMES
from tests.plugins.builders import World, member_actor, world
from tests.plugins.clock import TODAY

OCTOBER = Period.parse("2026-10")
NOVEMBER = Period.parse("2026-11")
PERSON = Party(name="王建国", kind="individual", identity_key="k" * 64, bank_account="")


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = statements_runner(settings, ledger, batch_size=7)
    yield runner
    runner.database.close()


def october_world(ledger: Ledger) -> tuple[World, dict[str, str]]:
    w = world(ledger)
    ids = {
        "parking": w.income(120_000, on=date(2026, 10, 20)),
        "ads": w.income(80_050, on=date(2026, 10, 21), category="advertising"),
    }
    decision = w.decision("保洁", 50_000, on=date(2026, 10, 18))
    ids["cleaning"] = w.pay(
        w.expenditure(30_000, authorisation=decision, on=date(2026, 10, 22), payee=PERSON)
    )
    ids["november"] = w.income(10_000, on=date(2026, 11, 2))
    return w, ids


def reverse(w: World, entry_id: str, *, on: date, reason: str = "重复入账") -> str:
    return w.ledger.reverse_entry(
        w.account_id, reverses=entry_id, reason=reason, value_date=on,
        idempotency_key=w.next_key("rev"), actor=member_actor("m1"),
    ).id  # fmt: skip


def publish(w: World, statements: Statements, runner: Runner, period: Period) -> None:
    runner.catch_up()
    through, digest = publication_basis(statements, str(w.complex_id), period)
    w.ledger.publish_statement(
        w.complex_id, period=period.name, through=through, content_hash=digest,
        actor=member_actor("m1"),
    )  # fmt: skip
    runner.catch_up()


def test_a_statement_adds_up_and_carries_into_the_next_period(
    ledger: Ledger, runner: Runner
) -> None:
    w, ids = october_world(ledger)
    runner.catch_up()
    statements = Statements(runner.database)
    _, october = statements.draft(str(w.complex_id), OCTOBER)
    assert october["opening_balance"] == "0.00"
    assert october["income"]["total"] == "2000.50"
    assert [c["category"] for c in october["income"]["categories"]] == ["advertising", "parking"]
    assert october["expenditure"]["total"] == "300.00"
    line = october["expenditure"]["categories"][0]["lines"][0]
    assert (line["entry_id"], line["party"], line["method"]) == (ids["cleaning"], "王*", "transfer")
    assert line["authorisation"].startswith("decision:")
    assert october["closing_balance"] == "1700.50"
    _, november = statements.draft(str(w.complex_id), NOVEMBER)
    assert november["opening_balance"] == october["closing_balance"]
    assert november["closing_balance"] == "1800.50"
    _, year = statements.draft(str(w.complex_id), Period.parse("2026"))
    assert (year["line_count"], year["closing_balance"]) == (4, "1800.50")


def test_publication_freezes_a_version_and_a_correction_makes_the_next(
    ledger: Ledger, runner: Runner
) -> None:
    w, ids = october_world(ledger)
    statements = Statements(runner.database)
    publish(w, statements, runner, OCTOBER)
    first = statements.version(str(w.complex_id), OCTOBER)
    assert first is not None
    assert first.version == 1
    assert first.hash_matches
    assert first.content == statements.draft(str(w.complex_id), OCTOBER)[1]
    assert first.content_hash == content_hash(first.content)
    assert {h["stream_id"] for h in first.digest["heads"]} >= {str(w.complex_id), str(w.account_id)}
    with pytest.raises(AlreadyExists):
        ledger.publish_statement(
            w.complex_id, period="2026-10", through=1, content_hash="0" * 64,
            actor=member_actor("m1"),
        )  # fmt: skip
    with pytest.raises(InvalidState):  # November has not ended on TODAY
        ledger.publish_statement(
            w.complex_id, period="2026-11", through=1, content_hash="0" * 64,
            actor=member_actor("m2"),
        )  # fmt: skip

    # A reversal dated in the published month corrects it: version 2, with a diff.
    reversal = reverse(w, ids["ads"], on=date(2026, 10, 30), reason="3-1-502 重复入账")
    runner.catch_up()
    versions = [v for v in statements.versions(str(w.complex_id)) if v.period == "2026-10"]
    assert [v.version for v in versions] == [1, 2]
    old, new = versions
    assert old.content == first.content
    assert old.content_hash == first.content_hash
    assert old.superseded_by == 2
    assert new.superseded_by is None
    assert new.content["closing_balance"] == "900.00"
    assert new.diff is not None
    assert new.diff["cause"]["entry_id"] == reversal
    assert new.diff["cause"]["reverses"] == ids["ads"]
    assert new.diff["cause"]["reason"] == "3-*-* 重复入账"  # public: unit ids masked
    recorded = local_today(datetime.now(UTC), "Asia/Shanghai").isoformat()
    assert new.published_on == new.diff["cause"]["recorded_on"] == recorded
    assert [line["entry_id"] for line in new.diff["added"]] == [reversal]
    assert [c["entry_id"] for c in new.diff["changed"]] == [ids["ads"]]
    assert new.diff["changed"][0]["after"]["reversed_by"] == reversal
    assert new.diff["totals"]["closing_balance"] == {"before": "1700.50", "after": "900.00"}


def test_a_reversal_dated_later_still_marks_the_published_line(
    ledger: Ledger, runner: Runner
) -> None:
    w, ids = october_world(ledger)
    statements = Statements(runner.database)
    publish(w, statements, runner, OCTOBER)
    reverse(w, ids["parking"], on=TODAY)
    runner.catch_up()
    latest = statements.version(str(w.complex_id), OCTOBER)
    assert latest is not None
    assert latest.version == 2
    assert latest.content["closing_balance"] == "1700.50"  # the reversal is booked in November
    assert [c["entry_id"] for c in latest.diff["changed"]] == [ids["parking"]]  # type: ignore[index]
    _, november = statements.draft(str(w.complex_id), NOVEMBER)
    assert november["reversals"]["total"] == "-1200.00"


def dump(runner: Runner) -> dict[str, list[Any]]:
    """The serving copy of every statements table, without the generation column."""
    tables = {
        "stmt_lines": "complex_id, entry_id",
        "stmt_streams": "stream_id",
        "stmt_versions": "complex_id, period, version",
    }
    with runner.database.reading() as tx:
        (generation,) = tx.execute(
            "SELECT generation FROM projection_state WHERE name = 'statements'"
        )[0]
        return {
            table: [row[1:] for row in tx.execute(
                f"SELECT * FROM {table} WHERE generation = ? ORDER BY {order}", (generation,)
            )]
            for table, order in tables.items()
        }  # fmt: skip


def test_a_rebuild_equals_the_live_read_model_and_takes_over(
    ledger: Ledger, runner: Runner
) -> None:
    w, ids = october_world(ledger)
    statements = Statements(runner.database)
    publish(w, statements, runner, OCTOBER)
    reverse(w, ids["ads"], on=date(2026, 10, 30))
    runner.catch_up()
    live = dump(runner)
    assert len(live["stmt_versions"]) == 2
    assert runner.rebuild() == runner.head()
    assert dump(runner) == live
    w.income(5_00, on=TODAY - timedelta(days=1))
    runner.catch_up()  # the live runner carries on with the new copy
    assert len(dump(runner)["stmt_lines"]) == len(live["stmt_lines"]) + 1
    with runner.database.reading() as tx:
        generations = tx.execute("SELECT DISTINCT generation FROM stmt_lines")
    assert generations == [(2,)]


def test_an_entry_recorded_while_publishing_makes_version_two_at_once(
    ledger: Ledger, runner: Runner
) -> None:
    w, _ = october_world(ledger)
    statements = Statements(runner.database)
    runner.catch_up()
    through, digest = publication_basis(statements, str(w.complex_id), OCTOBER)
    late = w.income(5_00, on=date(2026, 10, 31))  # after the committee read the draft
    ledger.publish_statement(
        w.complex_id, period="2026-10", through=through, content_hash=digest,
        actor=member_actor("m1"),
    )  # fmt: skip
    runner.catch_up()
    first, second = [v for v in statements.versions(str(w.complex_id)) if v.period == "2026-10"]
    assert (first.hash_matches, first.content_hash) == (True, digest)  # what was seen, frozen
    assert second.diff is not None
    assert second.diff["cause"]["section"] == "recorded_while_publishing"
    assert [line["entry_id"] for line in second.diff["added"]] == [late]
    assert second.content == statements.draft(str(w.complex_id), OCTOBER)[1]


def test_a_rebuild_is_the_same_whatever_the_batch_size(
    settings: Settings, ledger: Ledger, runner: Runner
) -> None:
    """A batch freezes its publications' content at its end and marks the lines it reverses in
    one statement, and a rebuild holds streams in memory until its swap
    (projections/statements/view.py): one event per batch, a few, and the whole log in one batch
    give the same copy, corrections in the batch of their publication included. A proposal
    still open is in no table: booked after the rebuild, its event carries its line."""
    w, ids = october_world(ledger)
    statements = Statements(runner.database)
    runner.catch_up()
    through, digest = publication_basis(statements, str(w.complex_id), OCTOBER)
    late = w.income(5_00, on=date(2026, 10, 31))  # recorded while publishing: version 2
    ledger.publish_statement(
        w.complex_id, period="2026-10", through=through, content_hash=digest,
        actor=member_actor("m1"),
    )  # fmt: skip
    reverse(w, ids["ads"], on=date(2026, 10, 30))  # version 3, right after the publication
    reverse(w, late, on=TODAY)  # version 4: a line of the same batch, marked in memory
    reverse(w, ids["november"], on=TODAY)  # not published: no version
    cleaning = w.decision("保洁", 20_000, on=TODAY - timedelta(days=3))
    details = w.expenditure(5_000, authorisation=cleaning, on=TODAY - timedelta(days=2))
    still_open = w.propose(details)
    runner.catch_up()
    live = dump(runner)
    assert [v[2] for v in live["stmt_versions"]] == [1, 2, 3, 4]
    assert still_open not in {line[1] for line in live["stmt_lines"]}
    assert sum(1 for line in live["stmt_lines"] if line[17]) == 3  # reversed_by: marked
    for size in (1, 3, 10_000):
        rebuilt = statements_runner(settings, ledger, batch_size=size)
        try:
            assert rebuilt.rebuild() == rebuilt.head()
            assert dump(rebuilt) == live, f"batch size {size}"
        finally:
            rebuilt.database.close()
    assert runner.rebuild() == runner.head()
    ledger.approve_expenditure(w.account_id, still_open, actor=member_actor("m2"))
    runner.catch_up()
    (booked,) = [line for line in dump(runner)["stmt_lines"] if line[1] == still_open]
    names = LINE_NAMES[1:]  # the dump leaves the generation out
    assert {k: booked[names.index(k)] for k in ("section", "category", "amount", "method")} == {
        "section": "expenditure", "category": "cleaning_greening", "amount": -5_000,
        "method": "transfer",
    }  # fmt: skip
    assert booked[names.index("authorisation")] == f"decision:{cleaning}"
    assert booked[names.index("description")] == "保洁"  # no description: the purpose
