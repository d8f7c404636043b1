"""The regulator's desk (issue #17): groups and filters, and its forms with their CSRF token.

Each form goes through the API's own command and scope check, so what a form
did is read back over the API; a form without the session's token is refused.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.supervision import csrf, desk
from api.supervision.alerts import settle
from api.supervision.regulator import COOKIE
from tests.e2e.alerting import cash_payment, pay, round_payment
from tests.e2e.world import Builder, Side, expenditure_body
from tests.plugins.api import Api

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
CSRF = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


def sign_in(client: TestClient, token: str) -> None:
    client.cookies.clear()
    signed = client.post(
        "/regulator/session", content=f"token={token}", headers=FORM, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text


def csrf_of(page: str) -> str:
    found = CSRF.search(page)
    assert found, "the desk has no form with a CSRF token"
    return found.group(1)


def post(client: TestClient, path: str, **fields: str) -> Any:
    return client.post(path, data=fields, follow_redirects=False)


def alert(api: Api, alert_id: str) -> dict[str, Any]:
    found: dict[str, Any] = api.call("GET", f"/v1/alerts/{alert_id}", api.operator, expect=200)
    return found


def listed(api: Api, token: str, **params: str) -> list[dict[str, Any]]:
    """The alerts the API lists for ``token`` (the desk must count the same)."""
    found: list[dict[str, Any]] = api.call(
        "GET", "/v1/alerts", token, expect=200, params={"limit": 500, **params}
    )["items"]
    return found


def two_alerts(api: Api) -> tuple[Builder, Side, str, str]:
    b = Builder(api)
    a = b.side("370202")
    return b, a, round_payment(b, a), cash_payment(b, a)


def test_the_desk_groups_by_rule_and_complex_with_chinese_names(api: Api) -> None:
    b, a, _, _ = two_alerts(api)
    other = b.side("370203")
    round_payment(b, other)
    sign_in(api.client, b.regulators["370202"])
    page = api.client.get("/regulator").text
    rule_group = page[page.index('data-group="rule"') : page.index('data-group="complex"')]
    assert "A04 整数金额付款且无合同" in rule_group  # the catalog's Chinese name
    assert "A06 现金支付接近限额" in rule_group
    assert rule_group.index("A06") < rule_group.index("A04")  # high before warning
    complex_group = page[page.index('data-group="complex"') :]
    assert a.name in complex_group
    assert "市南区 香港中路街道" in complex_group  # the street's name, not 370202001
    assert other.name not in page  # another district's complex
    assert f'data-total="{len(listed(api, b.regulators["370202"]))}"' in page


def test_filters_narrow_the_groups_and_the_list(api: Api) -> None:
    b, a, warning, high = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    by_rule = api.client.get("/regulator", params={"rule": "A04"}).text
    assert f'data-alert="{warning}"' in by_rule
    assert f'data-alert="{high}"' not in by_rule
    by_severity = api.client.get("/regulator", params={"severity": "high"}).text
    assert f'data-alert="{high}"' in by_severity
    assert f'data-alert="{warning}"' not in by_severity
    everything = len(listed(api, b.regulators["370202"]))
    street = api.client.get("/regulator", params={"street": "370202001"}).text
    assert f'data-total="{everything}"' in street
    elsewhere = api.client.get("/regulator", params={"street": "370202002"}).text
    assert 'data-total="0"' in elsewhere
    closed = api.client.get("/regulator", params={"state": "closed"}).text
    assert 'data-total="0"' in closed
    complex_only = api.client.get("/regulator", params={"complex": a.complex_id}).text
    assert f'data-total="{everything}"' in complex_only


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"rule": "Z99"}, "没有编号为"),
        ({"severity": "loud"}, "级别只能是"),
        ({"state": "gone"}, "状态只能是"),
        ({"street": "37"}, "街道应为"),
        ({"complex": "not-an-id"}, "小区编号不正确"),
        ({"page": "0"}, "页码"),
        ({"page": "x" * 50}, "页码"),
    ],
)
def test_a_bad_filter_is_a_chinese_400(api: Api, params: dict[str, str], words: str) -> None:
    b = Builder(api)
    sign_in(api.client, b.regulators["370202"])
    answer = api.client.get("/regulator", params=params)
    assert answer.status_code == 400
    assert words in answer.text


def test_paging_within_a_group(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(desk, "PER_PAGE", 1)
    b, a, _, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    ungrouped = api.client.get("/regulator").text
    assert "请在上面选择一个规则或小区分组" in ungrouped  # more than a page: groups only
    assert "data-alert=" not in ungrouped
    expected = listed(api, b.regulators["370202"], complex_id=a.complex_id)
    assert len(expected) >= 2
    seen = []
    for number in range(1, len(expected) + 1):
        page = api.client.get("/regulator", params={"complex": a.complex_id, "page": number}).text
        assert f"第 {number} / {len(expected)} 页" in page
        seen.extend(re.findall(r'data-alert="([0-9a-f-]{36})"', page))
    assert sorted(seen) == sorted(x["alert_id"] for x in expected)  # each once, over the pages
    rank = {"critical": 0, "high": 1, "warning": 2, "info": 3}
    severity = {x["alert_id"]: rank[x["severity"]] for x in expected}
    assert [severity[s] for s in seen] == sorted(severity[s] for s in seen)  # worst first


def test_acknowledge_then_close_through_the_forms(api: Api) -> None:
    b, a, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    back = f"/regulator?complex={a.complex_id}"
    token = csrf_of(api.client.get(back).text)
    done = post(
        api.client, f"/regulator/alerts/{warning}/acknowledgement",
        csrf=token, note="已安排核查", back=back,
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"].startswith(f"/regulator?complex={a.complex_id}&done=")
    shown = api.client.get(done.headers["location"]).text
    assert "已受理预警 A04 整数金额付款且无合同" in shown
    assert a.name in shown
    assert "监管部门受理：已安排核查" in shown  # the card's history: who (by role), the note
    steps = alert(api, warning)
    assert steps["status"] == "acknowledged"
    assert steps["history"][-1]["detail"]["note"] == "已安排核查"
    closed = post(
        api.client, f"/regulator/alerts/{warning}/closure",
        csrf=token, outcome="false_positive", reason="年度保洁合同已备案", action="", back=back,
    )  # fmt: skip
    assert closed.status_code == 303
    assert "已关闭预警" in api.client.get(closed.headers["location"]).text
    after = alert(api, warning)
    assert (after["status"], after["outcome"]) == ("closed", "false_positive")
    again = post(
        api.client, f"/regulator/alerts/{warning}/closure",
        csrf=token, outcome="false_positive", reason="再次", back=back,
    )  # fmt: skip
    assert again.status_code == 409
    assert "这条预警已经关闭" in again.text


def test_a_confirmed_closure_suspends_the_account_and_the_account_page_resumes_it(
    api: Api,
) -> None:
    b, a, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    token = csrf_of(api.client.get("/regulator").text)
    missing = post(
        api.client, f"/regulator/alerts/{warning}/closure",
        csrf=token, outcome="confirmed", reason="无合同支付属实", suspend_payments="1",
    )  # fmt: skip
    assert missing.status_code == 400  # a confirmed alert says what was done
    assert "请填写采取的措施" in missing.text
    confirmed = post(
        api.client, f"/regulator/alerts/{warning}/closure",
        csrf=token, outcome="confirmed", reason="无合同支付属实", action="暂停付款，责令补签合同",
        suspend_payments="1",
    )  # fmt: skip
    assert confirmed.status_code == 303
    account = api.call("GET", f"/v1/accounts/{a.account_id}", b.regulators["370202"], expect=200)
    assert account["payments_suspended"] is True
    page = api.client.get(f"/regulator/accounts/{a.account_id}").text
    assert 'data-suspended="yes"' in page
    resumed = post(
        api.client, f"/regulator/accounts/{a.account_id}/resumption",
        csrf=csrf_of(page), reason="补签合同完毕", back=f"/regulator/accounts/{a.account_id}",
    )  # fmt: skip
    assert resumed.status_code == 303
    shown = api.client.get(resumed.headers["location"]).text
    assert "已恢复该账户付款" in shown
    assert 'data-suspended="no"' in shown
    suspended = post(
        api.client, f"/regulator/accounts/{a.account_id}/suspension", csrf=csrf_of(shown),
        reason="", back=f"/regulator/accounts/{a.account_id}",
    )  # fmt: skip
    assert suspended.status_code == 400  # no reason given
    assert "请填写原因" in suspended.text


@pytest.mark.parametrize("sent", [None, "", "0" * 64, "wrong"])
def test_a_form_without_the_sessions_token_is_refused(api: Api, sent: str | None) -> None:
    b, _, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    fields = {"note": "x"} if sent is None else {"csrf": sent, "note": "x"}
    refused = post(api.client, f"/regulator/alerts/{warning}/acknowledgement", **fields)
    assert refused.status_code == 403
    assert "安全校验码" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert alert(api, warning)["status"] == "open"


def test_another_sign_ins_token_is_refused(api: Api) -> None:
    """A token is per sign-in: one read from an earlier session no longer works."""
    b, _, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    old = csrf_of(api.client.get("/regulator").text)
    sign_in(api.client, b.regulators["370202"])  # the same regulator signs in again
    refused = post(api.client, f"/regulator/alerts/{warning}/acknowledgement", csrf=old)
    assert refused.status_code == 403
    assert alert(api, warning)["status"] == "open"


def token_of(client: TestClient) -> str:
    """The form token of the client's sign-in, as the desk computes it (for a page with no form)."""
    return csrf.token_for(client.cookies[COOKIE], client.cookies[csrf.NONCE_COOKIE])


def test_the_forms_keep_the_apis_scope(api: Api) -> None:
    b, a, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370203"])  # another district's regulator
    hidden = post(
        api.client, f"/regulator/alerts/{warning}/acknowledgement", csrf=token_of(api.client)
    )
    assert hidden.status_code == 404
    assert "不在您的辖区内" in hidden.text
    suspend = post(
        api.client, f"/regulator/accounts/{a.account_id}/suspension",
        csrf=token_of(api.client), reason="核查",
    )  # fmt: skip
    assert suspend.status_code == 404
    assert alert(api, warning)["status"] == "open"
    sign_in(api.client, api.operator)  # the operator reads the desk but may not act
    page = api.client.get("/regulator").text
    assert "处理预警须使用监管令牌" in page
    assert 'name="csrf"' not in page  # no buttons it could not use
    account = api.client.get(f"/regulator/accounts/{a.account_id}").text
    assert "暂停付款的原因" not in account
    refused = post(
        api.client, f"/regulator/alerts/{warning}/acknowledgement", csrf=token_of(api.client)
    )
    assert refused.status_code == 403
    assert "只有辖区内的监管人员" in refused.text
    assert alert(api, warning)["status"] == "open"


def test_a24_is_told_in_chinese_on_the_desk(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    api.call(
        "POST", f"/v1/accounts/{a.account_id}/suspension", b.regulators["370202"],
        expect=200, json={"reason": "核查"}, key=b.fresh("k"),
    )  # fmt: skip
    refused = api.client.post(
        f"/v1/accounts/{a.account_id}/expenditures",
        json=expenditure_body(a.decision_id, "300.00"),
        headers={"Authorization": f"Bearer {a.tokens['m1']}", "Idempotency-Key": b.fresh("k")},
    )
    assert refused.status_code == 422, refused.text
    # the refusal is its own write and the request failed, so no read-your-writes waits for
    # it: the desk shows A24 once the supervision read model has applied it (a race before)
    settle(api.client.app.state.services)  # type: ignore[attr-defined]
    sign_in(api.client, b.regulators["370202"])
    page = api.client.get("/regulator", params={"rule": "A24"}).text
    card = page[page.index('class="alert-card') :]
    card = card[: card.index("</li>")]
    assert "被规则H02拒绝：账户已被监管部门暂停付款" in card
    explanation = card[card.index('class="explanation"') : card.index("</p>")]
    assert not re.search(r"[A-Za-z]{3,}", explanation.split(">", 1)[1]), explanation


def test_the_balance_and_amounts_have_separators(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    pay(b, a, "5000.00")
    sign_in(api.client, b.regulators["370202"])
    page = api.client.get("/regulator").text
    assert "5,000.00" in page  # in the A04 explanation
    overview = page[page.index('id="overview"') :]
    assert re.search(r'data-label="余额（元）" class="num">\d{1,3}(,\d{3})*\.\d{2}<', overview)


@pytest.mark.parametrize("back", ["https://evil.example/", "//evil.example/x", "/v1/alerts"])
def test_a_form_goes_back_only_inside_the_desk(api: Api, back: str) -> None:
    b, _, warning, _ = two_alerts(api)
    sign_in(api.client, b.regulators["370202"])
    done = post(
        api.client, f"/regulator/alerts/{warning}/acknowledgement",
        csrf=token_of(api.client), back=back,
    )  # fmt: skip
    assert done.status_code == 303
    assert done.headers["location"] == f"/regulator?done=acknowledged%3A{warning}"
