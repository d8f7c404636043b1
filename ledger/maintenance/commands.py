"""The maintenance fund's commands and readings as one object: ``Ledger.maintenance``."""

from __future__ import annotations

from ledger.maintenance.money import MaintenanceMoney
from ledger.maintenance.projects import MaintenanceProjects
from ledger.maintenance.queries import MaintenanceReadings


class MaintenanceCommands(MaintenanceMoney, MaintenanceProjects, MaintenanceReadings):
    """Commands on a complex's maintenance fund and its repair projects, and their readings;
    each part holds the same unit of work."""
