"""Issue #16: receipts, the Merkle root over them, inclusion proofs and the published ballot list."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.errors import NotFound
from ledger.voting.receipts import (
    ProofStep,
    ballot_list,
    canonical,
    inclusion_proof,
    merkle_root,
    receipt,
    verify_inclusion,
)
from ledger.voting.register import UnitRecord, Vote
from ledger.voting.tally import tally_matter

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def test_a_receipt_hashes_the_votes_canonical_json() -> None:
    vote = Vote("3-1-201", "agree", "electronic", T0, "n1")
    expected = (
        '{"ballot":"b1","channel":"electronic","choice":"agree","matter":5,'
        '"nonce":"n1","signed_at":"2026-12-01T09:00:00+00:00","unit":"3-1-201"}'
    )
    assert canonical(vote, ballot_id="b1", matter=5) == expected.encode()
    assert receipt(vote, ballot_id="b1", matter=5) == hashlib.sha256(expected.encode()).hexdigest()
    assert receipt(vote, ballot_id="b1", matter=6) != receipt(vote, ballot_id="b1", matter=5)


def test_the_merkle_root_follows_the_documented_construction() -> None:
    r = sorted(hashlib.sha256(bytes([i])).hexdigest() for i in range(3))
    leaves = [sha(b"\x00" + bytes.fromhex(x)) for x in r]
    assert merkle_root([]) == hashlib.sha256(b"").hexdigest()
    assert merkle_root(r[:1]) == leaves[0].hex()
    # three leaves: the first two pair, the third is promoted, then they pair
    top = sha(b"\x01" + sha(b"\x01" + leaves[0] + leaves[1]) + leaves[2])
    assert merkle_root(reversed(r)) == top.hex()


def test_a_proof_for_a_receipt_not_in_the_list_is_refused() -> None:
    with pytest.raises(NotFound):
        inclusion_proof([], "00" * 32)


def test_the_published_list_masks_the_unit_to_its_building_and_marks_the_counted_vote() -> None:
    register = [UnitRecord("3-1-201", "3", "k1", "sold_delivered", 9000)]
    first = Vote("3-1-201", "agree", "electronic", T0, "n1")
    changed = Vote("3-1-201", "disagree", "paper", T0 + timedelta(hours=1), "n2")
    entries = ballot_list(register, [first, changed], ballot_id="b1", matter=5)
    assert {(e.building, e.choice, e.counted) for e in entries} == {
        ("3", "agree", False),
        ("3", "disagree", True),
    }
    assert all("201" not in repr(e) for e in entries)
    assert [e.receipt for e in entries] == sorted(e.receipt for e in entries)


# --- properties ------------------------------------------------------------------------------

UNITS = [f"u{n}" for n in range(6)]
REGISTER = [
    UnitRecord(u, str(n % 2 + 1), f"k{n % 4}", "sold_delivered", 100 + n)
    for n, u in enumerate(UNITS)
]
votes_st = st.lists(
    st.builds(
        Vote,
        st.sampled_from(UNITS),
        st.sampled_from(["agree", "disagree", "abstain"]),
        st.sampled_from(["electronic", "paper"]),
        st.integers(0, 5).map(lambda m: T0 + timedelta(minutes=m)),
        st.uuids().map(str),
    ),
    max_size=12,
)


@settings(max_examples=100, deadline=None)
@given(cast=votes_st, matter=st.integers(1, 9))
def test_recounting_the_published_list_gives_the_tallys_counts(
    cast: list[Vote], matter: int
) -> None:
    entries = ballot_list(REGISTER, cast, ballot_id="b1", matter=matter)
    count = tally_matter(matter, REGISTER, cast, deemed_apply=False).without_deemed
    recount = Counter(e.choice for e in entries if e.counted)
    assert {c: recount[c] for c in ("agree", "disagree", "abstain")} == dict(count.units)
    assert len(entries) == len(cast)


@settings(max_examples=100, deadline=None)
@given(cast=votes_st.filter(bool), data=st.data())
def test_changing_dropping_or_adding_one_vote_changes_the_root(
    cast: list[Vote], data: st.DataObject
) -> None:
    receipts = [receipt(v, ballot_id="b1", matter=5) for v in cast]
    root = merkle_root(receipts)
    i = data.draw(st.integers(0, len(cast) - 1))
    other = {"agree": "disagree", "disagree": "abstain", "abstain": "agree"}[cast[i].choice]
    changed = Vote(cast[i].unit_id, other, cast[i].channel, cast[i].signed_at, cast[i].nonce)  # type: ignore[arg-type]
    added = Vote("u0", "agree", "electronic", T0 + timedelta(days=1), "a new one")
    assert (
        merkle_root([*receipts[:i], receipt(changed, ballot_id="b1", matter=5), *receipts[i + 1 :]])
        != root
    )
    assert merkle_root(receipts[:i] + receipts[i + 1 :]) != root
    assert merkle_root([*receipts, receipt(added, ballot_id="b1", matter=5)]) != root


@settings(max_examples=100, deadline=None)
@given(cast=votes_st.filter(bool))
def test_every_receipt_proves_its_inclusion_and_a_changed_one_does_not(cast: list[Vote]) -> None:
    receipts = [receipt(v, ballot_id="b1", matter=5) for v in cast]
    root = merkle_root(receipts)
    for r in receipts:
        proof = inclusion_proof(receipts, r)
        assert verify_inclusion(r, proof, root)
        forged = f"{int(r[0], 16) ^ 1:x}{r[1:]}"
        assert not verify_inclusion(forged, proof, root)
        if proof:
            flipped = ProofStep(proof[0].sibling, "right" if proof[0].side == "left" else "left")
            assert not verify_inclusion(r, (flipped, *proof[1:]), root)
