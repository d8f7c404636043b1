"""Issue #13 moved the aggregates into context folders: stored topics still resolve, and the
hash chain (H12) still hashes each event class's original topic."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from uuid import UUID

import pytest
from eventsourcing.utils import get_topic, resolve_topic

import ledger
from ledger.account import CommonFundAccount
from ledger.bank.feed import BankFeed
from ledger.base import ChainedAggregate
from ledger.chain import event_hash
from ledger.complexes.complex import Complex
from ledger.maintenance import MaintenanceFund
from ledger.supervision import SupervisionClock
from ledger.topics import MOVED_TOPICS, hashed_topic
from ledger.unit_of_work import Actor
from ledger.voting.ballot import Ballot

# Topics written by the code before the move (the demo store of issue #13, sqlite).
STORED_BEFORE = {
    "ledger.complex:Complex.Registered": Complex.Registered,
    "ledger.account:CommonFundAccount.Opened": CommonFundAccount.Opened,
    "ledger.maintenance:MaintenanceFund.Deposited": MaintenanceFund.Deposited,
    "ledger.supervision:SupervisionClock.Ticked": SupervisionClock.Ticked,
}


def _aggregate_classes() -> list[type[ChainedAggregate]]:
    found: list[type[ChainedAggregate]] = []
    for info in pkgutil.walk_packages(ledger.__path__, "ledger."):
        module = importlib.import_module(info.name)
        found.extend(
            obj
            for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, ChainedAggregate)
            and obj is not ChainedAggregate
            and obj.__module__ == info.name
        )
    return found


@pytest.mark.parametrize(("then", "now"), sorted(MOVED_TOPICS.items()))
def test_every_original_aggregate_topic_resolves_to_the_moved_class(then: str, now: str) -> None:
    assert resolve_topic(then) is resolve_topic(now)
    assert then.partition(":")[2] == now.partition(":")[2]  # qualnames never change (0012)


@pytest.mark.parametrize("topic", sorted(STORED_BEFORE))
def test_an_event_topic_stored_before_the_move_resolves_and_is_the_one_hashed(topic: str) -> None:
    cls = STORED_BEFORE[topic]
    assert resolve_topic(topic) is cls
    assert hashed_topic(cls) == topic
    assert get_topic(cls) != topic  # stored from now on under its new module


# Aggregate classes made after the move, in their context's folder from the start.
NEW_SINCE = {BankFeed, Ballot}  # issue #14, issue #16: born in their folders


def test_every_aggregate_class_either_never_moved_or_is_in_the_table() -> None:
    classes = [cls for cls in _aggregate_classes() if cls not in NEW_SINCE]
    assert len(classes) == len(MOVED_TOPICS)
    for cls in classes:
        assert get_topic(cls) in MOVED_TOPICS.values(), cls


def test_a_class_that_never_moved_hashes_its_own_topic() -> None:
    assert hashed_topic(Actor) == get_topic(Actor)


def test_an_event_written_now_is_chained_on_its_original_topic() -> None:
    complex_ = Complex.register(
        UUID("00000000-0000-0000-0000-0000000000aa"), code="QD-T", name="测试", district="370202",
        street="370202001", community="370202001001", principal="operator:t", value_date="2026-01-01",
    )  # fmt: skip
    (event,) = complex_.collect_events()
    assert event.chain_hash == event_hash("ledger.complex:Complex.Registered", vars(event))  # type: ignore[attr-defined]
