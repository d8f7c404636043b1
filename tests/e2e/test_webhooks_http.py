"""Webhooks over HTTP: regulators subscribe inside their jurisdiction, see delivery status, remove.

The served app follows the ledger and delivers in the background, as `serve`
does, to real receivers on 127.0.0.1: a district regulator's endpoint gets its
district's alerts (after two failed attempts, signed, one Webhook-Id) and never
another district's.
"""

from __future__ import annotations

import base64
import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from commonfund.server import build_services
from commonfund.settings import Settings
from tests.e2e.world import Builder, Side, expenditure_body
from tests.plugins.api import Api
from tests.plugins.clock import MovableClock
from tests.webhook_receiver import LOOPBACK_ALLOWED, receiving, verify

HOOKS = "/v1/webhooks"


@pytest.fixture
def api(settings: Settings, clock: MovableClock) -> Iterator[Api]:
    """The served app with fast retries and polling, so a test waits well under a second."""
    fast = settings.model_copy(
        update={
            "webhook_retry_base_seconds": 0.05,
            "webhook_poll_seconds": 0.05,
            **LOOPBACK_ALLOWED,
        }
    )
    with served(fast, clock) as client:
        yield client


@contextlib.contextmanager
def served(settings: Settings, clock: MovableClock) -> Iterator[Api]:
    app = create_app(lambda: build_services(settings, clock), lambda _: {"ready": True})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, settings, clock)


def round_payment(b: Builder, side: Side) -> str:
    """5,000.00 booked without a contract (m1 proposes, m2 approves): alert A04."""
    path = f"/v1/accounts/{side.account_id}/expenditures"
    made = b.post(path, side.tokens["m1"], expenditure_body(side.decision_id, "5000.00"))
    b.post(f"{path}/{made['id']}/approvals", side.tokens["m2"], None, expect=200)
    return str(made["id"])


def listed(api: Api, token: str) -> dict[str, dict[str, Any]]:
    items = api.call("GET", HOOKS, token, expect=200)["items"]
    return {item["id"]: item for item in items}


def settled(api: Api, token: str, webhook_id: str) -> dict[str, Any]:
    """The subscription once no delivery is pending (the worker records after the answer)."""
    deadline = time.monotonic() + 10
    while True:
        item = listed(api, token)[webhook_id]
        if item["deliveries"]["pending"] == 0 or time.monotonic() > deadline:
            return item
        time.sleep(0.05)


def test_a_district_regulator_gets_its_alerts_signed_and_never_another_districts(
    api: Api,
) -> None:
    b = Builder(api)
    a, other = b.side("370202"), b.side("370203")
    r_a, r_b, city = (b.regulators[c] for c in ("370202", "370203", "370200"))
    with receiving(failures=2) as mine, receiving() as theirs:
        hook = b.post(HOOKS, r_a, {"url": mine.url, "rules": ["A04"]})
        their_hook = b.post(HOOKS, r_b, {"url": theirs.url})
        assert (hook["jurisdiction"], their_hook["jurisdiction"]) == ("370202", "370203")
        assert hook["secret"].startswith("whsec_")
        assert len(base64.b64decode(hook["secret"].removeprefix("whsec_"))) == 32
        assert hook["secret"] != their_hook["secret"]
        round_payment(b, a)
        round_payment(b, other)
        mine.wait(lambda r: len(r.accepted()) >= 1, timeout=20)
        theirs.wait(lambda r: len(r.accepted()) >= 1, timeout=20)
        item = settled(api, r_a, hook["id"])
    got = mine.requests()
    assert [r.answered for r in got] == [500, 500, 200]
    assert len({r.headers["webhook-id"] for r in got}) == 1  # every attempt: the same delivery
    assert all(verify(hook["secret"], r.headers, r.body) for r in got)
    alert = json.loads(got[-1].body)["alert"]
    assert (alert["complex_id"], alert["district"], alert["rule"]) == (
        a.complex_id,
        "370202",
        "A04",
    )
    assert {json.loads(r.body)["alert"]["complex_id"] for r in theirs.requests()} == {
        other.complex_id
    }
    # one shape (issue #13 item 4): the webhook delivers the alert as the API answers it
    answered = api.call("GET", f"/v1/alerts/{alert['alert_id']}", r_a, expect=200)
    assert alert == {k: v for k, v in answered.items() if k not in {"history", "version"}}
    listed_alerts = api.call("GET", "/v1/alerts?rule=A04", r_a, expect=200)["items"]
    assert [i for i in listed_alerts if i["alert_id"] == alert["alert_id"]] == [alert]
    assert alert["url"] == f"/v1/alerts/{alert['alert_id']}"
    assert all(verify(their_hook["secret"], r.headers, r.body) for r in theirs.requests())
    # the status, as the regulator sees it
    assert "secret" not in item
    assert item["deliveries"] == {"pending": 0, "delivered": 1, "failed": 0, "attempts": 3}
    last = item["last_delivery"]
    assert (last["id"], last["status"], last["attempts"]) == (
        got[0].headers["webhook-id"],
        "delivered",
        3,
    )
    assert last["last_status_code"] == 200
    (delivery,) = api.call("GET", f"{HOOKS}/{hook['id']}/deliveries", r_a, expect=200)["items"]
    assert delivery == last
    # who sees what: each district its own, the city both, the operator all
    assert set(listed(api, r_a)) == {hook["id"]}
    assert set(listed(api, r_b)) == {their_hook["id"]}
    assert (
        set(listed(api, city))
        == set(listed(api, api.operator))
        == {
            hook["id"],
            their_hook["id"],
        }
    )
    api.call("GET", f"{HOOKS}/{hook['id']}/deliveries", r_b, expect=404)
    api.call("DELETE", f"{HOOKS}/{hook['id']}", r_b, expect=404)
    removed = api.call("DELETE", f"{HOOKS}/{hook['id']}", r_a, expect=200)
    assert removed["id"] == hook["id"]
    assert set(listed(api, city)) == {their_hook["id"]}
    api.call("DELETE", f"{HOOKS}/{hook['id']}", r_a, expect=404)


def test_a_regulator_subscribes_only_inside_its_jurisdiction(api: Api) -> None:
    b = Builder(api)
    district, city = b.regulators["370202"], b.regulators["370200"]
    url = "http://127.0.0.1:9/hook"  # allowed here; nothing listens, and no alert is raised
    outside = api.call(
        "POST", HOOKS, district, expect=403, json={"url": url, "jurisdiction": "370203"}
    )
    assert outside["type"] == "/problems/forbidden"
    street = b.post(HOOKS, district, {"url": url, "jurisdiction": "370202001"})
    assert street["jurisdiction"] == "370202001"
    assert b.post(HOOKS, city, {"url": url})["jurisdiction"] == "370200"
    assert b.post(HOOKS, city, {"url": url, "jurisdiction": "370203"})["jurisdiction"] == "370203"
    for bad in (
        {"url": "ftp://jg.example.cn/hook"},
        {"url": "https://user:pw@jg.example.cn/hook"},
        {"url": url, "severities": ["urgent"]},
        {"url": url, "rules": ["H02"]},
        {"url": url, "extra": 1},
    ):
        problem = api.call("POST", HOOKS, district, expect=422, json=bad)
        assert problem["errors"], bad


def test_a_receiver_down_shows_as_pending_with_its_error(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    regulator = b.regulators["370202"]
    with receiving() as gone:
        url = gone.url
    hook = b.post(HOOKS, regulator, {"url": url, "rules": ["A04"]})
    round_payment(b, a)
    deadline = time.monotonic() + 20
    while True:
        last = listed(api, regulator)[hook["id"]]["last_delivery"]
        if last is not None or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert last is not None
    assert last["status"] == "pending"
    assert last["last_status_code"] is None
    assert last["last_error"] == "connection_refused"  # a class: no exception text, no address
    assert last["next_attempt_at"] is not None


@pytest.mark.parametrize("require_https", [True, False])
def test_an_inside_url_is_refused_at_registration_without_the_allow_setting(
    settings: Settings, clock: MovableClock, require_https: bool
) -> None:
    """As deployed (https only, no host allowed), and in development (http too): the loopback
    receiver the other tests use, the database, the service's own admin routes, in any spelling,
    are 422 naming why, and nothing is subscribed or sent."""
    deployed = settings.model_copy(update={"webhook_require_https": require_https})
    with receiving() as receiver, served(deployed, clock) as api:
        regulator = Builder(api).regulators["370202"]
        port = receiver.url.split(":")[2].split("/")[0]
        for host in (
            f"127.0.0.1:{port}",
            f"2130706433:{port}",
            f"0177.0.0.1:{port}",
            f"127.1:{port}",
            f"[::ffff:127.0.0.1]:{port}",
            f"localhost:{port}",
            "127.0.0.1:5432",
            "[::1]:8000",
            "169.254.169.254",
            "10.0.0.8",
        ):
            for scheme in ("https", "http"):
                problem = api.call(
                    "POST", HOOKS, regulator, expect=422, json={"url": f"{scheme}://{host}/hook"}
                )
                assert problem["type"] == "/problems/validation-error"
                ((field, message),) = [(e["field"], e["message"]) for e in problem["errors"]]
                assert field == "body.url"
                if scheme == "http" and require_https:
                    assert "https only" in message
                else:
                    assert "non-public address" in message, (host, message)
        assert listed(api, regulator) == {}
    assert receiver.requests() == []


def test_a_subscription_is_made_once_per_idempotency_key(api: Api) -> None:
    b = Builder(api)
    regulator = b.regulators["370202"]
    body = {"url": "http://127.0.0.1:9/hook", "rules": ["A04"]}

    def post(key: str, json: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {regulator}", "Idempotency-Key": key}
        return api.client.post(HOOKS, json=json, headers=headers)

    first, again = post("hook-1", body), post("hook-1", body)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content  # byte for byte: the secret shown once, once more
    assert again.headers["Idempotent-Replayed"] == "true"
    assert list(listed(api, regulator)) == [first.json()["id"]]
    reused = post("hook-1", {**body, "rules": ["A05"]})
    assert reused.status_code == 409
    assert reused.json()["type"] == "/problems/idempotency-key-reused"
    # a refused URL is not stored under its key: the corrected request may use the same one
    assert post("hook-2", {"url": "http://10.0.0.8/hook"}).status_code == 422
    assert post("hook-2", body).status_code == 201
    assert len(listed(api, regulator)) == 2
