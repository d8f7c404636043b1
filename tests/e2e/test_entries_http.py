"""Entries and as-of balance over HTTP read their writes without asking (issue #13, item 5):
from the statements read model once it has applied the account's stream, else from the stream."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.account import entries
from api.app import create_app
from commonfund.server import build_services
from commonfund.settings import Settings
from commonfund.wiring import DATABASE_OUTAGES, build_ledger
from ledger.application import Ledger
from tests.plugins.api import Api
from tests.plugins.builders import World, world
from tests.plugins.clock import TODAY, MovableClock


def income(n: int, on: str = TODAY.isoformat()) -> dict[str, Any]:
    return {
        "category": "parking" if n % 2 else "advertising",
        "payer": {"name": "青岛某停车管理有限公司", "kind": "organisation"},
        "amount": f"{100 + n}.00",
        "value_date": on,
    }


@pytest.fixture
def account(api: Api) -> Iterator[tuple[World, str]]:
    writer = build_ledger(api.settings, api.clock)
    try:
        w = world(writer)
        yield w, api.token(role="committee", complex_id=w.complex_id, member_id="m1")
    finally:
        writer.close()


def no_replay(*_: object, **__: object) -> None:
    raise AssertionError("read from the stream: the read model should have answered")


def test_a_member_sees_each_entry_at_once_without_asking(
    api: Api, account: tuple[World, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    w, m1 = account
    served: Ledger = api.client.app.state.services.ledger  # type: ignore[attr-defined]
    # the read model answers every read (the facade binds its readings per instance)
    monkeypatch.setattr(served, "entries", no_replay)
    monkeypatch.setattr(served, "balance_as_of", no_replay)
    path = f"/v1/accounts/{w.account_id}"
    total = 0
    for n in range(8):
        made = api.call("POST", f"{path}/income", m1, expect=201, json=income(n), key=f"i{n}")
        total += 100 + n
        # the very next reads, no Prefer header: the entry is there, and in the balance
        page = api.call("GET", f"{path}/entries?limit=500", m1, expect=200)
        assert [e["id"] for e in page["items"]][-1] == made["id"]
        assert page["items"][-1] == made
        balance = api.call("GET", f"{path}/balance?as_of={TODAY.isoformat()}", m1, expect=200)
        assert balance["balance"] == f"{total}.00"
    reversal = api.call(
        "POST", f"{path}/reversals", m1, expect=201, key="r",
        json={"reverses": made["id"], "reason": "重复入账", "value_date": TODAY.isoformat()},
    )  # fmt: skip
    assert (reversal["kind"], reversal["reverses"], reversal["amount"]) == (
        "reversal", made["id"], "-107.00",
    )  # fmt: skip
    page = api.call("GET", f"{path}/entries", m1, expect=200)
    assert page["items"][-1] == reversal
    assert page["items"][-2]["reversed_by"] == reversal["id"]


def test_a_cursor_pages_through_everything_once(api: Api, account: tuple[World, str]) -> None:
    w, m1 = account
    path = f"/v1/accounts/{w.account_id}"
    made = [
        api.call("POST", f"{path}/income", m1, expect=201, json=income(n), key=f"i{n}")["id"]
        for n in range(5)
    ]
    seen, cursor = [], None
    while True:
        query = f"limit=2&cursor={cursor}" if cursor else "limit=2"
        page = api.call("GET", f"{path}/entries?{query}", m1, expect=200)
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == made
    last = api.call("GET", f"{path}/entries?limit=5", m1, expect=200)
    assert (len(last["items"]), last["next_cursor"]) == (5, None)  # exactly a page: no cursor
    parking = api.call("GET", f"{path}/entries?category=parking&limit=1", m1, expect=200)
    assert [e["id"] for e in parking["items"]] == [made[1]]
    rest = api.call(
        "GET", f"{path}/entries?category=parking&cursor={parking['next_cursor']}", m1, expect=200
    )
    assert [e["id"] for e in rest["items"]] == [made[3]]


def test_without_a_runner_the_entries_come_from_the_stream(
    settings: Settings, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No read model follows (COMMONFUND_RUN_PROJECTIONS=false and no `commonfund project`):
    a read waits its bounded while, then answers from the account's stream, the same."""
    monkeypatch.setattr(entries, "WAIT_SECONDS", 0.2)  # 2 s in service: bounded, not skipped
    app = create_app(
        lambda: dataclasses.replace(build_services(settings, clock), follow=False),
        lambda _: {"ready": True},
        DATABASE_OUTAGES,
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        api = Api(client, settings, clock)
        writer = build_ledger(settings, clock)
        try:
            w = world(writer)
        finally:
            writer.close()
        m1 = api.token(role="committee", complex_id=w.complex_id, member_id="m1")
        path = f"/v1/accounts/{w.account_id}"
        yesterday = (TODAY - timedelta(days=1)).isoformat()
        made = api.call(
            "POST", f"{path}/income", m1, expect=201, json=income(1, yesterday), key="a"
        )
        page = api.call("GET", f"{path}/entries", m1, expect=200)
        assert (page["items"], page["next_cursor"]) == ([made], None)
        for day, expected in (
            (yesterday, "101.00"),
            ((TODAY - timedelta(days=2)).isoformat(), "0.00"),
        ):
            answer = api.call("GET", f"{path}/balance?as_of={day}", m1, expect=200)
            assert answer["balance"] == expected
