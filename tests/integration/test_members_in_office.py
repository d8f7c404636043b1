"""H15/H01: a committee credential acts only for a member of the complex's committee in office.

Every command a committee token can issue is tried with the credential of a member who never
sat on the committee (m9) and of one removed by a recorded change (m5): each is refused with
rule H15 and nothing is recorded, whether or not the token was revoked. The same command by a
member in office then goes through, so the refusal is about the member and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from ledger.account.entries import IncomeDetails
from ledger.application import Actor, Ledger
from ledger.errors import MemberNotInOffice
from tests.plugins.builders import (
    COMPANY,
    OPERATOR,
    World,
    elect,
    member_actor,
    members,
    register,
    world,
)
from tests.plugins.clock import TODAY
from tests.plugins.maintenance import AUTHORITY, CONTRACTOR, Funded, maintenance_vote, plan

# Rules of the commands, in memory (issue #13 item 6): the stores are tested where they matter
# (concurrency, edges, snapshots, outages, verify, stored events, read models, e2e);
# tests marked for both stores below read back what the store kept.
pytestmark = pytest.mark.stores("memory")


NEVER = member_actor("m9")  # was never on the committee
REMOVED = member_actor("m5")  # removed by a member change; the token still works at the edge
IN_OFFICE = member_actor("m1")
SUCCESSOR = member_actor("m1n")  # a member of the committee elected after the first


@dataclass
class Case:
    """A command, what it needs recorded first, and who in office may issue it."""

    prepare: Callable[[World], dict[str, Any]]
    act: Callable[[World, dict[str, Any], Actor], object]
    in_office: Actor = IN_OFFICE


def nothing(w: World) -> dict[str, Any]:
    return {}


def successor(w: World, *, seal: bool = False) -> UUID:
    """A new committee (m1n–m5n) elected five days ago and filed: the first is superseded."""
    committee_id = elect(
        w.ledger, w.complex_id, w.unit_ids, key_="successor",
        elected_on=TODAY - timedelta(days=5), team=members(5, tag="n"),
    )  # fmt: skip
    w.ledger.file_committee(
        committee_id, number="F2", authority="区住建局", filed_on=TODAY, actor=OPERATOR
    )
    if seal:
        w.ledger.seal_committee(committee_id, seal_number="S2", sealed_on=TODAY, actor=OPERATOR)
    return committee_id


def spending(w: World) -> dict[str, Any]:
    """Income, a cleaning decision, and m2's proposal waiting for a second signatory."""
    w.income(10_000_00, on=TODAY - timedelta(days=3))
    decision = w.decision("保洁", 5_000_00)
    theirs = w.propose(w.expenditure(1_000_00, authorisation=decision), by="m2")
    return {"decision": decision, "theirs": theirs}


def mine(w: World) -> dict[str, Any]:
    found = spending(w)
    found["mine"] = w.propose(w.expenditure(800_00, authorisation=found["decision"]))
    return found


def funded(w: World) -> dict[str, Any]:
    w.ledger.maintenance.record_deposits(
        w.complex_id, dict.fromkeys(w.unit_ids, 1_000_00), kind="first",
        on=TODAY - timedelta(days=30), reference="首次缴存", idempotency_key="first",
        actor=AUTHORITY,
    )  # fmt: skip
    return {"vote": maintenance_vote(Funded(w, {}), w.unit_ids[:4])}


def planned(w: World) -> dict[str, Any]:
    found = funded(w)
    receipt = w.ledger.maintenance.plan_project(
        w.complex_id, plan(w.unit_ids[:4], resolution_id=found["vote"]),
        idempotency_key="roof", actor=IN_OFFICE,
    )  # fmt: skip
    return {"project": UUID(receipt.id)}


def proposed(w: World) -> dict[str, Any]:
    """A payout proposed by a member in office, awaiting a second signatory (H06)."""
    found = planned(w)
    receipt = w.ledger.maintenance.propose_disbursement(
        found["project"], 1_000_00, payee=CONTRACTOR["name"], method="transfer", on=TODAY,
        reference="发票 No.1", idempotency_key="payout", actor=IN_OFFICE,
    )  # fmt: skip
    return {**found, "payout": receipt.id}


def key(w: World) -> str:
    return w.next_key("k")


CASES: dict[str, Case] = {
    "record_resolution": Case(nothing, lambda w, c, a: w.ledger.record_resolution(
        w.complex_id, idempotency_key=key(w), matter=9, purpose="更换门禁",
        amount_cap=60_000_00, period_from=TODAY, period_to=TODAY + timedelta(days=180),
        scope_units=None, participated=w.unit_ids, consented=w.unit_ids,
        closed_on=TODAY - timedelta(days=1), actor=a,
    )),
    "elect_committee": Case(
        lambda w: {"vote": w.ledger.record_resolution(
            w.complex_id, idempotency_key="re-election", matter=3, purpose="换届选举",
            amount_cap=None, period_from=TODAY - timedelta(days=3),
            period_to=TODAY - timedelta(days=3), scope_units=None, participated=w.unit_ids,
            consented=w.unit_ids, closed_on=TODAY - timedelta(days=3), actor=OPERATOR,
        ).id},
        lambda w, c, a: w.ledger.elect_committee(
            w.complex_id, election_resolution_id=UUID(c["vote"]),
            elected_on=TODAY - timedelta(days=3), term_end=TODAY + timedelta(days=1000),
            members=members(5, tag="n"), actor=a,
        ),
    ),
    "file_committee": Case(nothing, lambda w, c, a: w.ledger.file_committee(
        w.committee_id, number="F-2", authority="区住建局", filed_on=TODAY, actor=a,
    )),  # the change that removed m5 is filed again
    "seal_committee": Case(
        lambda w: {"committee": successor(w)},
        lambda w, c, a: w.ledger.seal_committee(
            c["committee"], seal_number="S2", sealed_on=TODAY, actor=a
        ),
        SUCCESSOR,
    ),
    "change_members": Case(nothing, lambda w, c, a: w.ledger.change_members(
        w.committee_id, added=members(6)[5:], removed=["m4"], changed_on=TODAY, actor=a,
    )),
    "record_decision": Case(nothing, lambda w, c, a: w.ledger.record_decision(
        w.committee_id, idempotency_key=key(w), purpose="绿化养护", amount_cap=3_000_00,
        decided_on=TODAY, approvers=["m1", "m2", "m3"], actor=a,
    )),
    "hand_over": Case(
        lambda w: {"committee": successor(w)},
        lambda w, c, a: w.ledger.hand_over(w.committee_id, on=TODAY, actor=a),
        SUCCESSOR,  # the committee in office receives the outgoing one's handover
    ),
    "dissolve_committee": Case(nothing, lambda w, c, a: w.ledger.dissolve_committee(
        w.committee_id, reason="业主大会决定解散", on=TODAY, actor=a,
    )),
    "open_account": Case(
        lambda w: {"committee": successor(w, seal=True)},
        lambda w, c, a: w.ledger.open_account(
            w.complex_id, bank="青岛银行", account_number="2", signatories=["m1n", "m2n"],
            opened_on=TODAY, actor=a,
        ),
        SUCCESSOR,
    ),
    "record_income": Case(nothing, lambda w, c, a: w.ledger.record_income(
        w.account_id, _income(), idempotency_key=key(w), actor=a,
    )),
    "propose_expenditure": Case(spending, lambda w, c, a: w.ledger.propose_expenditure(
        w.account_id, w.expenditure(500_00, authorisation=c["decision"]),
        idempotency_key=key(w), actor=a,
    )),
    "approve_expenditure": Case(spending, lambda w, c, a: w.ledger.approve_expenditure(
        w.account_id, c["theirs"], actor=a,
    )),
    "reject_expenditure": Case(spending, lambda w, c, a: w.ledger.reject_expenditure(
        w.account_id, c["theirs"], reason="报价偏高", actor=a,
    )),
    "withdraw_expenditure": Case(mine, lambda w, c, a: w.ledger.withdraw_expenditure(
        w.account_id, c["mine"], actor=a,
    )),
    "reverse_entry": Case(
        lambda w: {"income": w.income(300_00)},
        lambda w, c, a: w.ledger.reverse_entry(
            w.account_id, reverses=c["income"], reason="误记", value_date=TODAY,
            idempotency_key=key(w), actor=a,
        ),
    ),
    "close_account": Case(nothing, lambda w, c, a: w.ledger.close_account(
        w.account_id, successor_id=None, reason="账户撤销", actor=a,
    )),
    "publish_statement": Case(nothing, lambda w, c, a: w.ledger.publish_statement(
        w.complex_id, period="2026-10", through=0, content_hash="a" * 64, actor=a,
    )),
    "explain_alert": Case(
        lambda w: {"alert": uuid4()},
        lambda w, c, a: w.ledger.explain_alert(
            c["alert"], rule="A04", complex_id=w.complex_id, text="保洁合同首期款",
            evidence=["HT-2026-11"], actor=a,
        ),
    ),
    "fund.record_deposits": Case(nothing, lambda w, c, a: w.ledger.maintenance.record_deposits(
        w.complex_id, dict.fromkeys(w.unit_ids[:2], 500_00), kind="first", on=TODAY,
        reference="首次缴存", idempotency_key=key(w), actor=a,
    )),
    "fund.plan_project": Case(funded, lambda w, c, a: w.ledger.maintenance.plan_project(
        w.complex_id, plan(w.unit_ids[:4], resolution_id=c["vote"]),
        idempotency_key=key(w), actor=a,
    )),
    "fund.accept_project": Case(planned, lambda w, c, a: w.ledger.maintenance.accept_project(
        c["project"], on=TODAY, reference="竣工验收", actor=a,
    )),
    "fund.disclose_project": Case(planned, lambda w, c, a: w.ledger.maintenance.disclose_project(
        c["project"], on=TODAY, reference="公告栏", actor=a,
    )),
    "fund.propose_disbursement": Case(planned, lambda w, c, a: w.ledger.maintenance.propose_disbursement(
        c["project"], 1_000_00, payee=CONTRACTOR["name"], method="transfer", on=TODAY,
        reference="发票 No.1", idempotency_key=key(w), actor=a,
    )),
    "fund.approve_disbursement": Case(proposed, lambda w, c, a: w.ledger.maintenance.approve_disbursement(
        c["project"], c["payout"], actor=a,
    ), member_actor("m2")),  # the second signatory (m1 proposed it)
    "fund.reject_disbursement": Case(proposed, lambda w, c, a: w.ledger.maintenance.reject_disbursement(
        c["project"], c["payout"], reason="报价过高", actor=a,
    )),
    "fund.withdraw_disbursement": Case(
        proposed,
        lambda w, c, a: w.ledger.maintenance.withdraw_disbursement(c["project"], c["payout"], actor=a),
    ),
    "fund.publish_annual_statement": Case(
        funded,
        lambda w, c, a: w.ledger.maintenance.publish_annual_statement(
            w.complex_id, 2025, through=0, content_hash="a" * 64, actor=a
        ),
    ),
}  # fmt: skip


def _income() -> IncomeDetails:
    return IncomeDetails(category="parking", payer=COMPANY, amount=100_00, value_date=TODAY)


def head(ledger: Ledger) -> int:
    return ledger.recorder.max_notification_id() or 0


@pytest.mark.parametrize("who", [NEVER, REMOVED], ids=["never-a-member", "removed-member"])
@pytest.mark.parametrize("command", list(CASES))
def test_a_committee_command_needs_a_member_in_office(
    ledger: Ledger, command: str, who: Actor
) -> None:
    w = world(ledger)
    ledger.change_members(
        w.committee_id, added=[], removed=["m5"], changed_on=TODAY - timedelta(days=2),
        actor=OPERATOR,
    )  # fmt: skip
    case = CASES[command]
    context = case.prepare(w)
    before = head(ledger)
    with pytest.raises(MemberNotInOffice) as refused:
        case.act(w, context, who)
    assert refused.value.rule == "H15"
    assert str(who.member_id) in refused.value.detail
    assert head(ledger) == before  # nothing recorded, not even a refused attempt
    case.act(w, context, case.in_office)
    assert head(ledger) > before


def test_a_member_removed_loses_every_power_at_once(ledger: Ledger) -> None:
    """m5 records income, is removed by a change, and the next income is refused."""
    w = world(ledger)
    ledger.record_income(w.account_id, _income(), idempotency_key="before", actor=REMOVED)
    ledger.change_members(
        w.committee_id, added=[], removed=["m5"], changed_on=TODAY, actor=member_actor("m1")
    )
    with pytest.raises(MemberNotInOffice, match="m5"):
        ledger.record_income(w.account_id, _income(), idempotency_key="after", actor=REMOVED)


def test_members_of_a_dissolved_committee_hold_no_power(ledger: Ledger) -> None:
    w = world(ledger)
    ledger.dissolve_committee(w.committee_id, reason="解散", on=TODAY, actor=OPERATOR)
    with pytest.raises(MemberNotInOffice, match="dissolved"):
        ledger.record_income(w.account_id, _income(), idempotency_key="k", actor=IN_OFFICE)


def test_no_committee_yet_means_no_committee_credential_acts(ledger: Ledger) -> None:
    complex_id, unit_ids = register(ledger, "QD-NEW")
    with pytest.raises(MemberNotInOffice, match="no committee"):
        ledger.record_resolution(
            complex_id, idempotency_key="r", matter=3, purpose="选举业主委员会",
            amount_cap=None, period_from=TODAY, period_to=TODAY, scope_units=None,
            participated=unit_ids, consented=unit_ids, closed_on=TODAY, actor=IN_OFFICE,
        )  # fmt: skip
