"""Operators see the service (issue #17): /metrics counts, request ids, JSON log lines."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from commonfund.server import build_stores
from commonfund.settings import Settings
from commonfund.wiring import migrate
from tests.e2e.test_webhooks_http import round_payment
from tests.e2e.test_webhooks_http import served as delivering_app
from tests.e2e.world import Builder, unit_rows
from tests.plugins.api import Api
from tests.plugins.clock import MovableClock
from tests.webhook_receiver import LOOPBACK_ALLOWED, receiving

LATENCY = "commonfund_http_request_duration_seconds"
WRITES = "commonfund_writes_total"
ATTEMPTS = "commonfund_webhook_delivery_attempts_total"


def counts(text: str) -> dict[tuple[str, str, str], float]:
    """Requests answered, by (route, method, status class), from a scrape's text."""
    found: dict[tuple[str, str, str], float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == LATENCY + "_count":
                labels = sample.labels
                found[labels["route"], labels["method"], labels["status"]] = sample.value
    return found


def totals(text: str, sample: str, label: str) -> dict[str, float]:
    """A counter's values by its one label, from a scrape's text."""
    return {
        s.labels[label]: s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample
    }


def grown(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What grew between two scrapes, and by how much (labels that did not grow left out)."""
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def scrape(api: Api) -> dict[tuple[str, str, str], float]:
    text = api.call("GET", "/metrics", api.operator, expect=200)
    assert isinstance(text, str)
    return counts(text)


def test_metrics_count_requests_by_route_template_method_and_status(api: Api) -> None:
    before = scrape(api)
    for _ in range(3):
        api.call("GET", "/healthz", None, expect=200)
    api.call("GET", "/v1/no-such-thing/123", None, expect=404)
    for n in range(2):
        complex_id = api.call(
            "POST", "/v1/complexes", api.operator, expect=201,
            json={"code": f"QD-M-{n}", "name": f"计量小区{n}", "district": "370202",
                  "street": "370202001", "community": "370202001001"},
        )["id"]  # fmt: skip
        api.call(
            "POST",
            f"/v1/complexes/{complex_id}/units",
            api.operator,
            expect=201,
            json={"units": unit_rows(2, building="9")},
        )
    api.call("POST", "/v1/complexes", api.operator, expect=422, json={"name": ""})
    after = scrape(api)

    def grew(route: str, method: str, status: str) -> float:
        return after.get((route, method, status), 0) - before.get((route, method, status), 0)

    assert grew("/healthz", "GET", "2xx") == 3
    assert grew("unmatched", "GET", "4xx") == 1  # never the raw path: no id in a label
    assert grew("/v1/complexes", "POST", "2xx") == 2
    assert grew("/v1/complexes", "POST", "4xx") == 1
    assert grew("/v1/complexes/{complex_id}/units", "POST", "2xx") == 2
    assert grew("/metrics", "GET", "2xx") == 1  # the first scrape, counted once it answered
    assert not [labels for labels in after if "123" in labels[0]]


def register(api: Api, code: str) -> str:
    body = {"code": code, "name": f"写入{code}", "district": "370202", "street": "370202001",
            "community": "370202001001"}  # fmt: skip
    return str(api.call("POST", "/v1/complexes", api.operator, expect=201, json=body)["id"])


def test_metrics_count_committed_writes_by_kind_and_never_a_refused_one(api: Api) -> None:
    def writes() -> dict[str, float]:
        return totals(api.call("GET", "/metrics", api.operator, expect=200), WRITES, "kind")

    before = writes()
    first, second, third = (register(api, f"QD-W-{n}") for n in range(3))
    for complex_id in (first, second):
        api.call("POST", f"/v1/complexes/{complex_id}/units", api.operator, expect=201,
                 json={"units": unit_rows(2, building="3")})  # fmt: skip
    # refused by the ledger (the units exist already) and by validation: nothing recorded
    api.call("POST", f"/v1/complexes/{first}/units", api.operator, expect=409,
             json={"units": unit_rows(1, building="3")})  # fmt: skip
    api.call("POST", "/v1/complexes", api.operator, expect=422, json={"name": ""})
    assert third
    assert grown(before, writes()) == {"Complex.Registered": 3, "Complex.UnitsAdded": 2}


@pytest.fixture
def delivering(settings: Settings, clock: MovableClock) -> Iterator[Api]:
    """The served app delivering webhooks in the background, with fast retries and polling."""
    fast = {"webhook_retry_base_seconds": 0.05, "webhook_poll_seconds": 0.05}
    with delivering_app(settings.model_copy(update=fast | LOOPBACK_ALLOWED), clock) as client:
        yield client


def test_metrics_count_webhook_attempts_by_outcome(delivering: Api) -> None:
    api = delivering

    def attempts() -> dict[str, float]:
        return totals(api.call("GET", "/metrics", api.operator, expect=200), ATTEMPTS, "outcome")

    b = Builder(api)
    side = b.side("370202")
    before = attempts()
    assert before["delivered"] >= 0  # every outcome is listed before it first happens
    assert before["timeout"] >= 0
    with receiving(failures=2, status=503) as receiver:
        b.post("/v1/webhooks", b.regulators["370202"], {"url": receiver.url, "rules": ["A04"]})
        round_payment(b, side)
        receiver.wait(lambda r: len(r.accepted()) == 1, timeout=20)
        deadline = time.monotonic() + 10  # the count follows the answer once it is stored
        while grown(before, attempts()).get("delivered", 0) < 1:
            assert time.monotonic() < deadline, grown(before, attempts())
            time.sleep(0.05)
    assert [r.answered for r in receiver.requests()] == [503, 503, 200]
    assert grown(before, attempts()) == {"http_status": 2, "delivered": 1}


def test_metrics_are_the_operators(api: Api) -> None:
    assert api.client.get("/metrics").status_code == 401
    regulator = api.token(role="regulator", jurisdiction="370202")
    assert api.call("GET", "/metrics", regulator, expect=403)["request_id"]


def test_metrics_report_projection_lag_and_open_alerts(api: Api) -> None:
    text = api.call("GET", "/metrics", api.operator, expect=200)
    families = {f.name: f for f in text_string_to_metric_families(text)}
    lag = {
        s.labels["read_model"]: s.value
        for s in families["commonfund_projection_lag_events"].samples
    }
    assert set(lag) == {"statements", "supervision", "maintenance", "bank"}
    assert all(value >= 0 for value in lag.values())
    assert "commonfund_alerts_open" in families


def test_every_answer_has_a_request_id_and_problems_carry_it(api: Api) -> None:
    proxied = api.client.get("/healthz", headers={"X-Request-ID": "edge-42.a_b"})
    assert proxied.headers["x-request-id"] == "edge-42.a_b"
    for odd in ("x" * 65, "a b", "<script>", "a/../b"):
        answer = api.client.get("/healthz", headers={"X-Request-ID": odd})
        assert answer.headers["x-request-id"] != odd
        assert len(answer.headers["x-request-id"]) == 32
    invalid = api.client.post(
        "/v1/complexes", json={"name": ""}, headers={"Authorization": f"Bearer {api.operator}"}
    )
    assert invalid.status_code == 422
    assert invalid.json()["request_id"] == invalid.headers["x-request-id"]
    missing = api.client.get("/v1/nothing", headers={"X-Request-ID": "complaint-7"})
    assert missing.status_code == 404
    assert missing.json()["request_id"] == "complaint-7"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    """``commonfund serve --workers 2`` on loopback, its log lines in a file."""
    url = f"sqlite:///{tmp_path / 'svc.sqlite3'}"
    settings = Settings(database_url=url)
    migrate(settings)
    stores = build_stores(settings)
    try:
        from datetime import UTC, datetime, timedelta  # noqa: PLC0415

        now = datetime.now(UTC)
        operator, _ = stores.issue(
            role="operator", complex_id=None, member_id=None, owner_key=None,
            jurisdiction=None, expires_at=now + timedelta(days=1), label="test", now=now,
        )  # fmt: skip
    finally:
        stores.close()
    port, logs = free_port(), tmp_path / "serve.log"
    env = {
        **os.environ, "COMMONFUND_DATABASE_URL": url, "COMMONFUND_SUPERVISE_DAILY": "false",
        "COMMONFUND_DELIVER_WEBHOOKS": "false", "COMMONFUND_LOG_FORMAT": "json",
        # a spawned worker imports the CLI before it answers the supervisor's ping: on a
        # loaded machine that takes longer than the default 10 s, and the worker is killed
        "COMMONFUND_WORKER_HEALTHCHECK_SECONDS": "120",
    }  # fmt: skip
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    # the log lines go to stderr; stdout has only the pages' addresses (commonfund/cli.py)
    with logs.open("w") as sink, (tmp_path / "serve.out").open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "commonfund.cli", "serve", "--workers", "2", "--port", str(port)],
            env=env, stdout=out, stderr=sink, start_new_session=True,
        )  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, logs.read_text()
                time.sleep(0.2)
            yield base, operator, logs
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)


@pytest.mark.slow
def test_two_workers_log_json_lines_and_sum_their_metrics(
    served: tuple[str, str, Path],
) -> None:
    base, operator, logs = served
    auth = {"Authorization": f"Bearer {operator}"}
    for _ in range(12):  # new connections: both workers answer some
        assert httpx.get(f"{base}/healthz", timeout=5).status_code == 200
    invalid = httpx.post(f"{base}/v1/complexes", json={"name": ""}, headers=auth, timeout=5)
    assert invalid.status_code == 422
    rid = invalid.headers["x-request-id"]
    assert invalid.json()["request_id"] == rid
    for n in range(6):  # writes, each on a new connection too
        body = {"code": f"QD-2W-{n}", "name": f"双进程{n}", "district": "370202",
                "street": "370202001", "community": "370202001001"}  # fmt: skip
        assert httpx.post(f"{base}/v1/complexes", json=body, headers=auth, timeout=5).is_success
    text = httpx.get(f"{base}/metrics", headers=auth, timeout=5).text
    assert counts(text)["/healthz", "GET", "2xx"] == 12  # both workers' counts, summed
    assert counts(text)["/v1/complexes", "POST", "4xx"] == 1
    assert totals(text, WRITES, "kind") == {"Complex.Registered": 6}
    assert totals(text, ATTEMPTS, "outcome")["delivered"] == 0
    time.sleep(0.5)  # the access log line is written as the answer goes
    lines = [json.loads(line) for line in logs.read_text().splitlines() if line.strip()]
    assert lines
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    mine = [line for line in lines if line.get("request_id") == rid]
    assert [line["logger"] for line in mine] == ["uvicorn.access"]
    assert "422" in mine[0]["message"]
    assert {line["logger"] for line in lines} >= {"uvicorn.error", "uvicorn.access"}
