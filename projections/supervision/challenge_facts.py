"""Resolutions under challenge in court (issue #16, SPC interpretation art. 12), and V06.

A regulator records a court's acceptance of a suit (``Resolution.ChallengeFiled``); the suit is
pending until dismissed or withdrawn (``ChallengeEnded``) or the resolution revoked
(``Revoked``). ``sup_challenges`` holds the pending ones, and the view's memory mirrors it.
Spending that cites a resolution while its suit is pending raises V06, judged in log order: a
payment booked, a repair project planned or a payout booked after the filing and before its end.
"""

from __future__ import annotations

from ledger.account import CommonFundAccount as Account
from ledger.account.entries import BookedLine
from ledger.committees.resolution import Resolution
from ledger.maintenance import RepairProject as Project
from projections.statements.content import yuan
from projections.supervision import voting_rules
from projections.supervision.facts import Step
from projections.supervision.memory import Challenged


def _pending(s: Step, resolution_id: str) -> Challenged | None:
    if resolution_id not in s.memory.challenges:
        s.memory.load_challenges(s.tx, s.g, [resolution_id])
    return s.memory.challenges[resolution_id]


def filed(s: Step, position: int, e: Resolution.ChallengeFiled) -> None:
    resolution_id = str(e.originator_id)
    suit = Challenged(s.owner(resolution_id)[0], e.court, e.case_number, e.filed_on)
    s.run(
        "INSERT INTO sup_challenges (generation, resolution_id, complex_id, court, case_number,"
        " filed_on, position) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        resolution_id, suit.complex_id, suit.court, suit.case_number, suit.filed_on, position,
    )  # fmt: skip
    s.memory.challenges[resolution_id] = suit


def ended(s: Step, position: int, e: Resolution.ChallengeEnded | Resolution.Revoked) -> None:
    """Dismissed, withdrawn, or the resolution revoked: no suit is pending any more."""
    resolution_id = str(e.originator_id)
    s.run("DELETE FROM sup_challenges WHERE generation = ? AND resolution_id = ?", resolution_id)
    s.memory.challenges[resolution_id] = None


def booked(s: Step, position: int, e: Account.ExpenditureBooked, line: BookedLine) -> None:
    """V06 on a payment of the common account that cites a resolution (H05)."""
    if line["authorisation_kind"] != "resolution":
        return
    suit = _pending(s, line["authorisation_id"])
    if suit is None:
        return
    account_id = str(e.originator_id)
    s.found(
        position,
        voting_rules.under_challenge(
            s.catalog, suit, line["authorisation_id"], ("account", account_id),
            e.expenditure_id, e.value_date,
            {"account_id": account_id, "entries": [e.expenditure_id], "amount": yuan(e.amount)},
            (f"一笔{yuan(e.amount)}元的付款", f"A payment of {yuan(e.amount)}"),
        ),
    )  # fmt: skip


def planned(s: Step, position: int, e: Project.Planned) -> None:
    """V06 on a repair project planned on a resolution of matter 5 (H08)."""
    suit = _pending(s, e.resolution_id) if e.resolution_id else None
    if suit is None or e.resolution_id is None:
        return
    project_id = str(e.originator_id)
    s.found(
        position,
        voting_rules.under_challenge(
            s.catalog, suit, e.resolution_id, ("project", project_id), f"planned/{project_id}",
            e.value_date, {"project_id": project_id, "budget": yuan(e.budget)},
            (f"维修项目“{e.title}”", f"The repair project {e.title!r}"),
        ),
    )  # fmt: skip


def disbursed(s: Step, position: int, e: Project.Disbursed) -> None:
    """V06 on a payout of a repair project whose resolution is under challenge (H08)."""
    project_id = str(e.originator_id)
    rows = s.run(
        "SELECT resolution_id FROM sup_projects WHERE generation = ? AND project_id = ?",
        project_id,
    )
    resolution_id = str(rows[0][0]) if rows else ""
    suit = _pending(s, resolution_id) if resolution_id else None
    if suit is None:
        return
    s.found(
        position,
        voting_rules.under_challenge(
            s.catalog, suit, resolution_id, ("project", project_id), e.disbursement_id,
            e.value_date,
            {"project_id": project_id, "disbursement_id": e.disbursement_id,
             "amount": yuan(e.amount)},
            (f"一笔{yuan(e.amount)}元的维修资金支付", f"A maintenance-fund payout of {yuan(e.amount)}"),
        ),
    )  # fmt: skip
