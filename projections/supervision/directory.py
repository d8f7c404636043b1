"""The owners' directory of complexes (issue #17): search by name, code or address, browse by place.

Read from the supervision read model's ``sup_places`` (one row per registered complex,
written on ``Complex.Registered``), the only read model that lists every complex. It
holds no personal data: a complex's code, name and division codes are public.
"""

from __future__ import annotations

from dataclasses import dataclass

from ledger.places import codes_named
from projections.db import Database, Tx
from projections.supervision.queries import NAME

LIMIT = 50  # complexes on one page of results; a city has thousands
MAX_QUERY = 60  # characters of a search; longer is no name, code or address


@dataclass(frozen=True, slots=True)
class Listed:
    complex_id: str
    code: str
    name: str
    district: str
    street: str


@dataclass(frozen=True, slots=True)
class Found:
    complexes: list[Listed]
    more: bool  # there are more than were listed


class Directory:
    def __init__(self, database: Database) -> None:
        self.database = database

    def by_code(self, code: str) -> Listed | None:
        """The complex of this code (codes are unique per registration, compared exactly)."""
        with self.database.reading() as tx:
            rows = tx.execute(
                f"SELECT {_FIELDS} FROM sup_places WHERE generation = ? AND code = ?",  # noqa: S608
                (_generation(tx), code),
            )
        return _listed(rows[0]) if rows else None

    def search(
        self, text: str = "", *, district: str = "", street: str = "", limit: int = LIMIT
    ) -> Found:
        """Complexes whose name or code contains ``text``, or whose district or street is named
        by it; within ``district`` / ``street`` if given; by name."""
        where, params = ["generation = ?"], []
        wanted = text.strip()[:MAX_QUERY]
        if wanted:
            like = "%" + wanted.replace("%", "").replace("_", "").lower() + "%"
            districts, streets = codes_named(wanted)
            places = streets or districts
            column = "street" if streets else "district"
            marks = ", ".join("?" for _ in places)
            where.append(
                "(LOWER(name) LIKE ? OR LOWER(code) LIKE ?"
                + (f" OR {column} IN ({marks})" if places else "")
                + ")"
            )
            params += [like, like, *places]
        if district:
            where.append("district = ?")
            params.append(district)
        if street:
            where.append("street = ?")
            params.append(street)
        with self.database.reading() as tx:
            rows = tx.execute(
                f"SELECT {_FIELDS} FROM sup_places WHERE {' AND '.join(where)}"  # noqa: S608
                " ORDER BY name, code LIMIT ?",
                (_generation(tx), *params, limit + 1),
            )
        return Found([_listed(r) for r in rows[:limit]], more=len(rows) > limit)

    def areas(self) -> dict[str, dict[str, int]]:
        """District → street → how many complexes, for browsing."""
        with self.database.reading() as tx:
            rows = tx.execute(
                "SELECT district, street, COUNT(*) FROM sup_places WHERE generation = ?"
                " GROUP BY district, street ORDER BY district, street",
                (_generation(tx),),
            )
        found: dict[str, dict[str, int]] = {}
        for district, street, count in rows:
            found.setdefault(str(district), {})[str(street)] = int(count)
        return found


_FIELDS = "complex_id, code, name, district, street"


def _listed(row: tuple[object, ...]) -> Listed:
    complex_id, code, name, district, street = (str(v) for v in row)
    return Listed(complex_id, code, name, district, street)


def _generation(tx: Tx) -> int:
    rows = tx.execute("SELECT generation FROM projection_state WHERE name = ?", (NAME,))
    return int(rows[0][0]) if rows else 1
