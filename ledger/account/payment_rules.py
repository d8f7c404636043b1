"""The rules a payment must pass before it is booked: H05 (authority), H06 (maker–checker), H07 (cash).

Pure functions over the facts they need; the account (which owns the balance
and the spending counters) calls them, and H02/H03 stay with it. The maintenance
fund's payouts use the same H06 checks (ledger/maintenance/commands/projects.py).
"""

from __future__ import annotations

from datetime import date

from ledger.account.entries import Authority, Party, Proposal
from ledger.committees.committee import Committee
from ledger.errors import AuthorisationMissing, CashLimitExceeded, MakerCheckerViolation
from ledger.personal import same_person
from ledger.policy import Policy


def check_cash(proposal: Proposal, policy: Policy) -> None:
    """H07: a single cash payment is at most the cash limit (1,000.00 by default)."""
    amount = proposal["amount"]
    if proposal["method"] == "cash" and amount > policy.cash_single_payment_limit:
        raise CashLimitExceeded(
            f"a single cash payment is at most {policy.cash_single_payment_limit} fen;"
            f" {amount} fen must be paid by transfer"
        )


def check_authority(
    proposal: Proposal,
    authority: Authority,
    policy: Policy,
    *,
    spent_this_year: int,
    used_of_authority: int,
) -> None:
    """H05: above the committee's authority a covering resolution, else a majority decision.

    Covering: passed or approved, of the payment's category (a budget) or purpose (the rest),
    the payment dated in its period, and within its cap with what it already covered.

    ``spent_this_year`` is what was booked for the same purpose in the value
    date's calendar year; ``used_of_authority`` what the cited authority has
    already covered.
    """
    amount = proposal["amount"]
    value_date = date.fromisoformat(proposal["value_date"])
    needs_resolution = (
        amount > policy.committee_single_payment_limit
        or spent_this_year + amount > policy.committee_purpose_yearly_limit
    )
    if needs_resolution and authority.kind != "resolution":
        raise AuthorisationMissing(
            f"{amount} fen (with {spent_this_year} fen already paid for this purpose this"
            " year) is above the committee's authority: cite a passed resolution of the"
            " owners' assembly whose budget (category, cap and period) covers it"
        )
    what = "resolution" if authority.kind == "resolution" else "committee decision"
    if not authority.valid:
        state = "not passed" if authority.kind == "resolution" else "not approved by a majority"
        raise AuthorisationMissing(
            f"{what} {authority.id} {authority.not_valid_because or 'is ' + state}"
        )
    if authority.category is not None:
        if authority.category != proposal["category"]:
            raise AuthorisationMissing(
                f"{what} {authority.id} budgets {authority.category}, not {proposal['category']}"
                " spending"
            )
    elif authority.purpose_key != proposal["purpose_key"]:
        raise AuthorisationMissing(
            f"{what} {authority.id} is for another purpose than {proposal['purpose']!r}"
        )
    if not authority.valid_from <= value_date <= authority.valid_to:
        raise AuthorisationMissing(
            f"{what} {authority.id} covers {authority.valid_from.isoformat()} to"
            f" {authority.valid_to.isoformat()}, not a payment dated {value_date.isoformat()}"
        )
    if authority.amount_cap is not None and used_of_authority + amount > authority.amount_cap:
        raise AuthorisationMissing(
            f"{what} {authority.id} caps spending at {authority.amount_cap} fen;"
            f" {used_of_authority} fen is used and {amount} fen more would exceed it"
        )


def check_approver(
    member_id: str, committee: Committee, signatories: list[str], *, of: str = "the account"
) -> None:
    """H06: an approver is a current member of the committee and a signatory (of the account,
    or for the maintenance fund of the committee)."""
    if member_id not in committee.members:
        raise MakerCheckerViolation(
            f"{member_id} is not a member in office of committee {committee.id}"
        )
    if member_id not in signatories:
        raise MakerCheckerViolation(f"{member_id} is not a signatory of {of}")


def check_payee_not_approver(payee: Party, committee: Committee, member_id: str) -> None:
    """H06: the payee is never one of the approvers (same identity key, or a person of the same
    name: compared by keyed hashes, which outlive an erasure).

    A maintenance-fund contractor is an organisation: it matches a member by the identity key of
    its proprietor or legal representative, when the project names one.
    """
    member = committee.members.get(member_id)
    if member is None:
        return
    if same_person(payee, member):
        raise MakerCheckerViolation(
            f"the payee is {member_id}, who cannot propose or approve a payment to themselves"
        )


def approvals_as_proposed(proposer: str, approvals: list[str]) -> list[str]:
    """The approvals a proposing command itself made (H06: the proposer's, when a signatory,
    which is then the first), for a replay that answers as the request left it (issue #12)."""
    return approvals[:1] if approvals[:1] == [proposer] else []
