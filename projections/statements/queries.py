"""Reading the statements read model: drafts, published versions, what a publication freezes.

A published version never changes (H11), so its decoded content, digest and diff
are kept in memory, by generation (bounded by the size of their JSON): a read asks
the database only for the versions' small columns (which is the latest, which
superseded which) and decodes the content of a version once. The dictionaries a
``Version`` holds are shared between readers and must not be changed.

On PostgreSQL even the small columns are kept, per complex and period, while this
process hears the statements runner's notices (projections/notices.py): the runner
sends the complexes whose versions a batch changed with the batch's commit
(``NOTIFY``), and a runner in this process also calls ``changing`` and ``settled``
around its commit, so here a read never sees a version older than the read model's
own. Another process forgets on hearing the notice, a few milliseconds after the
commit (docs/architecture.md). Without a listener (SQLite, or the connection lost)
every read asks the database.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ledger.complexes.complex import BankStatus
from ledger.periods import Period
from projections.db import Database, Row, Tx, among
from projections.runner import EVERYTHING
from projections.statements import content as stmt
from projections.statements.entries import AccountEntries

NAME = "statements"
CACHED_JSON_BYTES = 16 * 2**20  # decoded versions kept, counted by the length of their JSON
CACHED_PERIODS = 65_536  # (complex, period) whose versions' small columns are kept
META_COLUMNS = "period, version, position, published_on, published_by, content_hash, hash_matches"
META_COLUMNS_V = ", ".join(f"v.{c.strip()}" for c in META_COLUMNS.split(","))
LATEST = -1


class _Gone(Exception):
    """A version's row is no longer in the copy its metadata named."""


Decoded = tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]  # content, digest, diff


@dataclass(frozen=True, slots=True)
class Version:
    complex_id: str
    period: str
    version: int
    position: int
    published_on: str
    published_by: str
    content_hash: str
    hash_matches: bool
    content: dict[str, Any]
    digest: dict[str, Any]
    diff: dict[str, Any] | None
    superseded_by: int | None
    generation: int  # of the read model's copy it was read from


class Statements:
    def __init__(self, database: Database) -> None:
        self.database = database
        self.entries = AccountEntries(database)  # an account's entries, pages, as-of balance
        self._decoded: OrderedDict[tuple[int, str, str, int], tuple[Decoded, int]] = OrderedDict()
        self._cached_bytes = 0
        self._lock = threading.Lock()
        # versions' small columns by (complex, period), kept only while notices are heard
        self._meta: OrderedDict[tuple[str, str], list[Row]] = OrderedDict()
        self._listening = False
        self._epoch = 0  # moves on every change heard: a read that spans one keeps nothing
        self._changing = 0  # batches of this process's runner between ``changing`` and commit

    # --- keeping the versions' small columns exact ----------------------------------

    def listening(self, *, on: bool) -> None:
        """The notices are (no longer) heard: forget everything either way."""
        with self._lock:
            self._listening = on
            self._forget(frozenset({EVERYTHING}))

    @property
    def remembering(self) -> bool:
        """Whether versions' small columns are kept (notices are heard)."""
        return self._listening

    def heard(self, complexes: frozenset[str]) -> None:
        """A batch that changed these complexes' versions has committed (a notice)."""
        with self._lock:
            self._forget(complexes)

    def changing(self, complexes: frozenset[str]) -> None:
        """This process's runner is about to commit a batch that changes these complexes'
        versions: until it has (``settled``), reads keep nothing."""
        with self._lock:
            self._changing += 1
            self._forget(complexes)

    def settled(self, complexes: frozenset[str]) -> None:
        """The batch announced by ``changing`` has committed or rolled back."""
        with self._lock:
            self._changing -= 1
            self._forget(complexes)

    def _forget(self, complexes: frozenset[str]) -> None:
        # a walk of the kept keys: notices come only with new versions (publications, corrections)
        self._epoch += 1
        if EVERYTHING in complexes:
            self._meta.clear()
            return
        for key in [k for k in self._meta if k[0] in complexes]:
            del self._meta[key]

    def _metadata(self, complex_id: str, period: Period) -> list[Row]:
        key = (complex_id, period.name)
        with self._lock:
            found = self._meta.get(key) if self._listening else None
            if found is not None:
                self._meta.move_to_end(key)
                return found
            epoch = self._epoch
        rows = self.database.read_once(
            f"SELECT v.generation, {META_COLUMNS_V} FROM stmt_versions v"  # noqa: S608 (constants)
            " JOIN projection_state s ON s.name = ? AND v.generation = s.generation"
            " WHERE v.complex_id = ? AND v.period = ? ORDER BY v.version",
            (NAME, complex_id, period.name),
        )
        with self._lock:  # kept only if nothing changed while it was read
            if self._listening and self._epoch == epoch and not self._changing:
                self._meta[key] = rows
                if len(self._meta) > CACHED_PERIODS:
                    self._meta.popitem(last=False)
        return rows

    @staticmethod
    def _serving(tx: Tx) -> tuple[int, int]:
        rows = tx.execute(
            "SELECT s.generation, COALESCE(t.position, 0) FROM projection_state s"
            " LEFT JOIN projection_tracking t ON t.name = s.name AND t.generation = s.generation"
            " WHERE s.name = ?",
            (NAME,),
        )
        return (int(rows[0][0]), int(rows[0][1])) if rows else (1, 0)

    def draft(self, complex_id: str, period: Period) -> tuple[int, dict[str, Any]]:
        """The live statement and the ledger position it was made at."""
        with self.database.reading() as tx:
            generation, position = self._serving(tx)
            return position, stmt.statement(tx, generation, complex_id, period, through=position)

    def versions(self, complex_id: str) -> list[Version]:
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            return self._versions(tx, generation, complex_id, None)

    def version(self, complex_id: str, period: Period, number: int | None = None) -> Version | None:
        """One published version (the latest by default).

        The hot path of the public statement: the versions' metadata in the
        serving copy in one statement (or from memory while notices are heard),
        and the content from memory once it has been read. A version's content never changes within a copy; only when
        the copy was swapped away in between is the whole read done again in
        one snapshot.
        """
        meta = self._metadata(complex_id, period)
        row, latest = _wanted(meta, number)
        if row is None:
            return None
        key = (int(row[0]), complex_id, str(row[1]), int(row[2]))
        with self._lock:
            hit = self._decoded.get(key)
            if hit is not None:
                self._decoded.move_to_end(key)
        if hit is not None:
            content = hit[0]
        else:
            try:
                with self.database.reading() as tx:
                    content = self._decode(tx, key[0], complex_id, [(key[2], key[3])])[key[2:]]
            except _Gone:
                return self._version_in_one_snapshot(complex_id, period, number)
        return _version(complex_id, row, content, latest)

    def held_version(
        self, complex_id: str, period: Period, number: int | None = None
    ) -> Version | None:
        """``version`` if this process holds all of it (metadata kept while notices are heard,
        content decoded): never a round trip, so the caller may be on an event loop. None:
        not held (ask ``version``, which may wait for the database)."""
        with self._lock:
            meta = self._meta.get((complex_id, period.name)) if self._listening else None
            row, latest = _wanted(meta or [], number)
            if row is None:
                return None
            hit = self._decoded.get((int(row[0]), complex_id, str(row[1]), int(row[2])))
        return None if hit is None else _version(complex_id, row, hit[0], latest)

    def _version_in_one_snapshot(
        self, complex_id: str, period: Period, number: int | None
    ) -> Version | None:
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            found = self._versions(
                tx, generation, complex_id, period.name, LATEST if number is None else number
            )
        return found[0] if found else None

    def latest_by_complex(self) -> dict[str, tuple[str, int, str]]:
        """Each complex's most recently published period: (period, version, published_on)."""
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            rows = tx.execute(
                "SELECT complex_id, period, version, published_on FROM stmt_versions"
                " WHERE generation = ? ORDER BY complex_id, published_on, period, version",
                (generation,),
            )
        return {str(c): (str(p), int(v), str(d)) for c, p, v, d in rows}

    def published_periods(self, complex_ids: Sequence[str]) -> list[tuple[str, str]]:
        """The published periods of these complexes: (complex, period), in that order."""
        found: list[tuple[str, str]] = []
        with self.database.reading() as tx:
            generation, _ = self._serving(tx)
            for condition, values in among(tx, "complex_id", complex_ids) if complex_ids else ():
                rows = tx.execute(
                    "SELECT DISTINCT complex_id, period FROM stmt_versions"  # noqa: S608
                    f" WHERE generation = ? AND {condition}",
                    [generation, *values],
                )
                found += [(str(c), str(p)) for c, p in rows]
        return sorted(found)

    def _versions(
        self, tx: Tx, generation: int, complex_id: str, period: str | None, only: int | None = None
    ) -> list[Version]:
        """Every version of the complex (of one period), or ``only`` that one (or LATEST)."""
        where = " AND period = ?" if period else ""
        meta = tx.execute(
            f"SELECT {META_COLUMNS} FROM stmt_versions WHERE generation = ?"  # noqa: S608 (constants)
            f" AND complex_id = ?{where} ORDER BY period, version",
            (generation, complex_id, *([period] if period else [])),
        )
        latest: dict[str, int] = {}
        for row in meta:
            latest[str(row[0])] = max(latest.get(str(row[0]), 0), int(row[1]))
        if only is not None:
            wanted = latest.get(str(period), 0) if only == LATEST else only
            meta = [row for row in meta if int(row[1]) == wanted]
        decoded = self._decode(tx, generation, complex_id, [(str(r[0]), int(r[1])) for r in meta])
        return [
            Version(
                complex_id, str(p), int(v), int(pos), str(on), str(by), str(h), bool(ok),
                *decoded[(str(p), int(v))], v + 1 if v < latest[str(p)] else None, generation,
            )
            for p, v, pos, on, by, h, ok in meta
        ]  # fmt: skip

    def _decode(
        self, tx: Tx, generation: int, complex_id: str, keys: list[tuple[str, int]]
    ) -> dict[tuple[str, int], Decoded]:
        """Content, digest and diff of these versions: from memory, or read and decoded once."""
        found: dict[tuple[str, int], Decoded] = {}
        with self._lock:
            for period, version in keys:
                cached = self._decoded.get((generation, complex_id, period, version))
                if cached is not None:
                    self._decoded.move_to_end((generation, complex_id, period, version))
                    found[(period, version)] = cached[0]
        missing = [key for key in keys if key not in found]
        for period, version in missing:
            rows = tx.execute(
                "SELECT content, digest, diff FROM stmt_versions WHERE generation = ?"
                " AND complex_id = ? AND period = ? AND version = ?",
                (generation, complex_id, period, version),
            )
            if not rows:
                raise _Gone  # the copy was swapped away and deleted since its metadata was read
            content, digest, diff = (str(v) if v is not None else None for v in rows[0])
            value: Decoded = (
                json.loads(str(content)),
                json.loads(str(digest)),
                json.loads(diff) if diff else None,
            )
            found[(period, version)] = value
            self._remember((generation, complex_id, period, version), value, len(str(content)))
        return found

    def _remember(self, key: tuple[int, str, str, int], value: Decoded, size: int) -> None:
        with self._lock:
            if key in self._decoded:
                return
            self._decoded[key] = (value, size)
            self._cached_bytes += size
            while self._cached_bytes > CACHED_JSON_BYTES and len(self._decoded) > 1:
                _, (_, dropped) = self._decoded.popitem(last=False)
                self._cached_bytes -= dropped


def _wanted(meta: list[Row], number: int | None) -> tuple[Row | None, int]:
    """The row of version ``number`` (the latest: None) among a period's, and the latest."""
    if not meta:
        return None, 0
    latest = max(int(row[2]) for row in meta)
    wanted = latest if number is None else number
    return next((r for r in meta if int(r[2]) == wanted), None), latest


def _version(complex_id: str, row: Row, content: Decoded, latest: int) -> Version:
    generation, p, v, pos, on, by, h, ok = row
    return Version(
        complex_id, str(p), int(v), int(pos), str(on), str(by), str(h), bool(ok),
        *content, int(v) + 1 if int(v) < latest else None, int(generation),
    )  # fmt: skip


def publication_basis(
    statements: Statements, complex_id: str, period: Period, bank: BankStatus | None = None
) -> tuple[int, str]:
    """What a publication freezes: the position of the statement and the hash of its content
    with the bank status ``bank`` (the read model adds the same status when it freezes it)."""
    position, content = statements.draft(complex_id, period)
    return position, stmt.content_hash(stmt.with_reconciliation(content, bank))
