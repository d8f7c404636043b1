"""The Committee aggregate: election, filing, seal, member changes, decisions, handover, dissolution (H14)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Literal, TypedDict
from uuid import UUID

from ledger.base import ChainedAggregate
from ledger.committees.resolution import normalise_purpose
from ledger.dates import deadline, last_day_of_span, parse_date
from ledger.errors import (
    AlreadyExists,
    CommitteeNotFiled,
    CommitteeOutOfOrder,
    CommitteeShapeInvalid,
    FilingDeadlinePassed,
    IdempotencyConflict,
    InvalidCommand,
    InvalidState,
    MemberNotInOffice,
    NotFound,
)
from ledger.money import check_fen
from ledger.personal import PersonalData, StoredMember, store_member
from ledger.policy import Policy

Role = Literal["chair", "vice_chair", "member"]
ROLES: frozenset[str] = frozenset({"chair", "vice_chair", "member"})
Status = Literal["elected", "filed", "sealed", "superseded", "dissolved"]
_MEMBER_ID = re.compile(r"[0-9A-Za-z][0-9A-Za-z_\-]{0,63}")


class Member(TypedDict):
    """A member as a command names them; events keep a :class:`StoredMember` (name sealed)."""

    member_id: str
    name: str
    identity_key: str
    role: str
    signatory: bool


class Decision(TypedDict):
    purpose: str
    purpose_key: str
    amount_cap: int
    decided_on: str
    approvers: list[str]
    members_in_office: int
    approved: bool
    fingerprint: str


def check_members(members: Sequence[Member | StoredMember], policy: Policy) -> None:
    """H14: 5–11 members, an odd number, unique ids and identities, one chair."""
    count = len(members)
    if not policy.committee_min_members <= count <= policy.committee_max_members or count % 2 == 0:
        raise CommitteeShapeInvalid(
            f"members: a committee has an odd number of members from"
            f" {policy.committee_min_members} to {policy.committee_max_members}; {count} given"
        )
    check_member_entries(members)
    if sum(1 for m in members if m["role"] == "chair") != 1:
        raise CommitteeShapeInvalid("members: a committee has exactly one chair")


def check_member_entries(members: Sequence[Member | StoredMember]) -> None:
    ids = [m["member_id"] for m in members]
    keys = [m["identity_key"] for m in members]
    if len(set(ids)) != len(ids) or len(set(keys)) != len(keys):
        raise InvalidCommand("members: each member appears once (member id and identity key)")
    for m in members:
        if not _MEMBER_ID.fullmatch(m["member_id"]):
            raise InvalidCommand(f"members: {m['member_id']!r} is not a member id")
        if m["role"] not in ROLES:
            raise InvalidCommand(f"members: role {m['role']!r} is not chair, vice_chair or member")
        if not m["name"].strip():
            raise InvalidCommand(f"members: member {m['member_id']} needs a name")


class Committee(ChainedAggregate):
    """An owners' committee of one complex, for one term."""

    complex_id: str
    election_resolution_id: str
    elected_on: str
    term_end: str
    seats: int
    members: dict[str, StoredMember]
    status: Status
    filing: dict[str, str] | None
    seal_number: str | None
    sealed_on: str | None
    refiling_due: str | None
    handed_over_on: str | None
    successor_id: str | None
    decisions: dict[str, Decision]

    def __init__(self) -> None:
        super().__init__()
        self.members = {}
        self.status = "elected"
        self.filing = None
        self.seal_number = None
        self.sealed_on = None
        self.refiling_due = None
        self.handed_over_on = None
        self.successor_id = None
        self.decisions = {}

    class Elected(ChainedAggregate.Created):
        complex_id: str
        election_resolution_id: str
        elected_on: str
        term_end: str
        members: list[StoredMember]

        def apply(self, aggregate: Any) -> None:
            aggregate.complex_id = self.complex_id
            aggregate.election_resolution_id = self.election_resolution_id
            aggregate.elected_on = self.elected_on
            aggregate.term_end = self.term_end
            aggregate.seats = len(self.members)
            aggregate.members = {m["member_id"]: dict(m) for m in self.members}

    class Filed(ChainedAggregate.Event):
        number: str
        authority: str
        filed_on: str

        def apply(self, aggregate: Any) -> None:
            aggregate.filing = {
                "number": self.number,
                "authority": self.authority,
                "filed_on": self.filed_on,
            }
            aggregate.refiling_due = None
            if aggregate.status == "elected":
                aggregate.status = "filed"

    class Sealed(ChainedAggregate.Event):
        seal_number: str

        def apply(self, aggregate: Any) -> None:
            aggregate.seal_number = self.seal_number
            aggregate.sealed_on = self.value_date
            aggregate.status = "sealed"

    class MembersChanged(ChainedAggregate.Event):
        added: list[StoredMember]
        removed: list[str]
        refiling_due: str

        def apply(self, aggregate: Any) -> None:
            for member_id in self.removed:
                del aggregate.members[member_id]
            for member in self.added:
                aggregate.members[member["member_id"]] = dict(member)
            aggregate.refiling_due = self.refiling_due

    class DecisionRecorded(ChainedAggregate.Event):
        decision_id: str
        decision: Decision

        def apply(self, aggregate: Any) -> None:
            aggregate.decisions[self.decision_id] = dict(self.decision)

    class Superseded(ChainedAggregate.Event):
        successor_id: str

        def apply(self, aggregate: Any) -> None:
            aggregate.successor_id = self.successor_id
            aggregate.status = "superseded"

    class HandedOver(ChainedAggregate.Event):
        handed_over_on: str

        def apply(self, aggregate: Any) -> None:
            aggregate.handed_over_on = self.handed_over_on

    class Dissolved(ChainedAggregate.Event):
        reason: str

        def apply(self, aggregate: Any) -> None:
            aggregate.status = "dissolved"

    # --- commands ---------------------------------------------------------------

    @classmethod
    def elect(
        cls,
        aggregate_id: UUID,
        *,
        complex_id: UUID,
        election_resolution_id: UUID,
        elected_on: date,
        term_end: date,
        members: list[Member],
        policy: Policy,
        principal: str,
        personal: PersonalData,
    ) -> Committee:
        check_members(members, policy)
        years = policy.committee_term_max_years
        longest = last_day_of_span(elected_on, years=years)
        if not elected_on < term_end <= longest:
            raise CommitteeShapeInvalid(
                f"term_end: a term ends after the election and lasts at most {years} years,"
                f" the election day counted as its first: elected on {elected_on.isoformat()},"
                f" it ends by {longest.isoformat()}"
            )
        if sum(1 for m in members if m["signatory"]) < 2:
            raise CommitteeShapeInvalid("members: name at least two signatories")
        return cls._create_chained(
            cls.Elected,
            aggregate_id,
            complex_id=str(complex_id),
            election_resolution_id=str(election_resolution_id),
            elected_on=elected_on.isoformat(),
            term_end=term_end.isoformat(),
            members=[store_member(personal, m) for m in members],
            principal=principal,
            value_date=elected_on.isoformat(),
        )

    def file(
        self, *, number: str, authority: str, filed_on: date, policy: Policy, principal: str
    ) -> None:
        """Record the filing with the district, or the re-filing after member changes."""
        if not number.strip() or not authority.strip():
            raise InvalidCommand("filing: give the filing number and the authority")
        self._require_not_ended("file")
        if self.status != "elected" and self.refiling_due is None:
            raise CommitteeOutOfOrder(f"committee {self.id} is already filed")
        since = parse_date(self.elected_on)
        if filed_on < since:
            raise InvalidCommand("filed_on: the filing cannot be dated before the election")
        due = (
            deadline(since, policy.committee_filing_deadline_days)
            if self.refiling_due is None
            else parse_date(self.refiling_due)
        )
        if filed_on > due:
            raise FilingDeadlinePassed(
                f"committee {self.id} had to be filed by {due.isoformat()}; a filing dated"
                f" {filed_on.isoformat()} is too late: hold a new election"
            )
        self.trigger_event(
            self.Filed,
            number=number.strip(),
            authority=authority.strip(),
            filed_on=filed_on.isoformat(),
            principal=principal,
            value_date=filed_on.isoformat(),
        )

    def seal(self, *, seal_number: str, sealed_on: date, principal: str) -> None:
        if not seal_number.strip():
            raise InvalidCommand("seal_number: give the seal's number")
        self._require_not_ended("seal")
        if self.status == "elected":
            raise CommitteeNotFiled(
                f"committee {self.id} is not filed: record the filing before the seal"
            )
        if self.status == "sealed":
            raise CommitteeOutOfOrder(f"committee {self.id} is already sealed")
        filed_on = parse_date(self.filing["filed_on"]) if self.filing else None
        if filed_on is not None and sealed_on < filed_on:
            raise CommitteeOutOfOrder(
                f"sealed_on: the seal is carved after the filing ({filed_on.isoformat()})"
            )
        self.trigger_event(
            self.Sealed,
            seal_number=seal_number.strip(),
            principal=principal,
            value_date=sealed_on.isoformat(),
        )

    def change_members(
        self,
        *,
        added: list[Member],
        removed: list[str],
        changed_on: date,
        policy: Policy,
        principal: str,
        personal: PersonalData,
    ) -> None:
        """Members leave or join; the change must be filed again within the deadline."""
        self._require_not_ended("change members of")
        if self.status == "elected":
            raise CommitteeNotFiled(f"committee {self.id} is not filed: file it before changes")
        if not added and not removed:
            raise InvalidCommand("members: name members to add or remove")
        missing = [m for m in removed if m not in self.members]
        if missing:
            raise NotFound(f"members: not members of this committee: {missing}")
        remaining = {k: v for k, v in self.members.items() if k not in removed}
        check_member_entries([*remaining.values(), *added])
        if len(remaining) + len(added) > self.seats:
            raise CommitteeShapeInvalid(
                f"members: the committee has {self.seats} seats; the change would exceed them"
            )
        after = [*remaining.values(), *added]
        if 2 * len(after) <= self.seats:
            raise CommitteeShapeInvalid(
                f"members: {len(after)} of {self.seats} seats would leave no majority in office;"
                " hold a by-election to fill seats (H14)"
            )
        if sum(1 for m in after if m["role"] == "chair") != 1:
            raise CommitteeShapeInvalid("members: the committee keeps exactly one chair")
        due = deadline(changed_on, policy.member_change_refiling_days)
        self.trigger_event(
            self.MembersChanged,
            added=[store_member(personal, m) for m in added],
            removed=list(removed),
            refiling_due=due.isoformat(),
            principal=principal,
            value_date=changed_on.isoformat(),
        )

    def record_decision(
        self,
        decision_id: str,
        *,
        purpose: str,
        amount_cap: int,
        decided_on: date,
        approvers: list[str],
        fingerprint: str,
        principal: str,
    ) -> Decision:
        """A committee decision, approved when more than half of all members in office approve (H05)."""
        existing = self.decisions.get(decision_id)
        if existing is not None:
            if existing["fingerprint"] != fingerprint:
                raise IdempotencyConflict(
                    f"decision {decision_id} was recorded with a different request"
                )
            return existing
        if not purpose.strip():
            raise InvalidCommand("purpose: say what the decision authorises")
        check_fen(amount_cap, "amount_cap")
        if decided_on < parse_date(self.elected_on):
            raise InvalidCommand("decided_on: a decision cannot predate the committee's election")
        self.require_operating(decided_on, "record a decision of")
        unknown = sorted(set(approvers) - self.members.keys())
        if unknown:
            raise InvalidCommand(f"approvers: not members in office: {unknown}")
        in_office = len(self.members)
        approved = 2 * len(set(approvers)) > in_office
        decision = Decision(
            purpose=purpose.strip(),
            purpose_key=normalise_purpose(purpose),
            amount_cap=amount_cap,
            decided_on=decided_on.isoformat(),
            approvers=sorted(set(approvers)),
            members_in_office=in_office,
            approved=approved,
            fingerprint=fingerprint,
        )
        self.trigger_event(
            self.DecisionRecorded,
            decision_id=decision_id,
            decision=decision,
            principal=principal,
            value_date=decided_on.isoformat(),
        )
        return decision

    def supersede(self, successor_id: UUID, *, on: date, principal: str) -> None:
        if self.status == "superseded":
            raise InvalidState(f"committee {self.id} is already superseded")
        self.trigger_event(
            self.Superseded,
            successor_id=str(successor_id),
            principal=principal,
            value_date=on.isoformat(),
        )

    def hand_over(self, *, on: date, today: date, principal: str) -> None:
        if self.handed_over_on is not None:
            raise AlreadyExists(f"committee {self.id} has already handed over")
        if self.status not in ("superseded", "dissolved") and not self.term_expired(today):
            raise InvalidState(
                f"committee {self.id} is in office until {self.term_end}: a handover follows"
                " the end of the term, a new election or dissolution"
            )
        self.trigger_event(
            self.HandedOver,
            handed_over_on=on.isoformat(),
            principal=principal,
            value_date=on.isoformat(),
        )

    def dissolve(self, *, reason: str, on: date, principal: str) -> None:
        if self.status == "dissolved":
            raise InvalidState(f"committee {self.id} is already dissolved")
        if not reason.strip():
            raise InvalidCommand("reason: say why the committee is dissolved")
        self.trigger_event(
            self.Dissolved, reason=reason.strip(), principal=principal, value_date=on.isoformat()
        )

    # --- questions the rules ask ------------------------------------------------------

    def term_expired(self, on: date) -> bool:
        return on > parse_date(self.term_end)

    def in_office(self, on: date) -> bool:
        """Filed (or sealed), not superseded, not dissolved, within its term."""
        return self.status in ("filed", "sealed") and not self.term_expired(on)

    def why_not_operating(self, on: date) -> str | None:
        """Why the committee cannot act on ``on`` (H02), or None when it can."""
        if self.status == "dissolved":
            return f"committee {self.id} is dissolved"
        if self.status == "superseded":
            return f"committee {self.id} has been succeeded and is in handover"
        if self.term_expired(on):
            return f"the term of committee {self.id} ended on {self.term_end}"
        if self.status == "elected":
            return f"committee {self.id} is not filed yet"
        return None

    def require_operating(self, on: date, action: str) -> None:
        reason = self.why_not_operating(on)
        if reason is not None:
            raise InvalidState(f"cannot {action} the committee: {reason}")

    def signatories(self) -> list[str]:
        """The members who may sign payments (H06): the fund's approvers (an account names its own)."""
        return sorted(m for m, member in self.members.items() if member["signatory"])

    @property
    def ended(self) -> bool:
        """Succeeded by a newly elected committee, or dissolved: no longer the one in office."""
        return self.status in ("superseded", "dissolved")

    def require_member_in_office(self, member_id: str) -> StoredMember:
        """H15/H01: ``member_id`` sits on this committee, which is the complex's current one.

        A committee whose term has run out is still the one in office until it is
        succeeded or dissolved (its members record income and the handover; H02
        stops its payments); a dissolved one has no members in office.
        """
        if self.status == "dissolved":
            raise MemberNotInOffice(
                f"committee {self.id} is dissolved: {member_id} holds no power on this complex"
            )
        if member_id not in self.members:
            raise MemberNotInOffice(
                f"{member_id} is not a member of committee {self.id}, the committee in office:"
                " a credential acts only for a member in office (never one removed)"
            )
        return self.members[member_id]

    def member(self, member_id: str) -> StoredMember:
        try:
            return self.members[member_id]
        except KeyError:
            raise NotFound(
                f"{member_id} is not a member in office of committee {self.id}"
            ) from None

    def _require_not_ended(self, action: str) -> None:
        if self.ended:
            raise InvalidState(f"cannot {action} committee {self.id}: it is {self.status}")
