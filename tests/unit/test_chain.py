"""H12: the canonical encoding and the event hash."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from ledger.chain import GENESIS, canonical, event_hash, root_of

FIELDS = {
    "originator_id": UUID("00000000-0000-0000-0000-000000000001"),
    "originator_version": 2,
    "timestamp": datetime(2026, 1, 1, tzinfo=UTC),
    "amount": 100,
    "payer": {"name": "王某", "kind": "individual"},
    "chain_prev": GENESIS,
}


def test_encoding_is_canonical_whatever_the_key_order() -> None:
    assert canonical(FIELDS) == canonical(dict(reversed(list(FIELDS.items()))))
    assert "王某".encode() in canonical(FIELDS)


def test_any_change_of_a_field_changes_the_hash() -> None:
    base = event_hash("ledger.account:X", FIELDS)
    assert event_hash("ledger.account:X", {**FIELDS, "amount": 101}) != base
    assert event_hash("ledger.account:X", {**FIELDS, "chain_prev": "1" * 64}) != base
    assert event_hash("ledger.account:Y", FIELDS) != base
    assert event_hash("ledger.account:X", {**FIELDS, "chain_hash": "ignored"}) == base


def test_floats_have_no_canonical_encoding() -> None:
    with pytest.raises(TypeError):
        canonical({"amount": 1.5})


def test_root_depends_on_every_head_but_not_their_order() -> None:
    heads = [("a", 1, "x" * 64), ("b", 3, "y" * 64)]
    assert root_of(heads) == root_of(list(reversed(heads)))
    assert root_of(heads) != root_of([("a", 1, "x" * 64), ("b", 3, "z" * 64)])
