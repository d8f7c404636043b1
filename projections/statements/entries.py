"""An account's entries and its balance on a date, read from the statements read model.

The statements view writes one line per money movement (projections/statements/view.py,
``stmt_lines``); since migrations/0014 each line also keeps the stream version that
made it, the entry's kind, the counterparty as the event keeps it, and when and by
whom it was recorded, so the entries of ``GET /v1/accounts/{id}/entries`` are one
index range of ``(generation, account_id, version)`` and the balance on a date one
sum, instead of a replay of the account's stream (issue #13, item 5). They answer as
``ledger.views.entry_views`` does from the stream (tests/integration/test_entries_read.py).

Each read is one snapshot of the serving copy, and says how far that copy has applied
the account's stream (its head in ``stmt_streams``): the caller compares that with
the stream's own version to read its writes (api/account/entries.py): a read that finds the
copy behind the version it wants answers None. A copy still holding lines made before
migration 0014 (no version) cannot answer at all: :class:`Unavailable`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date

from ledger.account.views import EntryView
from projections.db import Database, Row, Tx

NAME = "statements"
TRANSFERS = ("transfer_in", "transfer_out")
INCOMING = ":in"  # projections/statements/view.py keys an incoming transfer's line apart
ENTRY_COLUMNS = (
    "entry_id, kind, amount, value_date, category, counterparty, method, contract_ref,"
    " authorisation, reverses, reversed_by, recorded_at, recorded_by, version"
)


class Unavailable(Exception):
    """The serving copy holds lines made before migrations/0014: rebuild the statements."""


@dataclass(frozen=True, slots=True)
class Applied:
    """How far the serving copy (``generation``) has applied an account's stream."""

    generation: int
    version: int  # the stream's version the copy has applied (0: none of it)


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[EntryView]
    more: bool  # entries after the last one match too
    version: int  # of the account's stream, as the copy read had applied it


class AccountEntries:
    def __init__(self, database: Database) -> None:
        self.database = database
        self._complete: dict[int, bool] = {}  # generation -> no line without the entry columns
        self._lock = threading.Lock()

    def applied(self, account_id: str) -> Applied:
        with self.database.reading() as tx:
            return self._applied(tx, account_id)

    def page(
        self,
        account_id: str,
        *,
        after: int = 0,
        limit: int | None = None,
        low: date | None = None,
        high: date | None = None,
        category: str | None = None,
        wanted: int = 0,
    ) -> Page | None:
        """The account's entries after stream version ``after``, in recording order, at most
        ``limit`` (None: all), by value date and category as the route filters them.

        None when the serving copy has not applied the stream's version ``wanted`` yet.
        """
        with self.database.reading() as tx:
            applied = self._applied(tx, account_id)
            if applied.version < wanted:
                return None
            where, params = (
                ["generation = ?", "account_id = ?", "version > ?"],
                [
                    applied.generation,
                    account_id,
                    after,
                ],
            )
            if low is not None:
                where.append("value_date >= ?")
                params.append(low.isoformat())
            if high is not None:
                where.append("value_date <= ?")
                params.append(high.isoformat())
            if category is not None:  # a transfer shows no category (ledger/views.py)
                where.append("category = ? AND kind NOT IN ('transfer_in', 'transfer_out')")
                params.append(category)
            bound = ""
            if limit is not None:
                bound = " LIMIT ?"
                params.append(limit + 1)
            rows = tx.execute(
                f"SELECT {ENTRY_COLUMNS} FROM stmt_lines WHERE {' AND '.join(where)}"  # noqa: S608 (constants)
                f" ORDER BY version{bound}",
                params,
            )
        more = limit is not None and len(rows) > limit
        return Page([_entry(r) for r in rows[:limit]], more, applied.version)

    def entry(self, account_id: str, entry_id: str, *, wanted: int = 0) -> EntryView | None:
        """One entry of the account (None: not there, or the copy is behind ``wanted``)."""
        with self.database.reading() as tx:
            applied = self._applied(tx, account_id)
            if applied.version < wanted:
                return None
            rows = tx.execute(
                f"SELECT {ENTRY_COLUMNS} FROM stmt_lines WHERE generation = ?"  # noqa: S608
                " AND account_id = ? AND entry_id = ?",
                (applied.generation, account_id, entry_id),
            )
        return _entry(rows[0]) if rows else None

    def balance_as_of(self, account_id: str, day: date, *, wanted: int = 0) -> int | None:
        """The sum of the account's lines with a value date on or before ``day`` (None: the
        copy is behind ``wanted``). Every line is a movement's signed effect on the balance
        (ledger.account.balance_effect), dated as the event dates it."""
        with self.database.reading() as tx:
            applied = self._applied(tx, account_id)
            if applied.version < wanted:
                return None
            rows = tx.execute(
                "SELECT COALESCE(SUM(amount), 0) FROM stmt_lines WHERE generation = ?"
                " AND account_id = ? AND value_date <= ?",
                (applied.generation, account_id, day.isoformat()),
            )
        return int(rows[0][0])

    def _applied(self, tx: Tx, account_id: str) -> Applied:
        rows = tx.execute(
            "SELECT s.generation, COALESCE(h.version, 0) FROM projection_state s"
            " LEFT JOIN stmt_streams h ON h.generation = s.generation AND h.stream_id = ?"
            " WHERE s.name = ?",
            (account_id, NAME),
        )
        generation, version = (int(rows[0][0]), int(rows[0][1])) if rows else (1, 0)
        if not self._is_complete(tx, generation):
            raise Unavailable("the statements hold lines made before migration 0014")
        return Applied(generation, version)

    def _is_complete(self, tx: Tx, generation: int) -> bool:
        """Whether no line of the copy predates migration 0014: asked once per copy (lines
        made since always have the columns, and a copy never gets older lines)."""
        with self._lock:
            known = self._complete.get(generation)
        if known is not None:
            return known
        complete = not tx.execute(
            "SELECT 1 FROM stmt_lines WHERE generation = ? AND version IS NULL LIMIT 1",
            (generation,),
        )
        if complete:  # an incomplete copy is asked again: a rebuild replaces it
            with self._lock:
                self._complete[generation] = True
        return complete


def _entry(row: Row) -> EntryView:
    """An entry as ledger.views.entry_views makes it from the stream."""
    (entry_id, kind, amount, value_date, category, counterparty, method, contract_ref,
     authorisation, reverses, reversed_by, recorded_at, recorded_by, version) = row  # fmt: skip
    transfer = kind in TRANSFERS
    return EntryView(
        id=str(entry_id).removesuffix(INCOMING) if kind == "transfer_in" else str(entry_id),
        kind=str(kind),
        amount=int(amount),
        value_date=str(value_date),
        category=None if transfer else str(category),
        counterparty=counterparty,
        method="transfer" if transfer else str(method) if kind == "expenditure" else None,
        contract_ref=str(contract_ref) or None if kind in ("income", "expenditure") else None,
        authorisation=str(authorisation) or None,
        reverses=str(reverses) or None,
        reversed_by=str(reversed_by) or None,
        recorded_at=str(recorded_at),
        recorded_by=str(recorded_by),
        position=int(version),
    )
