"""The unit of work in memory (no database): the facade binds each context's commands, a failed
command leaves nothing of itself in the cache, and a hand-off no context takes is refused."""

from __future__ import annotations

from datetime import date
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.complexes.complex import Complex, Unit
from ledger.errors import AlreadyExists, InvalidState, NotFound
from ledger.unit_of_work import Actor, Load, UnitOfWork

OPERATOR = Actor("operator", "t")


def register(ledger: Ledger) -> UUID:
    receipt = ledger.register_complex(
        code="QD-T", name="测试", district="370202", street="370202001",
        community="370202001001", actor=OPERATOR,
    )  # fmt: skip
    return UUID(receipt.id)


@pytest.fixture
def ledger() -> Ledger:
    return Ledger(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})


def test_the_facade_binds_the_commands_of_each_context(ledger: Ledger) -> None:
    assert ledger.register_complex.__self__ is ledger.complexes  # type: ignore[attr-defined]
    assert ledger.record_income.__self__ is ledger.accounts  # type: ignore[attr-defined]
    assert ledger.tick_supervision.__self__ is ledger.supervision  # type: ignore[attr-defined]
    assert ledger.maintenance.record_deposits.__self__ is ledger.maintenance  # type: ignore[attr-defined]
    assert ledger.work.handoffs.unit_sold == ledger.maintenance.note_sale


def test_a_command_is_refused_on_what_the_store_holds(ledger: Ledger) -> None:
    complex_id = register(ledger)
    with pytest.raises(AlreadyExists):
        register(ledger)
    assert ledger.complex_summary(complex_id).code == "QD-T"


def test_a_failed_command_leaves_what_it_touched_out_of_the_cache(ledger: Ledger) -> None:
    complex_id = register(ledger)
    work: UnitOfWork = ledger.work
    assert isinstance(work.cached(complex_id), Complex)

    def body(load: Load) -> None:
        complex_ = load(complex_id, Complex)
        unit = Unit(building="1", area=8_850, owner_key="ab" * 16, developer_held=False)
        complex_.add_units({"1-001": unit}, principal="operator:t", value_date="2026-01-01")
        raise NotFound("the command fails after changing the cached complex")  # never saved

    with pytest.raises(NotFound):
        work.run(body, actor=OPERATOR)
    assert work.cached(complex_id) is None
    assert ledger.complex(complex_id).version == 1
    assert ledger.complex(complex_id).units == {}


def test_a_transfer_no_context_receives_is_refused(ledger: Ledger) -> None:
    """A unit of work no facade wired: no context takes a booked transfer over."""
    work = UnitOfWork(ledger, policy=ledger.policy, clock=ledger.clock, personal=ledger.personal)

    def body(load: Load) -> None:
        work.handoffs.transfer_booked(
            load, UUID(int=1), UUID(int=2), "e", 100, on=date(2026, 1, 1), actor=OPERATOR
        )

    with pytest.raises(InvalidState):
        work.run(body, actor=OPERATOR)
