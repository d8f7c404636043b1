"""Read models built from the ledger's event log (statements, alerts, overview) — coming with the projections issue."""
