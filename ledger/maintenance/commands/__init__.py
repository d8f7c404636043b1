"""The maintenance fund's commands and readings as one object: ``Ledger.maintenance``."""

from __future__ import annotations

from ledger.maintenance.commands.money import MaintenanceMoney
from ledger.maintenance.commands.projects import MaintenanceProjects
from ledger.maintenance.commands.readings import MaintenanceReadings


class MaintenanceCommands(MaintenanceMoney, MaintenanceProjects, MaintenanceReadings):
    """Commands on a complex's maintenance fund and its repair projects, and their readings;
    each part holds the same unit of work."""
