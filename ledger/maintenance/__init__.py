"""The maintenance fund (issue #6): the fund, project and batch aggregates (fund.py), the
rules the read side shows (rules.py), the commands (commands.py) and readings (queries.py).

The aggregates' names are re-exported here: ``from ledger.maintenance import MaintenanceFund``,
as before issue #13 made this module a folder.
"""

from ledger.maintenance.fund import (
    DEPOSIT_KINDS,
    EMERGENCY_CATEGORIES,
    MAX_LINES,
    Contractor,
    Emergency,
    FundBatch,
    Item,
    MaintenanceFund,
    Payout,
    RepairProject,
    check_lines,
)

__all__ = [
    "DEPOSIT_KINDS",
    "EMERGENCY_CATEGORIES",
    "MAX_LINES",
    "Contractor",
    "Emergency",
    "FundBatch",
    "Item",
    "MaintenanceFund",
    "Payout",
    "RepairProject",
    "check_lines",
]
