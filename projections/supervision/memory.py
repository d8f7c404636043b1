"""What the supervision view remembers of its tables, so event rules ask memory, not SQL (issue #15).

Each part mirrors rows of one table of one generation exactly: it is read from
the table once (for the keys a batch needs, one query per table, before the
batch's events are handled) and then kept up to date by the handlers that
write those rows, in the same order as the writes. So a rule reading memory
sees what its SQL read of the table saw. What is known of a key is all its
rows (an account's entries and payments, a committee's members), or that it
has none. The view forgets everything when the runner says a batch does not
follow the last one it applied (``resync``: another runner's batches, a batch
rolled back), and when it holds more than ``REMEMBERED`` entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from projections.db import Tx, among

REMEMBERED = 1_000_000  # entries held before the memory is dropped and read again
OPERATIONS = "committee_operations"  # authority_rules.OPERATIONS (imported there from here)


@dataclass(slots=True)
class Entry:
    """A row of ``sup_entries``."""

    entry_id: str
    kind: str
    category: str
    value_date: str
    amount: int
    counterparty: str
    counterparty_key: str
    authorisation: str
    position: int
    reversed_by: str = ""


@dataclass(frozen=True, slots=True)
class Paid:
    """A row of ``sup_payments``."""

    value_date: str
    payee_key: str
    amount: int
    method: str


@dataclass(frozen=True, slots=True)
class Opened:
    """A row of ``sup_accounts``."""

    complex_id: str
    committee_id: str
    opened_on: str
    closed_on: str = ""


@dataclass(slots=True)
class AccountRows:
    """An account's rows: ``sup_accounts`` (None: none), its entries and its payments."""

    row: Opened | None = None
    entries: dict[str, Entry] = field(default_factory=dict)
    payments: dict[str, Paid] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Budget:
    """A passed whole-assembly budget of committee operations (``sup_resolutions``)."""

    resolution_id: str
    cap: int
    period_from: str
    period_to: str
    closed_on: str


Member = tuple[str, str, str]  # public_name, identity_key, name_key


@dataclass(frozen=True, slots=True)
class Challenged:
    """A row of ``sup_challenges``: a resolution's pending suit in court (V06)."""

    complex_id: str
    court: str
    case_number: str
    filed_on: str


class Memory:
    """One generation's remembered rows (see the module's docstring)."""

    def __init__(self) -> None:
        self.streams: dict[str, tuple[str, str] | None] = {}  # sup_streams
        self.feeds: dict[str, tuple[str, str] | None] = {}  # sup_bank_feeds: account, complex
        self.accounts: dict[str, AccountRows] = {}
        self.committees: dict[str, tuple[str, int] | None] = {}  # complex, seats
        self.members: dict[str, dict[str, Member]] = {}  # committee -> member -> …
        self.budgets: dict[str, list[Budget]] = {}  # complex -> its budgets
        # complex -> (account, entry) -> the operations expenditures of its accounts
        # (sup_accounts.complex_id), as over_budget sums them
        self.operations: dict[str, dict[tuple[str, str], Entry]] = {}
        self.challenges: dict[str, Challenged | None] = {}  # resolution -> its pending suit
        self.entries = 0

    # --- reading what a batch needs, a query per table ----------------------------------

    def load_streams(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.streams})
        if not wanted:
            return
        self.streams.update(dict.fromkeys(wanted))
        for condition, params in among(tx, "stream_id", wanted):
            for stream_id, complex_id, committee_id in tx.execute(
                f"SELECT stream_id, complex_id, committee_id FROM sup_streams"  # noqa: S608
                f" WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                self.streams[str(stream_id)] = (str(complex_id), str(committee_id))

    def load_challenges(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.challenges})
        if not wanted:
            return
        self.challenges.update(dict.fromkeys(wanted))
        for condition, params in among(tx, "resolution_id", wanted):
            for resolution_id, complex_id, court, case_number, filed_on in tx.execute(
                "SELECT resolution_id, complex_id, court, case_number, filed_on"  # noqa: S608
                f" FROM sup_challenges WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                self.challenges[str(resolution_id)] = Challenged(
                    str(complex_id), str(court), str(case_number), str(filed_on)
                )

    def load_feeds(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.feeds})
        if not wanted:
            return
        self.feeds.update(dict.fromkeys(wanted))
        for condition, params in among(tx, "feed_id", wanted):
            for feed_id, account_id, complex_id in tx.execute(
                f"SELECT feed_id, account_id, complex_id FROM sup_bank_feeds"  # noqa: S608
                f" WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                self.feeds[str(feed_id)] = (str(account_id), str(complex_id))

    def load_accounts(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.accounts})
        if not wanted:
            return
        fresh = {i: AccountRows() for i in wanted}
        for condition, params in among(tx, "account_id", wanted):
            for account_id, complex_id, committee_id, opened_on, closed_on in tx.execute(
                "SELECT account_id, complex_id, committee_id, opened_on, closed_on"  # noqa: S608
                f" FROM sup_accounts WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                fresh[str(account_id)].row = Opened(
                    str(complex_id), str(committee_id), str(opened_on), str(closed_on)
                )
            for row in tx.execute(
                "SELECT account_id, entry_id, kind, category, value_date, amount,"  # noqa: S608
                " counterparty, counterparty_key, authorisation, position, reversed_by"
                f" FROM sup_entries WHERE generation = ? AND {condition}"
                " ORDER BY position, entry_id",
                (g, *params),
            ):
                fresh[str(row[0])].entries[str(row[1])] = _entry(row[1:])
                self.entries += 1
            for account_id, entry_id, value_date, payee_key, amount, method in tx.execute(
                "SELECT account_id, entry_id, value_date, payee_key, amount, method"  # noqa: S608
                f" FROM sup_payments WHERE generation = ? AND {condition}"
                " ORDER BY position, entry_id",
                (g, *params),
            ):
                fresh[str(account_id)].payments[str(entry_id)] = Paid(
                    str(value_date), str(payee_key), int(amount), str(method)
                )
        self.accounts.update(fresh)

    def load_committees(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.committees})
        if wanted:
            self.committees.update(dict.fromkeys(wanted))
            for condition, params in among(tx, "committee_id", wanted):
                for committee_id, complex_id, seats in tx.execute(
                    f"SELECT committee_id, complex_id, seats FROM sup_committees"  # noqa: S608
                    f" WHERE generation = ? AND {condition}",
                    (g, *params),
                ):
                    self.committees[str(committee_id)] = (str(complex_id), int(seats))

    def load_members(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        wanted = sorted({i for i in ids if i not in self.members})
        if not wanted:
            return
        for committee_id in wanted:
            self.members[committee_id] = {}
        for condition, params in among(tx, "committee_id", wanted):
            for committee_id, member_id, name, identity_key, name_key in tx.execute(
                "SELECT committee_id, member_id, public_name, identity_key, name_key"  # noqa: S608
                f" FROM sup_members WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                self.members[str(committee_id)][str(member_id)] = (
                    str(name),
                    str(identity_key),
                    str(name_key),
                )

    def load_complexes(self, tx: Tx, g: int, ids: Iterable[str]) -> None:
        """The complexes' operations budgets and operations expenditures (A20)."""
        wanted = sorted({i for i in ids if i not in self.budgets})
        if not wanted:
            return
        for complex_id in wanted:
            self.budgets[complex_id] = []
            self.operations[complex_id] = {}
        for condition, params in among(tx, "complex_id", wanted):
            for rid, cid, cap, period_from, period_to, closed_on in tx.execute(
                "SELECT resolution_id, complex_id, amount_cap, period_from, period_to,"  # noqa: S608
                " closed_on FROM sup_resolutions WHERE generation = ? AND passed = 1"
                f" AND whole_assembly = 1 AND amount_cap IS NOT NULL AND {condition}",
                (g, *params),
            ):
                self.budgets[str(cid)].append(
                    Budget(str(rid), int(cap), str(period_from), str(period_to), str(closed_on))
                )
        # the complexes' accounts (sup_accounts is small), then their operations by account:
        # no join for the planner to misjudge on a generation being filled
        accounts: dict[str, str] = {}
        for condition, params in among(tx, "complex_id", wanted):
            for account_id, complex_id in tx.execute(
                f"SELECT account_id, complex_id FROM sup_accounts"  # noqa: S608
                f" WHERE generation = ? AND {condition}",
                (g, *params),
            ):
                accounts[str(account_id)] = str(complex_id)
        for condition, params in among(tx, "account_id", sorted(accounts)):
            for row in tx.execute(
                "SELECT account_id, entry_id, kind, category, value_date, amount,"  # noqa: S608
                " counterparty, counterparty_key, authorisation, position, reversed_by"
                " FROM sup_entries WHERE generation = ? AND kind = 'expenditure'"
                f" AND category = ? AND {condition}",
                (g, OPERATIONS, *params),
            ):
                owner = accounts[str(row[0])]
                self.operations[owner][(str(row[0]), str(row[1]))] = _entry(row[1:])

    # --- what handlers write, kept here too -------------------------------------------

    def add_entry(self, account_id: str, entry: Entry) -> None:
        """``INSERT INTO sup_entries … ON CONFLICT DO NOTHING`` (the account is loaded)."""
        account = self.accounts[account_id]
        if entry.entry_id in account.entries:
            return
        account.entries[entry.entry_id] = entry
        self.entries += 1
        if entry.kind == "expenditure" and entry.category == OPERATIONS and account.row:
            ops = self.operations.get(account.row.complex_id)
            if ops is not None:
                ops.setdefault((account_id, entry.entry_id), _copy(entry))

    def reverse(self, account_id: str, entry_id: str, by: str) -> None:
        """``UPDATE sup_entries SET reversed_by`` of one entry."""
        account = self.accounts[account_id]
        found = account.entries.get(entry_id)
        if found is not None:
            found.reversed_by = by
        if account.row is not None:
            ops = self.operations.get(account.row.complex_id, {})
            mirrored = ops.get((account_id, entry_id))
            if mirrored is not None:
                mirrored.reversed_by = by


def _entry(row: Sequence[Any]) -> Entry:
    entry_id, kind, category, value_date, amount, who, key, authorisation, position, by = row
    return Entry(
        str(entry_id), str(kind), str(category), str(value_date), int(amount), str(who),
        str(key), str(authorisation), int(position), str(by),
    )  # fmt: skip


def _copy(entry: Entry) -> Entry:
    return Entry(
        entry.entry_id, entry.kind, entry.category, entry.value_date, entry.amount,
        entry.counterparty, entry.counterparty_key, entry.authorisation, entry.position,
        entry.reversed_by,
    )  # fmt: skip
