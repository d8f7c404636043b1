"""The city overview for regulators: per district and street, from the supervision read model.

Complexes; complexes whose committee is in office (filed or sealed, term not
ended); open accounts and their balances; the last quarter whose publication
deadline has passed — how many complexes owed its statement and how many
published it on time; open alerts by severity.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from ledger.periods import Period
from projections.db import Database, Tx
from projections.supervision.queries import NAME

SEVERITIES = ("critical", "high", "warning", "info")


@dataclass(slots=True)
class Area:
    district: str
    street: str
    complexes: int = 0
    committees_in_office: int = 0
    accounts_open: int = 0
    balance: int = 0  # fen
    statements_due: int = 0
    statements_on_time: int = 0
    open_alerts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))

    def add(self, other: Area) -> None:
        self.complexes += other.complexes
        self.committees_in_office += other.committees_in_office
        self.accounts_open += other.accounts_open
        self.balance += other.balance
        self.statements_due += other.statements_due
        self.statements_on_time += other.statements_on_time
        for severity, count in other.open_alerts.items():
            self.open_alerts[severity] += count


@dataclass(frozen=True, slots=True)
class Overview:
    as_of: date
    quarter: str  # the quarter whose statements are counted
    streets: list[Area]

    def districts(self) -> list[Area]:
        totals: dict[str, Area] = {}
        for area in self.streets:
            totals.setdefault(area.district, Area(area.district, "")).add(area)
        return [totals[d] for d in sorted(totals)]


def checked_quarter(as_of: date, deadline_days: int) -> Period:
    """The latest quarter whose publication deadline (end + N days) has passed by ``as_of``."""
    quarter = Period.containing(as_of, "quarter")
    while quarter.end + timedelta(days=deadline_days) >= as_of:
        quarter = Period.containing(quarter.start - timedelta(days=1), "quarter")
    return quarter


def overview(
    database: Database, *, community_prefix: str, as_of: date, deadline_days: int = 15
) -> Overview:
    quarter = checked_quarter(as_of, deadline_days)
    like = community_prefix.replace("%", "").replace("_", "") + "%"
    areas: dict[tuple[str, str], Area] = defaultdict(lambda: Area("", ""))
    with database.reading() as tx:
        g = _generation(tx)

        def each(sql: str, *params: object) -> list[tuple[object, ...]]:
            return tx.execute(sql, (g, like, *params))

        for district, street, n in each(
            "SELECT district, street, COUNT(*) FROM sup_places WHERE generation = ?"
            " AND community LIKE ? GROUP BY district, street"
        ):
            _area(areas, district, street).complexes = int(str(n))
        for district, street, n in each(
            "SELECT p.district, p.street, COUNT(DISTINCT c.complex_id) FROM sup_committees c"
            " JOIN sup_places p ON p.generation = c.generation AND p.complex_id = c.complex_id"
            " WHERE c.generation = ? AND p.community LIKE ? AND c.status IN ('filed', 'sealed')"
            " AND c.term_end >= ? GROUP BY p.district, p.street",
            as_of.isoformat(),
        ):
            _area(areas, district, street).committees_in_office = int(str(n))
        for district, street, n in each(
            "SELECT p.district, p.street, COUNT(*) FROM sup_accounts a JOIN sup_places p"
            " ON p.generation = a.generation AND p.complex_id = a.complex_id"
            " WHERE a.generation = ? AND p.community LIKE ? AND a.closed_on = ''"
            " GROUP BY p.district, p.street"
        ):
            _area(areas, district, street).accounts_open = int(str(n))
        for district, street, total in each(
            "SELECT p.district, p.street, COALESCE(SUM(e.amount), 0) FROM sup_entries e"
            " JOIN sup_accounts a ON a.generation = e.generation AND a.account_id = e.account_id"
            " JOIN sup_places p ON p.generation = a.generation AND p.complex_id = a.complex_id"
            " WHERE e.generation = ? AND p.community LIKE ? GROUP BY p.district, p.street"
        ):
            _area(areas, district, street).balance = int(str(total))
        deadline = (quarter.end + timedelta(days=deadline_days)).isoformat()
        for district, street, due, on_time in tx.execute(
            "SELECT p.district, p.street, COUNT(DISTINCT a.complex_id),"
            " COUNT(DISTINCT CASE WHEN s.published_on <= ? THEN a.complex_id END)"
            " FROM sup_accounts a JOIN sup_places p"
            " ON p.generation = a.generation AND p.complex_id = a.complex_id"
            " LEFT JOIN sup_publications s ON s.generation = a.generation"
            " AND s.complex_id = a.complex_id AND s.period = ?"
            " WHERE a.generation = ? AND p.community LIKE ? AND a.opened_on <= ?"
            " AND (a.closed_on = '' OR a.closed_on >= ?) GROUP BY p.district, p.street",
            (deadline, quarter.name, g, like, quarter.end.isoformat(), quarter.end.isoformat()),
        ):
            area = _area(areas, district, street)
            area.statements_due, area.statements_on_time = int(str(due)), int(str(on_time))
        for district, street, severity, n in each(
            "SELECT district, street, severity, COUNT(*) FROM alerts WHERE generation = ?"
            " AND community LIKE ? AND status IN ('open', 'acknowledged')"
            " GROUP BY district, street, severity"
        ):
            _area(areas, district, street).open_alerts[str(severity)] = int(str(n))
    return Overview(as_of, quarter.name, [areas[k] for k in sorted(areas)])


def _area(areas: dict[tuple[str, str], Area], district: object, street: object) -> Area:
    key = (str(district), str(street))
    area = areas[key]
    area.district, area.street = key
    return area


def _generation(tx: Tx) -> int:
    rows = tx.execute("SELECT generation FROM projection_state WHERE name = ?", (NAME,))
    return int(rows[0][0]) if rows else 1
