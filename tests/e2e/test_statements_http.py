"""Statements over HTTP (issue #4): drafts, publication (H11), corrections, formats, digests."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

from openpyxl import load_workbook

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
    csv = api.client.get(public, headers={"Accept": "text/csv"})
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.content.startswith("\ufeff".encode())  # BOM: Excel reads UTF-8
    rows = csv.content.decode("utf-8-sig").splitlines()
    assert len(rows) == 3  # header + two October lines
    assert "1200.00" in rows[1]
    assert "李*" in rows[2]
    xlsx = api.client.get(public, params={"format": "xlsx"})
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[:3] == ["汇总", "收入", "支出"]
    summary = {row[0]: row[1] for row in book["汇总"].iter_rows(values_only=True)}
    assert summary["期末余额"] == "1500.50"
    assert book["收入"].max_row == 3


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
