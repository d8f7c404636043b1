"""A response that depends on a credential is never stored by a cache (issue #12 item 8).

Every logged-in page (the regulator's, with its session cookie, and its login form, whose
answer depends on there being no session) and every API route that takes a principal
answer ``Cache-Control: private, no-store``, whatever their status; the public statements
and their pages keep their public caching.
"""

from __future__ import annotations

from typing import Any

from api.pages import CACHE
from api.statements.rendered import LATEST
from tests.e2e.test_statements_http import OCTOBER, october
from tests.plugins.api import Api

PRIVATE = "private, no-store"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def test_every_regulator_page_is_private(api: Api) -> None:
    b, a, _ = october(api)
    other = b.side("370203", spend=False)
    client = api.client
    seen: dict[str, str | None] = {}

    def page(name: str, method: str, path: str, **kwargs: Any) -> None:
        response = client.request(method, path, follow_redirects=False, **kwargs)
        seen[f"{name} ({response.status_code})"] = response.headers.get("cache-control")

    page("login form", "GET", "/regulator")
    page("refused login", "POST", "/regulator/session", content="token=nope", headers=FORM)
    page("login", "POST", "/regulator/session", content=f"token={b.regulators['370202']}",
         headers=FORM)  # fmt: skip
    page("dashboard", "GET", "/regulator")
    page("entries", "GET", f"/regulator/accounts/{a.account_id}")
    page("entries, highlighted", "GET", f"/regulator/accounts/{a.account_id}?highlight=x")
    page("another district's entries", "GET", f"/regulator/accounts/{other.account_id}")
    page("not an account", "GET", "/regulator/accounts/nope")
    page("logout", "GET", "/regulator/logout")
    page("logged out", "GET", f"/regulator/accounts/{a.account_id}")
    bearer = {"Authorization": f"Bearer {b.regulators['370202']}"}
    page("dashboard by bearer", "GET", "/regulator", headers=bearer)
    assert seen == dict.fromkeys(seen, PRIVATE)
    assert {"dashboard (200)", "entries (200)", "login form (200)"} <= set(seen)


def test_every_authenticated_read_is_private(api: Api) -> None:
    """Each GET that takes a principal, with a valid token, a wrong one and none."""
    _, a, _ = october(api)
    ids = {
        "complex_id": a.complex_id,
        "committee_id": a.committee_id,
        "account_id": a.account_id,
        "resolution_id": a.election_id,
        "expenditure_id": a.theirs or "00000000-0000-0000-0000-000000000000",
        "period": OCTOBER,
        "alert_id": "00000000-0000-0000-0000-000000000000",
        "webhook_id": "00000000-0000-0000-0000-000000000000",
        "project_id": "00000000-0000-0000-0000-000000000000",
        "disbursement_id": "00000000-0000-0000-0000-000000000000",
        "ballot_id": "00000000-0000-0000-0000-000000000000",
        "unit_id": f"{a.complex_id}:{a.unit_ids[0]}",
        "year": "2026",
    }
    document = api.client.get("/openapi.json").json()
    reads: list[str] = []
    for path, item in document["paths"].items():
        operation = item.get("get")
        if operation is not None and "security" in operation:  # it takes a principal
            reads.append(path.format(**ids))
    assert len(reads) >= 15, reads  # accounts, entries, alerts, overview, drafts, funds …
    answers: dict[str, tuple[int, str | None]] = {}
    for path in reads:
        for name, token in (("operator", api.operator), ("member", a.tokens["m1"]),
                            ("wrong", "not-a-token"), ("none", None)):  # fmt: skip
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            response = api.client.get(path, headers=headers, params={"as_of": "2026-11-01"})
            answers[f"{name} {path}"] = (
                response.status_code,
                response.headers.get("cache-control"),
            )
    assert {where: cc for where, (_, cc) in answers.items() if cc != PRIVATE} == {}
    assert sum(status == 200 for status, _ in answers.values()) >= 10, answers


def test_public_statements_keep_their_public_caching(api: Api) -> None:
    b, a, _ = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    for path, expected in (
        (f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}", LATEST),
        (f"/complexes/{a.complex_id}/statements/{OCTOBER}", CACHE),
        (f"/complexes/{a.complex_id}/statements", CACHE),
    ):
        response = api.client.get(path)
        assert (response.status_code, response.headers.get("cache-control")) == (200, expected)
        # a token sent along changes nothing these routes say, so neither does it change this
        sent = api.client.get(path, headers={"Authorization": f"Bearer {a.tokens['m1']}"})
        assert sent.headers.get("cache-control") == expected, path
