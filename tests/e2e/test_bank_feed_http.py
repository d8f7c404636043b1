"""The bank feed over HTTP (issue #14), end to end: an account opened with a bank code, the
bank's token feeds a camt.053, the automatic matches, a manual link, B01 raised for a debit the
books never show, the committee explains, the regulator closes; the owners' statement shows the
reconciliation; ``commonfund verify`` passes. Hostile files are refused whole, by name."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from bench.bank_files import camt053_bytes
from ledger.bank.statement import BankLine
from ledger.integrity import verify
from tests.e2e.world import Builder, Side, day, income_body
from tests.plugins.api import Api
from tests.plugins.clock import TODAY

BANK_CODE = "313452060150"
OTHER_BANK = "102452000012"
ACCOUNT_NUMBER = "6228480012345678"
DATA = Path(__file__).parents[1] / "data" / "bank"
XML = {"Content-Type": "application/xml"}
CSV = {"Content-Type": "text/csv"}


def opened(b: Builder) -> Side:
    side = b.side("370202", account=False)
    account = b.post(
        f"/v1/complexes/{side.complex_id}/account",
        side.tokens["m1"],
        {
            "bank": "青岛银行市南支行", "bank_code": BANK_CODE, "account_number": ACCOUNT_NUMBER,
            "signatories": ["m1", "m2", "m3"], "opened_on": day(-40),
        },
    )  # fmt: skip
    assert account["bank_code"] == BANK_CODE
    side.account_id = str(account["id"])
    return side


def bank_line(ref: str, amount: int, on: date, *, debit: bool = False, party: str = "") -> BankLine:
    return BankLine(
        key=ref, reference=ref, direction="debit" if debit else "credit", amount=amount,
        booked_on=on, value_on=on, counterparty=party or "青岛某物业服务有限公司",
    )  # fmt: skip


def feed(api: Api, side: Side, token: str, body: bytes, expect: int, **headers: str) -> Any:
    response = api.client.post(
        f"/v1/accounts/{side.account_id}/bank-statements",
        content=body,
        headers={"Authorization": f"Bearer {token}", **(headers or XML)},
    )
    assert response.status_code == expect, response.text
    return response.json()


def statement_xml(lines: list[BankLine], statement_id: str = "STMT-1", opening: int = 0) -> bytes:
    return camt053_bytes(
        lines, account_number=ACCOUNT_NUMBER, opening=opening, statement_id=statement_id,
        message_id=f"MSG-{statement_id}",
    )  # fmt: skip


@pytest.fixture
def world(api: Api) -> tuple[Builder, Side, str]:
    b = Builder(api)
    side = opened(b)
    return b, side, b.issue(role="bank", bank_code=BANK_CODE)


def test_the_bank_feeds_the_committee_links_and_the_regulator_closes(
    api: Api, world: tuple[Builder, Side, str]
) -> None:
    b, side, bank = world
    aid, m1 = side.account_id, side.tokens["m1"]
    five = TODAY - timedelta(days=5)
    referenced = b.post(
        f"/v1/accounts/{aid}/income", m1,
        {**income_body("1200.00"), "value_date": five.isoformat(), "bank_reference": "QD-001"},
    )["id"]  # fmt: skip
    by_amount = b.post(
        f"/v1/accounts/{aid}/income", m1, {**income_body("850.00"), "value_date": five.isoformat()}
    )["id"]
    parts = [
        b.post(
            f"/v1/accounts/{aid}/income", m1, {**income_body(a), "value_date": five.isoformat()}
        )["id"]
        for a in ("300.00", "450.00")
    ]
    lines = [
        bank_line("QD-001", 1_200_00, five),
        bank_line("QD-002", 850_00, five + timedelta(days=1)),
        bank_line("QD-003", 750_00, five),  # one deposit of the two parts
        bank_line("QD-004", 3_000_00, TODAY - timedelta(days=3), debit=True, party="张三"),
    ]
    receipt = feed(api, side, bank, statement_xml(lines), 201)
    assert (receipt["statements"], receipt["lines"], receipt["matched"]) == (1, 4, 2)
    again = feed(api, side, bank, statement_xml(lines), 201)
    assert (again["statements"], again["lines"], again["statements_known"]) == (0, 0, 1)

    path = f"/v1/accounts/{aid}/reconciliation"
    status = api.call("GET", path, m1, expect=200, params={"as_of": TODAY.isoformat()})
    matched = {(m["how"], tuple(m["bank_keys"]), tuple(m["entry_ids"])) for m in status["matches"]}
    assert matched == {
        ("reference", ("QD-001",), (referenced,)),
        ("amount", ("QD-002",), (by_amount,)),
    }
    assert sorted(ln["key"] for ln in status["unmatched_bank"]) == ["QD-003", "QD-004"]
    assert sorted(e["entry_id"] for e in status["unmatched_ledger"]) == sorted(parts)
    debit = next(ln for ln in status["unmatched_bank"] if ln["key"] == "QD-004")
    assert debit["counterparty"] == "张*"  # a person's name is never shown in full
    assert status["bank_balance"] == "-200.00"
    assert status["difference"] != "0.00"

    link = b.post(
        f"{path}/links",
        m1,
        {"bank_lines": ["QD-003"], "entries": parts, "reason": "两笔停车费合并存入"},
    )
    status = api.call("GET", path, b.regulators["370202"], expect=200)
    assert ("manual", ("QD-003",), tuple(parts)) in {
        (m["how"], tuple(m["bank_keys"]), tuple(m["entry_ids"])) for m in status["matches"]
    }
    assert [ln["key"] for ln in status["unmatched_bank"]] == ["QD-004"]
    assert link["link_id"].startswith("link-")

    # B01: a bank debit the books never show, raised for the regulator
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.ledger.tick_supervision(TODAY)
    found: list[dict[str, Any]] = []
    for _ in range(100):  # the supervision runner applies the tick in its own thread
        page = api.call(
            "GET", "/v1/alerts", api.operator, expect=200, params={"rule": "B01", "limit": 50}
        )
        found = [a for a in page["items"] if a["complex_id"] == side.complex_id]
        if found:
            break
        time.sleep(0.1)
    (alert,) = found
    assert alert["severity"] == "critical"
    alerts = f"/v1/alerts/{alert['alert_id']}"
    regulator = b.regulators["370202"]
    b.post(f"{alerts}/acknowledgement", regulator, {"note": "已要求说明"}, expect=200)
    b.post(
        f"{alerts}/explanations", m1, {"text": "电梯维修款，漏记，已补录", "evidence": ["QD-004"]}
    )
    closed = b.post(
        f"{alerts}/closure", regulator, {"outcome": "explained", "reason": "已补录"}, expect=200
    )
    assert closed["status"] == "closed"
    assert verify(services.ledger).ok


def test_a_bank_token_sees_only_the_accounts_of_its_bank(
    api: Api, world: tuple[Builder, Side, str]
) -> None:
    b, side, bank = world
    other_bank = b.issue(role="bank", bank_code=OTHER_BANK)
    body = statement_xml([bank_line("QD-9", 1_00, TODAY - timedelta(days=1))])
    unseen = feed(api, side, other_bank, body, 404)
    assert unseen["type"] == "/problems/not-found"
    elsewhere = b.side("370202", spend=False)  # an account opened without a bank code
    response = api.client.post(
        f"/v1/accounts/{elsewhere.account_id}/bank-statements", content=body,
        headers={"Authorization": f"Bearer {bank}", **XML},
    )  # fmt: skip
    assert response.status_code == 404
    committee = feed(api, side, side.tokens["m1"], body, 403)
    assert committee["type"] == "/problems/forbidden"
    api.call("GET", f"/v1/accounts/{side.account_id}/reconciliation", other_bank, expect=404)
    api.call("GET", f"/v1/accounts/{side.account_id}/entries", bank, expect=404)


HOSTILE = {
    "billion laughs": (
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&lol2;</Document>'
        ),
        "unsafe-xml",
    ),
    "external entity": (
        (
            b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08">&x;</Document>'
        ),
        "unsafe-xml",
    ),
    "doctype": (
        (
            b'<?xml version="1.0"?><!DOCTYPE Document>'
            b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"/>'
        ),
        "unsafe-xml",
    ),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_xml_is_refused_and_records_nothing(
    api: Api, world: tuple[Builder, Side, str], name: str
) -> None:
    _, side, bank = world
    body, reason = HOSTILE[name]
    refused = feed(api, side, bank, body, 422)
    assert refused["type"] == "/problems/bank-statement-refused"
    assert refused["reason"] == reason
    services = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.bank.reconciliation(side.account_id, TODAY) is None  # nothing recorded


def test_bad_files_are_refused_whole_naming_the_problem(
    api: Api, world: tuple[Builder, Side, str]
) -> None:
    _, side, bank = world
    on = TODAY - timedelta(days=2)
    good = [bank_line("QD-1", 100_00, on), bank_line("QD-2", 50_00, on)]
    wrong_balance = statement_xml(good).replace(
        b'<Amt Ccy="CNY">150.00</Amt>', b'<Amt Ccy="CNY">151.00</Amt>'
    )
    assert wrong_balance != statement_xml(good)
    elsewhere = camt053_bytes(
        good, account_number="9999999999", opening=0, statement_id="S", message_id="M"
    )
    cases: list[tuple[bytes, dict[str, str], int, str]] = [
        (wrong_balance, XML, 422, "unbalanced"),
        (statement_xml([*good, bank_line("QD-1", 7_00, on)]), XML, 422, "duplicate-reference"),
        (
            statement_xml([bank_line("QD-1", 1_00, TODAY + timedelta(days=3))]),
            XML,
            422,
            "future-date",
        ),
        (elsewhere, XML, 422, "wrong-account"),
        (b"\xff\xfe\x00garbage\x81", CSV, 422, "undecodable"),
        (
            "交易日期,摘要,余额\r\n2026-11-20,停车费,100.00\r\n".encode("gb18030"),
            CSV,
            422,
            "missing-column",
        ),
    ]
    for body, headers, status, reason in cases:
        path = f"/v1/accounts/{side.account_id}/bank-statements"
        params = {"profile": "icbc"} if headers["Content-Type"] == "text/csv" else None
        response = api.client.post(
            path, content=body, params=params,
            headers={"Authorization": f"Bearer {bank}", **headers},
        )  # fmt: skip
        assert response.status_code == status, (reason, response.text)
        assert response.json()["reason"] == reason, response.text
    services = api.client.app.state.services  # type: ignore[attr-defined]
    assert services.bank.reconciliation(side.account_id, TODAY) is None  # nothing of any


def test_size_and_media_type(api: Api, world: tuple[Builder, Side, str]) -> None:
    _, side, bank = world
    huge = b"<" + b"x" * (20 * 1024 * 1024 + 10)
    too_large = feed(api, side, bank, huge, 413)
    assert too_large["type"] == "/problems/body-too-large"
    json_body = feed(api, side, bank, b"{}", 415, **{"Content-Type": "application/json"})
    assert json_body["type"] == "/problems/unsupported-media-type"


@pytest.mark.parametrize("sample", ["icbc_gbk.csv", "icbc_utf8.csv"])
def test_a_csv_sample_feeds_through_its_profile(
    api: Api, world: tuple[Builder, Side, str], sample: str
) -> None:
    _, side, bank = world
    body = (DATA / sample).read_bytes().replace(b"3803020109001234567", ACCOUNT_NUMBER.encode())
    response = api.client.post(
        f"/v1/accounts/{side.account_id}/bank-statements", content=body,
        params={"profile": "icbc"},
        headers={"Authorization": f"Bearer {bank}", "Content-Type": "text/csv"},
    )  # fmt: skip
    assert response.status_code == 201, response.text
    assert response.json()["lines"] > 0
    assert response.json()["format"] == "csv:icbc"


def test_owners_and_regulators_see_the_reconciliation(
    api: Api, world: tuple[Builder, Side, str]
) -> None:
    """The published statement freezes the bank status (its JSON and its page), the complex's
    page shows today's, the regulator's page lists what is unmatched, the overview counts it."""
    b, side, bank = world
    aid, m1, cid = side.account_id, side.tokens["m1"], side.complex_id
    october = date(2026, 10, 20)
    b.post(
        f"/v1/accounts/{aid}/income",
        m1,
        {**income_body("1200.00"), "value_date": october.isoformat()},
    )
    feed(api, side, bank, statement_xml([bank_line("QD-101", 1_200_00, october)], "STMT-10"), 201)
    published = b.post(f"/v1/complexes/{cid}/statements/2026-10/publication", m1, None)
    frozen = published["content"]["bank_reconciliation"]
    assert frozen == {
        "reconciled_through": "2026-10-20", "bank_balance": "1200.00",
        "bank_balance_on": "2026-10-20", "difference": "0.00",
    }  # fmt: skip
    public = api.call("GET", f"/v1/public/complexes/{cid}/statements/2026-10", None, expect=200)
    assert public["content"]["bank_reconciliation"] == frozen
    page = api.client.get(f"/complexes/{cid}/statements/2026-10")
    assert page.status_code == 200
    assert "已与银行对账至 2026-10-20，银行余额 1,200.00 元，差额 0.00 元" in page.text

    # a debit the books lack, after the period: today's status on the complex's page
    later = TODAY - timedelta(days=3)
    debit = bank_line("QD-102", 500_00, later, debit=True, party="张三")
    feed(api, side, bank, statement_xml([debit], "STMT-11", opening=1_200_00), 201)
    services = api.client.app.state.services  # type: ignore[attr-defined]
    services.bank_runner.wait_for(services.ledger.recorder.max_notification_id() or 0, 10.0)
    listing = api.client.get(f"/complexes/{cid}/statements")
    assert (
        "银行对账：已与银行对账至 2026-10-20，银行余额 700.00 元，差额 -500.00 元" in listing.text
    ), listing.text

    regulator = b.regulators["370202"]
    html = api.client.get(
        f"/regulator/accounts/{aid}/reconciliation",
        headers={"Authorization": f"Bearer {regulator}"},
    )
    assert html.status_code == 200
    assert 'data-state="off"' in html.text
    assert "QD-102" in html.text
    assert "张三" not in html.text  # a person's name is never shown in full
    outside = b.regulators.get("370203")
    if outside is not None:
        refused = api.client.get(
            f"/regulator/accounts/{aid}/reconciliation",
            headers={"Authorization": f"Bearer {outside}"},
        )
        assert refused.status_code == 404
    overview = api.call("GET", "/v1/overview", regulator, expect=200)
    (district,) = [d for d in overview["districts"] if d["district"] == "370202"]
    assert (district["bank_feeds"], district["unreconciled"]) == (1, 1)
