"""The owners' way in (issue #17): `/` searches and browses, `/c/{code}` is a complex's home."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

from ledger.places import street_name
from tests.e2e.test_pages import HTML, OCTOBER, page, published_october
from tests.e2e.world import PLACES, Builder, Side
from tests.plugins.api import Api


def listed(api: Api, side: Side, **params: str) -> str:
    """The index until the supervision read model lists the complex (it follows the log)."""
    deadline = time.monotonic() + 10
    while True:
        html = page(api, "/", 200, **params)
        if f'data-code="{side.code}"' in html or time.monotonic() > deadline:
            return html
        time.sleep(0.05)


def test_the_index_finds_a_complex_by_name_code_or_street_and_browses_by_district(
    api: Api,
) -> None:
    b = Builder(api)
    south, north = b.side("370202", spend=False), b.side("370203", spend=False)
    by_name = listed(api, south, q=south.name[-4:])
    assert f'data-code="{south.code}"' in by_name
    assert f'href="/c/{quote(south.code)}"' in by_name
    assert f'data-code="{north.code}"' not in by_name
    by_code = listed(api, north, q=north.code.lower())  # a code is found in any case
    assert f'data-code="{north.code}"' in by_code
    assert f'data-code="{south.code}"' not in by_code
    by_street = listed(
        api, south, q="香港中路"
    )  # 370202001 in the NBS 2023 codes (ledger/places.py)
    assert f'data-code="{south.code}"' in by_street
    assert f'data-code="{north.code}"' not in by_street
    browsed = listed(api, north, district="370203")
    assert f'data-code="{north.code}"' in browsed
    assert f'data-code="{south.code}"' not in browsed
    assert 'href="/?district=370202&amp;street=370202001"' in browsed  # the streets to browse
    assert "市北区" in browsed
    assert street_name(PLACES["370203"][0]) in browsed  # named as ledger/places.py names it


def test_a_search_that_finds_nothing_says_so_and_odd_input_is_never_a_500(api: Api) -> None:
    assert "没有找到符合条件的小区" in page(api, "/", 200, q="并不存在的小区名")
    for odd in ("%", "_", "'; DROP TABLE sup_places; --", "x" * 150):
        assert "搜索结果" in page(api, "/", 200, q=odd)
    assert page(api, "/", 200, district="abc", street="1'")  # ignored, not an error
    assert api.client.get("/", params={"q": "x" * 201}).status_code == 422


def test_the_home_page_shows_committee_account_statements_fund_and_a_place_for_ballots(
    api: Api,
) -> None:
    _, side, _ = published_october(api)
    listed(api, side, q=side.code)
    home = page(api, f"/c/{side.code}", 200)
    assert side.name in home
    assert "委员1" in home  # the chair's name: committee members are named (the owners' list)
    assert "主任" in home
    assert "任期" in home
    assert 'data-account="open"' in home
    assert f'href="/complexes/{side.code}/statements/{OCTOBER}"' in home
    assert 'data-placeholder="ballots"' in home
    assert "owner-1-1" not in home
    statement = page(api, f"/complexes/{side.code}/statements/{OCTOBER}", 200)  # code for id
    assert side.name in statement
    assert page(api, f"/complexes/{side.code}/statements", 200)


def test_unknown_complexes_are_chinese_404_pages(api: Api) -> None:
    for path in ("/c/NO-SUCH-CODE", f"/c/{'x' * 70}", "/complexes/NO-SUCH/statements"):
        response = api.client.get(path)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == HTML
        assert re.search("没有找到这个小区", response.text), path
        assert 'href="/"' in response.text


def test_the_statement_page_names_its_publisher_shortens_hashes_and_words_the_share_kept(
    api: Api,
) -> None:
    _, side, _ = published_october(api)
    html = page(api, f"/complexes/{side.complex_id}/statements/{OCTOBER}", 200)
    assert "业主委员会主任 委员1" in html  # m1, by name: not "m1"
    assert "委员 m1" not in html
    assert "物业公司扣留" not in html
    assert "物业服务企业按合同留存" in html
    statement = api.client.get(f"/v1/public/complexes/{side.complex_id}/statements/{OCTOBER}")
    root = statement.json()["digest"]["root"]
    assert f'<code title="{root}">{root[:12]}…</code>' in html  # short, the whole in its title
    assert f'<code class="hash">{root}</code>' in html  # and inside its details
    parking, rent = html.index("停车收益 <span"), html.index("场地租金 <span")
    assert parking < rent  # 1,200.00 before 300.50: largest first


def test_the_statement_has_its_charts_with_the_numbers_beside_them(api: Api) -> None:
    _, side, _ = published_october(api)
    html = page(api, f"/complexes/{side.complex_id}/statements/{OCTOBER}", 200)
    for chart in ("income-by-category", "spending-by-category", "balance-by-period"):
        figure = re.search(
            rf'<figure class="chart" data-chart="{chart}">(.*?)</figure>', html, re.S
        )
        assert figure, chart
        assert 'role="img"' in figure.group(1)
        assert "<title" in figure.group(1)
        assert '<table class="chart-data">' in figure.group(1)
    income = re.search(r'data-chart="income-by-category">(.*?)</figure>', html, re.S)
    assert income
    assert "1,200.00" in income.group(1)
    assert "300.50" in income.group(1)
    assert "<script" not in html


def test_the_committee_sets_the_objection_contact_and_the_notice_prints_it_with_its_period(
    api: Api,
) -> None:
    b, side, _ = published_october(api)
    path = f"/v1/complexes/{side.complex_id}/objection-contact"
    contact = "业主委员会办公室（1号楼一层），电话 0532-8000 1234"
    answered = b.post(path, side.tokens["m1"], {"contact": contact}, 200)
    assert answered["objection_contact"] == contact
    b.post(path, side.tokens["owner"], {"contact": "别处"}, 403)
    b.post(path, side.tokens["m1"], {"contact": ""}, 422)
    b.post(path, side.tokens["m1"], {"contact": "x" * 121}, 422)
    html = page(api, f"/complexes/{side.complex_id}/statements/{OCTOBER}", 200)
    assert contact in html
    assert "业主委员会（盖章）" in html
    assert re.search(r"公示期：\d{4}年\d+月\d+日至\d{4}年\d+月\d+日", html)
    online = f"{api.settings.public_base_url}/complexes/{side.code}/statements/{OCTOBER}?version=1"
    assert online in html  # the setting, not the request's host
    assert "testserver" not in html
    assert '<svg role="img" aria-label="扫码查看本公示的在线版本"' in html
    assert contact in page(api, f"/c/{side.code}", 200)


def test_an_owner_signs_in_with_the_owner_credential_and_sees_only_their_own_units(
    api: Api,
) -> None:
    b = Builder(api)
    side = b.side("370202", spend=False)
    client = api.client
    assert 'action="/owner/session"' in page(api, "/owner", 200)
    refused = client.post("/owner/session", data={"token": "not-a-token"})
    assert refused.status_code == 401
    assert "业主凭证无效" in refused.text
    committee = client.post("/owner/session", data={"token": side.tokens["m1"]})
    assert committee.status_code == 401  # only an owner's credential signs in here
    elsewhere = client.post(
        "/owner/session", data={"token": side.tokens["owner"]},
        headers={"Origin": "https://evil.example"},
    )  # fmt: skip
    assert elsewhere.status_code == 403  # another site's form cannot sign anyone in
    assert "set-cookie" not in elsewhere.headers
    signed = client.post(
        "/owner/session", data={"token": side.tokens["owner"]}, follow_redirects=False
    )
    assert signed.status_code == 303
    (cookie,) = [c for c in signed.headers.get_list("set-cookie") if "max-age=0" not in c.lower()]
    for part in ("commonfund_owner=", "HttpOnly", "SameSite=lax", "Path=/;"):
        assert part.lower() in cookie.lower(), cookie  # "/": the voting pages share the sign-in
    mine = client.get("/owner")
    assert mine.headers["cache-control"] == "private, no-store"
    assert 'data-unit="1-001"' in mine.text  # key("owner-1-1")'s one unit
    assert 'data-unit="1-002"' not in mine.text
    assert client.get("/owner/units/1-001").status_code == 200
    other = client.get("/owner/units/1-002")  # a neighbour's: as if it did not exist
    assert other.status_code == 404
    assert "没有这一户" in other.text
    out = client.post("/owner/logout", follow_redirects=False)
    assert out.status_code == 303
    client.cookies.clear()
    assert 'action="/owner/session"' in client.get("/owner/units/1-001").text  # back to sign in
