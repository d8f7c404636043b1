"""The bank feed's read model (issue #14): statements, lines, matches, reconciliation."""
