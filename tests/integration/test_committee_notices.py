"""Committee changes heard at commit: a committee is read fresh only after a notice names it.

The member-in-office check (H15) runs on every command; reading the committee fresh
each time cost a round trip per income (a quarter of the ledger's write rate). A trigger
(migrations/0012) notifies every committee change at its commit and each serving process
listens (``commonfund.wiring.committee_notices``): while nothing changed, the cached
committee is current. A change by another process is heard, and then refused at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from uuid import UUID

import pytest

from commonfund.settings import Settings
from commonfund.wiring import build_ledger, committee_notices
from ledger.account.entries import IncomeDetails
from ledger.application import Ledger
from ledger.errors import MemberNotInOffice
from projections.notices import Notices
from tests.plugins.builders import COMPANY, OPERATOR, World, member_actor, world
from tests.plugins.clock import TODAY, fixed_clock
from tests.plugins.stores import reset_postgres

pytestmark = pytest.mark.postgres


@pytest.fixture
def postgres(migrated_postgres: str) -> Settings:
    reset_postgres(migrated_postgres)
    return Settings(database_url=migrated_postgres)


@pytest.fixture
def hearing(postgres: Settings) -> Iterator[tuple[Ledger, Notices]]:
    """A serving process's ledger with its committee listener running."""
    ledger = build_ledger(postgres, fixed_clock)
    notices = committee_notices(postgres, ledger)
    stop = threading.Event()
    thread = threading.Thread(target=notices.run, args=(stop,), daemon=True)
    thread.start()
    assert notices.listening.wait(10), "LISTEN never held"
    yield ledger, notices
    stop.set()
    thread.join(10)
    ledger.close()


def income(w: World, ledger: Ledger, key: str, member: str = "m5") -> None:
    details = IncomeDetails(category="parking", payer=COMPANY, amount=100_00, value_date=TODAY)
    ledger.record_income(w.account_id, details, idempotency_key=key, actor=member_actor(member))


def committee_reads(
    ledger: Ledger, committee_id: UUID, monkeypatch: pytest.MonkeyPatch
) -> list[Any]:
    """Every read of the committee's stream from the store, counted."""
    reads: list[Any] = []
    real = ledger.events.get

    def get(stream: UUID, *args: Any, **kwargs: Any) -> Any:
        if stream == committee_id:
            reads.append(kwargs)
        return real(stream, *args, **kwargs)

    monkeypatch.setattr(ledger.events, "get", get)
    return reads


def test_a_committee_unchanged_is_not_read_again_while_notices_are_heard(
    hearing: tuple[Ledger, Notices], monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger, _ = hearing
    w = world(ledger)
    income(w, ledger, "first")
    reads = committee_reads(ledger, w.committee_id, monkeypatch)
    for n in range(5):
        income(w, ledger, f"again-{n}")
    assert reads == []  # five checks of m5, no round trip for the committee


def test_a_member_removed_by_another_process_is_refused_once_the_notice_is_heard(
    postgres: Settings, hearing: tuple[Ledger, Notices]
) -> None:
    ledger, notices = hearing
    w = world(ledger)
    income(w, ledger, "before")  # the committee is cached and trusted here
    other = build_ledger(postgres, fixed_clock)  # another process
    try:
        notices.heard.clear()
        other.change_members(
            w.committee_id, added=[], removed=["m5"], changed_on=TODAY - timedelta(days=1),
            actor=OPERATOR,
        )  # fmt: skip
    finally:
        other.close()
    assert notices.heard.wait(10), "the change was not heard"
    with pytest.raises(MemberNotInOffice):
        income(w, ledger, "after")
    income(w, ledger, "by-m1", member="m1")  # the others keep their powers


def test_without_a_listener_every_check_reads_the_committee_fresh(
    postgres: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = build_ledger(postgres, fixed_clock)  # nobody listens (a CLI, or SQLite)
    try:
        w = world(ledger)
        income(w, ledger, "first")
        reads = committee_reads(ledger, w.committee_id, monkeypatch)
        income(w, ledger, "second")
        assert len(reads) == 1
    finally:
        ledger.close()
