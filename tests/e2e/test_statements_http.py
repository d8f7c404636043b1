"""Statements over HTTP (issue #4): drafts, publication (H11), corrections, formats, digests."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

from tests.e2e.alerting import pay
from tests.e2e.world import Builder, Side, day, income_body
from tests.plugins.api import Api

OCTOBER = "2026-10"


def october(api: Api) -> tuple[Builder, Side, dict[str, str]]:
    """A complex with two incomes in October (one from an individual) and one in November."""
    b = Builder(api)
    a = b.side("370202", spend=False)
    m1 = a.tokens["m1"]
    path = f"/v1/accounts/{a.account_id}/income"
    ids = {
        "parking": b.post(path, m1, {**income_body("1200.00"), "value_date": day(-37)})["id"],
        "rent": b.post(
            path,
            m1,
            {
                **income_body("300.50"),
                "category": "venue_rent",
                "payer": {"name": "李小红", "kind": "individual"},
                "description": "3-1-502 租用活动室",
                "value_date": day(-36),
            },
        )["id"],
        "november": b.post(path, m1, {**income_body("100.00"), "value_date": day(-2)})["id"],
    }
    return b, a, ids


def test_draft_then_publication_then_a_correction_makes_version_two(api: Api) -> None:
    b, a, ids = october(api)
    base = f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}"
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"
    draft = api.call("GET", base + "/draft", a.tokens["owner"], expect=200)
    assert draft["status"] == "draft"
    content = draft["content"]
    assert (content["opening_balance"], content["closing_balance"]) == ("0.00", "1500.50")
    rent = content["income"]["categories"][1]["lines"][0]
    assert (rent["party"], rent["description"]) == ("李*", "3-*-* 租用活动室")  # masked
    api.call("GET", public, None, expect=404)  # nothing published yet

    first = b.post(base + "/publication", a.tokens["m1"], None)
    assert (first["status"], first["version"], first["content"]) == ("published", 1, content)
    assert first["content_hash"] == draft["content_hash"]
    b.post(base + "/publication", a.tokens["m1"], None, expect=409)  # once only (H11)

    # A reversal dated in October, asked to be readable at once.
    response = api.client.post(
        f"/v1/accounts/{a.account_id}/reversals",
        json={"reverses": ids["rent"], "reason": "重复入账", "value_date": day(-30)},
        headers={
            "Authorization": f"Bearer {a.tokens['m1']}",
            "Idempotency-Key": "rev-oct",
            "Prefer": "read-your-writes",
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["Preference-Applied"] == "read-your-writes"
    latest = api.call("GET", public, None, expect=200)
    assert (latest["version"], latest["content"]["closing_balance"]) == (2, "1200.00")
    assert latest["diff"]["cause"]["reverses"] == ids["rent"]
    assert [c["entry_id"] for c in latest["diff"]["changed"]] == [ids["rent"]]
    old = api.call("GET", public, None, expect=200, params={"version": 1})
    assert (old["content"], old["superseded_by"]) == (first["content"], 2)
    listed = api.call("GET", f"/v1/public/complexes/{a.complex_id}/statements", None, expect=200)
    assert [(v["period"], v["version"]) for v in listed["items"]] == [(OCTOBER, 1), (OCTOBER, 2)]
    complexes = api.call("GET", "/v1/public/complexes", None, expect=200)["items"]
    mine = next(c for c in complexes if c["id"] == a.complex_id)
    assert mine["latest_statement"]["period"] == OCTOBER


def test_csv_and_xlsx_carry_every_line(api: Api) -> None:
    b, a, _ = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    public = f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}"
    csv_ = api.client.get(public, headers={"Accept": "text/csv"})
    assert csv_.status_code == 200
    assert csv_.headers["content-type"].startswith("text/csv")
    assert csv_.content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    table = list(csv.DictReader(io.StringIO(csv_.content.decode("utf-8-sig"))))
    assert len(table) == 2  # two October lines
    assert [(r["科目代码"], r["科目"]) for r in table] == [
        ("parking", "停车收益"),
        ("venue_rent", "场地租金"),
    ]
    assert table[0]["金额（元）"] == "1200.00"
    assert table[1]["付款方/收款方"] == "李*"
    xlsx = api.client.get(public, params={"format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:3] == ["汇总", "收入", "支出"]
    summary = {row[0].value: row[1] for row in book["汇总"].iter_rows()}
    closing = summary["期末余额"]
    assert (closing.data_type, closing.value, closing.number_format) == ("n", 1500.5, "#,##0.00")
    assert summary["期间"].value == OCTOBER
    income = book["收入"]
    assert income.max_row == 3
    header = [cell.value for cell in income[1]]
    line = dict(zip(header, income[2], strict=True))
    assert (line["科目代码"].value, line["科目"].value) == ("parking", "停车收益")
    amount = line["金额（元）"]
    assert (amount.data_type, amount.value, amount.number_format) == ("n", 1200, "#,##0.00")
    when = line["日期"]
    assert (when.value, when.number_format) == (datetime.fromisoformat(day(-37)), "yyyy-mm-dd")


def test_a_paid_expenditure_downloads_with_its_method_and_authority_named(api: Api) -> None:
    b = Builder(api)
    a = b.side("370202")
    pay(b, a, "1234.50")
    api.clock.set_today(date(2026, 12, 2))
    b.post(f"/v1/complexes/{a.complex_id}/statements/2026-11/publication", a.tokens["m1"], None)
    public = f"/v1/public/complexes/{a.complex_id}/statements/2026-11"
    csv_ = api.client.get(public, headers={"Accept": "text/csv"})
    table = list(csv.DictReader(io.StringIO(csv_.content.decode("utf-8-sig"))))
    (spent,) = [r for r in table if r["类别"] == "支出"]
    assert (spent["科目代码"], spent["科目"]) == ("cleaning_greening", "保洁绿化")
    assert (spent["支付方式代码"], spent["支付方式"]) == ("transfer", "转账")
    assert spent["授权依据"].startswith("decision:")
    assert spent["授权类型"] == "业委会决定"
    sheet = load_workbook(io.BytesIO(api.client.get(public, params={"format": "xlsx"}).content))[
        "支出"
    ]
    row = dict(zip([c.value for c in sheet[1]], sheet[2], strict=True))
    assert (row["支付方式代码"].value, row["支付方式"].value) == ("transfer", "转账")
    assert (row["金额（元）"].value, row["金额（元）"].number_format) == (1234.5, "#,##0.00")


def test_a_published_digest_checks_against_the_ledger(api: Api, tmp_path: Path) -> None:
    b, a, _ = october(api)
    b.post(f"/v1/complexes/{a.complex_id}/statements/{OCTOBER}/publication", a.tokens["m1"], None)
    statement = api.call(
        "GET", f"/v1/public/complexes/{a.complex_id}/statements/{OCTOBER}", None, expect=200
    )
    now = api.call("GET", f"/v1/public/complexes/{a.complex_id}/digest", None, expect=200)
    published = {h["stream_id"]: h for h in statement["digest"]["heads"]}
    assert published.keys() <= {h["stream_id"] for h in now["heads"]}
    saved = tmp_path / "statement.json"
    saved.write_text(json.dumps(statement, ensure_ascii=False), encoding="utf-8")
    env = {
        "COMMONFUND_DATABASE_URL": api.settings.database_url,
        "COMMONFUND_IDENTITY_SECRET": api.settings.identity_secret,  # refused on PostgreSQL
        "PATH": "/usr/bin:/bin",
    }
    ok = subprocess.run(
        [sys.executable, "-m", "commonfund.cli", "verify", "--digest", str(saved)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    head = statement["digest"]["heads"][0]
    head["head"] = "0" * 64  # a statement whose digest does not match the ledger
    saved.write_text(json.dumps(statement), encoding="utf-8")
    bad = subprocess.run(
        [sys.executable, "-m", "commonfund.cli", "verify", "--digest", str(saved)],
        capture_output=True, text=True, env=env, check=False,
    )  # fmt: skip
    assert bad.returncode == 1
    assert head["stream_id"] in bad.stderr


def test_publication_is_refused_for_a_running_period_and_a_bad_period(api: Api) -> None:
    b, a, _ = october(api)
    m1 = a.tokens["m1"]
    running = b.post(
        f"/v1/complexes/{a.complex_id}/statements/2026-11/publication", m1, None, expect=422
    )
    assert "has not ended" in running["detail"]
    for bad in ("2026-13", "2026-Q5", "26", "2026-7"):
        refused = api.call(
            "GET", f"/v1/public/complexes/{a.complex_id}/statements/{bad}", None, expect=422
        )
        assert refused["type"] == "/problems/invalid-period"


def test_open_data_is_a_fiscal_data_package_of_the_published_quarters(api: Api) -> None:
    b, a, ids = october(api)
    url = f"/v1/public/complexes/{a.complex_id}/open-data/2026"
    api.call("GET", url, None, expect=404)  # nothing published
    api.clock.set_today(date(2027, 1, 5))  # the fourth quarter has ended
    b.post(f"/v1/complexes/{a.complex_id}/statements/2026-Q4/publication", a.tokens["m1"], None)
    response = api.client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        descriptor = json.loads(archive.read("datapackage.json"))
        rows = list(csv.DictReader(io.StringIO(archive.read("lines.csv").decode("utf-8"))))
    assert descriptor["profile"] == "fiscal-data-package"
    assert descriptor["model"]["measures"]["amount"]["currency"] == "CNY"
    fields = [f["name"] for f in descriptor["resources"][0]["schema"]["fields"]]
    assert fields == list(rows[0].keys())
    assert [s["period"] for s in descriptor["statements"]] == ["2026-Q4"]
    assert {r["entry_id"] for r in rows} == set(ids.values())
    assert sum(Decimal(r["amount"]) for r in rows) == Decimal("1600.50")
    assert {(r["category"], r["category_name"], r["direction_name"]) for r in rows} == {
        ("parking", "停车收益", "收入"),
        ("venue_rent", "场地租金", "收入"),
    }
    category = descriptor["model"]["dimensions"]["category"]
    assert category["attributes"]["category_name"]["labelfor"] == "category"
