"""Personal data end to end (issue #12, item 10), on SQLite and PostgreSQL.

Names recorded through the API are nowhere in the database in plain text;
the committee and the regulator read them; ``commonfund erase-person`` makes
them unreadable everywhere while every chain verifies, the published
statement stays byte for byte the same, rebuilt read models equal the live
ones and the alerts do not change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from commonfund import cli
from commonfund.server import build_services
from commonfund.settings import Settings
from commonfund.wiring import (
    bank_runner,
    build_ledger,
    maintenance_runner,
    statements_runner,
    supervision_runner,
)
from ledger.personal import ERASED
from tests.e2e.world import ELECTED, PLACES, day, election_body, unit_rows
from tests.plugins.api import Api
from tests.plugins.builders import key
from tests.plugins.clock import MovableClock

MEMBERS = ["王建国", "欧阳娜娜", "李卫东", "赵敏芳", "孙立群"]
PAYER = "刘小红"  # an individual, named without an identity key
DECLARED = "陈美玲"  # a person's name sent as an organisation (item 12)
PAYEE = "张伟强"
PAYEE_ACCOUNT = "6222020200112233445"
PLAINTEXT = [*MEMBERS, PAYER, DECLARED, PAYEE, PAYEE_ACCOUNT]
GENERATION_FREE = {"projection_tracking", "projection_state", "commonfund_schema_migrations"}


@pytest.fixture
def api(settings: Settings, clock: MovableClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Api]:
    """As the e2e client, with keys never cached: an erasure in the CLI reaches it at once."""
    fresh = settings.model_copy(update={"personal_key_cache_seconds": 0.0})
    monkeypatch.setenv("COMMONFUND_DATABASE_URL", fresh.database_url)
    monkeypatch.setenv("COMMONFUND_PERSONAL_KEY_CACHE_SECONDS", "0")
    app = create_app(lambda: build_services(fresh, clock), lambda _: {"ready": True})
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client, fresh, clock)


def post(api: Api, path: str, token: str, body: Any, *, key_: str, expect: int = 201) -> Any:
    return api.call("POST", path, token, expect=expect, json=body, key=key_)


def issue(api: Api, **scope: Any) -> str:
    return str(api.call("POST", "/v1/admin/tokens", api.operator, expect=201, json=scope)["token"])


def setup(api: Api) -> dict[str, Any]:
    """A sealed committee of named members, an account, an individual's income, a payment to
    an individual and one to a member (A05), through the API with Idempotency-Keys."""
    street, community = PLACES["370202"]
    units = unit_rows(12)
    cid = post(
        api, "/v1/complexes", api.operator,
        {"code": "QD-PD-0001", "name": "隐私花园", "district": "370202", "street": street,
         "community": community, "units": units},
        key_="c1",
    )["id"]  # fmt: skip
    regulator = issue(api, role="regulator", jurisdiction="370202")
    unit_ids = [u["unit_id"] for u in units]
    election = post(
        api, f"/v1/complexes/{cid}/resolutions", regulator,
        election_body(unit_ids, ELECTED.isoformat()), key_="r1",
    )  # fmt: skip
    members = [
        {"member_id": f"m{i}", "name": name, "identity_key": key(f"pd-member-{i}"),
         "role": "chair" if i == 1 else "member", "signatory": i <= 2}
        for i, name in enumerate(MEMBERS, start=1)
    ]  # fmt: skip
    kid = post(
        api, f"/v1/complexes/{cid}/committees", regulator,
        {"election_resolution_id": election["id"], "elected_on": ELECTED.isoformat(),
         "term_end": day(900), "members": members},
        key_="e1",
    )["id"]  # fmt: skip
    m1, m2 = (issue(api, role="committee", complex_id=cid, member_id=m) for m in ("m1", "m2"))
    post(
        api, f"/v1/committees/{kid}/filing", regulator,
        {"number": "市南备〔2026〕9号", "authority": "市南区住房和城乡建设局", "filed_on": day(-50)},
        key_="f1", expect=200,
    )  # fmt: skip
    post(
        api, f"/v1/committees/{kid}/seal", m1,
        {"seal_number": "3702020099", "sealed_on": day(-45)}, key_="s1", expect=200,
    )  # fmt: skip
    aid = post(
        api, f"/v1/complexes/{cid}/account", m1,
        {"bank": "青岛银行", "account_number": "6228480012345678", "signatories": ["m1", "m2"],
         "opened_on": day(-40)},
        key_="a1",
    )["id"]  # fmt: skip
    income = {
        "category": "venue_rent", "payer": {"name": PAYER, "kind": "individual"},
        "amount": "300.00", "value_date": day(-30), "description": "1-001业主租用活动室",
    }  # fmt: skip
    first = api.client.post(
        f"/v1/accounts/{aid}/income", json=income,
        headers={"Authorization": f"Bearer {m1}", "Idempotency-Key": "inc-1"},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    post(
        api, f"/v1/accounts/{aid}/income", m1,
        {"category": "parking", "payer": {"name": DECLARED, "kind": "organisation"},
         "amount": "8000.00", "value_date": day(-30)},
        key_="inc-2",
    )  # fmt: skip
    decision = post(
        api, f"/v1/committees/{kid}/decisions", m1,
        {"purpose": "零星维修", "amount_cap": "5000.00", "decided_on": day(-35),
         "approvers": ["m1", "m2", "m3"]},
        key_="d1",
    )  # fmt: skip
    paid = []
    for n, payee in enumerate(
        [{"name": PAYEE, "kind": "individual", "bank_account": PAYEE_ACCOUNT},
         {"name": MEMBERS[2], "kind": "individual"}],  # m3, not a signatory: A05
        start=1,
    ):  # fmt: skip
        proposed = post(
            api, f"/v1/accounts/{aid}/expenditures", m1,
            {"category": "repairs", "payee": payee, "method": "transfer", "amount": "200.00",
             "purpose": "零星维修", "value_date": day(-30),
             "authorisation": {"kind": "decision", "id": decision["id"]}},
            key_=f"x{n}",
        )  # fmt: skip
        api.client.post(
            f"/v1/accounts/{aid}/expenditures/{proposed['id']}/approvals",
            headers={"Authorization": f"Bearer {m2}", "Idempotency-Key": f"ok{n}",
                     "Prefer": "read-your-writes"},
        )  # fmt: skip
        paid.append(proposed["id"])
    post(api, f"/v1/complexes/{cid}/statements/2026-10/publication", m1, None, key_="p1")
    return {
        "cid": cid, "kid": kid, "aid": aid, "m1": m1, "regulator": regulator,
        "income": income, "first": first.content, "members": members,
    }  # fmt: skip


def every_value(settings: Settings) -> Iterator[tuple[str, bytes]]:
    """Every stored value of every table, as bytes (text UTF-8 encoded)."""
    if settings.is_postgres:
        with psycopg.connect(settings.database_url) as conn:
            tables = [
                r[0]
                for r in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                ).fetchall()
            ]
            for table in tables:
                for row in conn.execute(f'SELECT * FROM "{table}"').fetchall():
                    yield from ((table, _bytes(v)) for v in row)
        return
    with sqlite3.connect(settings.sqlite_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                yield from ((table, _bytes(v)) for v in row)


def _bytes(value: object) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def plaintext_found(settings: Settings) -> list[tuple[str, str]]:
    needles = [
        (text, form)
        for text in PLAINTEXT
        for form in (text.encode(), json.dumps(text).encode()[1:-1])  # UTF-8 and \\u escapes
    ]
    return sorted(
        {(table, text) for table, value in every_value(settings) for text, form in needles
         if form in value}
    )  # fmt: skip


def read_models(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """Every read-model row of the serving copies, without the generation column."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    if settings.is_postgres:
        with psycopg.connect(settings.database_url) as conn:
            serving = [r[0] for r in conn.execute("SELECT generation FROM projection_state")]
            tables = conn.execute(
                "SELECT table_name FROM information_schema.columns WHERE table_schema = 'public'"
                " AND column_name = 'generation'"
            ).fetchall()
            for (table,) in tables:
                if table in GENERATION_FREE:
                    continue
                rows = conn.execute(
                    f'SELECT * FROM "{table}" WHERE generation = ANY(%s)',
                    (serving,),
                ).fetchall()
                found[table] = sorted(tuple(map(str, r[1:])) for r in rows)
        return found
    with sqlite3.connect(settings.sqlite_path) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        serving = [r[0] for r in conn.execute("SELECT generation FROM projection_state")]
        for table in names:
            columns = [c[1] for c in conn.execute(f"PRAGMA table_info({table})")]
            if table in GENERATION_FREE or columns[:1] != ["generation"]:
                continue
            marks = ", ".join("?" * len(serving))
            rows = conn.execute(
                f'SELECT * FROM "{table}" WHERE generation IN ({marks})',
                serving,
            ).fetchall()
            found[table] = sorted(tuple(map(str, r[1:])) for r in rows)
    return found


def rebuild_all(settings: Settings) -> None:
    ledger = build_ledger(settings)
    try:
        for make in (statements_runner, supervision_runner, maintenance_runner, bank_runner):
            runner = make(settings, ledger)
            try:
                runner.rebuild()
            finally:
                runner.database.close()
    finally:
        ledger.close()


def catch_up(settings: Settings) -> None:
    ledger = build_ledger(settings)
    try:
        for make in (statements_runner, supervision_runner, maintenance_runner, bank_runner):
            runner = make(settings, ledger)
            try:
                runner.catch_up()
            finally:
                runner.database.close()
    finally:
        ledger.close()


def test_names_are_sealed_readable_by_those_who_may_and_erased_everywhere(
    api: Api, capsys: pytest.CaptureFixture[str]
) -> None:
    w = setup(api)
    catch_up(api.settings)
    settings = api.settings

    assert plaintext_found(settings) == []  # events, snapshots, read models, stored answers
    assert any(b"pd1:" in v for _, v in every_value(settings))  # the scan does read them

    committee = api.call("GET", f"/v1/committees/{w['kid']}", w["regulator"], expect=200)
    assert [m["name"] for m in committee["members"]] == MEMBERS
    entries = api.call("GET", f"/v1/accounts/{w['aid']}/entries", w["m1"], expect=200)
    shown = {e["counterparty"] for e in entries["items"]}
    assert {PAYER, DECLARED, PAYEE, MEMBERS[2]} <= shown
    statement_path = f"/v1/public/complexes/{w['cid']}/statements/2026-10"
    published = api.client.get(statement_path).content
    lines = json.loads(published)
    parties = json.dumps(lines, ensure_ascii=False)
    for masked in ("刘*", "陈*", "张*"):  # in public, people show as surname + *
        assert masked in parties
    assert "1-*业主租用活动室" in parties  # a registered unit id, two parts, masked (item 12)
    alerts = api.call("GET", "/v1/alerts", w["regulator"], expect=200)["items"]
    assert [a["rule"] for a in alerts if a["rule"] == "A05"] == ["A05"]

    erased = [
        ["erase-person", "--name", PAYER],
        ["erase-person", "--name", DECLARED],
        ["erase-person", "--name", PAYEE],
        ["erase-person", w["members"][0]["identity_key"]],
    ]
    for argv in erased:
        assert cli.main(argv) == 0
    assert "erased: person" in capsys.readouterr().out
    assert cli.main(erased[0]) == 0  # again: idempotent
    assert "already erased" in capsys.readouterr().out

    committee = api.call("GET", f"/v1/committees/{w['kid']}", w["regulator"], expect=200)
    assert [m["name"] for m in committee["members"]] == [ERASED, *MEMBERS[1:]]
    entries = api.call("GET", f"/v1/accounts/{w['aid']}/entries", w["m1"], expect=200)
    shown = {e["counterparty"] for e in entries["items"]}
    assert {PAYER, DECLARED, PAYEE} & shown == set()
    assert ERASED in shown
    replay = api.client.post(
        f"/v1/accounts/{w['aid']}/income", json=w["income"],
        headers={"Authorization": f"Bearer {w['m1']}", "Idempotency-Key": "inc-1"},
    )  # fmt: skip
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == w["first"].replace(PAYER.encode(), ERASED.encode())

    assert api.client.get(statement_path).content == published  # byte for byte
    assert cli.main(["verify"]) == 0  # every chain and snapshot still checks
    assert api.call("GET", "/v1/alerts", w["regulator"], expect=200)["items"] == alerts
    live = read_models(settings)
    rebuild_all(settings)
    assert read_models(settings) == live  # a rebuild after the erasure equals the live copy
    assert api.client.get(statement_path).content == published
    assert api.call("GET", "/v1/alerts", w["regulator"], expect=200)["items"] == alerts
