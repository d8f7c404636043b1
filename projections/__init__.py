"""Read models built from the ledger's event log: the projection runner and the statements.

Each read model follows the log in order and writes its rows and its tracking
position in one transaction (exactly once across crashes); see
docs/architecture.md, "Projections".
"""
