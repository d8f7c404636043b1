"""Idempotency-Key over HTTP (spec/api.md, Writes; issue #3 acceptance).

A replay answers the first response byte for byte; a different body under a used key
is a 409; money movements without a key are refused (428); concurrent requests with
one key make one entry, also across two server processes' worth of state; a refused
request may be retried with its key once the refusal no longer holds.
"""

from __future__ import annotations

import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from typing import Any

import httpx2 as httpx
import psycopg
import pytest
import uvicorn
from eventsourcing import persistence
from fastapi.routing import iter_route_contexts

from api.app import create_app
from api.ports import Claim, StoredResponse
from commonfund import recorders
from commonfund.server import build_services
from commonfund.settings import Settings
from tests.e2e.maintenance_world import (
    checker,
    deposits_body,
    disbursement_body,
    fund,
    voted_project,
)
from tests.e2e.world import Builder, Side, day, expenditure_body, income_body
from tests.plugins.api import Api
from tests.plugins.clock import MovableClock

PROBLEM = "application/problem+json"


def bearer(token: str, key: str | None = None) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return headers


def balance(api: Api, side: Side) -> str:
    account = api.call("GET", f"/v1/accounts/{side.account_id}", side.tokens["m1"], expect=200)
    return str(account["balance"])


def entries(api: Api, side: Side) -> list[dict[str, Any]]:
    page = api.call("GET", f"/v1/accounts/{side.account_id}/entries", side.tokens["m1"], expect=200)
    items: list[dict[str, Any]] = page["items"]
    return items


def test_a_replay_returns_the_first_response_byte_for_byte(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/income"
    headers = bearer(a.tokens["m1"], "rent-2026-11")
    first = api.client.post(path, json=income_body("1234.56"), headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    api.clock.now = api.clock.now.replace(hour=9)  # later the same day: recorded_at would differ
    again = api.client.post(path, json=income_body("1234.56"), headers=headers)
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["content-type"] == first.headers["content-type"]
    assert again.headers["idempotent-replayed"] == "true"
    # the same request by another member of the same committee is the committee's replay
    other = api.client.post(
        path, json=income_body("1234.56"), headers=bearer(a.tokens["m2"], "rent-2026-11")
    )
    assert (other.status_code, other.content) == (201, first.content)
    assert balance(api, a) == "9734.56"
    assert [e["id"] for e in entries(api, a)].count(first.json()["id"]) == 1


def test_a_replay_of_a_state_change_keeps_its_status(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/expenditures/{a.theirs}/approvals"
    first = api.client.post(path, headers=bearer(a.tokens["m1"], "approve-theirs"))
    assert (first.status_code, first.json()["status"]) == (200, "booked")
    again = api.client.post(path, headers=bearer(a.tokens["m1"], "approve-theirs"))
    assert (again.status_code, again.content) == (200, first.content)
    assert again.headers["idempotent-replayed"] == "true"
    assert balance(api, a) == "7300.00"


def test_the_same_key_with_another_body_or_path_is_a_conflict(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/income"
    headers = bearer(a.tokens["m1"], "k-1")
    assert api.client.post(path, json=income_body("100.00"), headers=headers).status_code == 201
    before = balance(api, a)
    reversal = {"reverses": a.income_id, "reason": "退回", "value_date": day()}
    for method, url, body in (
        ("POST", path, income_body("100.01")),
        ("POST", path, {**income_body("100.00"), "description": "另一笔"}),
        ("POST", f"/v1/accounts/{a.account_id}/reversals", reversal),
    ):
        reused = api.client.request(method, url, json=body, headers=headers)
        assert reused.status_code == 409, reused.text
        assert reused.headers["content-type"] == PROBLEM
        problem = reused.json()
        assert problem["type"] == "/problems/idempotency-key-reused"
        assert "k-1" in problem["detail"]
    assert balance(api, a) == before


def test_a_money_movement_without_a_key_is_refused(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    m1 = a.tokens["m1"]
    for path, body in (
        (f"/v1/accounts/{a.account_id}/income", income_body("50.00")),
        (
            f"/v1/accounts/{a.account_id}/expenditures",
            expenditure_body(a.decision_id, "50.00"),
        ),
        (
            f"/v1/accounts/{a.account_id}/reversals",
            {"reverses": a.income_id, "reason": "退回", "value_date": day()},
        ),
        (f"/v1/accounts/{a.account_id}/expenditures/{a.theirs}/approvals", None),
    ):
        refused = api.client.post(path, json=body, headers=bearer(m1))
        assert refused.status_code == 428, (path, refused.text)
        assert refused.headers["content-type"] == PROBLEM
        assert refused.json()["type"] == "/problems/idempotency-key-required"
        assert "Idempotency-Key" in refused.json()["detail"]
    assert balance(api, a) == "8500.00"
    assert len(entries(api, a)) == 1


@contextmanager
def serving(settings: Settings, clock: MovableClock) -> Iterator[str]:
    """The app under uvicorn on a socket of its own, in a thread; its own ledger and stores."""
    app = create_app(lambda: build_services(settings, clock), lambda _: {"ready": True})
    # FastAPI builds its routing tables on the first request. Two apps in one process share
    # the routers' pydantic types, and building them in two event loops at once can race
    # in pydantic (a spurious warning, an error under this suite's filterwarnings). A real
    # deployment has one app per process; build them here before the servers start.
    list(iter_route_contexts(app.routes))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="on", timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def test_concurrent_requests_with_one_key_make_one_entry(
    api: Api, settings: Settings, clock: MovableClock
) -> None:
    b = Builder(api)
    a = b.side("370202")
    before = len(entries(api, a))
    path = f"/v1/accounts/{a.account_id}/income"
    body = income_body("777.77")
    racers = 8
    with serving(settings, clock) as one, serving(settings, clock) as two:
        start = threading.Barrier(racers)

        def race(n: int) -> httpx.Response:
            # members m1 and m2 of one committee, on two servers: all the same request
            token = a.tokens["m1" if n % 2 else "m2"]
            with httpx.Client(base_url=one if n < racers // 2 else two, timeout=30) as client:
                start.wait()
                response = client.post(path, json=body, headers=bearer(token, "burst"))
                for _ in range(200):  # a clash says "in progress, retry": retry as told
                    if response.status_code != 409:
                        break
                    problem = response.json()
                    assert problem["type"] == "/problems/request-in-progress", problem
                    assert (problem["retryable"], response.headers["retry-after"]) == (True, "1")
                    time.sleep(0.02)
                    response = client.post(path, json=body, headers=bearer(token, "burst"))
                return response

        with ThreadPoolExecutor(racers) as pool:
            responses = list(pool.map(race, range(racers)))
    assert [r.status_code for r in responses] == [201] * racers, [r.text for r in responses]
    assert len({r.content for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") != "true" for r in responses) == 1
    entry_id = responses[0].json()["id"]
    after = entries(api, a)
    assert len(after) == before + 1
    assert [e["id"] for e in after].count(entry_id) == 1
    assert balance(api, a) == "9277.77"


def test_a_refused_request_can_be_retried_with_its_key(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    regulator = b.regulators["370202"]
    suspension = f"/v1/accounts/{a.account_id}/suspension"
    api.call("POST", suspension, regulator, expect=200, json={"reason": "核查可疑支出"})
    path = f"/v1/accounts/{a.account_id}/expenditures"
    body = expenditure_body(a.decision_id, "640.00")
    headers = bearer(a.tokens["m1"], "pay-cleaner-12")
    refused = api.client.post(path, json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert (refused.json()["rule"], refused.json()["type"]) == ("H02", "/problems/debit-blocked")
    again = api.client.post(path, json=body, headers=headers)  # still refused, not replayed
    assert again.status_code == 422
    assert "idempotent-replayed" not in again.headers
    api.call("DELETE", suspension, regulator, expect=200)
    accepted = api.client.post(path, json=body, headers=headers)
    assert accepted.status_code == 201, accepted.text
    proposal = accepted.json()
    assert (proposal["status"], proposal["amount"], proposal["approvals"]) == (
        "proposed",
        "640.00",
        ["m1"],
    )
    replay = api.client.post(path, json=body, headers=headers)
    assert (replay.status_code, replay.content) == (201, accepted.content)
    booked = api.call(
        "POST",
        f"{path}/{proposal['id']}/approvals",
        a.tokens["m2"],
        expect=200,
        key="approve-cleaner-12",
    )
    assert booked["status"] == "booked"
    assert balance(api, a) == "7860.00"


def dropping_answers(patch: pytest.MonkeyPatch) -> list[StoredResponse]:
    """The event store records the events and not their answer, as a version before issue
    #15 could leave them (its answer was a second transaction, cut off): the answers it
    would have stored are returned."""
    lost: list[StoredResponse] = []
    keep = recorders._answer

    def dropped(kwargs: dict[str, Any]) -> None:
        answer = keep(kwargs)
        if answer is not None:
            lost.append(answer.response)

    patch.setattr(recorders, "_answer", dropped)
    return lost


def test_a_retry_after_the_answer_was_lost_answers_what_the_ledger_recorded(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: the income is recorded and its answer never stored (an older version's
    second transaction, cut off). The retry gets the first answer, built from the ledger's
    record, and every later replay gets those bytes."""
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/income"
    with monkeypatch.context() as patch:
        lost = dropping_answers(patch)
        first = api.client.post(
            path, json=income_body("321.00"), headers=bearer(a.tokens["m1"], "k-lost")
        )
    assert first.status_code == 201, first.text
    assert balance(api, a) == "8821.00"  # the money moved; its answer is not stored

    api.clock.now = api.clock.now.replace(hour=9)  # later: a fresh answer would show it
    retry = api.client.post(
        path, json=income_body("321.00"), headers=bearer(a.tokens["m2"], "k-lost")
    )
    assert retry.status_code == 201, retry.text
    assert retry.content == lost[0].body  # what the first request would have answered
    assert retry.json()["recorded_by"].endswith("/m1")
    assert retry.json()["recorded_at"]
    again = api.client.post(
        path, json=income_body("321.00"), headers=bearer(a.tokens["m1"], "k-lost")
    )
    assert (again.status_code, again.content) == (201, lost[0].body)
    assert again.headers["idempotent-replayed"] == "true"
    assert balance(api, a) == "8821.00"
    assert [e["amount"] for e in entries(api, a)].count("321.00") == 1


def crash_before_commit(cursor: Any) -> None:
    """The session dies after the events and the answer are written, before the commit."""
    if isinstance(cursor, psycopg.Cursor):
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return  # the commit that follows finds the session gone
    raise persistence.OperationalError("the process died before the commit")


def stored_keys(settings: Settings) -> list[str]:
    if settings.is_postgres:
        with psycopg.connect(settings.database_url) as conn:
            return [r[0] for r in conn.execute("SELECT idempotency_key FROM api_idempotency")]
    with closing(sqlite3.connect(settings.sqlite_path)) as lite:
        return [r[0] for r in lite.execute("SELECT idempotency_key FROM api_idempotency")]


def test_a_proposal_replayed_after_its_approval_answers_as_it_was_proposed(api: Api) -> None:
    """By the time the proposer's retry arrives, a second member has approved and booked the
    proposal. The retry answers the proposal as its request left it: the answer stored with
    the proposal's events (issue #15), not the payment as it stands now."""
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/expenditures"
    body = expenditure_body(a.decision_id, "210.00")
    first = api.client.post(path, json=body, headers=bearer(a.tokens["m1"], "k-prop"))
    assert first.status_code == 201, first.text
    proposal_id = first.json()["id"]
    booked = api.call(
        "POST", f"{path}/{proposal_id}/approvals", a.tokens["m2"], expect=200, key="ok-m2"
    )
    assert booked["status"] == "booked"
    retry = api.client.post(path, json=body, headers=bearer(a.tokens["m1"], "k-prop"))
    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.content == first.content
    assert (retry.json()["status"], retry.json()["approvals"]) == ("proposed", ["m1"])


Write = tuple[str, str, dict[str, Any] | None]  # path, token, body


def proposal_to_approve(b: Builder, a: Side) -> Write:
    path = f"/v1/accounts/{a.account_id}/expenditures"
    made = b.post(path, a.tokens["m1"], expenditure_body(a.decision_id, "120.00"))
    return f"{path}/{made['id']}/approvals", a.tokens["m2"], None


def deposits(b: Builder, a: Side) -> Write:
    path = f"/v1/complexes/{a.complex_id}/maintenance-fund/deposits"
    return path, b.regulators[a.district], deposits_body(a.unit_ids)


def payout(b: Builder, a: Side) -> Write:
    fund(b, a)
    project = voted_project(b, a, a.unit_ids[:2])
    path = f"/v1/maintenance-projects/{project}/disbursements"
    return path, a.tokens["m1"], disbursement_body("300.00")


def payout_to_approve(b: Builder, a: Side) -> Write:
    path, token, body = payout(b, a)
    made = b.post(path, token, body)
    return f"{path}/{made['id']}/approvals", checker(b, a), None


ONE_WRITE_ROUTES = {
    "income": lambda b, a: (
        f"/v1/accounts/{a.account_id}/income", a.tokens["m1"], income_body("45.00"),
    ),
    "expenditure proposal": lambda b, a: (
        f"/v1/accounts/{a.account_id}/expenditures", a.tokens["m1"],
        expenditure_body(a.decision_id, "120.00"),
    ),
    "expenditure approval": proposal_to_approve,
    "maintenance deposits": deposits,
    "payout proposal": payout,
    "payout approval": payout_to_approve,
}  # fmt: skip


@pytest.mark.parametrize("route", list(ONE_WRITE_ROUTES))
def test_a_crash_before_the_commit_leaves_neither_the_events_nor_the_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    """Issue #15: on every money route the events and the request's answer are one
    transaction. A crash after both are written and before the commit leaves neither: the
    retry runs the command once and answers fresh, and its replay answers the stored body."""
    b = Builder(api)
    a = b.side("370202")
    path, token, body = ONE_WRITE_ROUTES[route](b, a)
    ledger = api.client.app.state.services.ledger  # type: ignore[attr-defined]
    positions = ledger.recorder.max_notification_id()
    with monkeypatch.context() as patch:
        patch.setattr(recorders, "before_commit", crash_before_commit)
        crashed = api.client.post(path, json=body, headers=bearer(token, "k-crash"))
    assert crashed.status_code == 503, crashed.text
    assert "k-crash" not in stored_keys(api.settings)
    assert ledger.recorder.max_notification_id() == positions  # no event committed
    retry = api.client.post(path, json=body, headers=bearer(token, "k-crash"))
    assert retry.status_code in (200, 201), retry.text
    assert "idempotent-replayed" not in retry.headers
    assert "k-crash" in stored_keys(api.settings)
    recorded = ledger.recorder.max_notification_id()
    assert recorded > positions
    replay = api.client.post(path, json=body, headers=bearer(token, "k-crash"))
    assert (replay.status_code, replay.content) == (retry.status_code, retry.content)
    assert replay.headers["idempotent-replayed"] == "true"
    assert ledger.recorder.max_notification_id() == recorded  # the replay wrote nothing


@pytest.mark.parametrize("route", ["expenditure approval", "payout approval"])
def test_twins_past_the_lookup_at_once_answer_the_first_ones_answer(
    api: Api, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    """Two requests with one key race: both find no answer under the key before either
    commits. The second's approval then changes nothing (the ledger has that member's
    approval), so nothing is recorded, and it answers the answer its twin stored with the
    approval's events (issue #15), marked as a replay."""
    b = Builder(api)
    a = b.side("370202")
    path, token, _ = ONE_WRITE_ROUTES[route](b, a)
    first = api.client.post(path, headers=bearer(token, "k-twin"))
    assert first.status_code == 200, first.text
    store = api.client.app.state.services.idempotency  # type: ignore[attr-defined]
    real = store.lookup
    calls: list[str] = []

    def before_the_twin_committed(*args: Any) -> Claim:
        calls.append("lookup")
        return Claim("new") if len(calls) == 1 else real(*args)

    with monkeypatch.context() as patch:
        patch.setattr(store, "lookup", before_the_twin_committed)
        twin = api.client.post(path, headers=bearer(token, "k-twin"))
    assert calls == ["lookup"]
    assert (twin.status_code, twin.content) == (200, first.content), twin.text
    assert twin.headers["idempotent-replayed"] == "true"


def test_a_crash_of_an_income_leaves_the_balance_and_the_retry_books_it_once(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The income case of the test above, by what a treasurer sees: balance and entries."""
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/income"
    with monkeypatch.context() as patch:
        patch.setattr(recorders, "before_commit", crash_before_commit)
        crashed = api.client.post(
            path, json=income_body("45.00"), headers=bearer(a.tokens["m1"], "k-crash")
        )
    assert crashed.status_code == 503, crashed.text
    assert balance(api, a) == "8500.00"
    retry = api.client.post(
        path, json=income_body("45.00"), headers=bearer(a.tokens["m1"], "k-crash")
    )
    assert retry.status_code == 201, retry.text
    replay = api.client.post(
        path, json=income_body("45.00"), headers=bearer(a.tokens["m2"], "k-crash")
    )
    assert (replay.status_code, replay.content) == (201, retry.content)
    assert balance(api, a) == "8545.00"
    assert [e["amount"] for e in entries(api, a)].count("45.00") == 1


def test_a_database_outage_answers_503_problem_json_never_500(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue #12: every path to the database answers an outage as 503, retryable."""
    b = Builder(api)
    a = b.side("370202")
    services = api.client.app.state.services  # type: ignore[attr-defined]

    def gone(*_: Any, **__: Any) -> None:
        raise persistence.OperationalError("connection refused")

    read = ("GET", f"/v1/accounts/{a.account_id}", None, None)
    write = ("POST", f"/v1/accounts/{a.account_id}/income", income_body("1.00"), "k-out")
    for target, name, (method, path, body, key) in (
        (services.tokens, "find", read),
        (services.tokens, "find", write),
        (services.ledger, "account_summary", read),
        (services.idempotency, "lookup", write),
        (services.ledger, "record_income", write),
    ):
        with monkeypatch.context() as patch:
            patch.setattr(target, name, gone)
            answer = api.client.request(
                method, path, json=body, headers=bearer(a.tokens["m1"], key)
            )
        assert answer.status_code == 503, (name, method, answer.text)
        assert answer.headers["content-type"] == PROBLEM
        assert answer.headers["retry-after"] == "2"
        assert answer.json()["retryable"] is True
    assert balance(api, a) == "8500.00"


def test_an_approval_on_a_stale_cached_account_answers_after_its_collision_not_500(
    api: Api, settings: Settings, clock: MovableClock
) -> None:
    """Issue #15, found by bench/api_write.py's expenditure phase (500s under two workers):
    this server's cached account is stale (another server proposed and booked a payment on
    it since). The approval's held write must build its answer on the state it holds, and
    its commit then collides and runs again on fresh state; catching the held state up with
    the other server's events applied their approval to a proposal it did not have
    (KeyError: 500)."""
    b = Builder(api)
    a = b.side("370202")
    path = f"/v1/accounts/{a.account_id}/expenditures"
    mine = b.post(path, a.tokens["m1"], expenditure_body(a.decision_id, "100.00"))["id"]
    with serving(settings, clock) as other, httpx.Client(base_url=other, timeout=30) as client:
        theirs = client.post(
            path,
            json=expenditure_body(a.decision_id, "50.00"),
            headers=bearer(a.tokens["m1"], "k-theirs"),
        )
        assert theirs.status_code == 201, theirs.text
        booked = client.post(
            f"{path}/{theirs.json()['id']}/approvals", headers=bearer(a.tokens["m2"], "k-book")
        )
        assert booked.status_code == 200, booked.text
    approved = api.client.post(f"{path}/{mine}/approvals", headers=bearer(a.tokens["m2"], "k-mine"))
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["approvals"]) == ("booked", ["m1", "m2"])
    assert balance(api, a) == "8350.00"
