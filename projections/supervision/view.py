"""The supervision read model: facts the rules look back on, the alerts, their lifecycle.

Event by event, in log order, inside the runner's batch transaction, so an
alert and its facts are written exactly once with the tracking position.

A batch costs a few statements, not a few per event (issue #15): before its
events are handled, one query per table reads the rows its handlers will look
up by key (``prepare``: the streams' owners, the accounts' entries and
payments, the feeds, the committees and their members, the complexes'
operations budgets); the event rules read that memory (``memory.py``), which
the handlers keep up to date as they write, and the writes wait in a
``HeldTx`` (``writes.py``) that sends them together, before any query that
reads and at the end of the batch. Under a runner the memory is kept across
batches while each follows the last (``resync``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from ledger.account import CommonFundAccount as Account
from ledger.bank.feed import BankFeed
from ledger.base import ChainedAggregate
from ledger.committees.committee import Committee
from ledger.committees.resolution import Resolution
from ledger.complexes.complex import Complex, Listing, listed_stream
from ledger.maintenance import MaintenanceFund as Fund
from ledger.maintenance import RepairProject as Project
from ledger.personal import StoredMember, member_of, party_key, party_of
from ledger.supervision import AlertCase, Snooze, SupervisionClock
from ledger.voting.ballot import Ballot
from projections.db import Tx
from projections.legacy import carried_line
from projections.runner import Batch, on
from projections.supervision import (
    bank_facts,
    challenge_facts,
    facts,
    maintenance_facts,
    voting_rules,
)
from projections.supervision import event_rules as rules
from projections.supervision.alerts import Finding, OnRaise, raise_alert
from projections.supervision.catalog import DEFAULT_CATALOG, Catalog
from projections.supervision.memory import (
    REMEMBERED,
    AccountRows,
    Budget,
    Entry,
    Member,
    Memory,
    Paid,
)
from projections.supervision.writes import HeldTx

TABLES = (
    "sup_places", "sup_streams", "sup_members", "sup_payments", "sup_snoozes",
    "alerts", "alert_steps", "sup_entries", "sup_accounts", "sup_committees", "sup_resolutions",
    "sup_publications", "sup_ticks", "sup_funds", "sup_fund_disclosures", "sup_fund_units",
    "sup_projects", "sup_bank_accounts", "sup_bank_feeds", "sup_bank_statements",
    "sup_bank_lines", "sup_bank_links", "sup_challenges",
)  # fmt: skip


class SupervisionView:
    name = "supervision"

    def __init__(
        self, catalog: Catalog = DEFAULT_CATALOG, hooks: list[OnRaise] | None = None
    ) -> None:
        self.catalog = catalog
        self.hooks = hooks or []
        # generation -> what the view remembers of its tables, kept only while a runner
        # says each batch follows the last one this view applied (``resync``)
        self._memory: dict[int, Memory] = {}
        self._follows = False  # a runner calls resync: memory may be kept across batches
        self.statements = 0  # sent by the last batch (the benchmark, the tests)

    def resync(self, generation: int, position: int) -> None:
        """The next batch does not follow the last one this view applied (Runner._follows)."""
        self._follows = True
        self._memory.pop(generation, None)

    def clear(self, tx: Tx, generation: int) -> None:
        self._memory.pop(generation, None)
        for table in TABLES:
            tx.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))  # noqa: S608

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        memory = self._memory.get(generation) if self._follows else None
        if memory is None or memory.entries > REMEMBERED:
            memory = Memory()
        # forgotten until the batch is written: a batch that fails leaves no memory behind
        self._memory.pop(generation, None)
        held = HeldTx(tx)
        step = _Step(held, generation, self.catalog, self.hooks, memory)
        prepare(step, batch)
        for position, event in batch:
            handler = HANDLERS.get(type(event).__qualname__)
            if handler is not None:
                handler(step, position, event)
        held.flush()
        self.statements = held.statements
        if self._follows:
            self._memory[generation] = memory


class _Step:
    def __init__(
        self, tx: HeldTx, generation: int, catalog: Catalog, hooks: list[OnRaise], memory: Memory
    ) -> None:
        self.tx, self.g, self.catalog, self.hooks = tx, generation, catalog, hooks
        self.memory = memory

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.tx.execute(sql, (self.g, *params))

    def stream(self, stream_id: str, complex_id: str, committee_id: str = "") -> None:
        self.run(
            "INSERT INTO sup_streams (generation, stream_id, complex_id, committee_id)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (generation, stream_id) DO UPDATE SET"
            " complex_id = excluded.complex_id, committee_id = excluded.committee_id",
            stream_id, complex_id, committee_id,
        )  # fmt: skip
        self.memory.streams[stream_id] = (complex_id, committee_id)

    def owner(self, stream_id: str) -> tuple[str, str]:
        """The complex and committee of a stream (an account knows both)."""
        if stream_id not in self.memory.streams:
            self.memory.load_streams(self.tx, self.g, [stream_id])
        return self.memory.streams[stream_id] or ("", "")

    def account(self, account_id: str) -> AccountRows:
        """What the view holds of an account: its row, entries and payments."""
        found = self.memory.accounts.get(account_id)
        if found is None:
            self.memory.load_accounts(self.tx, self.g, [account_id])
            found = self.memory.accounts[account_id]
        return found

    def feed(self, feed_id: str) -> tuple[str, str]:
        """The account and complex of a bank feed."""
        if feed_id not in self.memory.feeds:
            self.memory.load_feeds(self.tx, self.g, [feed_id])
        found = self.memory.feeds[feed_id]
        if found is None:
            raise LookupError(f"the bank feed {feed_id} was never started")
        return found

    def committee(self, committee_id: str) -> tuple[str, int] | None:
        """The complex and seats of an elected committee (None: never elected)."""
        if committee_id not in self.memory.committees:
            self.memory.load_committees(self.tx, self.g, [committee_id])
        return self.memory.committees[committee_id]

    def members(self, committee_id: str) -> dict[str, Member]:
        if committee_id not in self.memory.members:
            self.memory.load_members(self.tx, self.g, [committee_id])
        return self.memory.members[committee_id]

    def complex_budgets(self, complex_id: str) -> tuple[list[Budget], list[Entry]]:
        """A complex's operations budgets and its accounts' operations expenditures (A20)."""
        if complex_id not in self.memory.budgets:
            self.memory.load_complexes(self.tx, self.g, [complex_id])
        return self.memory.budgets[complex_id], list(self.memory.operations[complex_id].values())

    def found(self, position: int, findings: list[Finding]) -> None:
        for finding in findings:
            raise_alert(self.tx, self.g, finding, position, self.hooks)

    def step(
        self, position: int, e: ChainedAggregate.Event, step: str, detail: dict[str, Any]
    ) -> None:
        self.run(
            "INSERT INTO alert_steps (generation, alert_id, version, step, principal, detail,"
            " step_on, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (generation, alert_id, version) DO NOTHING",
            str(e.originator_id), e.originator_version, step, e.principal,
            json.dumps(detail, ensure_ascii=False), e.value_date, position,
        )  # fmt: skip


ACCOUNT_EVENTS = frozenset(
    e.__qualname__
    for e in (
        Account.Opened, Account.IncomeRecorded, Account.ExpenditureBooked, Account.PaymentRefused,
        Account.TransferredIn, Account.TransferredOut, Account.EntryReversed, Account.Closed,
    )
)  # fmt: skip
LISTINGS = frozenset(
    e.__qualname__
    for e in (Complex.CommitteeElected, Complex.AccountOpened, Complex.ResolutionRecorded)
)
FEED_EVENTS = frozenset(
    e.__qualname__
    for e in (BankFeed.StatementRecorded, BankFeed.LinesRecorded, BankFeed.Matched,
              BankFeed.Unmatched, BankFeed.Started)
)  # fmt: skip
COMMITTEE_EVENTS = frozenset(
    e.__qualname__
    for e in (Committee.Elected, Committee.MembersChanged, Committee.DecisionRecorded)
)
BOOKED = Account.ExpenditureBooked.__qualname__
OPENED = Account.Opened.__qualname__


def prepare(s: _Step, batch: Batch) -> None:
    """Read up front, a query per table, what the batch's handlers will look up by key."""
    streams, accounts, feeds, committees = set(), set(), set(), set()
    booked, opened = set(), {}
    for _, e in batch:
        name = type(e).__qualname__
        if name in ACCOUNT_EVENTS:
            accounts.add(str(e.originator_id))
            if name == BOOKED:
                booked.add(str(e.originator_id))
            elif name == OPENED:
                opened[str(e.originator_id)] = (e.complex_id, e.committee_id)
        elif name in LISTINGS:
            streams.add(str(listed_stream(e)))
        elif name in FEED_EVENTS:
            feeds.add(str(e.originator_id))
        elif name in COMMITTEE_EVENTS:
            committees.add(str(e.originator_id))
    m, tx, g = s.memory, s.tx, s.g
    m.load_feeds(tx, g, feeds)
    accounts.update(f[0] for f in (m.feeds.get(i) for i in feeds) if f is not None)
    m.load_streams(tx, g, streams | accounts)
    m.load_accounts(tx, g, accounts)
    m.load_committees(tx, g, committees)
    owners = [opened.get(a) or m.streams.get(a) or ("", "") for a in booked]
    m.load_members(tx, g, committees | {committee for _, committee in owners})
    m.load_complexes(tx, g, {complex_id for complex_id, _ in owners})


# --- facts ------------------------------------------------------------------------


def _registered(s: _Step, position: int, e: Complex.Registered) -> None:
    cid = str(e.originator_id)
    s.run(
        "INSERT INTO sup_places (generation, complex_id, code, name, district, street, community)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        cid, e.code, e.name, e.district, e.street, e.community,
    )  # fmt: skip
    s.stream(cid, cid)


def _noted(s: _Step, position: int, e: Listing) -> None:
    stream = listed_stream(e)
    if not s.owner(str(stream))[0]:
        s.stream(str(stream), str(e.originator_id))


def _elected(s: _Step, position: int, e: Committee.Elected) -> None:
    committee_id = str(e.originator_id)
    s.stream(committee_id, e.complex_id, committee_id)
    _members(s, committee_id, e.members)
    facts.elected(s, position, e)


def _members(s: _Step, committee_id: str, members: list[StoredMember]) -> None:
    """Members as A05 compares them: identity key and the keyed hash of the name, never the name."""
    known = s.members(committee_id)
    for stored in members:
        m = member_of(stored)
        known[m["member_id"]] = (m["public_name"], m["identity_key"], m["name_key"])
        s.run(
            "INSERT INTO sup_members (generation, committee_id, member_id, public_name,"
            " identity_key, name_key) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (generation, committee_id, member_id) DO UPDATE SET"
            " public_name = excluded.public_name, identity_key = excluded.identity_key,"
            " name_key = excluded.name_key",
            committee_id, m["member_id"], m["public_name"], m["identity_key"], m["name_key"],
        )  # fmt: skip


def _members_changed(s: _Step, position: int, e: Committee.MembersChanged) -> None:
    committee_id = str(e.originator_id)
    known = s.members(committee_id)
    for member_id in e.removed:
        known.pop(member_id, None)
        s.run(
            "DELETE FROM sup_members WHERE generation = ? AND committee_id = ? AND member_id = ?",
            committee_id, member_id,
        )  # fmt: skip
    _members(s, committee_id, e.added)


def _opened(s: _Step, position: int, e: Account.Opened) -> None:
    s.stream(str(e.originator_id), e.complex_id, e.committee_id)
    facts.opened(s, position, e)
    bank_facts.opened(s, position, e)


def _account_closed(s: _Step, position: int, e: Account.Closed) -> None:
    facts.closed(s, position, e)
    bank_facts.closed(s, position, e)


def _booked(s: _Step, position: int, e: Account.ExpenditureBooked) -> None:
    """A booked payment: the rules that read it, then it joins the facts (its line is carried
    by the event, projections/legacy.py)."""
    account_id = str(e.originator_id)
    line = carried_line(e)
    payee = party_of(line["payee"])
    complex_id, committee_id = s.owner(account_id)
    account = s.account(account_id)
    paid = account.payments.values()
    key = party_key(payee)
    p = rules.Payment(
        account_id, complex_id, committee_id, e.expenditure_id, e.value_date, key,
        payee["public_name"], payee["person"], payee["identity_key"], payee["name_key"],
        e.amount, line["method"], line["contract_ref"], position,
    )  # fmt: skip
    c = s.catalog
    s.found(
        position,
        [
            *rules.round_number(c, p),
            *rules.member_payee(c, p, s.members(committee_id) if p.payee_person else {}),
            *rules.cash(c, p, paid),
            *rules.new_payee(c, p, paid),
            *rules.frequent(c, p, paid),
        ],
    )
    challenge_facts.booked(s, position, e, line)  # V06
    facts.booked(s, position, p, line)
    account.payments.setdefault(e.expenditure_id, Paid(e.value_date, key, e.amount, line["method"]))
    s.run(
        "INSERT INTO sup_payments (generation, account_id, entry_id, value_date, payee_key,"
        " payee_name, amount, method, contract_ref, position)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        account_id, e.expenditure_id, e.value_date, key, payee["public_name"], e.amount,
        line["method"], line["contract_ref"], position,
    )  # fmt: skip


def _income(s: _Step, position: int, e: Account.IncomeRecorded) -> None:
    account_id = str(e.originator_id)
    s.found(position, rules.deduction(s.catalog, e, account_id, s.owner(account_id)[0]))
    facts.income(s, position, e)


def _ballot_closed(s: _Step, position: int, e: Ballot.Closed) -> None:
    s.found(position, voting_rules.closed(s.catalog, e))


def _planned(s: _Step, position: int, e: Project.Planned) -> None:
    maintenance_facts.planned(s, position, e)
    challenge_facts.planned(s, position, e)  # V06


def _refused(s: _Step, position: int, e: Account.PaymentRefused) -> None:
    account_id = str(e.originator_id)
    s.found(position, rules.refused(s.catalog, e, account_id, s.owner(account_id)[0]))
    facts.refused(s, position, e)


# --- the lifecycle ----------------------------------------------------------------

Case = TypeVar("Case", AlertCase.Acknowledged, AlertCase.Explained, AlertCase.Closed)


def _acknowledged(e: AlertCase.Acknowledged) -> dict[str, Any]:
    return {"note": e.note}


def _explained(e: AlertCase.Explained) -> dict[str, Any]:
    return {"text": e.text, "evidence": e.evidence}


def _closed(e: AlertCase.Closed) -> dict[str, Any]:
    return {"outcome": e.outcome, "reason": e.reason, "action": e.action}


def _case(
    status: str | None, step: str, detail: Callable[[Case], dict[str, Any]]
) -> Callable[[_Step, int, Case], None]:
    """A step of an alert's case: its detail, and the alert's new status (None: unchanged)."""

    def handler(s: _Step, position: int, e: Case) -> None:
        alert = str(e.originator_id)
        if status is not None:
            s.tx.execute(  # the alert raised earlier in the batch is written first
                "UPDATE alerts SET status = ?, outcome = ? WHERE generation = ? AND alert_id = ?",
                (status, getattr(e, "outcome", None), s.g, alert),
            )
        s.step(position, e, step, detail(e))

    return handler


def _snoozed(s: _Step, position: int, e: Snooze.Snoozed) -> None:
    s.run(
        "INSERT INTO sup_snoozes (generation, snooze_id, rule, subject_id, until)"
        " VALUES (?, ?, ?, ?, ?)",
        str(e.originator_id), e.rule, e.subject, e.until,
    )  # fmt: skip


def _extended(s: _Step, position: int, e: Snooze.Extended) -> None:
    s.tx.execute(
        "UPDATE sup_snoozes SET until = ? WHERE generation = ? AND snooze_id = ?",
        (e.until, s.g, str(e.originator_id)),
    )


Handler = Callable[[_Step, int, Any], None]
HANDLERS: dict[str, Handler] = dict(
    (
        on(Complex.Registered, _registered),
        on(Complex.CommitteeElected, _noted),
        on(Complex.AccountOpened, _noted),
        on(Complex.ResolutionRecorded, _noted),
        on(Committee.Elected, _elected),
        on(Committee.MembersChanged, _members_changed),
        on(Account.Opened, _opened),
        on(Account.IncomeRecorded, _income),
        on(Account.ExpenditureBooked, _booked),
        on(Account.PaymentRefused, _refused),
        on(Account.TransferredIn, facts.transferred_in),
        on(Account.TransferredOut, facts.transferred_out),
        on(Account.EntryReversed, facts.reversed_entry),
        on(Account.Closed, _account_closed),
        on(Committee.Filed, facts.filed),
        on(Committee.Sealed, facts.sealed),
        on(Committee.Superseded, facts.superseded),
        on(Committee.Dissolved, facts.dissolved),
        on(Committee.HandedOver, facts.handed_over),
        on(Committee.DecisionRecorded, facts.decided),
        on(Resolution.Recorded, facts.resolved),
        on(Resolution.ChallengeFiled, challenge_facts.filed),
        on(Resolution.ChallengeEnded, challenge_facts.ended),
        on(Resolution.Revoked, challenge_facts.ended),
        on(Complex.StatementPublished, facts.published),
        on(SupervisionClock.Ticked, facts.ticked),
        on(Fund.Established, maintenance_facts.established),
        on(Fund.Deposited, maintenance_facts.deposited),
        on(Fund.TransferredIn, maintenance_facts.transferred_in),
        on(Fund.InterestAllocated, maintenance_facts.interest_allocated),
        on(Fund.Disbursed, maintenance_facts.disbursed),
        on(Fund.AnnualStatementPublished, maintenance_facts.annual_published),
        on(Fund.UseRefused, maintenance_facts.use_refused),
        on(Project.Planned, _planned),
        on(Project.Disbursed, challenge_facts.disbursed),
        on(Project.Accepted, maintenance_facts.accepted),
        on(Project.Disclosed, maintenance_facts.disclosed),
        on(Project.DisbursementRefused, maintenance_facts.refused),
        on(BankFeed.Started, bank_facts.started),
        on(BankFeed.StatementRecorded, bank_facts.statement),
        on(BankFeed.LinesRecorded, bank_facts.lines),
        on(BankFeed.Matched, bank_facts.matched),
        on(BankFeed.Unmatched, bank_facts.unmatched),
        on(AlertCase.Acknowledged, _case("acknowledged", "acknowledged", _acknowledged)),
        on(AlertCase.Explained, _case(None, "explained", _explained)),
        on(AlertCase.Closed, _case("closed", "closed", _closed)),
        on(Snooze.Snoozed, _snoozed),
        on(Snooze.Extended, _extended),
        on(Ballot.Closed, _ballot_closed),
    )
)
