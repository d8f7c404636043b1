"""Committees and resolutions: the committee and resolution aggregates, the vote count (voting.py)
and their commands (commands.py)."""
