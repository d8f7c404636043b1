"""The owners' assembly by ballot over HTTP (issue #16), from the plan to the repair it pays for."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from tests.e2e.maintenance_world import CONTRACTOR, checker, fund
from tests.e2e.voting_world import CST, SCAN, matter_body, owner_token
from tests.e2e.world import Builder, Side
from tests.plugins.api import Api
from tests.plugins.clock import TODAY

AFFECTED = ["1-001", "1-002", "1-003", "1-004", "1-005", "1-006"]
OPENS = datetime(TODAY.year, TODAY.month, TODAY.day, 9, 0, tzinfo=CST) + timedelta(days=15)
CLOSES = OPENS + timedelta(days=5)


def at(api: Api, moment: datetime) -> None:
    api.clock.now = moment


def repair_matter() -> dict[str, Any]:
    return matter_body(
        5,
        question="是否同意使用专项维修资金维修1号楼屋面？",
        scope={"kind": "units", "units": AFFECTED},
        purpose="使用专项维修资金维修屋面",
        amount_cap="100000.00",
        period_from=TODAY.isoformat(),
        period_to=(TODAY + timedelta(days=200)).isoformat(),
    )


def project(resolution_id: str, published_on: str) -> dict[str, Any]:
    return {
        "title": "1号楼屋面防水维修",
        "items": [{"description": "防水卷材及人工", "amount": "1200.00"}],
        "budget": "1200.00",
        "contract_sum": "1200.00",
        "contractor": CONTRACTOR,
        "affected_units": AFFECTED,
        "plan_published_on": published_on,
        "resolution_id": resolution_id,
    }


def test_the_whole_assembly_from_the_plan_to_the_repair_it_pays_for(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    m1 = a.tokens["m1"]
    owners = {i: owner_token(b, a, i) for i in range(1, 7)}
    # announced today with the plan public, voting in 15 days (a shorter notice is refused)
    body = {
        "title": "2026年第二次业主大会",
        "matters": [repair_matter()],
        "notice_on": TODAY.isoformat(),
        "opens_at": OPENS.isoformat(),
        "closes_at": CLOSES.isoformat(),
    }
    early = {**body, "opens_at": (OPENS - timedelta(days=1)).isoformat()}
    refused = api.call("POST", f"/v1/complexes/{a.complex_id}/ballots", m1, expect=422, json=early)
    assert "at least 15 days" in refused["detail"]
    ballot = b.post(f"/v1/complexes/{a.complex_id}/ballots", m1, body)
    bid = ballot["id"]
    assert (ballot["state"], ballot["matters"][0]["scope"]) == ("announced", "units")
    api.call(
        "POST", f"/v1/ballots/{bid}/votes", owners[1], expect=422, json={"choices": {"1": "agree"}}
    )  # fmt: skip  (not open yet)

    at(api, OPENS + timedelta(minutes=5))
    opened = b.post(f"/v1/ballots/{bid}/open", m1, None, expect=200)
    assert opened["matters"][0]["units_in_scope"] == 6
    seen = api.call("GET", f"/v1/ballots/{bid}", owners[1], expect=200)  # served by login
    assert seen["state"] == "open"
    receipts: dict[int, str] = {}
    for i in range(1, 6):
        cast = b.post(f"/v1/ballots/{bid}/votes", owners[i], {"choices": {"1": "agree"}})
        assert [v["unit"] for v in cast["votes"]] == [f"1-00{i}"]
        receipts[i] = cast["votes"][0]["receipt"]
    first = b.post(f"/v1/ballots/{bid}/votes", owners[6], {"choices": {"1": "disagree"}})
    quorum = api.call("GET", f"/v1/ballots/{bid}/quorum", m1, expect=200)["matters"][0]
    assert quorum["without_deemed"]["participation_met"]
    assert quorum["without_deemed"]["consent_met"]  # 5 of 6 agree
    assert "choice" not in str(quorum)  # counts only: no unit's choice is shown
    api.clock.now += timedelta(hours=1)
    changed = b.post(f"/v1/ballots/{bid}/votes", owners[6], {"choices": {"1": "agree"}})
    mine = api.call("GET", f"/v1/ballots/{bid}/votes/mine", owners[6], expect=200)
    assert [v["choice"] for v in mine] == ["disagree", "agree"]  # every change kept
    api.call("GET", f"/v1/public/ballots/{bid}", None, expect=404)  # public once counted

    at(api, CLOSES + timedelta(minutes=1))
    late = api.call(
        "POST",
        f"/v1/ballots/{bid}/votes",
        owners[1],
        expect=422,
        json={"choices": {"1": "disagree"}},
    )
    assert "closed" in late["detail"]
    closed = b.post(f"/v1/ballots/{bid}/close", m1, None, expect=200)
    result = closed["results"][0]
    assert (closed["state"], result["passed"], result["votes"]) == ("closed", True, 7)
    _check_published(
        api,
        bid,
        closed,
        [*receipts.values(), changed["votes"][0]["receipt"]],
        superseded=first["votes"][0]["receipt"],
    )

    _repair_after_objection(api, b, a, closed)


def _repair_after_objection(api: Api, b: Builder, a: Side, closed: dict[str, Any]) -> None:
    """Refused in the objection period; planned and paid once the resolution is in force."""
    result = closed["results"][0]
    m1 = a.tokens["m1"]
    # the objection period: the resolution authorises nothing yet
    resolution_id = result["resolution_id"]
    resolution = api.call("GET", f"/v1/resolutions/{resolution_id}", m1, expect=200)
    assert resolution["outcome"] == "passed"
    api.clock.now += timedelta(days=1)
    plan = project(resolution_id, TODAY.isoformat())
    path = f"/v1/complexes/{a.complex_id}/maintenance-fund/projects"
    waiting = api.call("POST", path, m1, expect=422, json=plan, key="early")
    assert "objection period" in waiting["detail"]

    at(api, datetime.fromisoformat(closed["effective_from"] + "T10:00:00+08:00"))
    m1 = b.issue(role="committee", complex_id=a.complex_id, member_id="m1")
    a.tokens.pop("m2", None)
    made = api.call("POST", path, m1, expect=201, json=plan, key="in-force")
    payout = {
        "amount": "840.00",
        "payee": CONTRACTOR["name"],
        "method": "transfer",
        "value_date": closed["effective_from"],
        "reference": "发票 No.00231",
    }
    pay_path = f"/v1/maintenance-projects/{made['id']}/disbursements"
    proposed = b.post(pay_path, m1, payout)
    paid = b.post(f"{pay_path}/{proposed['id']}/approvals", checker(b, a), None, expect=200)
    assert (paid["status"], paid["units"]) == ("booked", 6)


def _check_published(
    api: Api, bid: str, closed: dict[str, Any], counted: list[str], *, superseded: str
) -> None:
    """The published result, the ballot list that recounts it and the receipts it proves."""
    public = api.call("GET", f"/v1/public/ballots/{bid}", None, expect=200)
    assert public["results"] == closed["results"]
    listed = api.call("GET", f"/v1/public/ballots/{bid}/list", None, expect=200)
    assert listed["root"] == closed["results"][0]["root"]
    assert Counter(e["choice"] for e in listed["entries"] if e["counted"]) == {"agree": 6}
    assert {e["building"] for e in listed["entries"]} == {"1"}  # units masked to buildings
    assert "1-00" not in str(listed)
    for receipt_ in counted:
        check = api.call("GET", f"/v1/public/ballots/{bid}/receipts/{receipt_}", None, expect=200)
        assert (check["included"], check["counted"]) == (True, True)
    check = api.call("GET", f"/v1/public/ballots/{bid}/receipts/{superseded}", None, expect=200)
    assert (check["included"], check["counted"]) == (True, False)
    api.call("GET", f"/v1/public/ballots/{bid}/receipts/{SCAN}", None, expect=404)


def test_a_paper_ballot_is_entered_with_its_scan_and_both_votes_stay_visible(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    body = {
        "title": "业主大会",
        "matters": [matter_body()],
        "notice_on": TODAY.isoformat(),
        "opens_at": OPENS.isoformat(),
        "closes_at": CLOSES.isoformat(),
    }
    bid = b.post(f"/v1/complexes/{a.complex_id}/ballots", a.tokens["m1"], body)["id"]
    at(api, OPENS + timedelta(minutes=5))
    b.post(f"/v1/ballots/{bid}/open", a.tokens["m1"], None, expect=200)
    b.post(f"/v1/ballots/{bid}/votes", a.tokens["owner"], {"choices": {"1": "agree"}})
    paper = {
        "unit": "1-001",
        "choices": {"1": "disagree"},
        "scan": SCAN,
        "signed_at": (OPENS + timedelta(hours=2)).isoformat(),
    }
    entered = b.post(f"/v1/ballots/{bid}/paper-ballots", a.tokens["m1"], paper)
    assert entered["votes"][0]["channel"] == "paper"
    bad = {**paper, "signed_at": "2026-12-11T09:00"}  # no offset
    api.call("POST", f"/v1/ballots/{bid}/paper-ballots", a.tokens["m1"], expect=422, json=bad)
    mine = api.call("GET", f"/v1/ballots/{bid}/votes/mine", a.tokens["owner"], expect=200)
    assert [(v["channel"], v["choice"]) for v in mine] == [
        ("electronic", "agree"),
        ("paper", "disagree"),
    ]
    count = api.call("GET", f"/v1/ballots/{bid}/quorum", a.tokens["m1"], expect=200)
    assert count["matters"][0]["without_deemed"]["consenting_heads"] == 0  # the paper counts


def test_owner_codes_are_issued_for_the_register_and_each_works_once(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    api.call(
        "PUT",
        f"/v1/complexes/{a.complex_id}/units/1-012/delivery",
        api.operator,
        expect=200,
        json={"delivered": False},
    )
    body = {
        "title": "业主大会",
        "matters": [matter_body()],
        "notice_on": TODAY.isoformat(),
        "opens_at": OPENS.isoformat(),
        "closes_at": CLOSES.isoformat(),
    }
    bid = b.post(f"/v1/complexes/{a.complex_id}/ballots", a.tokens["m1"], body)["id"]
    at(api, OPENS + timedelta(minutes=5))
    b.post(f"/v1/ballots/{bid}/open", a.tokens["m1"], None, expect=200)
    made = api.client.post(
        f"/v1/ballots/{bid}/owner-codes", headers={"Authorization": f"Bearer {a.tokens['m1']}"}
    )
    assert made.status_code == 201
    assert made.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(made.text)))
    assert len(rows) == 12  # one per owner identity
    assert {r["delivered"] for r in rows if r["units"] == "1-012"} == {"no"}
    mine = next(r for r in rows if r["units"] == "1-003")
    issued = api.call(
        "POST", "/v1/owner-codes/exchange", None, expect=201, json={"code": mine["code"].lower()}
    )
    assert (issued["role"], issued["complex_id"]) == ("owner", a.complex_id)
    cast = b.post(f"/v1/ballots/{bid}/votes", issued["token"], {"choices": {"1": "agree"}})
    assert [v["unit"] for v in cast["votes"]] == ["1-003"]
    again = api.call(
        "POST", "/v1/owner-codes/exchange", None, expect=401, json={"code": mine["code"]}
    )
    assert "already used" in again["detail"]
    api.call("POST", "/v1/owner-codes/exchange", None, expect=422, json={"code": "x"})
