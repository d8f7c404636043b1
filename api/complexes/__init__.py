"""Complexes and their units at the HTTP edge."""
