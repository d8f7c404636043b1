"""Alerts over HTTP (issue #5): filters, pagination, scopes (H15), the lifecycle, snoozes.

Alerts are raised by driving the API as a committee would: a round 5,000.00
paid without a contract (A04), 900.00 in cash (A06). Other rules may fire on
the same payments (A12: the balance falls by more than 30%); the lists below
follow the two rules raised on purpose, and the scope checks every alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest

from ledger.account import CommonFundAccount
from tests.e2e.alerting import cash_payment, round_payment
from tests.e2e.world import Builder, Side, day, expenditure_body, income_body
from tests.plugins.api import Api

ALERTS = "/v1/alerts"
RAISED = ("A04", "A06")


@dataclass
class City:
    """A in 市南区 with an A04 today and an A06 three days ago; B in 市北区 with an A04."""

    b: Builder
    a: Side
    other: Side
    a04: str
    a06: str
    b04: str


def city(api: Api) -> City:
    b = Builder(api)
    a, other = b.side("370202"), b.side("370203")
    a04 = round_payment(b, a)
    a06 = cash_payment(b, a, value_date=day(-3))
    return City(b, a, other, a04, a06, round_payment(b, other))


def listed(api: Api, token: str, **params: Any) -> list[str]:
    """The ids of the A04 and A06 alerts the list answers, in its order."""
    page = api.call("GET", ALERTS, token, expect=200, params={"limit": 500, **params})
    return [a["alert_id"] for a in page["items"] if a["rule"] in RAISED]


def places(api: Api, token: str, **params: Any) -> set[str]:
    """The complexes of every alert the list answers, whatever its rule."""
    page = api.call("GET", ALERTS, token, expect=200, params={"limit": 500, **params})
    return {a["complex_id"] for a in page["items"]}


def problem(api: Api, method: str, path: str, token: str, expect: int, **more: Any) -> Any:
    found = api.call(method, path, token, expect=expect, **more)
    assert found["status"] == expect, found
    return found


def test_the_list_filters_by_each_field(api: Api) -> None:
    c = city(api)
    op = api.operator
    assert set(listed(api, op)) == {c.a04, c.a06, c.b04}
    assert listed(api, op, severity="high") == [c.a06]
    assert set(listed(api, op, rule="A04")) == {c.a04, c.b04}
    assert set(listed(api, op, status="open")) == {c.a04, c.a06, c.b04}
    assert listed(api, op, status="closed") == []
    assert set(listed(api, op, complex_id=c.a.complex_id)) == {c.a04, c.a06}
    assert listed(api, op, jurisdiction="370203") == [c.b04]
    assert set(listed(api, op, jurisdiction="370202001")) == {c.a04, c.a06}  # a street
    assert set(listed(api, op, **{"from": day(-1)})) == {c.a04, c.b04}
    assert listed(api, op, to=day(-1)) == [c.a06]
    assert listed(api, op, **{"from": day(-3), "to": day(-3), "complex_id": c.a.complex_id}) == [
        c.a06
    ]

    high = api.call("GET", ALERTS, op, expect=200, params={"severity": "high"})["items"]
    assert {a["severity"] for a in high} == {"high"}
    (item,) = api.call("GET", ALERTS, op, expect=200, params={"rule": "A06"})["items"]
    assert (item["rule"], item["subject_kind"], item["subject_id"]) == (
        "A06",
        "account",
        c.a.account_id,
    )
    assert (item["district"], item["street"], item["raised_on"]) == ("370202", "370202001", day(-3))
    assert item["evidence"]["amount"] == "900.00"
    assert item["evidence"]["account_id"] == c.a.account_id
    assert "900.00" in item["explanation"]["zh"]
    assert "900.00" in item["explanation"]["en"]

    for bad in ({"severity": "urgent"}, {"from": "2026-02-30"}, {"jurisdiction": "37"},
                {"rule": "H02"}, {"complex_id": "nope"}, {"limit": "0"}):  # fmt: skip
        found = problem(api, "GET", ALERTS, op, 422, params=bad)
        assert found["type"] in ("/problems/validation-error", "/problems/invalid-date"), found


def test_pages_follow_an_opaque_cursor_in_a_stable_order(api: Api) -> None:
    c = city(api)
    everything = api.call("GET", ALERTS, api.operator, expect=200)["items"]
    keys = [(a["raised_on"], a["alert_id"]) for a in everything]
    assert keys == sorted(keys, reverse=True)  # raised_on desc, then alert id desc
    seen: list[str] = []
    cursor: str | None = None
    while True:
        params = {"limit": "1", **({"cursor": cursor} if cursor else {})}
        page = api.call("GET", ALERTS, api.operator, expect=200, params=params)
        seen.extend(a["alert_id"] for a in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [a["alert_id"] for a in everything]
    assert {c.a04, c.a06, c.b04} <= set(seen)
    # a cursor survives a new alert: the next page still starts after the last one seen
    first = api.call("GET", ALERTS, api.operator, expect=200, params={"limit": "1"})
    older = cash_payment(c.b, c.other, value_date=day(-4))
    rest = api.call(
        "GET", ALERTS, api.operator, expect=200, params={"cursor": first["next_cursor"]}
    )
    now = [a["alert_id"] for a in api.call("GET", ALERTS, api.operator, expect=200)["items"]]
    assert now[0] == seen[0]
    assert [a["alert_id"] for a in rest["items"]] == now[1:]
    assert older in now[1:]
    found = problem(api, "GET", ALERTS, api.operator, 422, params={"cursor": "bm90LWEtY3Vyc29y"})
    assert "cursor" in found["detail"]


def test_each_principal_sees_only_its_scope(api: Api) -> None:
    c = city(api)
    r_a, r_b, city_regulator = (c.b.regulators[code] for code in ("370202", "370203", "370200"))
    street = c.b.issue(role="regulator", jurisdiction="370202001")
    mine, a, b = {c.a04, c.a06}, {c.a.complex_id}, {c.other.complex_id}

    # a district regulator: its own district, by default and whatever it asks for
    assert set(listed(api, r_a)) == mine
    assert places(api, r_a) == a
    assert places(api, r_a, jurisdiction="370200") == a  # the city, narrowed to its own
    assert places(api, r_a, jurisdiction="370203") == set()
    assert places(api, r_a, complex_id=c.other.complex_id) == set()
    assert (listed(api, r_b), places(api, r_b)) == ([c.b04], b)
    assert (set(listed(api, street)), places(api, street)) == (mine, a)
    # the city sees both districts, and may narrow to one
    assert set(listed(api, city_regulator)) == {*mine, c.b04}
    assert places(api, city_regulator) == a | b
    assert places(api, city_regulator, jurisdiction="370203") == b
    # a committee: its own complex only
    assert (set(listed(api, c.a.tokens["m1"])), places(api, c.a.tokens["m1"])) == (mine, a)
    assert places(api, c.a.tokens["m1"], complex_id=c.other.complex_id) == set()
    assert places(api, c.other.tokens["m1"]) == b
    # owners and banks do not work alerts
    bank = c.b.issue(role="bank", bank_code="313452060150")
    problem(api, "GET", ALERTS, c.a.tokens["owner"], 403)
    problem(api, "GET", ALERTS, bank, 403)

    # by id: another scope's alert answers exactly like an id that names nothing
    ghost = problem(api, "GET", f"{ALERTS}/{uuid4()}", r_a, 404)
    for token in (r_a, c.a.tokens["m1"], street, bank):
        hidden = problem(api, "GET", f"{ALERTS}/{c.b04}", token, 404)
        unlike = {"instance": None, "request_id": None}  # and the request's own id (#17)
        assert {**hidden, **unlike} == {**ghost, **unlike}
        assert c.other.name not in str(hidden)
    for token in (r_b, c.other.tokens["m1"]):
        problem(api, "GET", f"{ALERTS}/{c.a04}", token, 404)
    for token in (r_a, city_regulator, street, c.a.tokens["m1"], api.operator):
        assert api.call("GET", f"{ALERTS}/{c.a04}", token, expect=200)["alert_id"] == c.a04
    problem(api, "GET", f"{ALERTS}/{c.a04}", c.a.tokens["owner"], 403)


def steps(detail: dict[str, Any]) -> list[str]:
    return [h["step"] for h in detail["history"]]


def test_the_lifecycle_over_http(api: Api) -> None:
    b = Builder(api)
    a, other = b.side("370202"), b.side("370203", everyone=False)
    alert = round_payment(b, a)
    path = f"{ALERTS}/{alert}"
    r_a, m1 = b.regulators["370202"], a.tokens["m1"]

    fresh = api.call("GET", path, r_a, expect=200)
    assert (fresh["status"], fresh["outcome"], fresh["version"]) == ("open", None, 0)
    assert steps(fresh) == ["raised"]
    assert fresh["history"][0]["on"] == day()
    assert fresh["evidence"]["amount"] == "5000.00"
    assert fresh["explanation"]["en"].startswith("A round 5000.00")

    taken = b.post(f"{path}/acknowledgement", r_a, {"note": "已安排核查"}, expect=200)
    assert (taken["status"], steps(taken)) == ("acknowledged", ["raised", "acknowledged"])
    step = taken["history"][1]
    assert step["by"].startswith("regulator:")
    assert (step["on"], step["detail"]) == (day(), {"note": "已安排核查"})
    again = problem(api, "POST", f"{path}/acknowledgement", r_a, 422)
    assert again["type"] == "/problems/invalid-state"

    early = {"outcome": "explained", "reason": "说明合理"}
    refused = b.post(f"{path}/closure", r_a, early, expect=422)
    assert refused["type"] == "/problems/invalid-state"  # nothing from the committee to accept yet

    answer = {"text": "该笔为年度保洁合同首期款，已补登合同号。", "evidence": ["HT-2026-11"]}
    stranger = b.post(f"{path}/explanations", other.tokens["m1"], answer, expect=404)
    assert stranger["type"] == "/problems/not-found"  # another complex's committee
    problem(api, "POST", f"{path}/explanations", r_a, 403, json=answer)  # a regulator may not
    explained = b.post(f"{path}/explanations", m1, answer)
    assert steps(explained) == ["raised", "acknowledged", "explained"]
    assert explained["history"][2]["by"].endswith("/m1")
    assert explained["history"][2]["detail"] == answer

    closed = b.post(f"{path}/closure", r_a, early, expect=200)
    assert (closed["status"], closed["outcome"]) == ("closed", "explained")
    assert closed["history"][-1]["detail"] == {
        "outcome": "explained", "reason": "说明合理", "action": ""
    }  # fmt: skip
    assert closed["version"] == 4  # opened, acknowledged, explained, closed
    assert api.call("GET", path, m1, expect=200) == closed
    twice = b.post(f"{path}/closure", r_a, early, expect=422)
    assert twice["type"] == "/problems/invalid-state"
    late = b.post(f"{path}/explanations", m1, answer, expect=422)
    assert late["type"] == "/problems/invalid-state"
    assert listed(api, r_a, status="closed") == [alert]


def test_a_confirmed_alert_can_suspend_payments_on_its_account(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    alert = cash_payment(b, a)
    path, r_a = f"{ALERTS}/{alert}/closure", b.regulators["370202"]

    bad = problem(api, "POST", path, r_a, 422, json={"outcome": "upheld", "reason": "x"})
    assert [e["field"] for e in bad["errors"]] == ["body.outcome"]
    body = {"outcome": "false_positive", "reason": "核查", "suspend_payments": True}
    bad = problem(api, "POST", path, r_a, 422, json=body)
    assert [e["field"] for e in bad["errors"]] == ["body.suspend_payments"]
    bad = problem(api, "POST", path, r_a, 422, json={**body, "suspend_payments": "yes"})
    assert [e["field"] for e in bad["errors"]] == ["body.suspend_payments"]  # strict
    no_action = {"outcome": "confirmed", "reason": "现金支付拆分", "suspend_payments": True}
    refused = problem(api, "POST", path, r_a, 422, json=no_action)
    assert refused["type"] == "/problems/invalid-command"
    assert "action" in refused["detail"]
    assert (
        api.call("GET", f"/v1/accounts/{a.account_id}", r_a, expect=200)["payments_suspended"]
        is False
    )  # a refused closure suspends nothing

    confirmed = b.post(path, r_a, {**no_action, "action": "暂停付款，约谈业委会"}, expect=200)
    assert (confirmed["status"], confirmed["outcome"]) == ("closed", "confirmed")
    account = api.call("GET", f"/v1/accounts/{a.account_id}", r_a, expect=200)
    assert account["payments_suspended"] is True
    blocked = b.post(
        f"/v1/accounts/{a.account_id}/expenditures",
        a.tokens["m1"],
        expenditure_body(a.decision_id, "100.00"),
        expect=422,
    )
    assert (blocked["type"], blocked["rule"]) == ("/problems/debit-blocked", "H02")


def test_closing_and_suspending_is_one_command_a_crash_leaves_neither(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: the closure and the suspension were two commands; a crash between them
    left the alert confirmed and the account open. Now both commit together or neither."""
    b = Builder(api)
    a = b.side("370202")
    alert = cash_payment(b, a)
    path, r_a = f"{ALERTS}/{alert}/closure", b.regulators["370202"]
    body = {"outcome": "confirmed", "reason": "现金支付拆分", "action": "暂停付款",
            "suspend_payments": True}  # fmt: skip

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("the process died here")

    with monkeypatch.context() as patch:
        patch.setattr(CommonFundAccount, "suspend_payments", crash)
        failed = api.client.post(path, json=body, headers={"Authorization": f"Bearer {r_a}"})
    assert failed.status_code == 500
    assert api.call("GET", f"{ALERTS}/{alert}", r_a, expect=200)["status"] == "open"
    account = api.call("GET", f"/v1/accounts/{a.account_id}", r_a, expect=200)
    assert account["payments_suspended"] is False
    closed = b.post(path, r_a, body, expect=200)  # the regulator retries: both, at once
    assert (closed["status"], closed["outcome"]) == ("closed", "confirmed")
    assert api.call("GET", f"/v1/accounts/{a.account_id}", r_a, expect=200)["payments_suspended"]


def test_snoozing_a_rule_marks_the_subjects_new_alerts_snoozed(api: Api) -> None:
    b = Builder(api)
    a, other = b.side("370202"), b.side("370203", everyone=False)
    b.post(f"/v1/accounts/{a.account_id}/income", a.tokens["m1"], income_body("20000.00"))
    r_a, r_b = b.regulators["370202"], b.regulators["370203"]
    before = round_payment(b, a)
    body = {"subject_id": a.account_id, "until": day(30), "reason": "年度保洁合同已备案"}

    snoozed = b.post("/v1/rules/A04/snoozes", r_a, body)
    assert {k: snoozed[k] for k in ("rule", "subject_kind", "subject_id", "until", "version")} == {
        "rule": "A04", "subject_kind": "account", "subject_id": a.account_id,
        "until": day(30), "version": 1,
    }  # fmt: skip
    after = round_payment(b, a)
    assert listed(api, r_a, status="snoozed") == [after]
    assert api.call("GET", f"{ALERTS}/{before}", r_a, expect=200)["status"] == "open"
    extended = b.post("/v1/rules/A04/snoozes", r_a, {**body, "until": day(60)})
    assert (extended["until"], extended["version"]) == (day(60), 2)
    on_complex = b.post("/v1/rules/A06/snoozes", r_a, {**body, "subject_id": a.complex_id})
    assert on_complex["subject_kind"] == "complex"
    on_committee = b.post("/v1/rules/A24/snoozes", r_a, {**body, "subject_id": a.committee_id})
    assert on_committee["subject_kind"] == "committee"

    too_long = b.post("/v1/rules/A04/snoozes", r_a, {**body, "until": day(180)}, expect=422)
    assert too_long["type"] == "/problems/invalid-command"
    assert b.post("/v1/rules/A99/snoozes", r_a, body, expect=404)["detail"].startswith("no rule")
    b.post("/v1/rules/A04/snoozes", r_b, body, expect=404)  # another district's account
    b.post("/v1/rules/A04/snoozes", r_a, {**body, "subject_id": other.account_id}, expect=404)
    b.post("/v1/rules/A04/snoozes", r_a, {**body, "subject_id": str(uuid4())}, expect=404)
    b.post("/v1/rules/A04/snoozes", a.tokens["m1"], body, expect=403)
    bad = b.post("/v1/rules/A04/snoozes", r_a, {**body, "subject_id": "acct-1"}, expect=422)
    assert [e["field"] for e in bad["errors"]] == ["body.subject_id"]


def test_a_replayed_acknowledgement_returns_the_first_answer(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    path = f"{ALERTS}/{round_payment(b, a)}/acknowledgement"
    r_a = b.regulators["370202"]
    first = api.client.post(
        path,
        json={"note": "核查"},
        headers={"Authorization": f"Bearer {r_a}", "Idempotency-Key": "ack-1"},
    )
    replay = api.client.post(
        path,
        json={"note": "核查"},
        headers={"Authorization": f"Bearer {r_a}", "Idempotency-Key": "ack-1"},
    )
    assert (first.status_code, replay.status_code) == (200, 200)
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    other = api.call("POST", path, r_a, expect=409, json={"note": "另一内容"}, key="ack-1")
    assert other["type"] == "/problems/idempotency-key-reused"
