"""The commands of voting (issue #16): announce, open, serve, cast, enter paper ballots, close.

Every one runs through the unit of work, so a committee credential acts only for a member in
office (H15). Closing tallies each matter from the stored votes alone (tally.py), fixes the
Merkle root over its receipts (receipts.py) and records the Resolution per matter that the rest
of the ledger cites (H05, H08, the committee's election), with the ballot, in one write.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal
from uuid import UUID, uuid5

from ledger import ids
from ledger.committees.resolution import Resolution, Tally
from ledger.complexes.complex import Complex
from ledger.errors import AlreadyExists, InvalidCommand, InvalidState, NotFound
from ledger.unit_of_work import Actor, Load, Receipt, UnitOfWork
from ledger.voting.anomalies import closing_facts
from ledger.voting.ballot import (
    NOTICE_DAYS,
    OBJECTION_DAYS,
    Ballot,
    CountingRuleName,
    Matter,
    MatterResult,
    VoteRecord,
    sha256_hex,
)
from ledger.voting.receipts import merkle_root, receipt
from ledger.voting.register import Choice, Vote, counted_votes
from ledger.voting.tally import MatterTally


@dataclass(frozen=True, slots=True)
class CastReceipt:
    """What a cast recorded: per unit and matter, the receipt hash and the nonce it hashes."""

    ballot_id: str
    version: int
    signed_at: str
    votes: tuple[VoteRecord, ...]


def ballot_id(complex_id: UUID, idempotency_key: str) -> UUID:
    return uuid5(ids.NAMESPACE, f"ballot/{complex_id}/{idempotency_key}")


def resolution_of(ballot: UUID, matter: int) -> UUID:
    """The resolution a ballot's matter makes: one id per (ballot, matter), whoever closes it."""
    return uuid5(ids.NAMESPACE, f"ballot-resolution/{ballot}/{matter}")


class OwnerIndex:
    """Each complex's units by owner key, kept per state of the complex (its chain head, H12).

    A cast needs the caller's units in the register. Found by a scan, that was 10,000 look-ups
    per cast on a ballot of 10,000 units (bench/voting.py: a fifth of a cast's time); here the
    scan runs once per state of the complex, which voting does not change. Keyed by the chain
    head, not the version: an unsaved event on an evicted copy may share a version number with
    another process's, never a hash."""

    SIZE = 64  # complexes; all are dropped when full (a cast costs one scan again)

    def __init__(self) -> None:
        self._by_complex: dict[UUID, tuple[str, dict[str, tuple[str, ...]]]] = {}

    def units_of(self, complex_: Complex, owner_key: str) -> tuple[str, ...]:
        """The complex's units whose owner key is ``owner_key``, in the complex's order."""
        found = self._by_complex.get(complex_.id)
        if found is None or found[0] != complex_.chain_head:
            grouped: dict[str, list[str]] = {}
            for unit_id, unit in complex_.units.items():
                grouped.setdefault(unit["owner_key"], []).append(unit_id)
            found = (complex_.chain_head, {k: tuple(v) for k, v in grouped.items()})
            if len(self._by_complex) >= self.SIZE:
                self._by_complex.clear()
            self._by_complex[complex_.id] = found
        return found[1].get(owner_key, ())

    def in_register(self, ballot: Ballot, complex_: Complex, owner_key: str) -> list[str]:
        """The register's units this owner holds now (the complex's current owner), sorted as
        the register is."""
        return sorted(u for u in self.units_of(complex_, owner_key) if u in ballot.roll)


class VotingCommands:
    """Commands on ballots, every one through the unit of work."""

    def __init__(self, work: UnitOfWork) -> None:
        self._work = work
        self._owners = OwnerIndex()

    def announce_ballot(
        self,
        complex_id: UUID,
        *,
        idempotency_key: str,
        title: str,
        matters: Sequence[Matter],
        notice_on: date,
        opens_at: datetime,
        closes_at: datetime,
        deemed_votes: bool = False,
        counting_rule: CountingRuleName = "signed_later",
        objection_days: int = OBJECTION_DAYS,
        actor: Actor,
    ) -> Receipt:
        work = self._work
        new_id = ballot_id(complex_id, idempotency_key)

        def body(load: Load) -> Receipt:
            complex_ = load(complex_id, Complex)
            if work.exists(new_id):
                raise AlreadyExists(f"ballot key {idempotency_key!r} already announced a ballot")
            if actor.role == "regulator" and complex_.current_committee_id is not None:
                raise InvalidState(
                    "the street office announces only a first election, before any committee"
                )
            ballot = Ballot.announce(
                new_id,
                complex_,
                title=title,
                matters=matters,
                notice_on=notice_on,
                opens_at=opens_at,
                closes_at=closes_at,
                deemed_votes=deemed_votes,
                counting_rule=counting_rule,
                objection_days=objection_days,
                notice_days=NOTICE_DAYS,
                principal=actor.principal,
            )
            complex_.note_ballot(
                new_id, principal=actor.principal, value_date=notice_on.isoformat()
            )
            work.save(ballot, complex_)
            return Receipt(str(new_id), ballot.version, status="announced")

        return work.run(body, actor=actor, complex_id=complex_id)

    def open_ballot(self, ballot: UUID, *, actor: Actor) -> Receipt:
        work = self._work
        complex_id = self._complex(ballot)

        def body(load: Load) -> Receipt:
            found = load(ballot, Ballot)
            complex_ = load(complex_id, Complex)
            found.open(
                complex_,
                now=work.clock(),
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            work.save(found)
            return Receipt(str(ballot), found.version, status="open")

        return work.run(body, actor=actor, complex_id=complex_id)

    def serve_ballot(
        self,
        ballot: UUID,
        units: Sequence[str],
        *,
        how: Literal["login", "paper"],
        evidence: str | None = None,
        actor: Actor,
    ) -> list[str]:
        """Record the ballot reached these units (deemed votes count only served units)."""
        work = self._work

        def body(load: Load) -> list[str]:
            found = load(ballot, Ballot)
            fresh = found.serve(
                units,
                how=how,
                evidence=evidence,
                now=work.clock(),
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            if fresh:
                work.save(found)
            return fresh

        return work.run(body, actor=actor, complex_id=self._complex(ballot))

    def serve_by_login(self, ballot: UUID, owner_key: str, *, actor: Actor) -> list[str]:
        """An owner's reading of an open ballot serves their units not served yet (delivery by
        login, issue #16); the units newly served, none when it is not open."""
        found = self._work.load(ballot, Ballot)
        if found.state(self._work.clock()) != "open":
            return []
        mine = self.owned_units(ballot, owner_key)
        if all(u in found.deliveries for u in mine):
            return []
        return self.serve_ballot(ballot, mine, how="login", actor=actor)

    def owned_units(self, ballot: UUID, owner_key: str) -> list[str]:
        """The register's units this owner holds now (the complex's current owner)."""
        found = self._work.load(ballot, Ballot)
        complex_ = self._work.load(UUID(found.complex_id), Complex)
        return self._owners.in_register(found, complex_, owner_key)

    def cast_votes(
        self,
        ballot: UUID,
        *,
        owner_key: str,
        choices: Mapping[int, Choice],
        units: Sequence[str] | None = None,
        device: str | None = None,
        actor: Actor,
    ) -> CastReceipt:
        """An owner votes on ``choices`` (matter → choice) for each of their units in scope.

        ``units`` None: every unit of the register the owner holds now that is in a matter's
        scope. A unit the caller does not own is refused. A later cast changes the vote; the
        earlier one stays in the history and under the Merkle root.
        """
        work = self._work
        complex_id = self._complex(ballot)

        def body(load: Load) -> CastReceipt:
            found = load(ballot, Ballot)
            now = work.clock()
            found.require_open(now, "voting")
            complex_ = load(complex_id, Complex)
            work.unchanged(complex_)  # read only: kept cached if the write collides
            mine = self._owners.in_register(found, complex_, owner_key)
            if units is not None:
                outside = sorted(set(units) - found.roll.keys())
                if outside:
                    raise InvalidCommand(f"units {outside[:5]} are outside this ballot's scope")
                foreign = sorted(set(units) - set(mine))
                if foreign:
                    raise NotFound(f"units {foreign[:5]} are not yours in this ballot's register")
            chosen = list(units) if units is not None else mine
            if not chosen:
                raise NotFound("none of your units is in this ballot's register")
            votes = []
            for matter, choice in sorted(choices.items()):
                if not 1 <= matter <= len(found.matters):
                    raise NotFound(
                        f"matter {matter} is not on this ballot (1–{len(found.matters)})"
                    )
                for unit in chosen:
                    if units is None and not found.in_matter_scope(unit, matter):
                        continue  # an owner's units outside one matter's scope skip that matter
                    found.check_vote(unit, matter, choice, signed_at=now)
                    votes.append(
                        _record(
                            str(ballot),
                            unit,
                            matter=matter,
                            choice=choice,
                            channel="electronic",
                            signed_at=now,
                            by=actor.principal,
                            device=device,
                        )
                    )
            if not votes:
                raise InvalidCommand("none of your units is in the scope of those matters")
            # a draft: if another process wrote the ballot first, the cached one is caught up,
            # not rebuilt from its snapshot (UnitOfWork.draft)
            cast = work.draft(found)
            cast.cast(
                votes, now=now, principal=actor.principal, value_date=work.today().isoformat()
            )
            work.save(cast)
            return CastReceipt(str(ballot), cast.version, now.isoformat(), tuple(votes))

        return work.run(body, actor=actor, complex_id=complex_id)

    def enter_paper_ballot(
        self,
        ballot: UUID,
        *,
        unit: str,
        choices: Mapping[int, Choice],
        signed_at: datetime,
        scan: str,
        actor: Actor,
    ) -> CastReceipt:
        """A committee member enters a unit's paper ballot with the SHA-256 of its scan."""
        work = self._work
        sha256_hex(scan, "scan")
        actor.require_member()

        def body(load: Load) -> CastReceipt:
            found = load(ballot, Ballot)
            votes = []
            for matter, choice in sorted(choices.items()):
                found.check_vote(unit, matter, choice, signed_at=signed_at)
                record = _record(
                    str(ballot),
                    unit,
                    matter=matter,
                    choice=choice,
                    channel="paper",
                    signed_at=signed_at,
                    by=actor.principal,
                    device=None,
                )
                record["scan"] = scan
                votes.append(record)
            found.cast(
                votes,
                now=work.clock(),
                principal=actor.principal,
                value_date=work.today().isoformat(),
            )
            work.save(found)
            return CastReceipt(str(ballot), found.version, signed_at.isoformat(), tuple(votes))

        return work.run(body, actor=actor, complex_id=self._complex(ballot))

    def close_ballot(self, ballot: UUID, *, actor: Actor) -> Receipt:
        """Count every matter and record its resolution; after the closing time, once."""
        work = self._work
        complex_id = self._complex(ballot)

        def body(load: Load) -> Receipt:
            found = load(ballot, Ballot)
            complex_ = load(complex_id, Complex)
            now = work.clock()
            if found.closed:
                return Receipt(str(ballot), found.version, replayed=True, status="closed")
            if now < found.closing:  # before anything is counted
                raise InvalidState(f"voting closes at {found.closes_at}; it is counted after")
            results, resolutions = [], []
            effective = found.closing_day.toordinal() + found.objection_days + 1
            for matter in range(1, len(found.matters) + 1):
                counted = count_matter(found, matter)
                resolution = _resolution(
                    found, matter, counted, date.fromordinal(effective), principal=actor.principal
                )
                resolutions.append(resolution)
                complex_.note_resolution(
                    resolution.id,
                    principal=actor.principal,
                    value_date=found.closing_day.isoformat(),
                )
                results.append(
                    MatterResult(
                        matter=matter,
                        item=found.matters[matter - 1]["item"],
                        passed=counted.passed,
                        passed_without_deemed=counted.without_deemed.passed,
                        passed_with_deemed=counted.with_deemed.passed,
                        deemed_apply=counted.deemed_apply,
                        deemed_units=len(counted.deemed_units),
                        root=merkle_root(
                            v["receipt"] for v in found.votes if v["matter"] == matter
                        ),
                        votes=sum(1 for v in found.votes if v["matter"] == matter),
                        resolution_id=str(resolution.id),
                    )
                )
            channels = [
                vote.channel
                for matter in range(1, len(found.matters) + 1)
                for vote in counted_votes(found.unit_records(matter), found.matter_votes(matter),
                                          found.counting()).values()
            ]  # fmt: skip
            facts = closing_facts(
                found, {u: complex_.units[u]["owner_key"] for u in found.roll}, channels,
                [r["matter"] for r in results
                 if r["deemed_apply"] and r["passed_with_deemed"] != r["passed_without_deemed"]],
            )  # fmt: skip
            found.close(results, facts, now=now, principal=actor.principal)
            work.save(found, complex_, *resolutions)
            return Receipt(str(ballot), found.version, status="closed")

        return work.run(body, actor=actor, complex_id=complex_id)

    def revoke_resolution(
        self, resolution_id: UUID, *, revoked_on: date, judgment: str, actor: Actor
    ) -> Receipt:
        """A regulator records a court's revocation (SPC interpretation art. 12)."""
        sha256_hex(judgment, "judgment")
        self._work.not_future(revoked_on, "revoked_on")
        return self._on_resolution(
            resolution_id,
            lambda r: r.revoke(revoked_on=revoked_on, judgment=judgment, principal=actor.principal),
            status="revoked",
            actor=actor,
        )

    def file_challenge(
        self,
        resolution_id: UUID,
        *,
        court: str,
        case_number: str,
        filed_on: date,
        filing: str,
        actor: Actor,
    ) -> Receipt:
        """A regulator records that a court accepted a suit to revoke the resolution (SPC
        interpretation art. 12): until the case ends, spending that cites it raises V06.

        Refused: a second pending challenge, a revoked resolution, ``filed_on`` before the vote
        closed or in the future. A filing more than a year after the resolution was published
        is recorded: the court decides whether it is admissible (``Resolution.file_challenge``).
        """
        sha256_hex(filing, "filing")
        self._work.not_future(filed_on, "filed_on")
        return self._on_resolution(
            resolution_id,
            lambda r: r.file_challenge(
                court=court,
                case_number=case_number,
                filed_on=filed_on,
                filing=filing,
                principal=actor.principal,
            ),
            status="under_challenge",
            actor=actor,
        )

    def end_challenge(
        self,
        resolution_id: UUID,
        *,
        outcome: Literal["dismissed", "withdrawn"],
        ended_on: date,
        ruling: str,
        actor: Actor,
    ) -> Receipt:
        """A regulator records how the pending challenge ended other than by revocation (a
        revocation, :meth:`revoke_resolution`, ends it too). Refused when none is pending."""
        sha256_hex(ruling, "ruling")
        self._work.not_future(ended_on, "ended_on")
        return self._on_resolution(
            resolution_id,
            lambda r: r.end_challenge(
                outcome=outcome, ended_on=ended_on, ruling=ruling, principal=actor.principal
            ),
            status=outcome,
            actor=actor,
        )

    def _on_resolution(
        self,
        resolution_id: UUID,
        change: Callable[[Resolution], None],
        *,
        status: str,
        actor: Actor,
    ) -> Receipt:
        """What a court's word does to a resolution (revocation, challenge, its end), recorded
        by a regulator of the resolution's complex in one write."""
        work = self._work

        def body(load: Load) -> Receipt:
            resolution = load(resolution_id, Resolution)
            change(resolution)
            work.save(resolution)
            return Receipt(str(resolution_id), resolution.version, status=status)

        return work.run(body, actor=actor, complex_id=work.complex_of(resolution_id, Resolution))

    def _complex(self, ballot: UUID) -> UUID:
        return self._work.complex_of(ballot, Ballot)


def count_matter(ballot: Ballot, matter: int) -> MatterTally:
    """The tally of one matter from the ballot's stored votes alone (tally.py)."""
    return ballot.tally(matter)


def _record(
    ballot: str,
    unit: str,
    *,
    matter: int,
    choice: Choice,
    channel: Literal["electronic", "paper"],
    signed_at: datetime,
    by: str,
    device: str | None,
) -> VoteRecord:
    nonce = secrets.token_hex(16)
    vote = Vote(unit, choice, channel, signed_at, nonce)
    return VoteRecord(
        unit=unit,
        matter=matter,
        choice=choice,
        channel=channel,
        signed_at=signed_at.isoformat(),
        nonce=nonce,
        receipt=receipt(vote, ballot_id=ballot, matter=matter),
        by=by,
        device=device,
    )


def _resolution(
    ballot: Ballot, matter: int, counted: MatterTally, effective: date, *, principal: str
) -> Resolution:
    spec = ballot.matters[matter - 1]
    register = ballot.unit_records(matter)
    cast = {
        unit: vote.choice
        for unit, vote in counted_votes(
            register, ballot.matter_votes(matter), ballot.counting()
        ).items()
    }
    if counted.deemed_apply and counted.deemed_choice is not None:
        cast |= dict.fromkeys(counted.deemed_units, counted.deemed_choice)
    binding = counted.binding
    closed_on = ballot.closing_day
    scope = spec["scope"]
    return Resolution.from_ballot(
        resolution_of(ballot.id, matter),
        complex_id=ballot.complex_id,
        ballot_id=str(ballot.id),
        matter=spec["item"],
        purpose=spec["purpose"],
        amount_cap=spec["amount_cap"],
        budget_category=spec["budget_category"],
        period_from=date.fromisoformat(spec["period_from"] or closed_on.isoformat()),
        period_to=date.fromisoformat(spec["period_to"] or closed_on.isoformat()),
        scope_units=None if scope["kind"] == "all" else sorted(u.unit_id for u in register),
        participated=list(cast),
        consented=[u for u, c in cast.items() if c == "agree"],
        tally=Tally(
            scope_area=binding.scope_area,
            scope_heads=binding.scope_heads,
            participating_area=binding.participating_area,
            participating_heads=binding.participating_heads,
            consenting_area=binding.consenting_area,
            consenting_heads=binding.consenting_heads,
            participation_met=binding.participation_met,
            consent_met=binding.consent_met,
        ),
        passed=counted.passed,
        closed_on=closed_on,
        effective_from=effective,
        principal=principal,
    )
