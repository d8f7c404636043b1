"""A resolution's budget over HTTP (issue #12 item 16): recorded, shown, and what H05 reads."""

from __future__ import annotations

from tests.e2e.world import Builder, day, expenditure_body, income_body
from tests.plugins.api import Api


def test_a_budget_is_recorded_shown_and_covers_payments_of_its_category(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    regulator = b.regulators[a.district]
    vote = {
        "matter": 9, "purpose": "2026年度公共设施维修", "amount_cap": "60000.00",
        "period_from": day(-30), "period_to": day(60), "participated": a.unit_ids,
        "consented": a.unit_ids, "closed_on": day(-30),
    }  # fmt: skip
    made = b.post(
        f"/v1/complexes/{a.complex_id}/resolutions", regulator,
        {**vote, "budget_category": "repairs"},
    )  # fmt: skip
    budget = {"category": "repairs", "amount_cap": "60000.00", "period_from": day(-30),
              "period_to": day(60)}  # fmt: skip
    assert made["budget"] == budget
    shown = api.call("GET", f"/v1/resolutions/{made['id']}", a.tokens["owner"], expect=200)
    assert shown["budget"] == budget
    old_style = b.post(f"/v1/complexes/{a.complex_id}/resolutions", regulator, vote)
    assert old_style["budget"] is None  # a request without the field is as valid as before

    b.post(f"/v1/accounts/{a.account_id}/income", a.tokens["m1"], income_body("20000.00"))
    payment = {
        **expenditure_body(a.decision_id, "6000.00"), "category": "repairs",
        "purpose": "更换3号楼单元门禁", "authorisation": {"kind": "resolution", "id": made["id"]},
    }  # fmt: skip
    path = f"/v1/accounts/{a.account_id}/expenditures"
    proposed = b.post(path, a.tokens["m1"], payment)
    approved = b.post(f"{path}/{proposed['id']}/approvals", a.tokens["m2"], None, expect=200)
    assert approved["status"] == "booked"
    refused = b.post(path, a.tokens["m1"], {**payment, "category": "security"}, expect=422)
    assert (refused["rule"], refused["type"]) == ("H05", "/problems/authorisation-missing")
    assert "budgets repairs, not security" in refused["detail"]
