"""Rate limits (issue #12 item 11): failed authentications per address, writes per token.

The app here has small limits and a clock the test moves (no sleeps): three failures per
address, five writes per token, in windows of 60 s. Every refusal is a 429 problem with
``Retry-After``; another address, another token and the public are not held up; and after
the window everything works again.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.ratelimit import FixedWindows, RateLimitPolicy, RateLimits
from commonfund import server
from commonfund.server import build_services
from commonfund.serving import uvicorn_config
from commonfund.settings import Settings
from tests.plugins.api import Api
from tests.plugins.clock import MovableClock

POLICY = RateLimitPolicy(failed_authentications=3, writes=5, window_seconds=60)
HERE, THERE = ("198.51.100.7", 40000), ("203.0.113.9", 40000)
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Ticks:
    """Monotonic seconds that the test moves."""

    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def limited(settings: Settings, clock: MovableClock, ticks: Ticks) -> Iterator[Api]:
    """An app with small limits; its client calls from HERE."""
    app = create_app(
        lambda: build_services(settings, clock), lambda _: {"ready": True},
        rate_limits=RateLimits(POLICY, clock=ticks),
    )  # fmt: skip
    with TestClient(app, raise_server_exceptions=False, client=HERE) as client:
        yield Api(client, settings, clock)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def from_there(api: Api) -> TestClient:
    """The same running app, called from another address."""
    app: FastAPI = api.client.app  # type: ignore[assignment]
    return TestClient(app, raise_server_exceptions=False, client=THERE)


def rate_limited(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 429, response.text
    assert response.headers["retry-after"] == str(seconds)
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert (problem["type"], problem["status"]) == ("/problems/rate-limited", 429)
    assert f"retry in {seconds} s" in problem["detail"]


def test_failed_authentications_lock_out_only_that_address_for_the_window(
    limited: Api, ticks: Ticks
) -> None:
    client = limited.client
    for wrong in ("guess-1", "guess-2", "guess-3"):
        assert client.get("/v1/alerts", headers=bearer(wrong)).status_code == 401
    ticks.now += 20
    # the fourth try is refused before it is looked at, even with a valid token
    rate_limited(client.get("/v1/alerts", headers=bearer(limited.operator)), 40)
    rate_limited(client.get("/v1/alerts", headers=bearer("guess-4")), 40)
    assert client.get("/v1/public/complexes").status_code == 200  # no credential: not held up
    assert (
        from_there(limited).get("/v1/alerts", headers=bearer(limited.operator)).status_code == 200
    )
    assert client.get("/problems/rate-limited").status_code == 200  # its page, like the others
    ticks.now += 40
    assert client.get("/v1/alerts", headers=bearer(limited.operator)).status_code == 200


def test_a_valid_token_or_no_token_is_no_failure(limited: Api) -> None:
    client = limited.client
    for _ in range(10):
        assert client.get("/v1/alerts", headers=bearer(limited.operator)).status_code == 200
        assert client.get("/v1/alerts").status_code == 401  # nothing presented, nothing guessed
    assert client.get("/v1/alerts", headers=bearer(limited.operator)).status_code == 200


def test_writes_per_token_are_limited_for_the_window(limited: Api, ticks: Ticks) -> None:
    client = limited.client
    other = limited.token(role="operator")
    body = {"role": "regulator", "jurisdiction": "370202"}
    for _ in range(POLICY.writes):
        assert client.post(
            "/v1/admin/tokens", json=body, headers=bearer(limited.operator)
        ).is_success
    ticks.now += 59.5
    rate_limited(client.post("/v1/admin/tokens", json=body, headers=bearer(limited.operator)), 1)
    rate_limited(client.delete("/v1/admin/tokens/tok_0", headers=bearer(limited.operator)), 1)
    assert client.get("/v1/alerts", headers=bearer(limited.operator)).status_code == 200  # reads
    assert client.post("/v1/admin/tokens", json=body, headers=bearer(other)).status_code == 201
    ticks.now += 0.5
    assert client.post("/v1/admin/tokens", json=body, headers=bearer(limited.operator)).is_success


def test_the_regulator_login_is_limited_with_a_chinese_page(limited: Api, ticks: Ticks) -> None:
    client = limited.client
    regulator = limited.token(role="regulator", jurisdiction="370202")
    for wrong in ("guess-1", "guess-2"):
        page = client.post("/regulator/session", content=f"token={wrong}", headers=FORM)
        assert page.status_code == 401
    stale = client.get("/regulator", headers={"Cookie": "commonfund_session=guess-3"})
    assert "监管令牌" in stale.text  # the login form: a stale cookie is a failure too
    refused = client.post("/regulator/session", content=f"token={regulator}", headers=FORM)
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "60")
    assert "60 秒后再试" in refused.text
    assert refused.headers["cache-control"] == "private, no-store"
    ticks.now += 60
    logged = client.post(
        "/regulator/session", content=f"token={regulator}", headers=FORM, follow_redirects=False
    )
    assert logged.status_code == 303


def test_serve_has_the_limits_of_its_settings_and_they_can_be_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("COMMONFUND_WRITES_PER_WINDOW", "7")
    limits = server.app().state.rate_limits
    assert isinstance(limits, RateLimits)
    assert (limits.policy.writes, limits.policy.failed_authentications) == (7, 20)
    monkeypatch.setenv("COMMONFUND_RATE_LIMITS", "false")
    assert server.app().state.rate_limits is None


def test_x_forwarded_for_is_believed_only_from_a_configured_proxy() -> None:
    plain = uvicorn_config(host="127.0.0.1", port=1, workers=1, healthcheck_seconds=30)
    assert plain.proxy_headers is False  # uvicorn's own default trusts 127.0.0.1
    behind = uvicorn_config(
        host="127.0.0.1", port=1, workers=1, healthcheck_seconds=30,
        trusted_proxies="10.0.0.0/8, ::1",
    )  # fmt: skip
    assert behind.proxy_headers is True
    assert behind.forwarded_allow_ips == ["10.0.0.0/8", "::1"]
    with pytest.raises(ValueError, match="not an address"):
        Settings(trusted_proxies="10.0.0.0/8, proxy.local")


def test_the_windows_forget_ended_ones_and_stay_bounded(ticks: Ticks) -> None:
    windows = FixedWindows(limit=1, seconds=10, clock=ticks, max_keys=3)
    for key in ("a", "b", "c"):
        windows.count(key)
    assert windows.wait("a") == 10
    ticks.now += 11
    windows.count("d")  # four keys: the three ended windows are forgotten
    assert (len(windows), windows.wait("a")) == (1, None)
    for key in ("e", "f", "g"):
        windows.count(key)  # none ended: the oldest goes
    assert len(windows) == 3
    assert windows.wait("d") is None
    assert windows.wait("g") == 10
