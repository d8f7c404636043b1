"""The ledger application: one ``Ledger`` per process, a thin facade over the contexts.

It is the eventsourcing ``Application`` (the store, the cache, snapshots) and wires the
parts: the unit of work (ledger/unit_of_work.py: the command discipline every context
goes through), one command object per context (complexes, committees, account,
maintenance, supervision), the readings (ledger/queries.py), and the hand-offs by which
one context's command carries another's aggregate in the same write. Its public methods
are the contexts' own, bound here, so callers keep one object to hold.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.application import (
    Application,
    ProcessingEvent,
    ProjectorFunction,
    project_aggregate,
)
from eventsourcing.domain import MutableOrImmutableAggregate

from ledger.account.account import CommonFundAccount
from ledger.account.commands import AccountCommands
from ledger.bank.commands import BankCommands
from ledger.bank.feed import BankFeed
from ledger.committees.commands import CommitteeCommands
from ledger.committees.committee import Committee
from ledger.complexes.commands import ComplexCommands
from ledger.complexes.complex import Complex
from ledger.maintenance.commands import MaintenanceCommands
from ledger.maintenance.fund import MaintenanceFund, RepairProject
from ledger.personal import PersonalData, Unavailable
from ledger.policy import DEFAULT_POLICY, Policy
from ledger.queries import AccountSummary, ComplexSummary, LedgerQueries
from ledger.supervision.commands import SupervisionCommands
from ledger.unit_of_work import SYSTEM, Actor, Receipt, UnitOfWork
from ledger.voting.ballot import Ballot
from ledger.voting.commands import VotingCommands

__all__ = ["SYSTEM", "AccountSummary", "Actor", "ComplexSummary", "Ledger", "Receipt"]

# The fast command path: see ledger/unit_of_work.py and docs/benchmarks.md.
DEFAULT_ENV = {
    "AGGREGATE_CACHE_MAXSIZE": "5000",
    "AGGREGATE_CACHE_FASTFORWARD": "n",
    "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
}


class Ledger(Application[UUID]):
    """The commonfund ledger: complexes, committees, resolutions, common-fund accounts, the
    maintenance fund and supervision's cases."""

    name = "Ledger"
    snapshotting_intervals: ClassVar[dict[type[MutableOrImmutableAggregate[Any]], int]] = {
        CommonFundAccount: 200,
        Complex: 50,
        Committee: 50,
        # A fund's state is its units (not its history); an event may move 10,000 of them,
        # so a short interval keeps a cold load to one snapshot and a few events.
        MaintenanceFund: 10,
        RepairProject: 50,
        # its state is its lines and matches: a snapshot of a large feed costs seconds, and an
        # import of 100,000 lines is ~100 events, a day's feed ~3; replaying 500 small ones is cheap
        BankFeed: 500,
        # a ballot's state is its register and votes (10,000 units: ~3 MB); casts are small events
        Ballot: 1000,
    }

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        policy: Policy = DEFAULT_POLICY,
        clock: Callable[[], datetime] | None = None,
        personal: PersonalData | None = None,
    ) -> None:
        super().__init__(env={**DEFAULT_ENV, **(env or {})})
        # the aggregates of the save taking snapshots, per thread: commands on different
        # aggregates save side by side (ledger/unit_of_work.py)
        self._saving_now = threading.local()
        work = UnitOfWork(
            self,
            policy=policy,
            clock=clock or (lambda: datetime.now(UTC)),
            personal=personal or Unavailable(),
        )
        self.work = work
        self.complexes = ComplexCommands(work)
        self.committees = CommitteeCommands(work)
        self.accounts = AccountCommands(work)
        self.maintenance = MaintenanceCommands(work)  # the maintenance fund (issue #6)
        self.supervision = SupervisionCommands(work)
        self.bank = BankCommands(work)  # the bank feed and reconciliation (issue #14)
        self.voting = VotingCommands(work)  # ballots of the owners' assembly (issue #16)
        self.queries = LedgerQueries(work, self.maintenance)
        # one context's command carries another's aggregate along, in the same write
        work.handoffs.unit_sold = self.maintenance.note_sale
        work.handoffs.transfer_booked = self.maintenance.credit_transfer
        self._bind_commands()
        self._bind_readings()

    def _bind_commands(self) -> None:
        """The contexts' commands, bound: one object for callers to hold."""
        self.register_complex = self.complexes.register_complex
        self.add_units = self.complexes.add_units
        self.transfer_unit = self.complexes.transfer_unit
        self.record_delivery = self.complexes.record_delivery
        self.set_objection_contact = self.complexes.set_objection_contact
        self.publish_statement = self.complexes.publish_statement
        self.reconcile_statement = self.complexes.reconcile_statement
        self.record_resolution = self.committees.record_resolution
        self.elect_committee = self.committees.elect_committee
        self.file_committee = self.committees.file_committee
        self.seal_committee = self.committees.seal_committee
        self.change_members = self.committees.change_members
        self.record_decision = self.committees.record_decision
        self.hand_over = self.committees.hand_over
        self.dissolve_committee = self.committees.dissolve_committee
        self.open_account = self.accounts.open_account
        self.record_income = self.accounts.record_income
        self.propose_expenditure = self.accounts.propose_expenditure
        self.approve_expenditure = self.accounts.approve_expenditure
        self.reject_expenditure = self.accounts.reject_expenditure
        self.withdraw_expenditure = self.accounts.withdraw_expenditure
        self.reverse_entry = self.accounts.reverse_entry
        self.suspend_payments = self.accounts.suspend_payments
        self.resume_payments = self.accounts.resume_payments
        self.close_account = self.accounts.close_account
        self.acknowledge_alert = self.supervision.acknowledge_alert
        self.explain_alert = self.supervision.explain_alert
        self.close_alert = self.supervision.close_alert
        self.snooze_rule = self.supervision.snooze_rule
        self.tick_supervision = self.supervision.tick_supervision
        self.import_bank_file = self.bank.import_file
        self.reconcile = self.bank.reconcile
        self.link_bank_lines = self.bank.link
        self.unlink_bank_lines = self.bank.unlink
        self.announce_ballot = self.voting.announce_ballot
        self.open_ballot = self.voting.open_ballot
        self.serve_ballot = self.voting.serve_ballot
        self.cast_votes = self.voting.cast_votes
        self.enter_paper_ballot = self.voting.enter_paper_ballot
        self.close_ballot = self.voting.close_ballot
        self.revoke_resolution = self.voting.revoke_resolution
        self.file_challenge = self.voting.file_challenge
        self.end_challenge = self.voting.end_challenge

    def _bind_readings(self) -> None:
        """The readings and the unit of work's questions, bound."""
        work = self.work
        self.account = self.queries.account
        self.account_summary = self.queries.account_summary
        self.complex_ids = self.queries.complex_ids
        self.complex_summary = self.queries.complex_summary
        self.committee = self.queries.committee
        self.complex = self.queries.complex
        self.resolution = self.queries.resolution
        self.entries = self.queries.entries
        self.expenditure = self.queries.expenditure
        self.balance_as_of = self.queries.balance_as_of
        self.digest = self.queries.digest
        self.read = work.read
        self.peek = work.peek
        self.complex_of = work.complex_of
        self.place_of = work.place_of
        self.committee_in_office = work.committee_in_office
        self.keep_refusal = work.keep_refusal
        self.hear_committees = work.hear_committees
        self.committee_changed = work.committee_changed

    @property
    def policy(self) -> Policy:
        return self.work.policy

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.work.clock

    @property
    def personal(self) -> PersonalData:
        return self.work.personal

    def today(self) -> date:
        return self.work.today()

    def close(self) -> None:
        super().close()
        close = getattr(self.personal, "close", None)  # the keeper's connections go with it
        if close is not None:
            close()

    # --- snapshots ------------------------------------------------------------------

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        self._saving_now.aggregates = processing_event.aggregates
        try:
            super()._take_snapshots(processing_event)
        finally:
            self._saving_now.aggregates = {}

    def take_snapshot(
        self,
        aggregate_id: UUID,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = project_aggregate,
    ) -> None:
        """A fund's snapshot is taken from the fund just saved, not rebuilt from the store.

        The library rebuilds an aggregate from its previous snapshot and events to
        snapshot it: for a fund, ten events of up to 10,000 unit parts decoded and
        folded again on every tenth command (~0.9 s under load instead of ~0.1 s,
        bench/maintenance.py). The fund just saved at that version is that state.
        """
        saved = getattr(self._saving_now, "aggregates", {}).get(aggregate_id)
        snapshot_class = getattr(type(saved), "Snapshot", type(self).snapshot_class)
        if (
            isinstance(saved, MaintenanceFund)
            and saved.version == version
            and self.snapshots is not None
            and snapshot_class is not None
        ):
            self.snapshots.put([snapshot_class.take(saved)])
            return
        super().take_snapshot(aggregate_id, version, projector_func)
