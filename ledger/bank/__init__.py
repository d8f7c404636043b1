"""The bank feed (issue #14): what the bank reports about an account, recorded exactly once, and
matched line by line against the ledger (reconciliation)."""
