"""An owner's notices over HTTP (issue #16, A19): `GET /v1/owner/notices` and the `/owner` page."""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.maintenance_world import fund, pay, settle, voted_project
from tests.e2e.voting_world import ballot_body, closed, open_ballot, owner_token, vote
from tests.e2e.world import Builder
from tests.plugins.api import Api


def test_an_owner_reads_the_ballots_to_vote_on_and_the_unit_to_top_up(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    owner = a.tokens["owner"]  # holds 1-001
    fund(b, a)  # 1,000.00 each: the line is 300.00 (30%, A19)
    pay(b, a, voted_project(b, a, ["1-001"], budget="1100.00"), "750.00")  # 1-001: 250.00
    closed(b, a)  # counted yesterday: no notice
    closing = open_ballot(b, a, closes=timedelta(hours=31))  # closes in 30 hours
    later = b.post(f"/v1/complexes/{a.complex_id}/ballots", a.tokens["m1"],
                   ballot_body(api.clock() + timedelta(days=3)))["id"]  # fmt: skip
    settle(b)

    response = api.client.get("/v1/owner/notices", headers={"Authorization": f"Bearer {owner}"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, no-store"
    answer = response.json()
    assert (answer["complex_id"], answer["closing_soon_hours"]) == (a.complex_id, 48)
    notices = answer["notices"]
    assert [(n["kind"], n["ballot_id"], n["units"]) for n in notices] == [
        ("ballot_closing", closing, ["1-001"]),
        ("ballot_announced", later, ["1-001"]),
        ("replenishment", None, ["1-001"]),
    ]
    reminder, announced, top_up = notices
    assert reminder["link"] == f"/ballots/{closing}/vote"
    assert (reminder["headline"], reminder["voted"]) == ("投票即将截止", False)
    assert announced["headline"].startswith("投票将于")
    assert (top_up["balance"], top_up["replenishment_line"]) == ("250.00", "300.00")
    assert top_up["link"] == "/owner/units/1-001"
    assert top_up["headline"] == "维修资金余额低于续筹线，请续交"

    vote(b, closing, owner)  # voted: the open ballot stays, the reminder goes
    again = api.call("GET", "/v1/owner/notices", owner, expect=200)["notices"]
    assert (again[0]["kind"], again[0]["voted"]) == ("ballot_opened", True)
    neighbour = api.call("GET", "/v1/owner/notices", owner_token(b, a, 2), expect=200)
    assert [n["kind"] for n in neighbour["notices"]] == ["ballot_closing", "ballot_announced"]

    page = api.client.get("/owner", headers={"Authorization": f"Bearer {owner}"})
    assert page.status_code == 200
    assert page.headers["cache-control"] == "private, no-store"
    assert f'href="/ballots/{closing}/vote"' in page.text
    assert "维修资金余额低于续筹线，请续交" in page.text
    assert page.text.index("data-notice") < page.text.index('data-unit="1-001"')  # at the top

    refused = api.client.get(
        "/v1/owner/notices", headers={"Authorization": f"Bearer {a.tokens['m1']}"}
    )
    assert (refused.status_code, refused.json()["type"]) == (403, "/problems/forbidden")
    assert refused.headers["content-type"] == "application/problem+json"
