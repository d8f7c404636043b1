"""The statements read model: one row per money movement, stream heads, published versions.

Event by event, in log order: every chained event moves its stream's head
(for the digest, H12); account events make lines (income, expenditure,
reversal; individuals masked); ``Complex.StatementPublished`` freezes the
period as it stood at the publication's ``through`` position (H11); a later
line dated in a published period, or a reversal of a line in one, makes a new
version with a diff naming the entry that caused it.

A batch costs a few statements, not a few per event (bench/projection_rebuild.py):
before its events are handled, one query learns which complex each account of
the batch belongs to and which of those complexes' periods are published;
rows are written with multi-row statements. Which complex a stream belongs to
never changes, so the view remembers it across batches (per generation). A
booking carries its line (``ExpenditureBooked`` version 2; older ones are
completed as they are read, projections/legacy.py), so the view keeps no
table of open proposals.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ledger.account import CommonFundAccount as Account
from ledger.base import ChainedAggregate
from ledger.chain import root_of
from ledger.complexes.complex import BankStatus, Complex, Listing, listed_stream
from ledger.dates import local_today
from ledger.masking import UnitRegister
from ledger.periods import Period
from ledger.personal import party_of
from projections.db import SQLITE_IN_LIMIT, Row, Tx, among, insert_many
from projections.legacy import carried_line
from projections.masking import Registers
from projections.runner import Batch, on
from projections.statements import content as stmt

LINE_COLUMNS = (
    "generation, complex_id, entry_id, account_id, position, value_date, section, category,"
    " party, amount, gross, deduction, collector, method, authorisation, contract_ref,"
    " description, reverses, reversed_by, reversed_at, version, kind, counterparty, recorded_at,"
    " recorded_by"
)
LINE_NAMES = tuple(c.strip() for c in LINE_COLUMNS.split(","))
REVERSED_BY = 18  # where a buffered line keeps its reversal (and its position, after it)
COUNTERPARTY = LINE_NAMES.index("counterparty")
Original = tuple[
    str, str, str, str | None
]  # a reversed line's value date, category, party, counterparty
VERSION_COLUMNS = (
    "generation, complex_id, period, version, position, published_on, published_by,"
    " content_hash, hash_matches, content, digest, diff"
)
VERSION_TYPES = (
    "integer", "text", "text", "integer", "bigint", "text", "text", "text", "integer", "text",
    "text", "text",
)  # fmt: skip
PUBLISHED = Complex.StatementPublished.__qualname__
STREAM_COLUMNS = "generation, stream_id, complex_id, version, head"
STREAM_TYPES = ("integer", "text", "text", "integer", "text")
STREAM_NAMES = tuple(c.strip() for c in STREAM_COLUMNS.split(","))
TIMEZONE = "Asia/Shanghai"  # the platform's business time zone (spec: defaults)
TABLES = ("stmt_lines", "stmt_streams", "stmt_versions", "stmt_units")
REMEMBERED_OWNERS = 1_000_000  # streams per generation before the view forgets and re-reads
# Events that make a line on an account: the batch learns their complexes up front.
LINE_EVENTS = frozenset(
    e.__qualname__
    for e in (
        Account.IncomeRecorded,
        Account.TransferredIn,
        Account.TransferredOut,
        Account.ExpenditureBooked,
        Account.EntryReversed,
    )
)
REVERSED = Account.EntryReversed.__qualname__
INCOMING = ":in"  # the suffix of an incoming transfer's line (its entry id is the outgoing one's)


class Members:
    """What this view has seen of a generation since ``since`` (a position it resumed at; 0:
    the start of the copy, before which nothing happened): which streams belong to which
    complex, for a digest without scanning every stream, and the last position at which a
    line of each complex was added or marked reversed.

    From the start, a complex it has not seen own a stream owns none; otherwise only the
    complexes in ``streams`` are known (read from the table once, then kept up to date).
    """

    def __init__(self, since: int | None) -> None:
        self.since = since  # None: nothing is known (a view used without a runner's resync)
        self.streams: dict[str, set[str]] = {}
        self.changed: dict[str, int] = {}  # complex -> last position a line of it changed
        self.published: dict[str, set[str]] = {}  # complex -> its published periods

    @property
    def complete(self) -> bool:
        return self.since == 0

    def of(self, complex_id: str) -> set[str] | None:
        found = self.streams.get(complex_id)
        if found is None and self.complete:
            return set()
        return found

    def own(self, stream_id: str, complex_id: str) -> None:
        found = self.streams.get(complex_id)
        if found is not None:
            found.add(stream_id)
        elif self.complete:
            self.streams[complex_id] = {stream_id}

    def published_of(self, complex_id: str) -> set[str] | None:
        """The complex's published periods (None: not known; read them from the table)."""
        found = self.published.get(complex_id)
        if found is None and self.complete:
            found = self.published[complex_id] = set()
        return found

    def change(self, complex_id: str, position: int) -> None:
        if self.since is not None:
            self.changed[complex_id] = max(self.changed.get(complex_id, 0), position)

    def changed_after(self, complex_id: str, after: int) -> bool | None:
        """Whether a line of the complex changed after ``after`` (None: cannot tell)."""
        if self.since is None or after < self.since:
            return None
        return self.changed.get(complex_id, 0) > after


class StatementsView:
    name = "statements"

    def __init__(self) -> None:
        # stream -> complex per generation: a fact of the log, the same in every copy and
        # after any rollback (a batch that failed is applied again from the same position).
        self._owners: dict[int, dict[str, str]] = {}
        # complex -> its streams: only while this view applies every batch of the generation
        # (the runner says when it does not: ``resync``).
        self._members: dict[int, Members] = {}
        self._changed: frozenset[str] = frozenset()
        self._held: dict[int, _Held] = {}  # generations a rebuild is filling (``hold``)
        self._registers: dict[int, Registers] = {}  # each complex's units, for masking

    def changes(self) -> frozenset[str]:
        """The complexes whose published versions the last batch changed (Runner notices)."""
        return self._changed

    def resync(self, generation: int, position: int) -> None:
        """The next batch does not follow the last one this view applied (Runner._follows)."""
        self._members[generation] = Members(since=position)
        self._registers.pop(generation, None)  # it may hold units of a batch rolled back

    def hold(self, generation: int) -> None:
        """A rebuild fills ``generation``, which nobody reads until its swap: keep its streams'
        heads in memory instead of writing them batch by batch."""
        self._held[generation] = _Held()

    def release(self, tx: Tx | None, generation: int) -> None:
        """Write what was held (in the rebuild's last batch, before the swap), or with no
        transaction drop it (the rebuild failed)."""
        held = self._held.pop(generation, None)
        if held is None or tx is None:
            return
        tx.append(
            "stmt_streams", STREAM_NAMES,
            [(generation, s, c, v, h) for s, (c, v, h) in held.streams.items()],
        )  # fmt: skip

    def clear(self, tx: Tx, generation: int) -> None:
        self._owners.pop(generation, None)
        self._members.pop(generation, None)
        self._held.pop(generation, None)
        self._registers.pop(generation, None)
        for table in TABLES:
            tx.execute(f"DELETE FROM {table} WHERE generation = ?", (generation,))  # noqa: S608

    def apply(self, tx: Tx, generation: int, batch: Batch) -> None:
        owners = self._owners.setdefault(generation, {})
        if len(owners) > REMEMBERED_OWNERS:
            owners.clear()
        members = self._members.setdefault(generation, Members(since=None))
        if len(members.changed) + len(members.streams) + len(members.published) > REMEMBERED_OWNERS:
            members = self._members[generation] = Members(since=None)
        self._changed = frozenset()
        held = self._held.get(generation)
        registers = self._registers.setdefault(generation, Registers())
        self._changed = _Batch(tx, generation, owners, members, held, registers=registers).apply(
            batch
        )


def _units_of(tx: Tx, generation: int, complex_id: str) -> list[tuple[str, str]]:
    """A complex's registered units as the view has applied the log (``stmt_units``)."""
    rows = tx.execute(
        "SELECT unit_id, building FROM stmt_units WHERE generation = ? AND complex_id = ?",
        (generation, complex_id),
    )
    return [(str(u), str(b)) for u, b in rows]


def _pairs(
    tx: Tx, generation: int, columns: str, pairs: Sequence[tuple[str, str]]
) -> Iterable[tuple[str, list[Any]]]:
    """``generation`` and ``(a, b)`` among the given pairs (``columns``: "a, b"), like
    :func:`among`.

    On PostgreSQL the generation rides in the ``unnest`` with the pairs rather than as a
    constant: during a rebuild the statistics know nothing of the generation being filled
    (PostgreSQL estimates it at a row or so) and would scan all of it for each statement;
    joined on the whole primary key, the few pairs are looked up by the index.
    """
    if tx.dialect == "postgres":
        condition = (
            f"(generation, {columns}) IN"  # noqa: S608 (columns: constants)
            " (SELECT * FROM unnest(%b::integer[], %b::text[], %b::text[]))"
        )
        yield condition, [[generation] * len(pairs), [a for a, _ in pairs], [b for _, b in pairs]]
        return
    step = SQLITE_IN_LIMIT // 2
    for start in range(0, len(pairs), step):
        part = pairs[start : start + step]
        values = ", ".join(["(?, ?)"] * len(part))
        yield (
            f"generation = ? AND ({columns}) IN (VALUES {values})",
            [generation, *(v for p in part for v in p)],
        )


def _mark_reversed(tx: Tx, generation: int, marks: Sequence[tuple[str, str, str, int]]) -> None:
    """Mark lines reversed: ``(complex, entry, reversal, position)``, one statement on PostgreSQL
    (the generation in the ``unnest``, as :func:`_pairs` explains)."""
    if not marks:
        return
    if tx.dialect == "postgres":
        tx.execute(
            "UPDATE stmt_lines l SET reversed_by = m.by, reversed_at = m.at FROM unnest(%b::integer[],"
            " %b::text[], %b::text[], %b::text[], %b::bigint[]) AS m (g, c, e, by, at)"
            " WHERE l.generation = m.g AND l.complex_id = m.c AND l.entry_id = m.e",
            [[generation] * len(marks), *(list(column) for column in zip(*marks, strict=True))],
        )
        return
    tx.executemany(
        "UPDATE stmt_lines SET reversed_by = ?, reversed_at = ? WHERE generation = ?"
        " AND complex_id = ? AND entry_id = ?",
        [(by, at, generation, c, e) for c, e, by, at in marks],
    )


def _period_names(day: str) -> set[str]:
    """The month, quarter and year of an ISO date, as ``Period.all_containing`` names them."""
    year, month = day[:4], int(day[5:7])
    return {f"{year}-{month:02d}", f"{year}-Q{(month - 1) // 3 + 1}", year}


@dataclass(slots=True)
class _Held:
    """The stmt_streams rows of a copy being rebuilt (StatementsView.hold)."""

    streams: dict[str, list[Any]] = field(default_factory=dict)  # id -> [complex, version, head]


class _Batch:
    """One batch: writes are buffered and flushed before anything reads them back.

    With ``held`` (a rebuild's copy), streams live in memory instead of their table: every
    read of them below looks there first.
    """

    def __init__(
        self, tx: Tx, generation: int, known: dict[str, str], members: Members,
        held: _Held | None = None, *, registers: Registers | None = None,
    ) -> None:  # fmt: skip
        self.tx = tx
        self.registers = registers or Registers()
        self.held = held
        self.generation = generation
        self.known = known  # stream -> complex, remembered by the view
        self.members = members
        self.heads: dict[str, tuple[int, str]] = {}
        self.owners: dict[str, str] = {}  # stream -> complex, learnt in this batch
        self.lines: list[tuple[Any, ...]] = []
        self.buffered: dict[tuple[str, str], int] = {}  # (complex, entry) -> index in lines
        self.latest: dict[tuple[str, str], tuple[int, bytes]] = {}  # versions made here (JSON)
        self.versions: list[tuple[Any, ...]] = []  # written at the end of the batch
        self.stored: dict[str, tuple[int, str]] = {}  # stored heads read for this batch's digests
        # (complex, entry) -> (value date, category, party, counterparty) of stored lines the
        # batch reverses
        self.originals: dict[tuple[str, str], Original] = {}
        self.marks: list[tuple[str, str, str, int]] = []  # reversals of stored lines, unflushed
        self.pending: list[_Publication] = []  # publications whose content is not frozen yet

    def apply(self, batch: Batch) -> frozenset[str]:
        """Apply the batch; the complexes it made versions of."""
        self.prepare(batch)
        for position, event in batch:
            if isinstance(event, ChainedAggregate.Event):
                self.heads[str(event.originator_id)] = (event.originator_version, event.chain_hash)
            handler = HANDLERS.get(type(event).__qualname__)
            if handler is not None:
                handler(self, position, event)
        self.flush()
        self.freeze()
        insert_many(self.tx, "stmt_versions", VERSION_COLUMNS, VERSION_TYPES, self.versions)
        versioned = frozenset(str(row[1]) for row in self.versions)
        self.versions = []
        return versioned

    # --- reading what the batch needs, once ------------------------------------------

    def prepare(self, batch: Batch) -> None:
        """Learn the complexes of the batch's accounts and their published periods, each in
        one statement (per few hundred rows)."""
        accounts: set[str] = set()
        publishing: set[str] = set()
        reversing: list[tuple[str, str]] = []  # (account, the entry it reverses)
        for _, event in batch:
            kind = type(event).__qualname__
            if kind in LINE_EVENTS:
                accounts.add(str(event.originator_id))
                if kind == REVERSED:
                    reversing.append((str(event.originator_id), event.reverses))
            elif kind == PUBLISHED:
                publishing.add(str(event.originator_id))
        g = self.generation
        streams = sorted(
            {s for c in publishing for s in self.members.of(c) or () if s not in self.heads}
        )
        if self.held is not None:  # heads_of reads them from memory
            streams = []
        for condition, values in among(self.tx, "stream_id", streams) if streams else ():
            rows = self.tx.execute(
                "SELECT stream_id, version, head FROM stmt_streams WHERE generation = ?"  # noqa: S608
                f" AND {condition}",
                [g, *values],
            )
            self.stored.update((str(s), (int(v), str(h))) for s, v, h in rows)
        # (not ``accounts - self.known.keys()``: that walks every stream the view remembers)
        unknown = sorted(a for a in accounts if a not in self.known)
        if self.held is not None:
            rows_ = ((a, self.held.streams.get(a)) for a in unknown)
            self.known.update((a, r[0]) for a, r in rows_ if r is not None and r[0] is not None)
            unknown = []
        for condition, values in among(self.tx, "stream_id", unknown) if unknown else ():
            rows = self.tx.execute(
                "SELECT stream_id, complex_id FROM stmt_streams WHERE generation = ?"  # noqa: S608
                f" AND complex_id IS NOT NULL AND {condition}",
                [g, *values],
            )
            self.known.update((str(s), str(c)) for s, c in rows)
        # the published periods of the batch's complexes, unless the view already knows them
        complexes = sorted(
            c
            for c in {self.known.get(a) for a in accounts}
            if c is not None and self.members.published_of(c) is None
        )
        found: dict[str, set[str]] = {c: set() for c in complexes}
        for condition, values in among(self.tx, "complex_id", complexes) if complexes else ():
            rows = self.tx.execute(
                "SELECT DISTINCT complex_id, period FROM stmt_versions"  # noqa: S608
                f" WHERE generation = ? AND {condition}",
                [g, *values],
            )
            for complex_id, period in rows:
                found[str(complex_id)].add(str(period))
        self.members.published.update(found)
        # the lines the batch reverses that earlier batches wrote: read once, marked at a flush
        reversed_lines = sorted({(self.known[a], x) for a, x in reversing if a in self.known})
        pairs = _pairs(self.tx, g, "complex_id, entry_id", reversed_lines) if reversed_lines else ()
        for condition, values in pairs:
            rows = self.tx.execute(
                "SELECT complex_id, entry_id, value_date, category, party, counterparty"  # noqa: S608
                f" FROM stmt_lines WHERE {condition}",
                values,
            )
            self.originals.update(
                ((str(c), str(x)), (str(d), str(k), str(p), n)) for c, x, d, k, p, n in rows
            )

    # --- writing ----------------------------------------------------------------------

    def flush_lines(self) -> None:
        """The lines so far, before a query over them (a statement, a change check)."""
        self.tx.append("stmt_lines", LINE_NAMES, self.lines)
        self.lines, self.buffered = [], {}
        _mark_reversed(self.tx, self.generation, self.marks)
        self.marks = []

    def flush(self) -> None:
        self.flush_lines()
        g = self.generation
        if self.held is not None:
            streams = self.held.streams
            for s, (v, h) in self.heads.items():
                row = streams.setdefault(s, [None, 0, ""])
                row[1], row[2] = v, h
            for s, c in self.owners.items():  # an owner, once known, is kept (COALESCE below)
                streams.setdefault(s, [None, 0, ""])[0] = c
            self.stored.update((s, vh) for s, vh in self.heads.items() if s in self.stored)
            self.heads = {}
            return
        insert_many(
            self.tx, "stmt_streams", STREAM_COLUMNS, STREAM_TYPES,
            [(g, s, self.owners.get(s), v, h) for s, (v, h) in self.heads.items()],
            conflict=" ON CONFLICT (generation, stream_id) DO UPDATE SET version = excluded.version,"
            " head = excluded.head, complex_id = COALESCE(excluded.complex_id,"
            " stmt_streams.complex_id)",
        )  # fmt: skip
        insert_many(
            self.tx, "stmt_streams", STREAM_COLUMNS, STREAM_TYPES,
            [(g, s, c, 0, "") for s, c in self.owners.items() if s not in self.heads],
            conflict=" ON CONFLICT (generation, stream_id) DO UPDATE SET complex_id = excluded.complex_id",
        )  # fmt: skip
        self.stored.update((s, vh) for s, vh in self.heads.items() if s in self.stored)
        self.heads = {}

    # --- who belongs where --------------------------------------------------------

    def own(self, stream_id: str, complex_id: str) -> None:
        self.owners[stream_id] = complex_id
        self.known[stream_id] = complex_id
        self.members.own(stream_id, complex_id)

    def complex_of(self, stream_id: str) -> str:
        if stream_id in self.owners:
            return self.owners[stream_id]
        if stream_id in self.known:
            return self.known[stream_id]
        if self.held is not None:
            row = self.held.streams.get(stream_id)
            if row is None or row[0] is None:
                raise LookupError(f"stream {stream_id} belongs to no known complex")
            self.known[stream_id] = str(row[0])
            return self.known[stream_id]
        rows = self.tx.execute(
            "SELECT complex_id FROM stmt_streams WHERE generation = ? AND stream_id = ?",
            (self.generation, stream_id),
        )
        if not rows or rows[0][0] is None:
            raise LookupError(f"stream {stream_id} belongs to no known complex")
        self.known[stream_id] = str(rows[0][0])
        return self.known[stream_id]

    # --- lines ----------------------------------------------------------------------

    def add_line(self, row: tuple[Any, ...]) -> None:
        self.buffered[(row[1], row[2])] = len(self.lines)
        self.lines.append(row)
        self.members.change(row[1], row[4])

    def mark_reversed(
        self, complex_id: str, entry_id: str, by: str, position: int
    ) -> Original | None:
        """Mark a line reversed; its value date, category, party and counterparty (None: no
        such line; the counterparty is None on a line made before migrations/0014)."""
        self.members.change(complex_id, position)
        index = self.buffered.get((complex_id, entry_id))
        if index is not None:
            row = self.lines[index]
            self.lines[index] = (*row[:REVERSED_BY], by, position, *row[REVERSED_BY + 2 :])
            return row[5], row[7], row[8], row[COUNTERPARTY]
        original = self.originals.get((complex_id, entry_id))
        if original is not None:
            self.marks.append((complex_id, entry_id, by, position))
            return original
        rows = self.tx.execute(
            "UPDATE stmt_lines SET reversed_by = ?, reversed_at = ? WHERE generation = ?"
            " AND complex_id = ? AND entry_id = ?"
            " RETURNING value_date, category, party, counterparty",
            (by, position, self.generation, complex_id, entry_id),
        )
        if not rows:
            return None
        day, category, party, counterparty = rows[0]
        return str(day), str(category), str(party), counterparty

    def changed_since(self, complex_id: str, after: int, through: int) -> bool:
        """Whether a line of the complex was added or reversed at a position in (after, through]."""
        if after >= through:
            return False
        known = self.members.changed_after(complex_id, after)  # nothing after ``through`` yet
        if known is not None:
            return known
        self.flush_lines()
        return bool(
            self.tx.execute(
                "SELECT 1 FROM stmt_lines WHERE generation = ? AND complex_id = ? AND"
                " ((position > ? AND position <= ?) OR (reversed_at > ? AND reversed_at <= ?))"
                " LIMIT 1",
                (self.generation, complex_id, after, through, after, through),
            )
        )

    def units(self, complex_id: str) -> UnitRegister:
        """The complex's unit register as the log stands at this event (for masking)."""
        return self.registers.of(
            complex_id, lambda: _units_of(self.tx, self.generation, complex_id)
        )

    def line(
        self, position: int, event: ChainedAggregate.Event, section: str, amount: int, **fields: Any
    ) -> None:
        """A line; its party and description masked by the complex's register (issue #12)."""
        account_id = str(event.originator_id)
        complex_id = self.complex_of(account_id)
        units = self.units(complex_id)
        if "party" in fields and not fields["party"].startswith("account "):
            fields["party"] = units.mask(fields["party"])
        self.add_line(
            (
                self.generation, complex_id, fields["entry_id"], account_id, position,
                event.value_date, section, fields.get("category", ""), fields.get("party", ""),
                amount, fields.get("gross"), fields.get("deduction"),
                units.mask(fields.get("collector", "")), fields.get("method", ""),
                fields.get("authorisation", ""), fields.get("contract_ref", ""),
                units.mask(fields.get("description", "")), fields.get("reverses", ""), "", None,
                *_entry_columns(event, fields["kind"], fields["counterparty"]),
            )
        )  # fmt: skip
        if not self.published_periods(complex_id):
            return
        cause = {
            "entry_id": fields["entry_id"],
            "section": section,
            "value_date": event.value_date,
            "amount": stmt.yuan(abs(amount)),
            "party": fields.get("party", ""),
            "recorded_on": recorded_on(event),
        }
        self.reversion(complex_id, [event.value_date], position, cause)

    def reversion(
        self, complex_id: str, days: list[str], position: int, cause: dict[str, Any]
    ) -> None:
        """A change to a published period makes its next version (H11)."""
        published = self.published_periods(complex_id)
        if not published:
            return
        touched = {name for day in days for name in _period_names(day)} & published
        if not touched:
            return
        self.flush_lines()
        for period in sorted(touched):
            self.new_version(complex_id, Period.parse(period), position, cause)

    def heads_of(self, complex_id: str) -> list[Row]:
        """(stream, version, head) of every headed stream of the complex, by stream id, as the
        table would hold them after a flush.

        When the view knows the complex's streams: the stored heads by primary key, updated
        by the batch's own (not flushed). Else the batch is flushed and the generation's
        streams scanned once (no index by complex), which teaches the view that complex's.
        """
        members = self.members.of(complex_id)
        if self.held is not None:
            if members is None:  # the view forgot (too many to remember): walk every stream
                self.flush()
                members = {s for s, row in self.held.streams.items() if row[0] == complex_id}
            found: dict[str, tuple[int, str]] = {}
            for s in members:
                row = self.held.streams.get(s)
                if s in self.heads:
                    found[s] = self.heads[s]
                elif row is not None:
                    found[s] = (row[1], row[2])
            return [(s, v, h) for s, (v, h) in sorted(found.items()) if h != ""]
        if members is not None:
            heads = {s: self.stored[s] for s in members if s in self.stored}
            stored = sorted(s for s in members if s not in self.heads and s not in self.stored)
            parts = list(among(self.tx, "stream_id", stored)) if stored else []
            if len(parts) <= 1:
                for condition, values in parts:
                    rows = self.tx.execute(  # members: a stored complex_id may not be flushed yet
                        "SELECT stream_id, version, head FROM stmt_streams WHERE generation = ?"  # noqa: S608
                        f" AND {condition}",
                        [self.generation, *values],
                    )
                    heads.update((str(s), (int(v), str(h))) for s, v, h in rows)
                heads.update((s, self.heads[s]) for s in members if s in self.heads)
                # stream ids are UUIDs: ASCII, so Python's order is the table's (any collation)
                return [(s, v, h) for s, (v, h) in sorted(heads.items()) if h != ""]
        self.flush()
        rows = self.tx.execute(
            "SELECT stream_id, version, head FROM stmt_streams WHERE generation = ?"
            " AND complex_id = ? ORDER BY stream_id",
            (self.generation, complex_id),
        )
        if members is None:
            self.members.streams[complex_id] = {str(r[0]) for r in rows}
        return [r for r in rows if r[2] != ""]

    def published_periods(self, complex_id: str) -> set[str]:
        found = self.members.published_of(complex_id)
        if found is None:
            rows = self.tx.execute(
                "SELECT DISTINCT period FROM stmt_versions WHERE generation = ? AND complex_id = ?",
                (self.generation, complex_id),
            )
            found = self.members.published[complex_id] = {str(r[0]) for r in rows}
        return found

    def publish(
        self, complex_id: str, period: Period, position: int, e: Complex.StatementPublished
    ) -> None:
        """Version 1 of a published period: its digest now (the heads at this event), its
        content with the batch's other publications at the end of the batch (``freeze``).

        The content is the period as it stood at the event's ``through`` (H11): lines at
        later positions, and reversals recorded later, are left out whenever it is read.
        """
        self.pending.append(
            _Publication(complex_id, period, position, e.through, e.content_hash, e.value_date,
                         e.principal, self.digest(complex_id), e.reconciliation)
        )  # fmt: skip
        self.published_periods(complex_id).add(period.name)

    def freeze(self) -> None:
        """The content of the pending publications, in one query (per hundred)."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        self.flush_lines()
        contents = stmt.statements(
            self.tx, self.generation, [(p.complex_id, p.period, p.through) for p in pending]
        )
        for p, content in zip(pending, contents, strict=True):
            self.insert_version(
                p.complex_id, p.period, version=1, position=p.position,
                content=stmt.with_reconciliation(content, p.reconciliation),
                expected=p.expected, published_on=p.published_on, published_by=p.published_by,
                diff=None, digest=p.digest,
            )  # fmt: skip

    def new_version(
        self,
        complex_id: str,
        period: Period,
        position: int,
        cause: dict[str, Any],
        reconciliation: BankStatus | None = None,
    ) -> None:
        """The period as it stands at ``position`` if it differs from its latest version: the
        bank status carried over from that version, or ``reconciliation`` when it changed."""
        g = self.generation
        if any(p.complex_id == complex_id and p.period == period for p in self.pending):
            self.freeze()
        made = self.latest.get((complex_id, period.name))
        if made is None:
            rows = self.tx.execute(
                "SELECT version, content FROM stmt_versions WHERE generation = ?"
                " AND complex_id = ? AND period = ? ORDER BY version DESC LIMIT 1",
                (g, complex_id, period.name),
            )
            version, old = int(rows[0][0]), json.loads(rows[0][1])
        else:  # read back as from the table (key order too: the diff keeps it)
            version, old = made[0], json.loads(made[1])
        new = stmt.statement(self.tx, g, complex_id, period, through=position)
        if reconciliation is not None:
            new = stmt.with_reconciliation(new, reconciliation)
        elif "bank_reconciliation" in old:
            new["bank_reconciliation"] = old["bank_reconciliation"]
        if new == old:
            return
        change = stmt.diff(old, new, _cause(cause))
        self.insert_version(
            complex_id, period, version=version + 1, position=position, content=new,
            expected=None, published_on=cause["recorded_on"], published_by="correction", diff=change,
        )  # fmt: skip

    def insert_version(
        self, complex_id: str, period: Period, *, version: int, position: int,
        content: dict[str, Any], expected: str | None, published_on: str, published_by: str,
        diff: dict[str, Any] | None, digest: str | None = None,
    ) -> None:  # fmt: skip
        """Insert a version; ``expected`` is the hash the publication named (None: its own);
        ``digest`` the complex's as the version's event found it (None: as it stands now)."""
        g = self.generation
        canonical = stmt.canonical(content)
        actual = stmt.hash_of(canonical)
        self.versions.append(  # nothing in a batch reads stmt_versions back: see ``latest``
            (
                g, complex_id, period.name, version, position, published_on, published_by,
                actual, int(expected is None or actual == expected), canonical.decode(),
                digest or self.digest(complex_id),
                json.dumps(diff, ensure_ascii=False) if diff else None,
            )
        )  # fmt: skip
        self.published_periods(complex_id).add(period.name)
        self.latest[(complex_id, period.name)] = (version, canonical)

    def digest(self, complex_id: str) -> str:
        """The complex's digest (H12) as the batch stands: every headed stream's head, and the
        root over them."""
        heads = self.heads_of(complex_id)
        return json.dumps(
            {
                "complex_id": complex_id,
                "heads": [{"stream_id": s, "version": v, "head": h} for s, v, h in heads],
                "root": root_of((str(s), int(v), str(h)) for s, v, h in heads),
            },
            sort_keys=True,
        )


@dataclass(frozen=True, slots=True)
class _Publication:
    """A publication seen in the batch, waiting for its content (``_Batch.freeze``)."""

    complex_id: str
    period: Period
    position: int
    through: int
    expected: str  # the content hash the committee saw
    published_on: str
    published_by: str
    digest: str  # JSON, as the event found the complex
    reconciliation: BankStatus | None  # the bank status the publication read (issue #14)


def recorded_on(event: ChainedAggregate.Event) -> str:
    """The business date an event was recorded on (Asia/Shanghai): a correction's version date."""
    return local_today(event.timestamp, TIMEZONE).isoformat()


def _entry_columns(event: Any, kind: str, counterparty: str | None) -> tuple[Any, ...]:
    """What an account's entries show and its statement does not (migrations/0014): the stream
    version that made the line, the entry's kind, the counterparty as the event keeps it (a
    person sealed: ``party`` is the public form), when and by whom it was recorded."""
    return (
        event.originator_version, kind, counterparty, event.timestamp.isoformat(),
        getattr(event, "principal", ""),
    )  # fmt: skip


def _cause(fields: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "entry_id", "section", "value_date", "recorded_on", "amount", "reverses", "reason", "party",
    )  # fmt: skip
    return {k: fields[k] for k in keys if k in fields}


# --- handlers -------------------------------------------------------------------------


def _registered(b: _Batch, position: int, e: Complex.Registered) -> None:
    b.own(str(e.originator_id), str(e.originator_id))


def _noted(b: _Batch, position: int, e: Listing) -> None:
    stream = listed_stream(e)
    b.own(str(stream), str(e.originator_id))


def _opened(b: _Batch, position: int, e: Account.Opened) -> None:
    b.own(str(e.originator_id), e.complex_id)


def _income(b: _Batch, position: int, e: Account.IncomeRecorded) -> None:
    b.line(
        position, e, "income", e.amount, entry_id=e.entry_id, category=e.category,
        kind="income", counterparty=e.payer["name"],
        party=party_of(e.payer)["public_name"], gross=e.gross, deduction=e.deduction,
        collector=e.collector, contract_ref=e.contract_ref, description=e.description,
    )  # fmt: skip


def _transferred_in(b: _Batch, position: int, e: Account.TransferredIn) -> None:
    # a closing transfer names one entry id on both accounts, both of the complex: the
    # incoming line is keyed apart (it collided with the outgoing one, issue #13)
    b.line(
        position, e, "income", e.amount, entry_id=e.entry_id + INCOMING, category="transfer_in",
        party=f"account {e.from_account_id}", kind="transfer_in", counterparty=e.from_account_id,
    )  # fmt: skip


def _transferred_out(b: _Batch, position: int, e: Account.TransferredOut) -> None:
    b.line(
        position, e, "expenditure", -e.amount, entry_id=e.entry_id, category="transfer_out",
        party=f"account {e.to_account_id}", method="transfer", kind="transfer_out",
        counterparty=e.to_account_id,
    )  # fmt: skip


def _booked(b: _Batch, position: int, e: Account.ExpenditureBooked) -> None:
    p = carried_line(e)
    b.line(
        position, e, "expenditure", -e.amount, entry_id=e.expenditure_id,
        category=p["category"], party=party_of(p["payee"])["public_name"], method=p["method"],
        kind="expenditure", counterparty=p["payee"]["name"],
        authorisation=f"{p['authorisation_kind']}:{p['authorisation_id']}",
        contract_ref=p["contract_ref"], description=p["description"] or p["purpose"],
    )  # fmt: skip


def _reversed(b: _Batch, position: int, e: Account.EntryReversed) -> None:
    account = str(e.originator_id)
    complex_id = b.complex_of(account)
    original = b.mark_reversed(complex_id, e.reverses, e.entry_id, position)
    day, category, party, counterparty = original or (e.value_date, "", "", None)
    reason = b.units(complex_id).mask(e.reason)
    cause = {"entry_id": e.entry_id, "section": "reversal", "reverses": e.reverses,
             "reason": reason, "value_date": e.value_date,
             "amount": stmt.yuan(e.amount), "recorded_on": recorded_on(e)}  # fmt: skip
    b.add_line(
        (
            b.generation, complex_id, e.entry_id, account, position, e.value_date, "reversal",
            category, party, e.amount, None, None, "", "", "", "", reason, e.reverses, "", None,
            *_entry_columns(e, "reversal", counterparty),  # the original's, as ledger/views.py
        )
    )  # fmt: skip
    b.reversion(complex_id, sorted({e.value_date, day}), position, cause)


def _units_added(b: _Batch, position: int, e: Complex.UnitsAdded) -> None:
    """The complex's register grows: later lines mask these ids too (earlier ones stay as made)."""
    complex_id = str(e.originator_id)
    units = [(unit_id, str(unit["building"])) for unit_id, unit in e.units.items()]
    insert_many(
        b.tx, "stmt_units", "generation, complex_id, unit_id, building",
        ("integer", "text", "text", "text"),
        [(b.generation, complex_id, u, building) for u, building in units],
        conflict=" ON CONFLICT DO NOTHING",
    )  # fmt: skip
    b.registers.added(complex_id, units)


def _published(b: _Batch, position: int, e: Complex.StatementPublished) -> None:
    complex_id = str(e.originator_id)
    period = Period.parse(e.period)
    b.publish(complex_id, period, position, e)
    # Entries of the period recorded between the draft the committee saw (``through``) and
    # this event were applied before the period counted as published: version 2 shows them.
    if b.changed_since(complex_id, e.through, position):
        cause = {
            "section": "recorded_while_publishing",
            "value_date": e.value_date,
            "recorded_on": recorded_on(e),
        }
        b.new_version(complex_id, period, position, cause)


def _reconciled(b: _Batch, position: int, e: Complex.StatementReconciled) -> None:
    cause = {"section": "bank_reconciliation", "value_date": e.value_date,
             "recorded_on": recorded_on(e)}  # fmt: skip
    b.new_version(str(e.originator_id), Period.parse(e.period), position, cause, e.reconciliation)


Handler = Callable[[_Batch, int, Any], None]
HANDLERS: dict[str, Handler] = dict(
    (
        on(Complex.Registered, _registered),
        on(Complex.UnitsAdded, _units_added),
        on(Complex.CommitteeElected, _noted),
        on(Complex.AccountOpened, _noted),
        on(Complex.ResolutionRecorded, _noted),
        on(Complex.StatementPublished, _published),
        on(Complex.StatementReconciled, _reconciled),
        on(Account.Opened, _opened),
        on(Account.IncomeRecorded, _income),
        on(Account.TransferredIn, _transferred_in),
        on(Account.TransferredOut, _transferred_out),
        on(Account.ExpenditureBooked, _booked),
        on(Account.EntryReversed, _reversed),
    )
)
