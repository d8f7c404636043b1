"""Supervision: the alert cases, snoozes and the supervision clock (cases.py), and their
commands (commands.py).

The aggregates' names are re-exported here: ``from ledger.supervision import AlertCase``, as
before issue #13 made this module a folder.
"""

from ledger.supervision.cases import (
    MAX_SNOOZE_DAYS,
    NAMESPACE,
    OUTCOMES,
    AlertCase,
    Snooze,
    SupervisionClock,
    clock_id,
    snooze_id,
)

__all__ = [
    "MAX_SNOOZE_DAYS",
    "NAMESPACE",
    "OUTCOMES",
    "AlertCase",
    "Snooze",
    "SupervisionClock",
    "clock_id",
    "snooze_id",
]
