"""Vote receipts, the Merkle root over them and the published ballot list (issue #16).

- **Receipt**: the SHA-256 hex of the vote's canonical JSON: the object ``ballot``, ``matter``,
  ``unit``, ``choice``, ``channel``, ``signed_at`` (ISO 8601 with its offset) and ``nonce``,
  keys sorted, no spaces (``,`` and ``:``), UTF-8 as is. The ballot and matter keep one
  ballot's receipt from passing for another's; the nonce, drawn at casting and handed to the
  owner with the receipt, keeps anyone from guessing a unit's choice by hashing the three
  possible votes.
- **Merkle root** over every receipt of the matter, superseded votes included (a change, a
  drop or an addition of any stored vote moves it): the receipts sorted as hex strings, each
  leaf ``sha256(0x00 ‖ receipt bytes)``, each node ``sha256(0x01 ‖ left ‖ right)``, a level's
  odd last node promoted unchanged to the next level; no receipts: ``sha256(b"")``. The 0x00 /
  0x01 prefixes keep a leaf from passing for a node.
- **Inclusion proof**: the siblings from the leaf up, each with its side; the verifier hashes
  the leaf, folds the siblings in and compares with the root.
- **Ballot list entry**: the unit masked to its building, the choice, the receipt and whether
  that vote is the one counted; sorted by receipt, so the order tells nothing of when or who.
  Recounting the counted entries gives the tally's unit counts per choice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from ledger.errors import NotFound
from ledger.voting.register import (
    Choice,
    CountingRule,
    UnitRecord,
    Vote,
    counted_votes,
    signed_later,
)

Side = Literal["left", "right"]


def canonical(vote: Vote, *, ballot_id: str, matter: int) -> bytes:
    """The vote's canonical JSON, the bytes its receipt hashes."""
    document = {
        "ballot": ballot_id,
        "matter": matter,
        "unit": vote.unit_id,
        "choice": vote.choice,
        "channel": vote.channel,
        "signed_at": vote.signed_at.isoformat(),
        "nonce": vote.nonce,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def receipt(vote: Vote, *, ballot_id: str, matter: int) -> str:
    """The receipt the owner keeps: SHA-256 hex of the vote's canonical JSON."""
    return hashlib.sha256(canonical(vote, ballot_id=ballot_id, matter=matter)).hexdigest()


def _leaf(receipt_hex: str) -> bytes:
    return hashlib.sha256(b"\x00" + bytes.fromhex(receipt_hex)).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _levels(receipts: Iterable[str]) -> list[list[bytes]]:
    level = [_leaf(r) for r in sorted(receipts)]
    levels = [level]
    while len(level) > 1:
        pairs = [_node(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        level = pairs + level[len(pairs) * 2 :]  # an odd last node is promoted
        levels.append(level)
    return levels


def merkle_root(receipts: Iterable[str]) -> str:
    """The root over the receipts, hex; ``sha256(b"")`` for none."""
    top = _levels(receipts)[-1]
    return top[0].hex() if top else hashlib.sha256(b"").hexdigest()


@dataclass(frozen=True, slots=True)
class ProofStep:
    sibling: str  # hex
    side: Side  # where the sibling sits


def inclusion_proof(receipts: Sequence[str], receipt_hex: str) -> tuple[ProofStep, ...]:
    """The path from ``receipt_hex``'s leaf to the root."""
    ordered = sorted(receipts)
    if receipt_hex not in ordered:
        raise NotFound("this receipt is not among the ballot's votes")
    index = ordered.index(receipt_hex)
    steps: list[ProofStep] = []
    for level in _levels(ordered)[:-1]:
        if index % 2:
            steps.append(ProofStep(level[index - 1].hex(), "left"))
        elif index + 1 < len(level):
            steps.append(ProofStep(level[index + 1].hex(), "right"))
        index //= 2
    return tuple(steps)


def verify_inclusion(receipt_hex: str, proof: Sequence[ProofStep], root: str) -> bool:
    """True when the proof leads from the receipt to the published root."""
    digest = _leaf(receipt_hex)
    for step in proof:
        sibling = bytes.fromhex(step.sibling)
        digest = _node(sibling, digest) if step.side == "left" else _node(digest, sibling)
    return digest.hex() == root


@dataclass(frozen=True, slots=True)
class ListEntry:
    """One vote on the published ballot list."""

    building: str
    choice: Choice
    receipt: str
    counted: bool


def ballot_list(
    register: Sequence[UnitRecord],
    votes: Sequence[Vote],
    *,
    ballot_id: str,
    matter: int,
    rule: CountingRule = signed_later,
) -> tuple[ListEntry, ...]:
    """Every vote of the matter, masked to its building, sorted by receipt."""
    buildings = {u.unit_id: u.building for u in register}
    counted = {id(v) for v in counted_votes(register, votes, rule).values()}
    entries = (
        ListEntry(
            buildings[v.unit_id],
            v.choice,
            receipt(v, ballot_id=ballot_id, matter=matter),
            id(v) in counted,
        )
        for v in votes
    )
    return tuple(sorted(entries, key=lambda e: e.receipt))
