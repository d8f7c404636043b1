"""The maintenance fund over HTTP (issue #6): deposits (JSON and CSV), refusals as problem+json,
a unit's own ledger and who may read it (H15), payouts (H03, H07, H09), the annual disclosure."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from openpyxl import load_workbook

from api.formats import XLSX
from tests.e2e.maintenance_world import (
    checker,
    deposits_body,
    disbursement_body,
    fund,
    pay,
    voted_project,
)
from tests.e2e.world import Builder, Side, day
from tests.plugins.api import Api
from tests.plugins.builders import key

PROBLEM = "application/problem+json"


def settle(api: Api) -> None:
    """Wait until the fund's read model has applied every write so far."""
    services: Any = api.client.app.state.services  # type: ignore[attr-defined]
    head = services.ledger.recorder.max_notification_id() or 0
    assert services.maintenance_runner.wait_for(head, 10.0)


def deposits(a: Side) -> str:
    return f"/v1/complexes/{a.complex_id}/maintenance-fund/deposits"


def post_csv(api: Api, a: Side, token: str, text: str, key_: str) -> Any:
    return api.client.post(
        deposits(a),
        params={"kind": "first", "value_date": day(-30), "reference": "银行代收"},
        content=text.encode("utf-8"),
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "text/csv",
            "Idempotency-Key": key_,
        },
    )


def test_a_csv_with_bad_rows_is_refused_naming_their_lines_and_records_nothing(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    regulator = b.regulators["370202"]
    bad = "\ufeffunit_id,amount\r\n1-001,1000.00\r\n1-002,12.345\r\n1-003,1000.00\r\n1-001,5.00\r\n"
    response = post_csv(api, a, regulator, bad, "csv-1")
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == ["body.line 3.amount", "body.line 5.unit_id"]
    unknown = "unit_id,amount\n1-001,1000.00\n9-999,5.00\n"
    response = post_csv(api, a, regulator, unknown, "csv-1")
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["body.line 3.unit_id"]
    settle(api)
    api.call("GET", f"/v1/complexes/{a.complex_id}/maintenance-fund", regulator, expect=404)

    rows = "".join(f"{u},1000.00\r\n" for u in a.unit_ids)
    made = post_csv(api, a, regulator, f"\ufeffunit_id,amount\r\n{rows}\r\n", "csv-1")
    assert made.status_code == 201, made.text
    assert (made.json()["units"], made.json()["total"]) == (12, "12000.00")
    settle(api)
    found = api.call("GET", f"/v1/complexes/{a.complex_id}/maintenance-fund", a.tokens["owner"],
                     expect=200)  # fmt: skip
    assert (found["balance"], found["units"], found["deposits"]) == ("12000.00", 12, "12000.00")


def test_a_replayed_deposit_returns_the_first_answer_and_another_body_is_409(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    m1 = a.tokens["m1"]
    body = deposits_body(a.unit_ids[:3])
    headers = {"Authorization": f"Bearer {m1}", "Idempotency-Key": "dep-1"}
    first = api.client.post(deposits(a), json=body, headers=headers)
    again = api.client.post(deposits(a), json=body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    other = api.client.post(deposits(a), json=deposits_body(a.unit_ids[:2]), headers=headers)
    assert other.status_code == 409
    api.call("POST", deposits(a), m1, expect=428, json=body)  # money: the key is required


def test_a_shortfall_lists_every_short_unit(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a, "100.00")
    project = voted_project(b, a, ["1-001", "1-002"], budget="1000.00")
    problem = api.call(
        "POST", f"/v1/maintenance-projects/{project}/disbursements", a.tokens["m1"], expect=422,
        json=disbursement_body("600.00"), key="pay-1",
    )  # fmt: skip
    assert (problem["type"], problem["rule"]) == ("/problems/sub-ledger-shortfall", "H03")
    assert problem["shortfalls"] == [
        {"unit_id": u, "balance": "100.00", "share": "300.00", "shortfall": "200.00"}
        for u in ("1-001", "1-002")
    ]


def test_payouts_follow_the_contract_and_the_project_shows_them(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    project = voted_project(b, a, ["1-001", "1-002", "1-003", "1-004"], budget="1200.00")
    m1, path = a.tokens["m1"], f"/v1/maintenance-projects/{project}"
    refused = api.call("POST", path + "/disbursements", m1, expect=422,
                       json=disbursement_body("840.01"), key="p-0")  # fmt: skip
    assert (refused["type"], refused["rule"]) == ("/problems/payout-limit-exceeded", "H09")
    proposed = api.call("POST", path + "/disbursements", m1, expect=201,
                        json=disbursement_body("840.00"), key="p-1")  # fmt: skip
    assert (proposed["status"], proposed["approvals"], proposed["units"]) == ("proposed", ["m1"], 0)
    assert proposed["fund_balance"] is None  # nothing moves on one member's word (H06)
    settle(api)
    fund_now = api.call("GET", f"/v1/complexes/{a.complex_id}/maintenance-fund", m1, expect=200)
    assert fund_now["balance"] == "12000.00"
    paid = api.call("POST", f"{path}/disbursements/{proposed['id']}/approvals", checker(b, a),
                    expect=200, key="p-1-m2")  # fmt: skip
    assert (paid["status"], paid["approvals"]) == ("booked", ["m1", "m2"])
    assert (paid["units"], paid["fund_balance"]) == (4, "11160.00")
    cash = {**disbursement_body("10.00"), "method": "cash"}
    refused = api.call("POST", path + "/disbursements", m1, expect=422, json=cash, key="p-2")
    assert (refused["type"], refused["rule"]) == ("/problems/maintenance-payee-refused", "H07")
    accepted = api.call("POST", path + "/acceptance", m1, expect=200,
                        json={"accepted_on": day(), "reference": "竣工验收"})  # fmt: skip
    assert (accepted["accepted_on"], accepted["payable"]) == (day(), "360.00")
    settle(api)
    shown = api.call("GET", path, a.tokens["owner"], expect=200)
    assert [(d["amount"], d["by_building"]) for d in shown["disbursements"]] == [
        ("840.00", {"1": "840.00"})
    ]
    assert shown["buildings"] == [{"building": "1", "units": 4, "area": "358.00"}]


def test_a_payout_needs_a_second_signatory_and_may_be_rejected_or_withdrawn(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    project = voted_project(b, a, ["1-001", "1-002", "1-003", "1-004"], budget="1200.00")
    path = f"/v1/maintenance-projects/{project}/disbursements"
    by_m4 = api.call("POST", path, a.tokens["m4"], expect=201, json=disbursement_body("100.00"),
                     key="m4-1")  # fmt: skip
    assert (by_m4["proposer"], by_m4["approvals"]) == ("m4", [])  # not a signatory: no approval
    refused = api.call("POST", f"{path}/{by_m4['id']}/approvals", a.tokens["m4"], expect=422,
                       key="m4-1-a")  # fmt: skip
    assert (refused["type"], refused["rule"]) == ("/problems/maker-checker", "H06")
    one = api.call("POST", f"{path}/{by_m4['id']}/approvals", a.tokens["m1"], expect=200,
                   key="m4-1-m1")  # fmt: skip
    assert (one["status"], one["approvals"], one["fund_balance"]) == ("proposed", ["m1"], None)
    again = api.call("POST", f"{path}/{by_m4['id']}/approvals", a.tokens["m1"], expect=200,
                     key="m4-1-m1")  # fmt: skip
    assert again == one  # the same key: the first answer
    rejected = api.call("POST", f"{path}/{by_m4['id']}/rejection", a.tokens["m1"], expect=200,
                        json={"reason": "报价高于市场价"})  # fmt: skip
    assert rejected["status"] == "rejected"
    late = api.call("POST", f"{path}/{by_m4['id']}/approvals", checker(b, a), expect=422,
                    key="m4-1-m2")  # fmt: skip
    assert late["type"] == "/problems/invalid-state"
    mine = api.call("POST", path, a.tokens["m1"], expect=201, json=disbursement_body("200.00"),
                    key="m1-1")  # fmt: skip
    api.call("DELETE", f"{path}/{mine['id']}", a.tokens["m4"], expect=422)  # not its proposer
    withdrawn = api.call("DELETE", f"{path}/{mine['id']}", a.tokens["m1"], expect=200)
    assert withdrawn["status"] == "withdrawn"
    shown = api.call("GET", f"{path}/{mine['id']}", a.tokens["owner"], expect=200)
    assert (shown["status"], shown["amount"], shown["approvals_required"]) == (
        "withdrawn",
        "200.00",
        2,
    )
    api.call("GET", f"{path}/no-such-payout", a.tokens["m1"], expect=404)
    settle(api)
    totals = api.call("GET", f"/v1/complexes/{a.complex_id}/maintenance-fund", a.tokens["m1"],
                      expect=200)  # fmt: skip
    assert (totals["balance"], totals["disbursed"]) == ("12000.00", "0.00")


def test_an_owner_reads_their_own_unit_and_no_neighbours(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    other = b.side("370203", account=False, everyone=False)
    fund(b, a)
    settle(api)
    owner, mine = a.tokens["owner"], f"{a.complex_id}:1-001"  # the owner of 1-001
    page = api.call("GET", f"/v1/units/{mine}/maintenance-ledger", owner, expect=200)
    assert (page["balance"], page["first_deposit"], page["replenishment_line"]) == (
        "1000.00",
        "1000.00",
        "300.00",
    )
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in page["items"]] == [
        ("first", "1000.00", "1000.00")
    ]
    bare = api.call("GET", "/v1/units/1-001/maintenance-ledger", owner, expect=200)
    assert bare["unit_id"] == mine
    neighbour = f"/v1/units/{a.complex_id}:1-002/maintenance-ledger"
    assert api.call("GET", neighbour, owner, expect=403)["type"] == "/problems/forbidden"
    api.call("GET", neighbour, a.tokens["m1"], expect=403)  # the committee: not unit detail
    api.call("GET", neighbour, b.regulators["370202"], expect=200)
    api.call("GET", neighbour, b.regulators["370200"], expect=200)
    outside = api.call("GET", neighbour, b.regulators["370203"], expect=404)
    ghost = api.call("GET", f"/v1/units/{other.complex_id}:9-999/maintenance-ledger",
                     b.regulators["370203"], expect=404)  # fmt: skip
    unlike = {"instance": None, "request_id": None}  # and the request's own id (#17)
    assert {**outside, **unlike} == {**ghost, **unlike}
    # a sale moves the sub-ledger to the new owner: the old one no longer sees it
    buyer = key("buyer-1")
    api.call("POST", f"/v1/complexes/{a.complex_id}/units/1-001/sale", api.operator,
             expect=201, json={"new_owner_key": buyer, "sold_on": day()})  # fmt: skip
    api.call("GET", f"/v1/units/{mine}/maintenance-ledger", owner, expect=403)
    new_owner = b.issue(role="owner", complex_id=a.complex_id, owner_key=buyer)
    settle(api)
    moved = api.call("GET", f"/v1/units/{mine}/maintenance-ledger", new_owner, expect=200)
    assert [e["kind"] for e in moved["items"]] == ["first", "sale"]


def test_the_unit_ledger_pages_with_a_cursor(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    for _ in range(3):
        b.post(deposits(a), b.regulators["370202"], deposits_body(["1-001"], "10.00", "additional"))
    settle(api)
    path, owner = f"/v1/units/{a.complex_id}:1-001/maintenance-ledger", a.tokens["owner"]
    first = api.call("GET", path, owner, expect=200, params={"limit": 3})
    assert len(first["items"]) == 3
    rest = api.call("GET", path, owner, expect=200, params={"cursor": first["next_cursor"]})
    assert ([e["balance_after"] for e in rest["items"]], rest["next_cursor"]) == (["1030.00"], None)
    api.call("GET", path, owner, expect=422, params={"cursor": "nonsense"})


def check_the_xlsx(api: Api, public: str) -> None:
    """The same statement as XLSX (issue #17): a sheet per kind of row, numbers as numbers."""
    xlsx = api.client.get(public, params={"format": "xlsx"})
    assert (xlsx.status_code, xlsx.headers["content-type"]) == (200, XLSX)
    assert 'filename="maintenance-fund-2026.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["汇总", "楼栋", "项目", "分摊", "拨付"]
    sheet = book["汇总"]
    header = [c.value for c in sheet[1]]
    totals = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert totals["期末余额"] == Decimal("11300.00")  # a number a treasurer can sum, not text
    assert totals["户数"] == 12
    assert sheet.cell(2, header.index("期末余额") + 1).number_format == "#,##0.00"
    (paid,) = list(book["拨付"].iter_rows(min_row=2, values_only=True))
    paid_header = [c.value for c in book["拨付"][1]]
    assert dict(zip(paid_header, paid, strict=True))["金额（元）"] == Decimal("700.00")
    assert isinstance(dict(zip(paid_header, paid, strict=True))["日期"], datetime)
    assert "1-001" not in str([list(s.values) for s in book])


def test_the_annual_statement_is_published_as_json_csv_xlsx_and_a_chinese_page(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    project = voted_project(b, a, ["1-001", "1-002"], budget="1000.00")
    pay(b, a, project, "700.00")
    public = f"/v1/public/complexes/{a.complex_id}/maintenance-fund/2026"
    api.call("GET", public, None, expect=404)
    api.clock.set_today(date(2027, 1, 15))
    m1 = api.token(role="committee", complex_id=a.complex_id, member_id="m1")
    made = api.call("POST", f"/v1/complexes/{a.complex_id}/maintenance-fund/2026/publication",
                    m1, expect=201)  # fmt: skip
    assert made["hash_matches"] is True
    shown = api.call("GET", public, None, expect=200)
    assert shown == made
    services: Any = api.client.app.state.services  # type: ignore[attr-defined]
    ledger_fund = services.ledger.maintenance.fund(UUID(a.complex_id))
    totals = shown["content"]["totals"]
    assert totals["closing"] == f"{ledger_fund.balance // 100}.{ledger_fund.balance % 100:02d}"
    assert (totals["deposits"], totals["disbursements"], totals["units"]) == (
        "12000.00",
        "700.00",
        12,
    )
    (row,) = shown["content"]["buildings"]
    assert (row["building"], row["closing"]) == ("1", "11300.00")
    (p,) = shown["content"]["projects"]
    assert [(s["building"], s["disbursed_in_year"]) for s in p["apportionment"]] == [
        ("1", "700.00")
    ]
    download = api.client.get(public, headers={"Accept": "text/csv"})
    assert download.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert table[0][:3] == ["类别", "名称", "楼栋"]
    summary = next(r for r in table if r[0] == "汇总")
    assert summary[9] == "11300.00"  # 期末余额
    header = table[0]
    (project_row,) = [dict(zip(header, r, strict=True)) for r in table if r[0] == "项目"]
    assert (project_row["使用方式代码"], project_row["使用方式"]) == ("normal", "业主大会表决")
    assert (project_row["应急情形代码"], project_row["应急情形"]) == ("", "")
    assert "1-001" not in download.text
    check_the_xlsx(api, public)
    page = api.client.get(f"/complexes/{a.complex_id}/maintenance-fund/2026")
    assert "format=xlsx" in page.text
    assert page.status_code == 200
    assert "住宅专项维修资金年度公示" in page.text
    assert "1号楼" in page.text
    assert "1-001" not in page.text
    again = api.call("POST", f"/v1/complexes/{a.complex_id}/maintenance-fund/2026/publication",
                     m1, expect=409)  # fmt: skip
    assert again["type"] == "/problems/already-exists"


def test_interest_dated_into_a_published_year_makes_version_2_and_version_1_stays(
    api: Api,
) -> None:
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    api.clock.set_today(date(2027, 1, 15))
    m1 = api.token(role="committee", complex_id=a.complex_id, member_id="m1")
    made = api.call("POST", f"/v1/complexes/{a.complex_id}/maintenance-fund/2026/publication",
                    m1, expect=201)  # fmt: skip
    assert (made["version"], made["superseded_by"], made["diff"]) == (1, None, None)
    b.post(f"/v1/complexes/{a.complex_id}/maintenance-fund/interest", b.regulators["370202"],
           {"amount": "12.00", "period_from": day(-30), "period_to": "2026-12-31",
            "value_date": "2026-12-31", "reference": "2026年度结息"})  # fmt: skip
    settle(api)
    public = f"/v1/public/complexes/{a.complex_id}/maintenance-fund/2026"
    latest = api.call("GET", public, None, expect=200)
    assert (latest["version"], latest["published_by"], latest["superseded_by"]) == (
        2,
        "correction",
        None,
    )
    assert latest["content"]["totals"]["interest"] == "12.00"
    assert latest["diff"]["cause"]["movement"] == "interest"
    assert latest["diff"]["totals"]["closing"] == {"before": "12000.00", "after": "12012.00"}
    first = api.call("GET", public, None, expect=200, params={"version": "1"})
    assert {**first, "superseded_by": None} == made
    assert first["superseded_by"] == 2
    api.call("GET", public, None, expect=404, params={"version": "3"})
    page = api.client.get(f"/complexes/{a.complex_id}/maintenance-fund/2026")
    assert "第2版" in page.text
    assert "更正说明" in page.text
    assert "利息：0.00 元 → 12.00 元" in page.text
    old = api.client.get(f"/complexes/{a.complex_id}/maintenance-fund/2026?version=1")
    assert "此版本已被第2版更正" in old.text


def test_a_payout_proposal_replayed_after_its_booking_answers_as_it_was_proposed(
    api: Api,
) -> None:
    """The second signatory books the payout before the proposer's retry arrives; the retry
    answers the proposal as its request left it (the answer stored with its events, issue
    #15), and the approval's retry answers the booking it made."""
    b = Builder(api)
    a = b.side("370202", spend=False)
    fund(b, a)
    project = voted_project(b, a, ["1-001", "1-002", "1-003", "1-004"], budget="1200.00")
    path = f"/v1/maintenance-projects/{project}/disbursements"
    headers = {"Authorization": f"Bearer {a.tokens['m1']}", "Idempotency-Key": "pay-once"}
    first = api.client.post(path, json=disbursement_body("840.00"), headers=headers)
    assert first.status_code == 201, first.text
    payout = first.json()["id"]
    approval = {"Authorization": f"Bearer {checker(b, a)}", "Idempotency-Key": "ok-once"}
    booked = api.client.post(f"{path}/{payout}/approvals", headers=approval)
    assert booked.status_code == 200, booked.text
    retry = api.client.post(path, json=disbursement_body("840.00"), headers=headers)
    assert (retry.status_code, retry.content) == (201, first.content)
    assert (retry.json()["status"], retry.json()["approvals"]) == ("proposed", ["m1"])
    again = api.client.post(f"{path}/{payout}/approvals", headers=approval)
    assert (again.status_code, again.content) == (200, booked.content)
    assert (again.json()["status"], again.json()["approvals"]) == ("booked", ["m1", "m2"])
