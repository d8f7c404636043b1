"""The composition root: settings, wiring of the ledger to its store, and the command line."""
