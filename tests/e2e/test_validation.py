"""Bad input never gives a 500: always application/problem+json that names the field.

Money and dates are strings on the wire (issue #3): floats, over-precise, negative,
zero or oversized amounts, unknown fields and categories, impossible dates and wrong
types are refused with 422 naming the field; other media types 415; bodies over
1 MiB 413; malformed JSON 400/422; a bad cursor 422; a path id that is not an id
422 or 404.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx2 as httpx
import pytest

from api.limits import MAX_BODY
from tests.e2e.world import (
    Builder,
    Side,
    app_routes,
    day,
    election_body,
    expenditure_body,
    income_body,
    unit_rows,
)
from tests.plugins.api import Api

PROBLEM = "application/problem+json"
BAD_AMOUNTS: list[Any] = [
    12.5,
    12,
    0,
    -1,
    True,
    None,
    [],
    {},
    "1.234",
    "-1.00",
    "0.00",
    "0",
    "1e3",
    "1E3",
    "10000000000.01",
    "99999999999999999999.00",
    "",
    " 1.00",
    "+1.00",
    "01.00",
    "1.",
    ".5",
    "1,000.00",
    "1 000.00",
    "１.00",  # full-width digit
    "NaN",
    "Infinity",
    "0x10",
    "¥1.00",
]
BAD_DATES: list[Any] = [
    "2026-02-30",
    "2025-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-11-00",
    "2026-11-31",
    "26-11-26",
    "2026/11/26",
    "20261126",
    "2026-11-26T00:00:00",
    "2026-11-26 ",
    "２０２６-11-26",
    "",
    20261126,
    None,
    ["2026-11-26"],
]


@pytest.fixture
def side(api: Api) -> Side:
    return Builder(api).side("370202")


def keys() -> Iterator[str]:
    n = 0
    while True:
        n += 1
        yield f"v-{n}"


def refused(response: httpx.Response, status: int, field: str | None, *, sent: Any) -> None:
    """The response is a problem of ``status`` whose ``errors`` (or detail) name ``field``."""
    where = (sent, response.status_code, response.text[:400])
    assert response.status_code == status, where
    assert response.headers["content-type"] == PROBLEM, where
    problem = response.json()
    assert problem["status"] == status, where
    assert problem["type"].startswith("/problems/"), where
    assert problem["title"], where
    assert problem["detail"], where
    if field is None:
        return
    named = [e["field"] for e in problem.get("errors") or []]
    by_errors = any(f == field or f.startswith(f"{field}.") for f in named)
    assert by_errors or problem["detail"].startswith(f"{field.split('.')[-1]}:"), where


class Poster:
    """POSTs to one account's routes as m1, each with a fresh Idempotency-Key."""

    def __init__(self, api: Api, side: Side) -> None:
        self.api = api
        self.side = side
        self.keys = keys()

    def post(self, path: str, *, json_body: Any = None, **kwargs: Any) -> httpx.Response:
        headers = {
            "Authorization": f"Bearer {self.side.tokens['m1']}",
            "Idempotency-Key": next(self.keys),
            **kwargs.pop("headers", {}),
        }
        if json_body is not None:
            kwargs["content"] = json.dumps(json_body, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", "application/json")
        return self.api.client.post(path, headers=headers, **kwargs)

    def income(self, body: Any, **kwargs: Any) -> httpx.Response:
        return self.post(f"/v1/accounts/{self.side.account_id}/income", json_body=body, **kwargs)


def test_amounts_are_exact_positive_decimal_strings(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    aid, decision = side.account_id, side.decision_id
    for amount in BAD_AMOUNTS:
        refused(poster.income({**income_body(), "amount": amount}), 422, "body.amount", sent=amount)
    for amount in ("1.234", "-1.00", 12.5, "1e3"):
        expenditure = {**expenditure_body(decision, "1.00"), "amount": amount}
        response = poster.post(f"/v1/accounts/{aid}/expenditures", json_body=expenditure)
        refused(response, 422, "body.amount", sent=amount)
        collected = {
            **income_body("85.00"),
            "collected": {
                "collector": "物业",
                "gross": amount,
                "deduction": "15.00",
                "contracted_rate": "0.15",
            },
        }
        refused(poster.income(collected), 422, "body.collected.gross", sent=amount)
        cap = {"purpose": "保洁", "amount_cap": amount, "decided_on": day(), "approvers": ["m1"]}
        response = poster.post(f"/v1/committees/{side.committee_id}/decisions", json_body=cap)
        refused(response, 422, "body.amount_cap", sent=amount)
        units = {"units": [{**unit_rows(1, building="8")[0], "floor_area": amount}]}
        response = api.client.post(
            f"/v1/complexes/{side.complex_id}/units",
            json=units,
            headers={"Authorization": f"Bearer {api.operator}"},
        )
        refused(response, 422, "body.units.0.floor_area", sent=amount)
    # the boundaries themselves are amounts
    largest = poster.income(income_body("10000000000.00"))
    assert (largest.status_code, largest.json()["amount"]) == (201, "10000000000.00")
    smallest = poster.income(income_body("0.01"))
    assert (smallest.status_code, smallest.json()["amount"]) == (201, "0.01")
    whole = poster.income(income_body("7"))
    assert (whole.status_code, whole.json()["amount"]) == (201, "7.00")


def test_dates_are_real_calendar_days(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    for value in BAD_DATES:
        response = poster.income({**income_body(), "value_date": value})
        refused(response, 422, "body.value_date", sent=value)
    reversal = {"reverses": side.income_id, "reason": "退回", "value_date": "2026-02-30"}
    response = poster.post(f"/v1/accounts/{side.account_id}/reversals", json_body=reversal)
    refused(response, 422, "body.value_date", sent=reversal)
    m1 = {"Authorization": f"Bearer {side.tokens['m1']}"}
    for query, field in (
        ({"as_of": "2026-02-30"}, "as_of"),
        ({"as_of": "2026-2-3"}, "query.as_of"),
        ({"as_of": "yesterday"}, "query.as_of"),
        ({}, "query.as_of"),
    ):
        response = api.client.get(
            f"/v1/accounts/{side.account_id}/balance", params=query, headers=m1
        )
        refused(response, 422, field, sent=query)
    for query, field in (
        ({"from": "2026-02-30"}, "from"),
        ({"to": "2025-02-29"}, "to"),
        ({"from": "2026-11"}, "query.from"),
    ):
        response = api.client.get(
            f"/v1/accounts/{side.account_id}/entries", params=query, headers=m1
        )
        refused(response, 422, field, sent=query)


def test_unknown_fields_and_categories_are_refused(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    good = income_body()
    for body, field in (
        ({**good, "colour": "red"}, "body.colour"),
        ({**good, "Amount": "1.00"}, "body.Amount"),
        ({**good, "payer": {**good["payer"], "phone": "110"}}, "body.payer.phone"),
        ({**good, "category": "lottery"}, "body.category"),
        ({**good, "category": "Parking"}, "body.category"),
        ({**good, "category": ""}, "body.category"),
        ({**good, "payer": {**good["payer"], "kind": "company"}}, "body.payer.kind"),
    ):
        refused(poster.income(body), 422, field, sent=body)
    spend = expenditure_body(side.decision_id, "10.00")
    aid = side.account_id
    for body, field in (
        ({**spend, "category": "bribes"}, "body.category"),
        ({**spend, "category": "parking"}, "body.category"),  # an income category
        ({**spend, "method": "cheque"}, "body.method"),
        ({**spend, "authorisation": {"kind": "vote", "id": "x"}}, "body.authorisation.kind"),
        ({**spend, "authorisation": {"kind": "decision"}}, "body.authorisation.id"),
        ({**spend, "approved_by": ["m2"]}, "body.approved_by"),
    ):
        response = poster.post(f"/v1/accounts/{aid}/expenditures", json_body=body)
        refused(response, 422, field, sent=body)
    operator = {"Authorization": f"Bearer {api.operator}"}
    for body, field in (
        ({"role": "admin"}, "body.role"),
        ({"role": "regulator", "jurisdiction": "3702"}, "body.jurisdiction"),
        ({"role": "bank", "scope": "all"}, "body.scope"),
        ({"role": "bank", "expires_days": 0}, "body.expires_days"),
        ({"role": "bank", "expires_days": 367}, "body.expires_days"),
    ):
        response = api.client.post("/v1/admin/tokens", json=body, headers=operator)
        refused(response, 422, field, sent=body)
    resolution = {
        "purpose": "更换门禁",
        "period_from": day(),
        "period_to": day(30),
        "participated": side.unit_ids,
        "consented": side.unit_ids,
        "closed_on": day(),
    }
    for matter in (0, 10, -1, 9.5, "nine", None):
        body = {**resolution, "matter": matter}
        response = poster.post(f"/v1/complexes/{side.complex_id}/resolutions", json_body=body)
        refused(response, 422, "body.matter", sent=body)
    for category in ("bribes", "parking", ""):  # a budget names an expenditure category
        body = {**resolution, "matter": 9, "amount_cap": "100.00", "budget_category": category}
        response = poster.post(f"/v1/complexes/{side.complex_id}/resolutions", json_body=body)
        refused(response, 422, "body.budget_category", sent=body)


def test_wrong_types_are_refused_naming_the_field(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    good = income_body()
    for body, field in (
        ({**good, "payer": "青岛某物业服务有限公司"}, "body.payer"),
        ({**good, "payer": None}, "body.payer"),
        ({**good, "payer": {**good["payer"], "name": 42}}, "body.payer.name"),
        ({**good, "payer": {**good["payer"], "name": ""}}, "body.payer.name"),
        ({**good, "payer": {**good["payer"], "name": "名" * 201}}, "body.payer.name"),
        ({**good, "category": 5}, "body.category"),
        ({**good, "description": ["a"]}, "body.description"),
        ({**good, "collected": "yes"}, "body.collected"),
        ({k: v for k, v in good.items() if k != "amount"}, "body.amount"),
        ({k: v for k, v in good.items() if k != "payer"}, "body.payer"),
    ):
        refused(poster.income(body), 422, field, sent=body)
    decision = {"purpose": "保洁", "amount_cap": "100.00", "decided_on": day()}
    for approvers in ("m1", [1, 2], [], None, {"m1": True}):
        body = {**decision, "approvers": approvers}
        response = poster.post(f"/v1/committees/{side.committee_id}/decisions", json_body=body)
        refused(response, 422, "body.approvers", sent=body)
    for body, field in (
        ({"reverses": 7, "reason": "x", "value_date": day()}, "body.reverses"),
        ({"reverses": side.income_id, "reason": "", "value_date": day()}, "body.reason"),
        ({"reverses": side.income_id, "value_date": day()}, "body.reason"),
    ):
        response = poster.post(f"/v1/accounts/{side.account_id}/reversals", json_body=body)
        refused(response, 422, field, sent=body)
    # No loose coercion: a number sent as a string, or a flag as a word, is a wrong type.
    resolution = election_body(side.unit_ids, day())
    for body, field in (
        ({**resolution, "matter": "9"}, "body.matter"),
        ({**resolution, "matter": 9.0}, "body.matter"),
        ({**resolution, "matter": True}, "body.matter"),
    ):
        response = poster.post(f"/v1/complexes/{side.complex_id}/resolutions", json_body=body)
        refused(response, 422, field, sent=body)


def test_a_body_without_a_content_type_is_415(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    response = poster.post(
        f"/v1/accounts/{side.account_id}/income",
        content=json.dumps(income_body()).encode(),
        headers={"Content-Type": ""},
    )
    refused(response, 415, None, sent="no content type")
    assert "Content-Type" in response.json()["detail"]

    def chunked() -> Iterator[bytes]:  # no Content-Length either: the service reads it first
        yield json.dumps(income_body()).encode()

    response = poster.post(
        f"/v1/accounts/{side.account_id}/income", content=chunked(), headers={"Content-Type": ""}
    )
    refused(response, 415, None, sent="chunked, no content type")
    assert "Content-Type" in response.json()["detail"]
    # a POST with no body at all needs no Content-Type (an approval carries none)
    approval = poster.post(
        f"/v1/accounts/{side.account_id}/expenditures/{side.theirs}/approvals",
        headers={"Content-Type": ""},
    )
    assert approval.status_code == 200, approval.text


def test_media_types_are_case_insensitive(api: Api, side: Side) -> None:
    """RFC 9110 8.3.1: type, subtype and parameter names are case-insensitive."""
    poster = Poster(api, side)
    path = f"/v1/accounts/{side.account_id}/income"
    for content_type in (
        "Application/JSON",
        "APPLICATION/JSON; charset=UTF-8",
        "application/json;charset=utf-8",
        'application/json ; Charset="UTF-8"',
    ):
        body = json.dumps(income_body("1.00")).encode()
        response = poster.post(path, content=body, headers={"Content-Type": content_type})
        assert response.status_code == 201, (content_type, response.text)
    operator = {"Authorization": f"Bearer {api.operator}"}
    csv = "unit_id,building,floor_area,owner_key\n9-001,9,89.50," + "b" * 64 + "\n"
    added = api.client.post(
        f"/v1/complexes/{side.complex_id}/units",
        content=csv.encode(),
        headers={**operator, "Content-Type": "Text/CSV; Charset=UTF-8"},
    )
    assert (added.status_code, added.json().get("unit_count")) == (201, 13), added.text
    login = api.client.post(
        "/regulator/session",
        content=f"token={Builder(api).regulators['370202']}",
        headers={"Content-Type": "Application/X-WWW-Form-URLEncoded"},
        follow_redirects=False,
    )
    assert login.status_code == 303, login.text


def test_media_types_other_than_json_are_415(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    body = json.dumps(income_body()).encode()
    path = f"/v1/accounts/{side.account_id}/income"
    for content_type in (
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/csv",  # accepted for units only
        "application/vnd.api+json",
    ):
        response = poster.post(path, content=body, headers={"Content-Type": content_type})
        refused(response, 415, None, sent=content_type)
        assert content_type.split(";")[0] in response.json()["detail"]
    operator = {"Authorization": f"Bearer {api.operator}"}
    units = f"/v1/complexes/{side.complex_id}/units"
    csv = "unit_id,building,floor_area,owner_key\n7-001,7,89.50," + "a" * 64 + "\n"
    added = api.client.post(
        units, content=csv.encode(), headers={**operator, "Content-Type": "text/csv"}
    )
    assert (added.status_code, added.json()["unit_count"]) == (201, 13)
    response = api.client.post(
        units, content=b"<units/>", headers={**operator, "Content-Type": "application/xml"}
    )
    refused(response, 415, None, sent="xml units")
    for content, field in (
        (b"unit_id,building,floor_area\n7-002,7,89.5x\n", "body.units.0.floor_area"),
        (b"unit_id,building,floor_area\n7-003,7,12.5\n", "units"),  # no owner key
        (b"\xff\xfe\x00bad", "units"),
    ):
        response = api.client.post(
            units, content=content, headers={**operator, "Content-Type": "text/csv"}
        )
        refused(response, 422, field, sent=content)


def test_a_body_above_one_mebibyte_is_413(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    path = f"/v1/accounts/{side.account_id}/income"

    def padded(size: int) -> bytes:
        head = json.dumps({**income_body(), "description": ""}).encode()[:-2]  # ends '"'
        filler = size - len(head) - 2
        return head + b"x" * filler + b'"}'

    assert len(padded(MAX_BODY + 1)) == MAX_BODY + 1
    refused(poster.post(path, content=padded(MAX_BODY + 1)), 413, None, sent="1 MiB + 1")
    refused(poster.post(path, content=padded(4 * MAX_BODY)), 413, None, sent="4 MiB")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the service counts what it reads
        body = padded(MAX_BODY + 1)
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    refused(poster.post(path, content=chunks()), 413, None, sent="chunked")
    # exactly 1 MiB is read and judged on its fields (the description is too long)
    refused(poster.post(path, content=padded(MAX_BODY)), 422, "body.description", sent="1 MiB")


def test_malformed_json_is_a_problem_naming_the_body(api: Api, side: Side) -> None:
    poster = Poster(api, side)
    path = f"/v1/accounts/{side.account_id}/income"
    good = json.dumps(income_body(), ensure_ascii=False)
    assert "青岛" in good
    for content in (
        good[:-1].encode(),
        good.replace("}", ",}", 1).encode(),
        good.replace('"', "'").encode(),
        b'{"amount": NaN}',
        b'"just a string"',
        b"[]",
        b"null",
        b"",
        b"{" * 50_000 + b"}" * 50_000,
        b"[" * 100_000 + b"]" * 100_000,
        good.replace("青岛", "\udcff", 1).encode("utf-8", "surrogatepass"),
        b"\x00\x01\x02",
    ):
        response = poster.post(path, content=content, headers={"Content-Type": "application/json"})
        where = (content[:60], response.text[:300])
        assert response.status_code in (400, 422), where
        refused(response, response.status_code, None, sent=content[:60])
        fields = [e["field"] for e in response.json().get("errors") or []]
        assert fields, where
        assert all(f == "body" or f.startswith("body.") for f in fields), where


def test_a_bad_cursor_or_page_size_is_422(api: Api, side: Side) -> None:
    m1 = {"Authorization": f"Bearer {side.tokens['m1']}"}
    entries = f"/v1/accounts/{side.account_id}/entries"
    for cursor, field in (
        ("abc", "cursor"),  # not base64 at all
        ("%%%", "cursor"),
        ("djE6LTE=", "cursor"),  # v1:-1
        ("djI6MQ==", "cursor"),  # v2:1
        ("djE6eA==", "cursor"),  # v1:x
        ("dj\u00e9", "cursor"),
        ("", "cursor"),
        ("A" * 41, "query.cursor"),
    ):
        response = api.client.get(entries, params={"cursor": cursor}, headers=m1)
        refused(response, 422, field, sent=cursor)
    for limit in ("0", "501", "-1", "abc", "1.5", ""):
        response = api.client.get(entries, params={"limit": limit}, headers=m1)
        refused(response, 422, "query.limit", sent=limit)
    first = api.client.get(entries, params={"limit": "1"}, headers=m1).json()
    assert first["next_cursor"] is None  # one income: a cursor that was given out works
    assert len(first["items"]) == 1


def test_path_ids_that_are_not_ids_are_422_or_404(api: Api, side: Side) -> None:
    m1 = {"Authorization": f"Bearer {side.tokens['m1']}"}
    operator = {"Authorization": f"Bearer {api.operator}"}
    aid = side.account_id
    for path, headers in (
        ("/v1/accounts/not-a-uuid", m1),
        ("/v1/accounts/123", m1),
        (f"/v1/accounts/{aid}x", m1),
        (f"/v1/accounts/{aid[:-1]}", m1),
        ("/v1/accounts/%00", m1),
        ("/v1/committees/' OR 1=1 --", m1),
        ("/v1/complexes/" + "9" * 5000, operator),
        ("/v1/resolutions/{resolution_id}", operator),
        (f"/v1/accounts/{aid}/expenditures/not-an-id", m1),
        (f"/v1/accounts/{aid}/expenditures/%00", m1),
        (f"/v1/accounts/{aid}/expenditures/" + "x" * 5000, m1),
        ("/v1/nowhere", m1),
    ):
        response = api.client.get(path, headers=headers)
        assert response.status_code in (404, 422), (path[:80], response.text[:300])
        refused(response, response.status_code, None, sent=path[:80])
        if response.status_code == 422:
            fields = [e["field"] for e in response.json()["errors"]]
            assert fields, response.text
            assert all(f.startswith("path.") for f in fields), response.text
    poster = Poster(api, side)
    for path in (
        f"/v1/accounts/{aid}/expenditures/not-an-id/approvals",
        "/v1/accounts/not-a-uuid/income",
        "/v1/committees/nope/seal",
    ):
        response = poster.post(path, json_body=income_body() if "income" in path else {})
        assert response.status_code in (404, 422), (path, response.text)
        refused(response, response.status_code, None, sent=path)
    for token_id, status in (("%00", 422), ("tok_x", 422), ("tok_0123456789abcdef", 404)):
        response = api.client.delete(f"/v1/admin/tokens/{token_id}", headers=operator)
        refused(response, status, "path.token_id" if status == 422 else None, sent=token_id)


def test_text_refuses_control_characters(api: Api, side: Side) -> None:
    """PostgreSQL text cannot hold NUL: it is refused at the edge, as are other controls."""
    poster = Poster(api, side)
    good = income_body()
    for text in ("a\u0000b", "\u0007", "x\u001b[31m", "\u007f"):
        for body, field in (
            ({**good, "description": text}, "body.description"),
            ({**good, "payer": {**good["payer"], "name": text}}, "body.payer.name"),
        ):
            refused(poster.income(body), 422, field, sent=body)
        operator = {"Authorization": f"Bearer {api.operator}"}
        for body, field in (
            ({"role": "bank", "label": text}, "body.label"),
            (
                {"role": "committee", "complex_id": side.complex_id, "member_id": text},
                "body.member_id",
            ),
        ):
            response = api.client.post("/v1/admin/tokens", json=body, headers=operator)
            refused(response, 422, field, sent=body)
    # tabs and newlines are text
    lines = poster.income({**good, "description": "第一行\n\t第二行"})
    assert lines.status_code == 201, lines.text


def test_no_route_answers_a_bad_body_with_a_500(api: Api, side: Side) -> None:
    """Every write of the app, with bodies of every wrong shape, as a principal that may act."""
    ids = {
        "complex_id": side.complex_id,
        "committee_id": side.committee_id,
        "account_id": side.account_id,
        "expenditure_id": side.theirs,
        "resolution_id": side.election_id,
        "token_id": "tok_0",
        "period": "2026-10",
        "alert_id": "00000000-0000-0000-0000-000000000000",
        "rule_id": "A04",
        "webhook_id": "00000000-0000-0000-0000-000000000000",
        "project_id": "00000000-0000-0000-0000-000000000000",
        "disbursement_id": "00000000-0000-0000-0000-000000000000",
        "year": "2025",
        "unit_id": "1-001",
        "link_id": "link-0",
        "ballot_id": "00000000-0000-0000-0000-000000000000",
        "receipt": "ab" * 32,
    }
    regulator = Builder(api).regulators["370202"]
    bodies: list[bytes] = [
        b"{}",
        b"[]",
        b"null",
        b"1",
        b'"x"',
        b'{"unknown": 1}',
        b'{"amount": 1.5, "value_date": "2026-02-30"}',
        b"{",
        b"\xff",
    ]
    tried = 0
    for method, template in app_routes():
        if method not in ("POST", "DELETE"):
            continue
        path = template.format(**ids)
        for token in (api.operator, side.tokens["m1"], regulator):
            for content in bodies:
                tried += 1
                response = api.client.request(
                    method,
                    path,
                    content=content,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                        "Idempotency-Key": f"sweep-{tried}",
                    },
                )
                where = (method, path, content, response.status_code, response.text[:300])
                assert response.status_code < 500, where
                if response.status_code >= 400:
                    assert response.headers["content-type"] == PROBLEM, where
    assert tried > 400


def test_units_csv_that_cannot_be_parsed_is_a_422_not_a_500(api: Api) -> None:
    """Found by schemathesis: a stray carriage return inside a CSV field crashed the parser."""
    complex_ = api.call(
        "POST",
        "/v1/complexes",
        api.operator,
        expect=201,
        json={
            "code": "CSV-1",
            "name": "解析小区",
            "district": "370202",
            "street": "370202001",
            "community": "370202001001",
        },
    )
    response = api.client.post(
        f"/v1/complexes/{complex_['id']}/units",
        content=b"0\r\xf2\x9b\xa2\xa4\x1b\xc2\x82}\xf2\x95\x8c\xaa",
        headers={"Authorization": f"Bearer {api.operator}", "Content-Type": "text/csv"},
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def scalar_fields(schema: dict[str, Any], components: dict[str, Any], at: str = "") -> list[str]:
    """The paths (``units.0.developer_held``) of every integer, number or boolean in a schema."""
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[-1]]
    found = [f for s in schema.get("anyOf", []) for f in scalar_fields(s, components, at)]
    if schema.get("type") in ("integer", "number", "boolean"):
        found.append(at)
    for name, spec in schema.get("properties", {}).items():
        found += scalar_fields(spec, components, f"{at}.{name}" if at else name)
    if "items" in schema:
        found += scalar_fields(schema["items"], components, f"{at}.0")
    return found


def nested(field: str, value: Any) -> Any:
    """``{"units": [{"developer_held": value}]}`` for ``units.0.developer_held``."""
    for part in reversed(field.split(".")):
        value = [value] if part == "0" else {part: value}
    return value


def test_no_number_or_flag_in_a_body_is_coerced_from_text(api: Api, side: Side) -> None:
    """Every integer, number and boolean of every JSON body, sent as text, is a 422 naming it."""
    document = api.client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    ids = {"complex_id": side.complex_id, "committee_id": side.committee_id,
           "account_id": side.account_id, "alert_id": "00000000-0000-0000-0000-000000000000",
           "ballot_id": "00000000-0000-0000-0000-000000000000", "unit_id": "1-001"}  # fmt: skip
    tried: list[str] = []
    for template, item in document["paths"].items():
        for method, operation in item.items():
            schema = (
                operation.get("requestBody", {})
                .get("content", {})
                .get("application/json", {})
                .get("schema")
            )
            for field in scalar_fields(schema or {}, components):
                kind = "9" if "matter" in field or "days" in field else "true"
                response = api.client.request(
                    method,
                    template.format(**ids),
                    json=nested(field, kind),
                    headers={"Authorization": f"Bearer {api.operator}", "Idempotency-Key": "t"},
                )
                refused(response, 422, f"body.{field}", sent=(template, field))
                named = {e["field"]: e["message"] for e in response.json()["errors"]}
                assert "valid" in named[f"body.{field}"], (template, field, named)  # not "missing"
                tried.append(f"{method} {template} {field}")
    assert len(tried) >= 7, tried
