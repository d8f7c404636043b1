"""The owners' statement page (spec/api.md, "Human page"): Chinese HTML, masked, never a 500."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from api.statements.page import day_label, money
from ledger.dates import local_today
from tests.e2e.world import Builder, Side, day, income_body
from tests.plugins.api import Api

OCTOBER = "2026-10"
HTML = "text/html; charset=utf-8"


def published_october(api: Api) -> tuple[Builder, Side, dict[str, str]]:
    """October with a company's parking income, an individual's rent and a payment to an
    individual, published by m1; November has a line of its own."""
    b = Builder(api)
    a = b.side("370202", spend=False)
    m1 = a.tokens["m1"]
    m2 = b.issue(role="committee", complex_id=a.complex_id, member_id="m2")
    income = f"/v1/accounts/{a.account_id}/income"
    rent = {
        **income_body("300.50"),
        "category": "venue_rent",
        "payer": {"name": "李小红", "kind": "individual"},
        "description": "3-1-502 租用活动室 <b>夜间</b>",
        "value_date": day(-36),
    }
    ids = {
        "parking": b.post(income, m1, {**income_body("1200.00"), "value_date": day(-37)})["id"],
        "rent": b.post(income, m1, rent)["id"],
        "november": b.post(income, m1, {**income_body("100.00"), "value_date": day(-2)})["id"],
    }
    decision = b.post(
        f"/v1/committees/{a.committee_id}/decisions",
        m1,
        {
            "purpose": "公共区域维修",
            "amount_cap": "5000.00",
            "decided_on": day(-39),
            "approvers": ["m1", "m2", "m3"],
        },
    )
    proposed = b.post(
        f"/v1/accounts/{a.account_id}/expenditures",
        m1,
        {
            "category": "repairs",
            "payee": {"name": "王建国", "kind": "individual"},
            "method": "transfer",
            "amount": "200.00",
            "purpose": "公共区域维修",
            "value_date": day(-35),
            "authorisation": {"kind": "decision", "id": decision["id"]},
        },
    )
    b.post(f"/v1/accounts/{a.account_id}/expenditures/{proposed['id']}/approvals", m2, None, 200)
    ids["repair"], ids["decision"] = str(proposed["id"]), str(decision["id"])
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", m1, None)
    return b, a, ids


def page(api: Api, path: str, expect: int, **params: Any) -> str:
    response = api.client.get(path, params=params)
    assert response.status_code == expect, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"] == HTML, path
    return response.text


def row(html: str, entry_id: str) -> str:
    found = re.search(rf'<tr data-entry="{entry_id}">(.*?)</tr>', html, re.S)
    assert found, entry_id
    return found.group(1)


def total(html: str, key: str) -> str:
    found = re.search(rf'<tr[^>]*data-total="{key}">.*?<td class="num">([^<]*)</td>', html, re.S)
    assert found, key
    return found.group(1)


def test_the_page_shows_the_published_statement_in_chinese_with_names_masked(api: Api) -> None:
    _, a, ids = published_october(api)
    html = page(api, f"/complexes/{a.complex_id}/statements/{OCTOBER}", 200)
    statement = api.call(
        "GET", f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}", None, expect=200
    )
    content = statement["content"]
    assert '<html lang="zh-CN">' in html
    assert 'name="viewport"' in html
    for text in ("共有资金收支公示", "2026年10月", a.name, "收支汇总", "公布与核验", "第1版"):
        assert text in html, text
    for key in ("opening_balance", "closing_balance"):
        assert total(html, key) == money(content[key])
    for key in ("income", "deductions", "expenditure", "reversals"):
        assert total(html, key) == money(content[key]["total"])
    assert total(html, "closing_balance") == "1,300.50"
    # individuals show by surname only, units by building; organisations in full
    assert "李小红" not in html
    assert "王建国" not in html
    assert "3-1-502" not in html
    assert "李*" in row(html, ids["rent"])
    assert "3-*-* 租用活动室" in row(html, ids["rent"])
    assert "&lt;b&gt;夜间&lt;/b&gt;" in row(html, ids["rent"])  # autoescaped
    repair = row(html, ids["repair"])
    assert all(t in repair for t in ("王*", "200.00", "转账", "业委会决定", ids["decision"][:8]))
    assert "青岛某物业服务有限公司" in row(html, ids["parking"])
    assert ids["november"] not in html
    # the digest and how to check it, and the downloads of exactly this version
    assert statement["digest"]["root"] in html
    assert "commonfund verify --digest statement.json" in html
    download = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}?version=1"
    for fmt in ("&amp;format=csv", "&amp;format=xlsx", ""):
        assert f'href="{download}{fmt}"' in html
    assert "@page" in html  # the A4 print stylesheet is inline
    assert "@media print" in html
    assert "<script" not in html


def test_a_correction_is_explained_and_the_old_version_stays_readable(api: Api) -> None:
    b, a, ids = published_october(api)
    b.post(
        f"/v1/accounts/{a.account_id}/reversals",
        a.tokens["m1"],
        {"reverses": ids["rent"], "reason": "3-1-502 重复入账", "value_date": day(-30)},
    )
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"
    deadline = time.monotonic() + 10
    while api.call("GET", public, None, expect=200)["version"] < 2:  # the read model follows
        assert time.monotonic() < deadline, "version 2 did not appear"
        time.sleep(0.05)
    base = f"/complexes/{a.complex_id}/statements/{OCTOBER}"
    latest = page(api, base, 200)
    # a correction is dated by the day it was recorded, and names the entry's own date
    recorded = day_label(local_today(datetime.now(UTC), "Asia/Shanghai").isoformat())
    for text in (
        "第2版", f"{recorded}因更正分录自动生成", "记账日期为2026年10月27日", "更正说明",
        "一笔冲正", "重复入账",
    ):  # fmt: skip
        assert text in latest, text
    assert "3-1-502" not in latest  # the reason is masked as the line is
    assert "已被冲正：2026年10月21日 场地租金 李* 300.50 元" in latest
    assert "期末余额：1,300.50 元 → 1,000.00 元" in latest
    assert f'href="{base}?version=1"' in latest
    old = page(api, base, 200, version="1")
    assert "此版本已被第2版更正" in old
    assert f'href="{base}?version=2"' in old
    assert total(old, "closing_balance") == "1,300.50"
    listing = page(api, f"/complexes/{a.complex_id}/statements", 200)
    assert listing.count(f'href="{base}?version=') == 2
    assert "已被第2版更正" in listing
    assert f"{recorded}（更正）" in listing
    assert "现行版本" in listing


def test_unknown_complexes_missing_statements_and_bad_addresses_are_chinese_404_pages(
    api: Api,
) -> None:
    _, a, _ = published_october(api)
    base = f"/complexes/{a.complex_id}/statements"
    for path in (
        f"/complexes/{uuid4()}/statements/{OCTOBER}",
        f"/complexes/{uuid4()}/statements",
        "/complexes/not-a-uuid/statements/2026-10",
        f"/complexes/{a.account_id}/statements/{OCTOBER}",  # an id of something else
    ):
        assert "没有找到这个小区" in page(api, path, 404)
    assert "尚未公布2026年9月收支公示" in page(api, f"{base}/2026-09", 404)
    assert "尚未公布2026年10月收支公示第3版" in page(api, f"{base}/{OCTOBER}", 404, version="3")
    assert "不是版本号" in page(api, f"{base}/{OCTOBER}", 404, version="abc")
    for bad in ("2026-Q5", "2026-13", "26", "<script>"):
        text = page(api, f"{base}/{bad}", 404)
        assert "不是一个公示期间" in text
        assert "2026-Q3" in text
    assert "<script>" not in page(api, f"{base}/<script>", 404)


def test_the_list_page_of_a_complex_without_statements_says_so(api: Api) -> None:
    a = Builder(api).side("370203", spend=False, everyone=False)
    listing = page(api, f"/complexes/{a.complex_id}/statements", 200)
    assert f"{a.name}尚未公布收支公示" in listing
