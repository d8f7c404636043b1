"""The maintenance fund's read model: per-unit ledgers, projects, formats."""
