"""Readings of the maintenance fund from the ledger (tests, the CLI, the digest); the API reads
the read model."""

from __future__ import annotations

import copy
from uuid import UUID

from ledger.account.payment_rules import approvals_as_proposed
from ledger.maintenance.fund import MaintenanceFund, Payout, RepairProject
from ledger.maintenance.receipts import fund_id
from ledger.unit_of_work import UnitOfWork


class MaintenanceReadings:
    """Private copies of a fund, a project, a payout; the streams of a complex's fund."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work

    def fund(self, complex_id: UUID) -> MaintenanceFund:
        """A private copy of the fund (tests, the CLI); the API reads the read model."""
        return self._work.read(fund_id(complex_id), MaintenanceFund)

    def project(self, project: UUID) -> RepairProject:
        return self._work.read(project, RepairProject)

    def payout(
        self, project: UUID, disbursement_id: str, *, as_proposed: bool = False
    ) -> tuple[Payout, int]:
        """A proposed payout and its approvals so far (a copy), and the units it charges;
        ``as_proposed``: as its proposing command left it (a replay's answer, issue #12)."""
        payout, affected = self._work.peek(
            project, RepairProject,
            lambda p: (copy.deepcopy(p.payout(disbursement_id)), len(p.affected)),
        )  # fmt: skip
        if as_proposed:
            payout["approvals"] = approvals_as_proposed(payout["proposer"], payout["approvals"])
            payout["status"] = "proposed"
        return payout, affected

    def streams(self, complex_id: UUID) -> list[str]:
        """The fund's stream and its projects', for the complex's digest (H12)."""
        the_id = fund_id(complex_id)
        if not self._work.exists(the_id):
            return []
        projects = self._work.peek(the_id, MaintenanceFund, lambda f: list(f.project_ids))
        return [str(the_id), *projects]
