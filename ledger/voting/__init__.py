"""Voting (issue #16): the register a ballot counts, the tally by Civil Code art. 278 (tally.py) and
the receipts and Merkle root that let anyone check and recount it (receipts.py)."""
