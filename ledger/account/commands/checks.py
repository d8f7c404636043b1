"""What an account command checks before its aggregate does: the account's opening (H01), the
authority a payment cites (H05), and the request a fingerprint is taken of."""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from typing import Any
from uuid import UUID

from ledger.account.account import CommonFundAccount
from ledger.account.entries import Authority, ExpenditureDetails, IncomeDetails
from ledger.committees.committee import Committee
from ledger.committees.resolution import Resolution
from ledger.dates import parse_date
from ledger.errors import (
    AccountOpeningRefused,
    AuthorisationMissing,
    CommitteeNotSealed,
    InvalidCommand,
    NotFound,
)
from ledger.personal import PersonalData, blind_party
from ledger.unit_of_work import UnitOfWork


def authority(
    work: UnitOfWork, account: CommonFundAccount, kind: str, authorisation_id: str
) -> Authority:
    """The resolution or committee decision a payment cites, read fresh (H05)."""
    if kind == "resolution":
        try:
            resolution_uuid = UUID(authorisation_id)
        except ValueError:
            raise NotFound(f"no resolution {authorisation_id}") from None
        resolution = work.fresh(resolution_uuid, Resolution)
        if resolution.complex_id != account.complex_id:
            raise NotFound(f"resolution {authorisation_id} is not of this complex")
        if resolution.scope_units is not None:
            raise AuthorisationMissing(
                f"resolution {authorisation_id} was put to some units only; common funds are"
                " spent on a resolution of the whole assembly"
            )
        if resolution.amount_cap is None:
            raise AuthorisationMissing(
                f"resolution {authorisation_id} sets no amount cap; a resolution authorises"
                " spending up to its cap"
            )
        return Authority(
            kind="resolution",
            id=authorisation_id,
            # passed, past its objection period and not revoked (issue #16)
            valid=resolution.in_force(work.today()),
            purpose_key=resolution.purpose_key,
            amount_cap=resolution.amount_cap,
            valid_from=parse_date(resolution.period_from),
            valid_to=parse_date(resolution.period_to),
            category=resolution.budget_category,
            not_valid_because=""
            if resolution.in_force(work.today()) or not resolution.passed
            else resolution.why_not_in_force(work.today()),
        )
    if kind == "decision":
        committee = work.fresh(UUID(account.committee_id), Committee)
        decision = committee.decisions.get(authorisation_id)
        if decision is None:
            raise NotFound(f"no decision {authorisation_id} of committee {committee.id}")
        return Authority(
            kind="decision",
            id=authorisation_id,
            valid=decision["approved"],
            purpose_key=decision["purpose_key"],
            amount_cap=decision["amount_cap"],
            valid_from=parse_date(decision["decided_on"]),
            valid_to=parse_date(committee.term_end),
        )
    raise InvalidCommand(f"authorisation.kind: {kind!r} is not resolution or decision")


def check_opening(
    committee: Committee, signatories: list[str], opened_on: date, today: date
) -> None:
    """H01: a filed and sealed committee in its term, with two member signatories."""
    if committee.status == "elected":
        raise CommitteeNotSealed(
            f"committee {committee.id} is not filed or sealed: record the filing and the seal"
            " before opening the account"
        )
    if committee.status == "filed":
        raise CommitteeNotSealed(
            f"committee {committee.id} is not sealed: record the seal before opening the account"
        )
    if committee.status != "sealed":
        raise AccountOpeningRefused(f"committee {committee.id} is {committee.status}")
    if committee.term_expired(today) or committee.term_expired(opened_on):
        raise AccountOpeningRefused(
            f"the term of committee {committee.id} ended on {committee.term_end}"
        )
    sealed_on = parse_date(committee.sealed_on or committee.elected_on)
    if opened_on > today or opened_on < sealed_on:
        raise InvalidCommand(
            f"opened_on: the account opens after the seal ({sealed_on.isoformat()}) and not"
            " later than today"
        )
    named = set(signatories)
    if len(named) < 2:
        raise AccountOpeningRefused("name at least two signatories from the committee")
    outsiders = sorted(named - committee.members.keys())
    if outsiders:
        raise AccountOpeningRefused(
            f"signatories must be members of committee {committee.id}; not members: {outsiders}"
        )


def request_body(
    details: IncomeDetails | ExpenditureDetails, personal: PersonalData
) -> dict[str, Any]:
    """The request's fields for its fingerprint (shallow: ``asdict`` deep-copies, and costs), a
    person's name blinded (the fingerprint is kept in the event and must outlive an erasure)."""
    body = {f.name: getattr(details, f.name) for f in fields(details)}
    if not body.get("bank_reference"):
        # a request without one fingerprints as it did before the field came (issue #14), so a
        # retry across the upgrade still replays
        body.pop("bank_reference", None)
    for party in ("payer", "payee"):
        if party in body:
            body[party] = blind_party(personal, body[party])
    return body
