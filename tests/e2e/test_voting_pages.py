"""The owners' voting page and the results page of a ballot (issue #16): Chinese HTML, no 500s."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx2 as httpx

from api.pages import OWNER_COOKIE as COOKIE
from api.voting.pages import csrf_token
from tests.e2e.voting_world import announce, days_ago, open_ballot, owner_token, vote
from tests.e2e.world import Builder, Side
from tests.plugins.api import Api
from tests.plugins.builders import key

HTML = "text/html; charset=utf-8"


def signed_in(api: Api, ballot: str, token: str) -> httpx.Response:
    """The sign-in form posted with ``token``: 303 to the voting page, the session cookie set."""
    return api.client.post(
        f"/ballots/{ballot}/session", content=f"token={token}",
        headers={"Content-Type": "application/x-www-form-urlencoded"}, follow_redirects=False,
    )  # fmt: skip


def form_post(api: Api, ballot: str, fields: dict[str, str]) -> httpx.Response:
    return api.client.post(
        f"/ballots/{ballot}/vote", data=fields, follow_redirects=False,
    )  # fmt: skip


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, page
    return found.group(1)


def test_an_owner_signs_in_votes_through_the_form_and_the_vote_is_in_the_ledger(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot = open_ballot(b, a)
    first = api.client.get(f"/ballots/{ballot}/vote")
    assert (first.status_code, first.headers["content-type"]) == (200, HTML)
    assert "业主令牌" in first.text
    assert 'name="csrf"' not in first.text  # no form before signing in
    assert first.headers["cache-control"] == "private, no-store"

    refused = signed_in(api, ballot, "cf_not_a_token")
    assert refused.status_code == 401
    assert "令牌无效" in refused.text
    committee = signed_in(api, ballot, a.tokens["m1"])  # not an owner
    assert committee.status_code == 401

    owner = a.tokens["owner"]
    session = signed_in(api, ballot, owner)
    assert (session.status_code, session.headers["location"]) == (303, f"/ballots/{ballot}/vote")
    (cookie,) = [c for c in session.headers.get_list("set-cookie") if "Max-Age=0" not in c]
    assert cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/;" in cookie  # shared with /owner: one sign-in for the owner's pages

    page = api.client.get(f"/ballots/{ballot}/vote")
    assert page.status_code == 200
    assert "是否同意续聘物业服务企业？" in page.text
    assert "正在投票" in page.text
    assert "cdcdcdcd…cdcdcdcd" in page.text  # the document by its SHA-256, shortened
    assert "1-001：尚未投票" in page.text
    served = api.call("GET", f"/v1/ballots/{ballot}", a.tokens["m1"], expect=200)
    assert served["state"] == "open"  # reading the page served the ballot (delivery by login)

    cast = form_post(api, ballot, {"csrf": csrf_of(page.text), "matter_1": "disagree"})
    assert cast.status_code == 303
    where = urlsplit(cast.headers["location"])
    assert where.path == f"/ballots/{ballot}/confirmation"
    mine = api.call("GET", f"/v1/ballots/{ballot}/votes/mine", owner, expect=200)
    assert [(v["unit"], v["matter"], v["choice"]) for v in mine] == [("1-001", 1, "disagree")]
    assert parse_qs(where.query)["signed_at"] == [mine[0]["signed_at"]]

    done = api.client.get(cast.headers["location"])
    assert done.status_code == 200
    assert "投票已记录" in done.text
    assert mine[0]["receipt"] in done.text
    assert mine[0]["nonce"] in done.text
    assert f"/v1/public/ballots/{ballot}/receipts/" in done.text  # how to check it
    again = api.client.get(f"/ballots/{ballot}/vote")
    assert "1-001：当前为<strong>反对</strong>" in again.text
    assert 'value="disagree" checked' in again.text

    api.clock.now += timedelta(minutes=3)  # a change: the later vote counts, both are kept
    changed = form_post(api, ballot, {"csrf": csrf_of(again.text), "matter_1": "agree"})
    assert changed.status_code == 303
    mine = api.call("GET", f"/v1/ballots/{ballot}/votes/mine", owner, expect=200)
    assert [v["choice"] for v in mine] == ["disagree", "agree"]


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_cast(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot = open_ballot(b, a)
    owner = a.tokens["owner"]
    assert signed_in(api, ballot, owner).status_code == 303
    for fields in ({"matter_1": "agree"}, {"csrf": "0" * 40, "matter_1": "agree"},
                   {"csrf": csrf_token(owner, announce(b, a)), "matter_1": "agree"}):  # fmt: skip
        refused = form_post(api, ballot, fields)
        assert refused.status_code == 403, fields
        assert "投票未被记录" in refused.text
    assert api.call("GET", f"/v1/ballots/{ballot}/votes/mine", owner, expect=200) == []
    api.client.cookies.clear()
    anonymous = form_post(api, ballot, {"csrf": csrf_token(owner, ballot), "matter_1": "agree"})
    assert anonymous.status_code == 401  # no session: the sign-in form, nothing cast
    assert "业主令牌" in anonymous.text


def test_voting_before_opening_and_after_closing_is_told_in_chinese(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    owner = a.tokens["owner"]
    announced = announce(b, a)
    assert signed_in(api, announced, owner).status_code == 303
    page = api.client.get(f"/ballots/{announced}/vote")
    assert page.status_code == 200
    assert "投票尚未开始" in page.text
    assert 'name="csrf"' not in page.text
    early = form_post(api, announced, {"csrf": csrf_token(owner, announced), "matter_1": "agree"})
    assert early.status_code == 409
    assert "投票尚未开始" in early.text

    with days_ago(b, 10):
        past = open_ballot(b, a, closes=timedelta(days=9))
    assert signed_in(api, past, owner).status_code == 303
    late = form_post(api, past, {"csrf": csrf_token(owner, past), "matter_1": "agree"})
    assert late.status_code == 409
    assert "截止" in late.text
    assert "不能再投票" in late.text
    assert "正在计票" in api.client.get(f"/ballots/{past}/vote").text
    assert api.call("GET", f"/v1/ballots/{past}/votes/mine", owner, expect=200) == []
    for wrong in ("not-a-ballot", a.complex_id):  # not an id; the id of something else
        for page_ in ("vote", "confirmation", "results"):
            nothing = api.client.get(f"/ballots/{wrong}/{page_}")
            assert (nothing.status_code, nothing.headers["content-type"]) == (404, HTML)
            assert "没有找到这次表决" in nothing.text


def _voted_and_closed(b: Builder, a: Side) -> str:
    """Twelve units: nine agree, one disagrees, two do not vote; closed yesterday."""
    with days_ago(b, 10):
        ballot = open_ballot(b, a, closes=timedelta(days=9))
        for i in range(1, 11):
            vote(b, ballot, owner_token(b, a, i), "agree" if i <= 9 else "disagree")
    return ballot


def test_the_results_page_shows_the_outcome_counts_thresholds_and_root(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot = _voted_and_closed(b, a)
    before = api.client.get(f"/ballots/{ballot}/results")
    assert (before.status_code, before.headers["content-type"]) == (404, HTML)
    assert "尚未计票" in before.text
    closed = b.post(f"/v1/ballots/{ballot}/close", a.tokens["m1"], None, expect=200)
    count = api.call("GET", f"/v1/ballots/{ballot}/quorum", a.tokens["m1"], expect=200)
    counted = count["matters"][0]["without_deemed"]

    page = api.client.get(f"/ballots/{ballot}/results")
    assert page.status_code == 200
    assert page.headers["cache-control"].startswith("public")
    text = page.text
    assert "2026年第二次业主大会" in text
    assert "表决结果：通过" in text
    assert "第二百七十八条第一款第（一）项：制定和修改业主大会议事规则" in text
    assert closed["results"][0]["root"] in text
    assert f'{counted["scope_area"]}</td><td class="num">12</td>' in text
    assert f'{counted["participating_area"]}（83.3%）</td><td class="num">10（83.3%）' in text
    assert f'{counted["consenting_area"]}（90%）</td><td class="num">9（90%）' in text
    assert "不低于总面积和总人数的 2/3" in text
    assert "超过参与表决面积和人数的 1/2" in text
    assert "询异公示期" in text
    effective = closed["effective_from"]
    assert (
        f"决定自{int(effective[:4])}年{int(effective[5:7])}月{int(effective[8:])}日起生效" in text
    )
    base = api.settings.public_base_url  # the setting, not the request's host (issue #17)
    assert f"{base}/v1/public/ballots/{ballot}/receipts/" in text
    assert f"{base}/ballots/{ballot}/results" in text
    assert "testserver" not in text
    assert "1-00" not in text  # buildings only on the notice board


def test_an_owner_of_two_units_votes_once_for_both_and_sees_each_units_vote(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    sale = f"/v1/complexes/{a.complex_id}/units/1-002/sale"  # owner 1-1 buys 1-002 too
    b.post(sale, api.operator, {"new_owner_key": key("owner-1-1"), "sold_on": "2026-11-20"})
    ballot = open_ballot(b, a)
    owner = a.tokens["owner"]
    assert signed_in(api, ballot, owner).status_code == 303
    page = api.client.get(f"/ballots/{ballot}/vote")
    assert "1-001、1-002" in page.text
    cast = form_post(api, ballot, {"csrf": csrf_of(page.text), "matter_1": "abstain"})
    assert cast.status_code == 303
    done = api.client.get(cast.headers["location"]).text
    mine = api.call("GET", f"/v1/ballots/{ballot}/votes/mine", owner, expect=200)
    assert sorted((v["unit"], v["choice"]) for v in mine) == [("1-001", "abstain"),
                                                              ("1-002", "abstain")]  # fmt: skip
    assert all(v["receipt"] in done and v["nonce"] in done for v in mine)
    again = api.client.get(f"/ballots/{ballot}/vote").text
    assert "1-001：当前为<strong>弃权</strong>" in again
    assert "1-002：当前为<strong>弃权</strong>" in again


def test_another_sites_form_cannot_sign_an_owner_in_or_out_and_signing_out_forgets_the_session(
    api: Api,
) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot = open_ballot(b, a)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    foreign = api.client.post(
        f"/ballots/{ballot}/session", content=f"token={a.tokens['owner']}",
        headers={**form, "Origin": "https://elsewhere.example"}, follow_redirects=False,
    )  # fmt: skip
    assert foreign.status_code == 403  # login CSRF: the attacker's credential is not planted
    assert "set-cookie" not in foreign.headers
    assert "业主令牌" in api.client.get(f"/ballots/{ballot}/vote").text

    ours = api.client.post(
        f"/ballots/{ballot}/session", content=f"token={a.tokens['owner']}",
        headers={**form, "Origin": str(api.client.base_url).rstrip("/")}, follow_redirects=False,
    )  # fmt: skip
    assert ours.status_code == 303
    page = api.client.get(f"/ballots/{ballot}/vote").text
    assert f'action="/ballots/{ballot}/logout"' in page
    assert "退出登录" in page

    kept = api.client.post(
        f"/ballots/{ballot}/logout", headers={"Origin": "https://elsewhere.example"},
        follow_redirects=False,
    )  # fmt: skip
    assert kept.status_code == 403
    assert 'name="csrf"' in api.client.get(f"/ballots/{ballot}/vote").text  # still signed in

    out = api.client.post(
        f"/ballots/{ballot}/logout", content="", headers=form, follow_redirects=False
    )
    assert (out.status_code, out.headers["location"]) == (303, f"/ballots/{ballot}/vote")
    assert f"{COOKIE}=" in out.headers["set-cookie"]
    assert "Max-Age=0" in out.headers["set-cookie"]
    again = api.client.get(f"/ballots/{ballot}/vote").text
    assert "业主令牌" in again
    assert 'name="csrf"' not in again


def test_one_sign_in_serves_the_owners_units_and_their_ballots_and_one_sign_out_ends_both(
    api: Api,
) -> None:
    """The notice on /owner links to the ballot ("去投票"): the owner is not asked again."""
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot = open_ballot(b, a)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    owner = api.client.post("/owner/session", content=f"token={a.tokens['owner']}",
                            headers=form, follow_redirects=False)  # fmt: skip
    assert owner.status_code == 303
    page = api.client.get(f"/ballots/{ballot}/vote").text
    assert 'name="csrf"' in page  # signed in already: the voting form, not the sign-in
    out = api.client.post(f"/ballots/{ballot}/logout", content="", headers=form,
                          follow_redirects=False)  # fmt: skip
    assert out.status_code == 303
    signed_out = api.client.get("/owner").text
    assert '<label for="token">业主凭证</label>' in signed_out  # /owner asks again
    assert 'data-unit="1-001"' not in signed_out
