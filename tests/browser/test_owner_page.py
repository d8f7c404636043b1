"""The owners' page in a real browser: the system Chromium against a live `commonfund serve`.

A fresh SQLite database in a temporary directory gets `commonfund migrate` and
`commonfund demo`; `commonfund serve` runs on a free port. Playwright drives
the Debian package's /usr/bin/chromium (Playwright's own browser downloads are
never used). What a reader would see is kept in var/browser/: a full-page
screenshot, a phone-width one and the A4 print-to-PDF, which must fit on four
sheets at 11 pt. Without Chromium or a Chinese font the test is skipped locally but
fails in CI (.ci/run installs both).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Browser, sync_playwright

from api.statements.page import money
from tests.plugins.stores import REQUIRE_POSTGRES

if TYPE_CHECKING:
    from tests.browser.conftest import DemoTemplate

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
OUT = Path(__file__).resolve().parents[2] / "var" / "browser"
REQUIRED = REQUIRE_POSTGRES or os.environ.get("CI", "").lower() in ("1", "true", "yes")
START_SECONDS = 30
PHONE_WIDTH = 360
LINES_OF_TEXT = """cell => {
    const range = document.createRange();
    range.selectNodeContents(cell);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


@dataclass(frozen=True)
class Live:
    base: str
    demo: dict[str, Any]
    env: dict[str, str]


def unavailable(reason: str) -> None:
    """Skip where a developer has no browser; in CI a missing browser is a failure."""
    if REQUIRED:
        pytest.fail(f"{reason}; CI needs it (.ci/run installs Debian's chromium and fonts)")
    pytest.skip(reason)


def cli(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "commonfund.cli", *args],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def get(url: str) -> tuple[int, str, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - our own server
        return response.status, response.headers.get("content-type", ""), response.read()


def wait_ready(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"commonfund serve exited ({server.returncode}):\n{log.read_text()}")
        try:
            if get(f"{base}/readyz")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    pytest.fail(f"commonfund serve was not ready within {START_SECONDS} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate) -> Iterator[Live]:
    """`commonfund serve` on the demo, in a SQLite database of this module's own (a copy of
    the one ``demo_template`` made once per test process: conftest.py)."""
    home = tmp_path_factory.mktemp("browser")
    database = home / "ledger.sqlite3"
    demo_template.copy_to(database)
    env = {**os.environ, "COMMONFUND_DATABASE_URL": f"sqlite:///{database}"}
    demo = demo_template.demo
    port = free_port()
    log = home / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "commonfund.cli", "serve", "--port", str(port)],
            env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, server, log)
        yield Live(base, demo, env)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    fonts = shutil.which("fc-list")
    if fonts and not subprocess.run([fonts, ":lang=zh"], capture_output=True, check=False).stdout:
        unavailable(
            "no Chinese font: the page would render as boxes (apt-get install fonts-noto-cjk)"
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


def totals(content: dict[str, Any]) -> dict[str, str]:
    found = {key: content[key] for key in ("opening_balance", "closing_balance")}
    found.update(
        {key: content[key]["total"] for key in ("income", "deductions", "expenditure", "reversals")}
    )
    return found


def a_line(content: dict[str, Any]) -> dict[str, Any]:
    """The first expenditure line (it has the most columns), else the first income line."""
    for section in ("expenditure", "income"):
        for category in content[section]["categories"]:
            return dict(category["lines"][0])
    raise AssertionError("the demo's quarter has no lines")


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


def test_the_owners_page_in_chromium_matches_the_public_json(live: Live, browser: Browser) -> None:
    complex_id, period = live.demo["complex"]["id"], live.demo["statements"][-1]
    status, _, body = get(f"{live.base}/v1/public/complexes/{complex_id}/statements/{period}")
    assert status == 200
    statement = json.loads(body)
    content = statement["content"]
    url = f"{live.base}/complexes/{complex_id}/statements/{period}"
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"owner-page-{period}"

    page = browser.new_page(viewport={"width": 1024, "height": 800}, locale="zh-CN")
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert "收支公示" in page.title()
    assert live.demo["complex"]["name"] in page.locator("h1").inner_text()
    for key, amount in totals(content).items():
        shown = page.locator(f'tr[data-total="{key}"] td').inner_text()
        assert shown == money(amount), key
    line = a_line(content)
    row = page.locator(f'tr[data-entry="{line["entry_id"]}"]')
    assert row.count() == 1
    text = row.inner_text()
    for part in (line["date"], line["party"], money(line["amount"]), line["description"]):
        assert part in text, part
    assert page.get_by_text(statement["digest"]["root"]).count() == 1
    csv = page.get_by_role("link", name="下载 CSV").get_attribute("href")
    assert csv is not None
    status, kind, _ = get(live.base + csv)
    assert (status, kind.split(";")[0]) == (200, "text/csv")
    bank = content["bank_reconciliation"]  # the demo's feed (issue #14), frozen at publication
    section = page.locator("section.bank")
    assert section.is_visible()
    assert money(bank["bank_balance"]) in section.inner_text()
    assert f"差额 {money(bank['difference'])} 元" in section.inner_text()
    page.screenshot(path=f"{stem}.png", full_page=True)

    page.emulate_media(media="print")
    assert not page.locator("nav.links").is_visible()  # no navigation on paper
    page.pdf(path=f"{stem}.pdf", format="A4")
    pages = pdf_pages(Path(f"{stem}.pdf").read_bytes())
    assert 1 <= pages <= 4, f"the quarter prints on {pages} A4 pages"  # 11 pt (issue #17)

    phone = browser.new_page(viewport={"width": PHONE_WIDTH, "height": 740}, locale="zh-CN")
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH  # no sideways
    for cell in phone.locator("td.num").all():  # an amount never breaks across lines
        assert cell.evaluate(LINES_OF_TEXT) == 1, cell.inner_text()
    phone.screenshot(path=f"{stem}-phone.png", full_page=True)


def test_the_regulators_reconciliation_page_in_chromium(live: Live, browser: Browser) -> None:
    """The demo's unrecorded debit (B01) and forgotten credit (B02), as a district regulator
    reads them at desktop and phone widths and prints them on A4."""
    issued = cli("token", "issue", "--role", "regulator", "--jurisdiction", "370202", env=live.env)
    token = issued.strip().splitlines()[-1]
    url = f"{live.base}/regulator/accounts/{live.demo['account_id']}/reconciliation"
    headers = {"Authorization": f"Bearer {token}"}
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / "regulator-reconciliation"

    page = browser.new_page(
        viewport={"width": 1024, "height": 800}, locale="zh-CN", extra_http_headers=headers
    )
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    assert page.locator("[data-state]").get_attribute("data-state") == "off"
    bank_side = page.locator('table[data-side="bank"] tbody tr')
    assert bank_side.count() == 2  # the unrecorded debit and the forgotten credit
    amounts = bank_side.all_inner_texts()
    assert any(money("4800.00") in row for row in amounts), amounts
    assert any(money("1250.00") in row for row in amounts), amounts
    page.screenshot(path=f"{stem}.png", full_page=True)
    page.emulate_media(media="print")
    page.pdf(path=f"{stem}.pdf", format="A4")
    assert pdf_pages(Path(f"{stem}.pdf").read_bytes()) >= 1

    phone = browser.new_page(
        viewport={"width": PHONE_WIDTH, "height": 740}, locale="zh-CN", extra_http_headers=headers
    )
    phone.goto(url)
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH  # no sideways
    for cell in phone.locator("td.num").all():  # an amount never breaks across lines
        assert cell.evaluate(LINES_OF_TEXT) == 1, cell.inner_text()
    phone.screenshot(path=f"{stem}-phone.png", full_page=True)
