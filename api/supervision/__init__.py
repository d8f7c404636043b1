"""Supervision at the HTTP edge: alerts, the regulator's pages, overview, webhooks."""
