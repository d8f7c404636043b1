"""The supervision batch's transaction: its writes held back and sent together (issue #15).

A rebuild's handlers write a row or two per event; sent one by one, the round
trips were most of the rebuild. ``HeldTx`` keeps each write that touches one
table and reads no other (``INSERT … VALUES``, ``INSERT … SELECT … FROM
unnest``, ``UPDATE``, ``DELETE``, without ``RETURNING``) in a queue per table,
and sends the queues when anything reads (``execute`` of a query) and at the
end of the batch (``flush``). So every read sees every earlier write, as if
each had been sent at once: writes to different tables commute (no view table
has a trigger), and one table's writes keep their order. Consecutive writes of
the same statement go together: plain inserts (``ON CONFLICT DO NOTHING`` or
none) as one multi-row ``INSERT``, ``unnest`` inserts with their arrays
joined, the rest by ``executemany`` (psycopg pipelines it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from projections.db import Dialect, Row, Tx

_WRITE = re.compile(r"\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE)
_READS = re.compile(r"\b(?:FROM|JOIN)\s+(\w+)", re.IGNORECASE)
_MERGEABLE_CONFLICT = re.compile(r"^\s*(?:ON CONFLICT(?:\s*\([^)]*\))? DO NOTHING)?\s*$")
PARAMETERS = 9_000  # per multi-row statement: under SQLite's and PostgreSQL's limits


@functools.cache
def _table_written(sql: str) -> str | None:
    """The table a write touches, if it reads no other table and returns nothing."""
    found = _WRITE.match(sql)
    if found is None or "RETURNING" in sql.upper():
        return None
    table = found.group(1)
    for read in _READS.findall(sql):
        if read not in (table, "unnest"):
            return None
    return table


class HeldTx:
    """A ``Tx`` whose single-table writes wait, per table in order, until a read or ``flush``."""

    def __init__(self, tx: Tx) -> None:
        self.tx = tx
        self.dialect: Dialect = tx.dialect
        self._queues: dict[str, list[tuple[str, list[Sequence[Any]]]]] = {}
        self.statements = 0  # sent to the database, for the benchmark and the tests

    def _hold(self, table: str, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        queue = self._queues.setdefault(table, [])
        if queue and queue[-1][0] == sql:
            queue[-1][1].extend(rows)
        else:
            queue.append((sql, list(rows)))

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        table = _table_written(sql)
        if table is not None:
            self._hold(table, sql, [params])
            return []
        self.flush()
        self.statements += 1
        return self.tx.execute(sql, params)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        table = _table_written(sql)
        if table is not None:
            if rows:
                self._hold(table, sql, rows)
            return
        self.flush()
        self.statements += 1
        self.tx.executemany(sql, rows)

    def append(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        self.flush()
        self.statements += 1
        self.tx.append(table, columns, rows)

    def flush(self) -> None:
        queues, self._queues = self._queues, {}
        for queue in queues.values():
            for sql, rows in queue:
                self._send(sql, rows)

    def _send(self, sql: str, rows: list[Sequence[Any]]) -> None:
        if len(rows) == 1:
            self.statements += 1
            self.tx.execute(sql, rows[0])
            return
        if "FROM unnest(" in sql and _MERGEABLE_CONFLICT.match(sql.rsplit(")", 1)[-1]):
            # one insert of many rows: each parameter is a column's array; join them
            self.statements += 1
            columns = [[*column] for column in rows[0]]
            for row in rows[1:]:
                for joined, more in zip(columns, row, strict=True):
                    joined.extend(more)
            self.tx.execute(sql, columns)
            return
        split = _values(sql)
        if split is None:
            self.statements += 1
            self.tx.executemany(sql, rows)
            return
        head, group, tail = split
        if self.dialect == "postgres":
            self._send_unnest(head, group, tail, rows)
            return
        per_row = max(1, PARAMETERS // max(1, group.count("?")))
        for start in range(0, len(rows), per_row):
            chunk = rows[start : start + per_row]
            self.statements += 1
            self.tx.execute(
                f"{head}{', '.join([group] * len(chunk))}{tail}",
                [value for row in chunk for value in row],
            )

    def _send_unnest(self, head: str, group: str, tail: str, rows: list[Sequence[Any]]) -> None:
        """PostgreSQL: the rows as one ``INSERT … SELECT … FROM unnest`` of a typed array per
        column (sent in binary; one short text, prepared once, whatever the number of rows)."""
        table = head.split()[2]
        types = self._types(table)
        columns = [c.strip() for c in head[head.index("(") + 1 : head.rindex(")")].split(",")]
        items = [i.strip() for i in group.strip()[1:-1].split(",")]
        picked, arrays, n = [], [], 0
        for column, item in zip(columns, items, strict=True):
            if item == "?":
                picked.append(f"u.c{n}")
                arrays.append(f"%b::{types[column]}[]")
                n += 1
            else:
                picked.append(item)
        self.statements += 1
        self.tx.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(picked)}"  # noqa: S608
            f" FROM unnest({', '.join(arrays)}) AS u({', '.join(f'c{i}' for i in range(n))})"
            f"{tail}",
            [list(column) for column in zip(*rows, strict=True)],
        )

    def _types(self, table: str) -> dict[str, str]:
        found = _TYPES.get(table)
        if found is None:
            self.statements += 1
            found = _TYPES[table] = {
                str(name): str(kind)
                for name, kind in self.tx.execute(
                    "SELECT column_name, data_type FROM information_schema.columns"
                    " WHERE table_name = ? AND table_schema = current_schema()",
                    (table,),
                )
            }
        return found


_TYPES: dict[str, dict[str, str]] = {}  # table -> column -> type, on PostgreSQL


def _values(sql: str) -> tuple[str, str, str] | None:
    """``INSERT … VALUES (…) [ON CONFLICT … DO NOTHING]`` as its head, row and tail."""
    upper = sql.upper()
    at = upper.find(" VALUES ")
    if not upper.lstrip().startswith("INSERT") or at < 0:
        return None
    start = sql.find("(", at)
    depth, end = 0, -1
    for i in range(start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")":
            depth -= 1
            if depth == 0:
                end = i + 1
                break
    if end < 0:
        return None
    tail = sql[end:]
    if "?" in tail or not _MERGEABLE_CONFLICT.match(tail):
        return None
    return sql[:start], sql[start:end], tail
