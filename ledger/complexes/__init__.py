"""Complexes and their units: the aggregate (complex.py) and the commands (commands.py)."""
