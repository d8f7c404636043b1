"""An account's entries, pages and as-of balance from the statements read model (issue #13, item 5)
answer as the replay of the account's stream does (ledger.views.entry_views, Ledger.balance_as_of).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from commonfund.settings import Settings
from commonfund.wiring import statements_runner
from ledger.account.entries import Party
from ledger.account.views import EntryView
from ledger.application import Ledger
from projections.runner import Runner
from projections.statements.entries import AccountEntries, Unavailable
from tests.plugins.builders import World, member_actor, successor_account, world
from tests.plugins.clock import TODAY

PERSON = Party(name="王建国", kind="individual", identity_key="k" * 64, bank_account="")
DAYS = [TODAY - timedelta(days=d) for d in (30, 20, 20, 12, 5, 0)]


@pytest.fixture
def runner(settings: Settings, ledger: Ledger) -> Iterator[Runner]:
    runner = statements_runner(settings, ledger, batch_size=5)
    yield runner
    runner.database.close()


def busy_world(ledger: Ledger) -> tuple[World, dict[str, str]]:
    """Income of two categories, a payment to a person, reversals of each kind, a transfer out."""
    w = world(ledger)
    ids = {
        "parking": w.income(120_000, on=DAYS[0]),
        "ads": w.income(80_050, on=DAYS[1], category="advertising"),
        "late": w.income(10_000, on=DAYS[2]),
    }
    decision = w.decision("保洁", 50_000, on=DAYS[0])
    ids["cleaning"] = w.pay(
        w.expenditure(30_000, authorisation=decision, on=DAYS[3], payee=PERSON, contract_ref="HT-1")
    )
    ids["undo_ads"] = reverse(w, ids["ads"], on=DAYS[4])
    ids["undo_cleaning"] = reverse(w, ids["cleaning"], on=DAYS[5])
    return w, ids


def reverse(w: World, entry_id: str, *, on: date) -> str:
    return w.ledger.reverse_entry(
        w.account_id, reverses=entry_id, reason="重复入账", value_date=on,
        idempotency_key=w.next_key("rev"), actor=member_actor("m1"),
    ).id  # fmt: skip


def read(runner: Runner) -> AccountEntries:
    runner.catch_up()
    return AccountEntries(runner.database)


def page(entries: AccountEntries, w: World, **kw: object) -> list[EntryView]:
    found = entries.page(str(w.account_id), **kw)  # type: ignore[arg-type]
    assert found is not None
    return found.entries


def test_the_entries_are_the_streams_field_by_field(ledger: Ledger, runner: Runner) -> None:
    w, ids = busy_world(ledger)
    entries = read(runner)
    expected = ledger.entries(w.account_id)
    assert page(entries, w) == expected
    assert {e.kind for e in expected} == {"income", "expenditure", "reversal"}
    by_id = {e.id: e for e in page(entries, w)}
    # a person is as the event keeps it, sealed (revealed at the HTTP edge), not masked
    assert by_id[ids["cleaning"]].counterparty == expected[3].counterparty != "王*"
    assert by_id[ids["undo_cleaning"]].counterparty == by_id[ids["cleaning"]].counterparty
    assert by_id[ids["cleaning"]].reversed_by == ids["undo_cleaning"]
    assert by_id[ids["cleaning"]].contract_ref == "HT-1"
    for entry_id, entry in by_id.items():
        assert entries.entry(str(w.account_id), entry_id) == entry


def test_transfers_show_the_other_account_and_no_category(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger)
    w.income(7_777_77)
    successor = successor_account(w)
    ledger.close_account(
        w.account_id, successor_id=successor, reason="换届", actor=member_actor("m1n")
    )
    entries = read(runner)
    old = page(entries, w)
    assert old == ledger.entries(w.account_id)
    assert (old[-1].kind, old[-1].category, old[-1].method) == ("transfer_out", None, "transfer")
    new = entries.page(str(successor))
    assert new is not None
    assert new.entries == ledger.entries(successor)
    assert (new.entries[0].kind, new.entries[0].counterparty) == ("transfer_in", str(w.account_id))
    # a category never matches a transfer, as the replay filters it
    assert page(entries, w, category="transfer_out") == []
    assert entries.balance_as_of(str(successor), TODAY) == 7_777_77


def test_paging_edges(ledger: Ledger, runner: Runner) -> None:
    w, _ = busy_world(ledger)
    entries = read(runner)
    everything = ledger.entries(w.account_id)
    n = len(everything)
    account = str(w.account_id)
    exact = entries.page(account, limit=n)
    assert exact is not None
    assert (exact.entries, exact.more) == (everything, False)
    short = entries.page(account, limit=n - 1)
    assert short is not None
    assert (short.entries, short.more) == (everything[:-1], True)
    one = entries.page(account, limit=1)
    assert one is not None
    assert (one.entries, one.more) == (everything[:1], True)
    # page by page, each page after the last one's position: every entry once, in order
    walked, after = [], 0
    while True:
        part = entries.page(account, after=after, limit=2)
        assert part is not None
        walked += part.entries
        if not part.more:
            break
        after = part.entries[-1].position
    assert walked == everything
    last = everything[-1].position
    tail = entries.page(account, after=last, limit=5)
    assert tail is not None
    assert (tail.entries, tail.more) == ([], False)
    beyond = entries.page(account, after=last + 100)
    assert beyond is not None
    assert beyond.entries == []
    # a cursor in the middle of a filtered list: the filter applies after it too
    parking = [e for e in everything if e.category == "parking"]
    assert page(entries, w, category="parking") == parking
    assert page(entries, w, category="parking", after=parking[0].position) == parking[1:]


def test_value_date_filters_include_both_ends(ledger: Ledger, runner: Runner) -> None:
    w, _ = busy_world(ledger)
    entries = read(runner)
    everything = ledger.entries(w.account_id)
    for low in DAYS:
        for high in DAYS:
            assert page(entries, w, low=low, high=high) == [
                e for e in everything if low.isoformat() <= e.value_date <= high.isoformat()
            ]


def test_the_balance_on_edge_days_is_the_replays(ledger: Ledger, runner: Runner) -> None:
    w, _ = busy_world(ledger)
    entries = read(runner)
    opened = date.fromisoformat(ledger.account_summary(w.account_id).opened_on)
    edges = {opened - timedelta(days=1), opened, TODAY + timedelta(days=1), date(9999, 12, 31)}
    edges |= {d + timedelta(days=k) for d in DAYS for k in (-1, 0, 1)}
    for day in sorted(edges):
        assert entries.balance_as_of(str(w.account_id), day) == ledger.balance_as_of(
            w.account_id, day
        ), day
    assert entries.balance_as_of(str(w.account_id), opened - timedelta(days=1)) == 0
    assert entries.balance_as_of(str(w.account_id), TODAY) == ledger.account(w.account_id).balance


def test_an_account_with_no_entries_yet(ledger: Ledger, runner: Runner) -> None:
    w = world(ledger)
    entries = read(runner)
    empty = entries.page(str(w.account_id), limit=3)
    assert empty is not None
    assert (empty.entries, empty.more) == ([], False)
    assert entries.balance_as_of(str(w.account_id), TODAY) == 0
    assert ledger.entries(w.account_id) == []


def test_a_read_behind_the_wanted_version_answers_nothing(ledger: Ledger, runner: Runner) -> None:
    """Read-your-writes: the caller names the stream version it wants (api/account/entries.py)."""
    w, _ = busy_world(ledger)
    entries = read(runner)
    account = str(w.account_id)
    version = ledger.account_summary(w.account_id).version
    assert entries.applied(account).version == version
    assert entries.page(account, wanted=version) is not None
    w.income(5_00)  # not applied yet
    assert entries.page(account, wanted=version + 1) is None
    assert entries.balance_as_of(account, TODAY, wanted=version + 1) is None
    assert entries.entry(account, "nothing", wanted=version + 1) is None
    runner.catch_up()
    found = entries.page(account, wanted=version + 1)
    assert found is not None
    assert found.entries == ledger.entries(w.account_id)
    assert found.version == version + 1


def test_lines_made_before_migration_13_make_the_copy_unavailable(
    ledger: Ledger, runner: Runner
) -> None:
    w, _ = busy_world(ledger)
    entries = read(runner)
    with runner.database.transaction() as tx:
        tx.execute(
            "UPDATE stmt_lines SET version = NULL WHERE entry_id = (SELECT MIN(entry_id) FROM stmt_lines)"
        )
    with pytest.raises(Unavailable):
        entries.page(str(w.account_id))
    fresh = AccountEntries(runner.database)  # not remembered as complete: asked again
    with pytest.raises(Unavailable):
        fresh.balance_as_of(str(w.account_id), TODAY)
