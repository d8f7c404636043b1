"""Committees and their resolutions at the HTTP edge."""
