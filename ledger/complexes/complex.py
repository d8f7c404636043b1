"""The Complex aggregate: a residential complex, its place in the city, its units and who owns them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal, NotRequired, TypedDict
from uuid import UUID

from ledger.base import ChainedAggregate
from ledger.errors import AlreadyExists, InvalidCommand, InvalidState, NotFound

DEVELOPER = "developer"
_DISTRICT = re.compile(r"\d{6}")
_STREET = re.compile(r"\d{9}")
_COMMUNITY = re.compile(r"\d{12}")
_UNIT_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-]{0,63}")
_KEY = re.compile(r"[0-9a-f]{16,128}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
CONTACT_MAX = 120  # characters: an office, a telephone, an address or an e-mail


AreaKind = Literal["registered", "surveyed", "contract"]
AREA_KINDS: tuple[AreaKind, ...] = ("registered", "surveyed", "contract")


class Unit(TypedDict):
    """A unit: building, floor area in hundredths of a m², owner identity key, developer-held flag.

    ``area_kind`` says which area it carries (SPC interpretation on building ownership, art. 8:
    the registered area, where none is registered yet the surveyed, then the contract area);
    absent on units recorded before issue #16, which carry the registered area. ``delivered``
    is False for a unit the developer sold but has not yet handed over (art. 9: it counts with
    the developer's units for headcount); absent means delivered once sold.
    """

    building: str
    area: int
    owner_key: str
    developer_held: bool
    area_kind: NotRequired[AreaKind]
    delivered: NotRequired[bool]


def area_kind(unit: Unit) -> AreaKind:
    return unit.get("area_kind", "registered")


def is_delivered(unit: Unit) -> bool:
    """Sold and handed over to its owner: the owner counts as a head of their own (art. 9)."""
    return not unit["developer_held"] and unit.get("delivered", True)


def check_place(district: str, street: str, community: str) -> None:
    """District 6 digits, street 9 digits under it, community 12 digits under the street (GB/T 2260)."""
    if not _DISTRICT.fullmatch(district):
        raise InvalidCommand(f"district: {district!r} is not a 6-digit division code")
    if not _STREET.fullmatch(street) or not street.startswith(district):
        raise InvalidCommand(f"street: {street!r} is not a 9-digit code inside district {district}")
    if not _COMMUNITY.fullmatch(community) or not community.startswith(street):
        raise InvalidCommand(
            f"community: {community!r} is not a 12-digit code inside street {street}"
        )


def check_units(units: dict[str, Unit], existing: Iterable[str] = ()) -> None:
    taken = set(existing)
    for unit_id, unit in units.items():
        if not _UNIT_ID.fullmatch(unit_id):
            raise InvalidCommand(f"units: {unit_id!r} is not a unit id (letters, digits, - and _)")
        if unit_id in taken:
            raise AlreadyExists(f"unit {unit_id} is already registered in this complex")
        if unit["area"] <= 0:
            raise InvalidCommand(f"units: unit {unit_id} needs a floor area above zero")
        if not unit["building"].strip():
            raise InvalidCommand(f"units: unit {unit_id} needs a building")
        if unit.get("area_kind", "registered") not in AREA_KINDS:
            raise InvalidCommand(
                f"units: unit {unit_id}: area_kind is one of registered, surveyed, contract"
            )
        if not unit["developer_held"] and not _KEY.fullmatch(unit["owner_key"]):
            raise InvalidCommand(
                f"units: unit {unit_id} needs an owner identity key (hex HMAC) unless the"
                " developer still holds it"
            )


def _normalised(unit: Unit) -> Unit:
    kept = Unit(
        building=unit["building"].strip(),
        area=unit["area"],
        owner_key="" if unit["developer_held"] else unit["owner_key"],
        developer_held=unit["developer_held"],
    )
    # the optional fields only when they say something: units as before hash as before
    if unit.get("area_kind", "registered") != "registered":
        kept["area_kind"] = unit["area_kind"]
    if not unit["developer_held"] and not unit.get("delivered", True):
        kept["delivered"] = False
    return kept


class BankStatus(TypedDict):
    """A period's bank reconciliation as owners read it (issue #14): the last day through which
    bank and ledger matched (ISO date, None: never), the bank's balance and its date, and the
    difference bank − ledger, in fen."""

    reconciled_through: str | None
    bank_balance: int
    bank_balance_on: str | None
    difference: int


def check_bank_status(status: BankStatus) -> BankStatus:
    if set(status) != set(BankStatus.__annotations__):
        raise InvalidCommand(
            "reconciliation: needs reconciled_through, bank_balance, bank_balance_on, difference"
        )
    for day in (status["reconciled_through"], status["bank_balance_on"]):
        if day is not None and not _DAY.fullmatch(day):
            raise InvalidCommand(f"reconciliation: {day!r} is not an ISO date")
    for money in (status["bank_balance"], status["difference"]):
        if type(money) is not int:
            raise InvalidCommand("reconciliation: amounts are whole fen")
    return status


class Complex(ChainedAggregate):
    """A residential complex: one owners' assembly."""

    code: str
    name: str
    district: str
    street: str
    community: str
    units: dict[str, Unit]
    committee_ids: list[str]
    current_committee_id: str | None
    account_ids: list[str]
    current_account_id: str | None
    resolution_ids: list[str]
    published: dict[str, str]  # period -> content hash of its first publication

    def __init__(self) -> None:
        super().__init__()
        self.units = {}
        self.committee_ids = []
        self.current_committee_id = None
        self.account_ids = []
        self.current_account_id = None
        self.resolution_ids = []
        self.published = {}

    class Registered(ChainedAggregate.Created):
        code: str
        name: str
        district: str
        street: str
        community: str

        def apply(self, aggregate: Any) -> None:
            aggregate.code = self.code
            aggregate.name = self.name
            aggregate.district = self.district
            aggregate.street = self.street
            aggregate.community = self.community

    class UnitsAdded(ChainedAggregate.Event):
        units: dict[str, Unit]

        def apply(self, aggregate: Any) -> None:
            aggregate.units.update(self.units)

    class UnitTransferred(ChainedAggregate.Event):
        unit_id: str
        owner_key: str

        def apply(self, aggregate: Any) -> None:
            unit = aggregate.units[self.unit_id]
            unit["owner_key"] = self.owner_key
            unit["developer_held"] = False

    class UnitDeliveryRecorded(ChainedAggregate.Event):
        """The operator recorded whether a sold unit has been handed over (issue #16, art. 9)."""

        unit_id: str
        delivered: bool

        def apply(self, aggregate: Any) -> None:
            aggregate.units[self.unit_id]["delivered"] = self.delivered

    class CommitteeElected(ChainedAggregate.Event):
        committee_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.committee_ids.append(self.committee_id)
            aggregate.current_committee_id = self.committee_id

    class AccountOpened(ChainedAggregate.Event):
        account_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.account_ids.append(self.account_id)
            aggregate.current_account_id = self.account_id

    class StatementPublished(ChainedAggregate.Event):
        """H11: the committee published a period's statement as it stood at ``through``.

        ``through`` is the ledger position (notification id) the statement was
        made from; ``content_hash`` is the SHA-256 of its canonical JSON, so the
        frozen version can be rebuilt from the log and checked against it.

        Version 2 carries the ``reconciliation``: the bank status as of the period's end
        as the platform read it at publication (issue #14), None for a complex without a
        bank feed. The content hash covers it: the frozen version shows it.
        """

        class_version = 2

        period: str
        through: int
        content_hash: str
        member_id: str
        reconciliation: BankStatus | None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state["reconciliation"] = None  # published before the bank feed: none was read

        def apply(self, aggregate: Any) -> None:
            # snapshots taken before publication existed have no ``published``
            aggregate.__dict__.setdefault("published", {})[self.period] = self.content_hash
            if self.reconciliation is not None:  # as a v1 event left it: snapshots still verify
                aggregate.__dict__.setdefault("reconciled", {})[self.period] = self.reconciliation

    class StatementReconciled(ChainedAggregate.Event):
        """The bank status of a published period changed (issue #14): a statement the bank sent
        later, a line matched or unmatched since. The statements read model makes a new
        version of the period showing it, like any correction (H11)."""

        period: str
        reconciliation: BankStatus

        def apply(self, aggregate: Any) -> None:
            aggregate.__dict__.setdefault("reconciled", {})[self.period] = self.reconciliation

    class BallotAnnounced(ChainedAggregate.Event):
        """An owners' assembly by ballot was announced here (issue #16)."""

        ballot_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.__dict__.setdefault("ballot_ids", []).append(self.ballot_id)

    class ObjectionContactSet(ChainedAggregate.Event):
        """Where owners raise an objection to a notice (issue #17): printed on every notice
        and shown on the complex's pages; public, as the committee posts it."""

        contact: str

        def apply(self, aggregate: Any) -> None:
            aggregate.__dict__["objection_contact"] = self.contact

    class ResolutionRecorded(ChainedAggregate.Event):
        resolution_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.resolution_ids.append(self.resolution_id)

    @classmethod
    def register(
        cls,
        aggregate_id: UUID,
        *,
        code: str,
        name: str,
        district: str,
        street: str,
        community: str,
        principal: str,
        value_date: str,
    ) -> Complex:
        if not code.strip() or len(code) > 64:
            raise InvalidCommand("code: a complex needs a code of 1–64 characters")
        if not name.strip():
            raise InvalidCommand("name: a complex needs a name")
        check_place(district, street, community)
        return cls._create_chained(
            cls.Registered,
            aggregate_id,
            code=code,
            name=name.strip(),
            district=district,
            street=street,
            community=community,
            principal=principal,
            value_date=value_date,
        )

    def add_units(self, units: dict[str, Unit], *, principal: str, value_date: str) -> None:
        if not units:
            raise InvalidCommand("units: give at least one unit")
        check_units(units, self.units)
        normalised = {uid: _normalised(u) for uid, u in units.items()}
        self.trigger_event(
            self.UnitsAdded, units=normalised, principal=principal, value_date=value_date
        )

    def transfer_unit(
        self, unit_id: str, new_owner_key: str, *, principal: str, value_date: str
    ) -> None:
        unit = self.unit(unit_id)
        if not _KEY.fullmatch(new_owner_key):
            raise InvalidCommand("owner_key: the new owner's identity key is not a hex HMAC")
        if unit["owner_key"] == new_owner_key and not unit["developer_held"]:
            raise InvalidCommand(f"unit {unit_id} already belongs to that owner")
        self.trigger_event(
            self.UnitTransferred,
            unit_id=unit_id,
            owner_key=new_owner_key,
            principal=principal,
            value_date=value_date,
        )

    def record_delivery(
        self, unit_id: str, *, delivered: bool, principal: str, value_date: str
    ) -> bool:
        """Record that a sold unit is (or is not yet) handed over; False when nothing changes."""
        unit = self.unit(unit_id)
        if unit["developer_held"]:
            raise InvalidState(
                f"unit {unit_id} is not sold yet: the developer's unsold units count as one owner"
                " (SPC interpretation art. 9) whatever their delivery"
            )
        if unit.get("delivered", True) == delivered:
            return False
        self.trigger_event(
            self.UnitDeliveryRecorded,
            unit_id=unit_id,
            delivered=delivered,
            principal=principal,
            value_date=value_date,
        )
        return True

    @property
    def objection_contact(self) -> str:
        """Where objections go ("" until set; aggregates from before issue #17 have none)."""
        found: str = self.__dict__.get("objection_contact", "")
        return found

    def set_objection_contact(self, contact: str, *, principal: str, value_date: str) -> bool:
        """Record where owners raise objections; False (nothing recorded) if unchanged."""
        text = " ".join(contact.split())
        if not text or len(text) > CONTACT_MAX:
            raise InvalidCommand(
                f"contact: give where owners raise objections in 1–{CONTACT_MAX} characters"
            )
        if text == self.objection_contact:
            return False
        self.trigger_event(
            self.ObjectionContactSet, contact=text, principal=principal, value_date=value_date
        )
        return True

    def unit(self, unit_id: str) -> Unit:
        try:
            return self.units[unit_id]
        except KeyError:
            raise NotFound(f"unit {unit_id} is not registered in complex {self.code}") from None

    def note_committee(self, committee_id: UUID, *, principal: str, value_date: str) -> None:
        self.trigger_event(
            self.CommitteeElected,
            committee_id=str(committee_id),
            principal=principal,
            value_date=value_date,
        )

    def note_account(self, account_id: UUID, *, principal: str, value_date: str) -> None:
        self.trigger_event(
            self.AccountOpened,
            account_id=str(account_id),
            principal=principal,
            value_date=value_date,
        )

    def note_resolution(self, resolution_id: UUID, *, principal: str, value_date: str) -> None:
        self.trigger_event(
            self.ResolutionRecorded,
            resolution_id=str(resolution_id),
            principal=principal,
            value_date=value_date,
        )

    def note_ballot(self, ballot_id: UUID, *, principal: str, value_date: str) -> None:
        self.trigger_event(
            self.BallotAnnounced,
            ballot_id=str(ballot_id),
            principal=principal,
            value_date=value_date,
        )

    @property
    def ballots(self) -> list[str]:
        """The ballots announced here, oldest first (issue #16)."""
        return list(self.__dict__.get("ballot_ids", []))

    def publish_statement(
        self,
        period: str,
        *,
        through: int,
        content_hash: str,
        member_id: str,
        reconciliation: BankStatus | None,
        principal: str,
        value_date: str,
    ) -> None:
        if period in self.__dict__.get("published", {}):
            raise AlreadyExists(
                f"the statement of {period} is already published; a later correction makes"
                " a new version by itself (H11)"
            )
        self.trigger_event(
            self.StatementPublished,
            period=period,
            through=through,
            content_hash=content_hash,
            member_id=member_id,
            reconciliation=None if reconciliation is None else check_bank_status(reconciliation),
            principal=principal,
            value_date=value_date,
        )

    def reconciliation_of(self, period: str) -> BankStatus | None:
        """The bank status a published period shows now (None: none was recorded)."""
        found: BankStatus | None = self.__dict__.get("reconciled", {}).get(period)
        return found

    def reconcile_statement(
        self, period: str, reconciliation: BankStatus, *, principal: str, value_date: str
    ) -> bool:
        """Record a published period's new bank status; False (nothing recorded) if unchanged."""
        if period not in self.__dict__.get("published", {}):
            raise InvalidState(f"the statement of {period} is not published")
        check_bank_status(reconciliation)
        if self.reconciliation_of(period) == reconciliation:
            return False
        self.trigger_event(
            self.StatementReconciled,
            period=period,
            reconciliation=dict(reconciliation),
            principal=principal,
            value_date=value_date,
        )
        return True

    def owned_by(self, owner_key: str) -> list[str]:
        """The units this owner holds now, sorted (the developer's unsold units are nobody's)."""
        return sorted(
            u for u, unit in self.units.items()
            if not unit["developer_held"] and unit["owner_key"] == owner_key
        )  # fmt: skip

    def headcount_key(self, unit_id: str) -> str:
        """H04 headcount: one per owner however many units they hold; the developer's unsold
        and sold-but-undelivered units together once (SPC interpretation art. 9, issue #16)."""
        unit = self.units[unit_id]
        return unit["owner_key"] if is_delivered(unit) else DEVELOPER

    def stream_ids(self) -> list[str]:
        """Every stream of this complex, for its digest (H12)."""
        return [
            str(self.id), *self.committee_ids, *self.account_ids, *self.resolution_ids,
            *self.ballots,
        ]  # fmt: skip


Listing = Complex.CommitteeElected | Complex.AccountOpened | Complex.ResolutionRecorded


def listed_stream(event: Listing) -> str:
    """The stream a complex lists with this event (its committee, account or resolution)."""
    if isinstance(event, Complex.CommitteeElected):
        return event.committee_id
    if isinstance(event, Complex.AccountOpened):
        return event.account_id
    return event.resolution_id
