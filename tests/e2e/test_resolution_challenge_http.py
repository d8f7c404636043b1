"""A resolution challenged in court over HTTP (issue #16, SPC interpretation art. 12): a regulator
records the filing and its end; every refusal is a problem, never a 500."""

from __future__ import annotations

from typing import Any

from tests.e2e.voting_world import SCAN
from tests.e2e.world import Builder, day
from tests.plugins.api import Api

CASE = "(2026)鲁0202民初123号"
PROBLEM = "application/problem+json"


def filing(**changes: str) -> dict[str, Any]:
    return {"court": "青岛市市南区人民法院", "case_number": CASE, "filed_on": day(),
            "filing": SCAN, **changes}  # fmt: skip


def ending(outcome: str = "dismissed", **changes: str) -> dict[str, Any]:
    return {"outcome": outcome, "ended_on": day(), "ruling": SCAN, **changes}


def refused(api: Api, path: str, token: str, body: dict[str, Any], slug: str) -> str:
    response = api.client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["type"] == f"/problems/{slug}", problem
    return str(problem["detail"])


def test_a_regulator_records_a_challenge_and_its_dismissal(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    regulator = b.regulators[a.district]
    path = f"/v1/resolutions/{a.election_id}/challenge"
    shown = f"/v1/resolutions/{a.election_id}"
    assert api.call("GET", shown, a.tokens["owner"], expect=200)["challenge"] is None
    filed = api.call("POST", path, regulator, expect=200, json=filing())
    assert filed == {"id": a.election_id, "status": "under_challenge", "case_number": CASE,
                     "on": day()}  # fmt: skip
    read = api.call("GET", shown, a.tokens["owner"], expect=200)  # owners see it too
    assert read["challenge"] == {"court": "青岛市市南区人民法院", "case_number": CASE,
                                 "filed_on": day()}  # fmt: skip
    assert read["revoked_on"] is None
    detail = refused(api, path, regulator, filing(case_number="(2026)鲁0202民初9号"),
                     "invalid-state")  # fmt: skip
    assert "already under challenge" in detail
    ended = api.call("POST", path + "/end", regulator, expect=200, json=ending())
    assert ended == {"id": a.election_id, "status": "dismissed", "case_number": CASE, "on": day()}
    assert api.call("GET", shown, a.tokens["owner"], expect=200)["challenge"] is None
    assert "no pending challenge" in refused(api, path + "/end", regulator, ending("withdrawn"),
                                             "invalid-state")  # fmt: skip


def test_a_challenge_refused_before_the_vote_closed_in_the_future_or_once_revoked(
    api: Api,
) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    regulator = b.regulators[a.district]
    path = f"/v1/resolutions/{a.election_id}/challenge"
    assert "after its vote closed" in refused(api, path, regulator, filing(filed_on=day(-400)),
                                              "invalid-command")  # fmt: skip
    assert "future" in refused(api, path, regulator, filing(filed_on=day(1)), "invalid-command")
    api.call("POST", f"/v1/resolutions/{a.election_id}/revocation", regulator, expect=200,
             json={"revoked_on": day(), "judgment": SCAN})  # fmt: skip
    shown = api.call("GET", f"/v1/resolutions/{a.election_id}", a.tokens["m1"], expect=200)
    assert (shown["revoked_on"], shown["challenge"]) == (day(), None)
    assert "revoked" in refused(api, path, regulator, filing(), "invalid-state")


def test_a_malformed_challenge_is_a_validation_problem(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    regulator = b.regulators[a.district]
    path = f"/v1/resolutions/{a.election_id}/challenge"
    for body in (filing(filing="scan.pdf"), filing(case_number=""), ending("revoked")):
        response = api.client.post(path if "court" in body else path + "/end", json=body,
                                   headers={"Authorization": f"Bearer {regulator}"})  # fmt: skip
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == PROBLEM
