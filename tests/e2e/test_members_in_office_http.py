"""H15/H01 over HTTP: a committee token of a member not in office is refused on every route.

Complex A's committee token for m9 (never a member) and for m5 (removed by a member change the
regulator recorded; the token was issued before and never revoked) call every route a member
in office may write to. Each answers 403 `member-not-in-office` with rule H15, and the ledger
records nothing (its head stays where it was: not even a refused payment attempt). The route
list is the authorization matrix's own, so a new committee route without a call here fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e import maintenance_world, voting_world
from tests.e2e.alerting import round_payment
from tests.e2e.test_authorization import (
    ACCOUNT,
    COMMITTEE,
    COMPLEX,
    EXPENDITURE,
    FUND,
    MATRIX,
    PAYOUT,
    PRINCIPALS,
    PROJECT,
)
from tests.e2e.world import (
    Builder,
    Side,
    day,
    election_body,
    expenditure_body,
    income_body,
    member_rows,
)
from tests.plugins.api import Api
from tests.plugins.builders import key

BALLOT = "/v1/ballots/{ballot_id}"
# (method, path template) -> the body to send, made once the world exists (all valid)
Call = Callable[[Builder, Side], Any]
CALLS: dict[tuple[str, str], Call] = {
    ("POST", COMPLEX + "/committees"): lambda b, a: {
        "election_resolution_id": b.post(
            f"/v1/complexes/{a.complex_id}/resolutions", b.regulators[a.district],
            election_body(a.unit_ids, day(-3)),
        )["id"],
        "elected_on": day(-3), "term_end": day(1000), "members": member_rows("新"),
    },
    ("POST", COMMITTEE + "/filing"): lambda b, a: {
        "number": "备〔2026〕100号", "authority": "区住房和城乡建设局", "filed_on": day(),
    },
    ("POST", COMMITTEE + "/seal"): lambda b, a: {"seal_number": "3702029999", "sealed_on": day()},
    ("POST", COMMITTEE + "/members"): lambda b, a: {
        "added": [], "removed": ["m4"], "changed_on": day(),
    },
    ("POST", COMMITTEE + "/handover"): lambda b, a: {"handed_over_on": day()},
    ("POST", COMMITTEE + "/dissolution"): lambda b, a: {
        "reason": "业主大会决定解散", "dissolved_on": day(),
    },
    ("POST", COMMITTEE + "/decisions"): lambda b, a: {
        "purpose": "绿化养护", "amount_cap": "3000.00", "decided_on": day(),
        "approvers": ["m1", "m2", "m3"],
    },
    ("POST", COMPLEX + "/resolutions"): lambda b, a: {
        "matter": 9, "purpose": "更换单元门禁系统", "amount_cap": "60000.00",
        "period_from": day(), "period_to": day(180), "participated": a.unit_ids,
        "consented": a.unit_ids, "closed_on": day(-1),
    },
    ("POST", COMPLEX + "/account"): lambda b, a: {
        "bank": "青岛银行", "account_number": "6228480087654321",
        "signatories": ["m1", "m2", "m3"], "opened_on": day(-1),
    },
    ("POST", ACCOUNT + "/income"): lambda b, a: income_body("99.00"),
    ("POST", ACCOUNT + "/expenditures"): lambda b, a: expenditure_body(a.decision_id, "300.00"),
    ("POST", EXPENDITURE + "/approvals"): lambda b, a: None,
    ("POST", EXPENDITURE + "/rejection"): lambda b, a: {"reason": "报价高于市场价"},
    ("DELETE", EXPENDITURE): lambda b, a: None,
    ("POST", ACCOUNT + "/reversals"): lambda b, a: {
        "reverses": a.income_id, "reason": "金额录入错误", "value_date": day(),
    },
    ("POST", ACCOUNT + "/closure"): lambda b, a: {"reason": "测试关闭"},
    ("POST", COMPLEX + "/statements/{period}/publication"): lambda b, a: None,
    ("POST", FUND + "/deposits"): lambda b, a: maintenance_world.deposits_body(a.unit_ids[:2]),
    ("POST", FUND + "/projects"): lambda b, a: maintenance_world.project_body(
        a.unit_ids[:4], a.tokens["vote"]
    ),
    ("POST", PROJECT + "/acceptance"): lambda b, a: {"accepted_on": day(), "reference": "验收"},
    ("POST", PROJECT + "/disclosure"): lambda b, a: {"disclosed_on": day(), "reference": "公告"},
    ("POST", PROJECT + "/disbursements"): lambda b, a: maintenance_world.disbursement_body("100.00"),
    ("POST", PAYOUT + "/approvals"): lambda b, a: None,
    ("POST", PAYOUT + "/rejection"): lambda b, a: {"reason": "报价高于市场价"},
    ("DELETE", PAYOUT): lambda b, a: None,
    ("POST", FUND + "/{year}/publication"): lambda b, a: None,
    ("POST", ACCOUNT + "/reconciliation/links"): lambda b, a: {
        "bank_lines": ["QD-1"], "entries": [a.income_id], "reason": "合并存入",
    },
    ("DELETE", ACCOUNT + "/reconciliation/links/{link_id}"): lambda b, a: None,
    ("POST", "/v1/alerts/{alert_id}/explanations"): lambda b, a: {
        "text": "保洁合同首期款", "evidence": ["HT-2026-11"],
    },
    ("POST", COMPLEX + "/objection-contact"): lambda b, a: {"contact": "业委会办公室 0532-8888"},
    ("POST", COMPLEX + "/ballots"): lambda b, a: voting_world.ballot_body(b.api.clock()),
    ("POST", BALLOT + "/open"): lambda b, a: None,
    ("POST", BALLOT + "/deliveries"): lambda b, a: {
        "units": [a.unit_ids[3]], "evidence": voting_world.SCAN,
    },
    ("POST", BALLOT + "/paper-ballots"): lambda b, a: {
        "unit": a.unit_ids[2], "choices": {"1": "agree"}, "scan": voting_world.SCAN,
        "signed_at": b.api.clock().isoformat(),
    },
    ("POST", BALLOT + "/owner-codes"): lambda b, a: None,
    ("POST", BALLOT + "/close"): lambda b, a: None,
}  # fmt: skip


def committee_writes() -> set[tuple[str, str]]:
    """The matrix's routes where A's member m1 may change state and a caller without any
    credential may not (those take no committee credential: a code's exchange, a logout)."""
    m1, anyone = PRINCIPALS.index("m1"), PRINCIPALS.index("none")
    return {
        route
        for route, row in MATRIX.items()
        if route[0] in ("POST", "DELETE", "PUT", "PATCH")
        and 200 <= int(row.statuses.split()[m1]) < 300
        and not 200 <= int(row.statuses.split()[anyone]) < 300
    }


def test_every_committee_write_has_a_call_here() -> None:
    assert set(CALLS) == committee_writes()


def a_world(b: Builder) -> Side:
    """A with spending, a funded maintenance fund with a voted project, and an A04 alert."""
    a = b.side("370202")
    a.tokens["alert"] = round_payment(b, a)
    maintenance_world.funded_once(b, a)
    vote = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions", b.regulators[a.district],
        {"matter": 5, "purpose": "维修屋面", "amount_cap": "5000.00", "period_from": day(-25),
         "period_to": day(100), "scope_units": a.unit_ids[:4], "participated": a.unit_ids[:4],
         "consented": a.unit_ids[:4], "closed_on": day(-10)},
    )  # fmt: skip
    a.tokens["vote"] = str(vote["id"])
    project = b.post(
        f"/v1/complexes/{a.complex_id}/maintenance-fund/projects", a.tokens["m1"],
        maintenance_world.project_body(a.unit_ids[:4], str(vote["id"]), budget="1000.00"),
    )  # fmt: skip
    a.tokens["project"] = str(project["id"])
    payout = b.post(  # proposed by m2: awaiting a second signatory, whom m1 would be
        f"/v1/maintenance-projects/{project['id']}/disbursements", maintenance_world.checker(b, a),
        maintenance_world.disbursement_body("100.00"),
    )  # fmt: skip
    a.tokens["payout"] = str(payout["id"])
    a.tokens["ballot"] = voting_world.announce(b, a)
    maintenance_world.settle(b)
    return a


def head(b: Builder) -> int:
    services: Any = b.api.client.app.state.services  # type: ignore[attr-defined]
    return int(services.ledger.recorder.max_notification_id() or 0)


def test_a_member_not_in_office_is_refused_everywhere_and_nothing_is_recorded(api: Api) -> None:
    b = Builder(api)
    a = a_world(b)
    removed = b.issue(role="committee", complex_id=a.complex_id, member_id="m5")
    never = b.issue(role="committee", complex_id=a.complex_id, member_id="m9")
    b.post(
        f"/v1/committees/{a.committee_id}/members", b.regulators[a.district],
        {"added": [{"member_id": "m6", "name": "委员6", "identity_key": key("member-6"),
                    "role": "member", "signatory": False}],
         "removed": ["m5"], "changed_on": day()},
        expect=200,
    )  # fmt: skip
    ids = {
        "complex_id": a.complex_id, "committee_id": a.committee_id, "account_id": a.account_id,
        "expenditure_id": a.theirs, "period": "2026-10", "year": "2025",
        "project_id": a.tokens["project"], "alert_id": a.tokens["alert"],
        "disbursement_id": a.tokens["payout"],
        "link_id": "link-0?reason=撤销",  # an unlink says why in its query
        "ballot_id": a.tokens["ballot"],
    }  # fmt: skip
    for (method, template), make in CALLS.items():
        body = make(b, a)
        path = template.format(**ids)
        before = head(b)
        for who, token in (("never", never), ("removed", removed)):
            response = api.client.request(
                method, path, json=body,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": b.fresh(who)},
            )  # fmt: skip
            where = (method, path, who, response.text)
            assert response.status_code == 403, where
            problem = response.json()
            assert problem["type"] == "/problems/member-not-in-office", where
            assert problem["rule"] == "H15", where
        assert head(b) == before, (method, path)
