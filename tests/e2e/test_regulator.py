"""The regulators' overview (GET /v1/overview) and page: scope, worst first, one click to entries."""

from __future__ import annotations

from tests.e2e.alerting import cash_payment, round_payment
from tests.e2e.world import Builder
from tests.plugins.api import Api


def test_the_overview_counts_only_the_callers_jurisdiction(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    other = b.side("370203")
    round_payment(b, a)
    mine = api.call("GET", "/v1/overview", b.regulators["370202"], expect=200)
    assert [d["district"] for d in mine["districts"]] == ["370202"]
    shinan = mine["districts"][0]
    assert (shinan["complexes"], shinan["accounts_open"]) >= (1, 1)
    assert shinan["open_alerts"]["warning"] >= 1
    assert [s["street"] for s in shinan["streets"]] == ["370202001"]
    api.call(
        "GET", "/v1/overview", b.regulators["370202"], expect=403,
        params={"jurisdiction": "370203"},
    )  # fmt: skip
    city = api.call("GET", "/v1/overview", b.regulators["370200"], expect=200)
    assert {d["district"] for d in city["districts"]} == {"370202", "370203"}
    api.call("GET", "/v1/overview", other.tokens["m1"], expect=403)


def test_the_page_shows_the_jurisdictions_open_alerts_worst_first(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    other = b.side("370203")
    warning = round_payment(b, a)  # A04, warning
    high = cash_payment(b, a)  # A06, high
    elsewhere = round_payment(b, other)
    client = api.client
    assert "监管令牌" in client.get("/regulator").text  # no credentials: the login form
    refused = client.post(
        "/regulator/session", content=f"token={a.tokens['m1']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )  # fmt: skip
    assert refused.status_code == 401  # a committee token is not a regulator's
    logged = client.post(
        "/regulator/session", content=f"token={b.regulators['370202']}",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False,
    )  # fmt: skip
    assert logged.status_code == 303
    assert "httponly" in logged.headers["set-cookie"].lower()
    page = client.get("/regulator").text  # the client keeps the session cookie
    assert "监管工作台" in page
    assert "辖区概况" in page
    order = [page.find(f'data-alert="{x}"') for x in (high, warning)]
    assert -1 not in order
    assert order == sorted(order)  # the high alert above the warning
    assert f"/regulator/accounts/{other.account_id}" not in page  # another district's alert
    assert elsewhere != warning
    link = f"/regulator/accounts/{a.account_id}?highlight="
    assert link in page
    entries = client.get(page[page.index(link) :].split('"')[0].replace("&amp;", "&"))
    assert entries.status_code == 200
    assert "← 预警" in entries.text  # the entries that caused it are marked
    hidden = client.get(f"/regulator/accounts/{other.account_id}")
    assert hidden.status_code == 404  # another district's account
    client.get("/regulator/logout")
    assert "监管令牌" in client.get("/regulator").text  # logged out: the form again
