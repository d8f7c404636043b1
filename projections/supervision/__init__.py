"""Supervision: alert rules evaluated from the event log, and the alerts read model (spec/alerts.md)."""
