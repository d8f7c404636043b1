"""Complexes: units, sales of units, and their place in the city hierarchy."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

import pytest

from ledger.application import Ledger
from ledger.complexes.complex import Unit
from ledger.errors import AlreadyExists, InvalidCommand
from tests.plugins.builders import OPERATOR, key, register
from tests.plugins.clock import TODAY

# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


def test_units_are_added_once_each(ledger: Ledger) -> None:
    complex_id, _ = register(ledger)
    extra = {"2-001": Unit(building="2", area=8_850, owner_key=key("new"), developer_held=False)}
    ledger.add_units(complex_id, extra, actor=OPERATOR)
    assert ledger.complex(complex_id).units["2-001"]["area"] == 8_850
    with pytest.raises(AlreadyExists, match="2-001"):
        ledger.add_units(complex_id, extra, actor=OPERATOR)


def test_a_developer_held_unit_needs_no_owner_but_an_owned_one_does(ledger: Ledger) -> None:
    complex_id, _ = register(ledger)
    held = {"9-001": Unit(building="9", area=10_000, owner_key="", developer_held=True)}
    ledger.add_units(complex_id, held, actor=OPERATOR)
    orphan = {"9-002": Unit(building="9", area=10_000, owner_key="", developer_held=False)}
    with pytest.raises(InvalidCommand, match="owner identity key"):
        ledger.add_units(complex_id, orphan, actor=OPERATOR)


def test_a_sale_moves_the_unit_to_its_new_owner_and_changes_the_headcount(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger)
    complex_ = ledger.complex(complex_id)
    buyer = complex_.units[unit_ids[0]]["owner_key"]
    ledger.transfer_unit(complex_id, unit_ids[1], buyer, on=TODAY, actor=OPERATOR)
    after = ledger.complex(complex_id)
    assert after.units[unit_ids[1]]["owner_key"] == buyer
    # The buyer now holds two units: H04 counts them once.
    heads = {after.headcount_key(u) for u in after.units}
    assert len(heads) == len(unit_ids) - 1
    # A resolution on the day of the sale sees the new headcount.
    receipt = ledger.record_resolution(
        complex_id,
        idempotency_key="after-sale",
        matter=1,
        purpose="修改管理规约",
        amount_cap=None,
        period_from=TODAY,
        period_to=TODAY,
        scope_units=None,
        participated=unit_ids[:8],
        consented=unit_ids[:8],
        closed_on=TODAY - timedelta(days=0),
        actor=OPERATOR,
    )
    assert ledger.resolution(UUID(receipt.id)).tally["scope_heads"] == 11


@pytest.mark.parametrize(
    ("district", "street", "community"),
    [
        ("37020", "370202001", "370202001001"),
        ("370202", "370203001", "370203001001"),
        ("370202", "370202001", "370202002001"),
    ],
)
def test_the_place_must_nest_district_street_community(
    ledger: Ledger, district: str, street: str, community: str
) -> None:
    with pytest.raises(InvalidCommand):
        ledger.register_complex(
            code="BAD",
            name="错位小区",
            district=district,
            street=street,
            community=community,
            actor=OPERATOR,
        )


def test_a_code_registers_one_complex(ledger: Ledger) -> None:
    register(ledger, code="QD-1")
    with pytest.raises(AlreadyExists, match="QD-1"):
        register(ledger, code="QD-1")
