"""An owner's walk in a real browser (issue #17 acceptance), on a phone (390 px) and a desktop
(1280 px), printed to A4: `/` → search → the complex's home → a statement (its charts, no text
over other text) → the maintenance fund → owner sign-in → their own unit's ledger.

Against the same live `commonfund serve` on the demo as test_owner_page.py. Every step's
screenshot and every print is kept under var/browser/ (walk-<width>-<step>.png / .pdf) for a
person to look at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.browser.test_owner_page import OUT, Live, cli, pdf_pages
from tests.browser.test_owner_page import browser as browser  # noqa: PLC0414 - the fixture
from tests.browser.test_owner_page import live as live  # noqa: PLC0414 - the fixture

pytestmark = pytest.mark.browser

PT11 = 11 * 96 / 72  # 11 pt in CSS pixels
# every element's box on the page, and for each phone card's cell whether its label (a ::before
# float) fits inside it: measured by setting the label's text at the label's width and font
CELLS_HOLD_THEIR_LABELS = """() => {
  const bad = [];
  for (const td of document.querySelectorAll('table.lines td[data-label], table.versions td[data-label]')) {
    const style = getComputedStyle(td, '::before');
    if (style.content === 'none') continue;  // a desktop table: the label is the column head
    const probe = document.createElement('div');
    probe.textContent = td.dataset.label;
    Object.assign(probe.style, {position: 'absolute', visibility: 'hidden', width: style.width,
      font: style.font, lineHeight: style.lineHeight, overflowWrap: 'anywhere'});
    document.body.appendChild(probe);
    const needed = probe.getBoundingClientRect().height;
    probe.remove();
    if (td.getBoundingClientRect().height + 0.5 < needed) bad.push(td.dataset.label);
  }
  return bad;
}"""
OVERLAPS = """selector => {
  const boxes = [...document.querySelectorAll(selector)]
    .map(e => [e, e.getBoundingClientRect()]).filter(([, r]) => r.width > 0 && r.height > 0);
  const found = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const [a, p] = boxes[i], [b, q] = boxes[j];
    if (a.contains(b) || b.contains(a)) continue;
    const x = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const y = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (x > 0.5 && y > 0.5) found.push([a.textContent.slice(0, 20), b.textContent.slice(0, 20)]);
  }
  return found;
}"""
SMALLEST_BODY_TEXT = """() => Math.min(...[...document.querySelectorAll(
  'main p, main td, main th, main li, figcaption')]
  .filter(e => e.offsetParent !== null && !e.closest('.qr-block'))
  .map(e => parseFloat(getComputedStyle(e).fontSize)))"""


def shot(page: Page, width: int, step: str) -> None:
    page.screenshot(path=OUT / f"walk-{width}-{step}.png", full_page=True)


def printed(page: Page, width: int, step: str) -> int:
    """Print to A4 (the body text at 11 pt or more); the number of sheets."""
    page.emulate_media(media="print")
    smallest = page.evaluate(SMALLEST_BODY_TEXT)
    assert smallest >= PT11 - 0.01, f"{step}: print text at {smallest * 72 / 96:.1f} pt"
    path = OUT / f"walk-{width}-{step}.pdf"
    page.pdf(path=str(path), format="A4")
    page.emulate_media(media="screen")
    return pdf_pages(Path(path).read_bytes())


def no_overlaps(page: Page, step: str) -> None:
    for selector in ("table.totals th, table.totals td", "table.lines td",
                     "svg.chart text", "table.chart-data th, table.chart-data td"):  # fmt: skip
        assert page.evaluate(OVERLAPS, selector) == [], (step, selector)
    assert page.evaluate(CELLS_HOLD_THEIR_LABELS) == [], step
    viewport = page.viewport_size
    assert viewport is not None
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], step


def owner_token(live: Live) -> str:
    owner: dict[str, Any] = live.demo["owner"]
    issued = cli("token", "issue", "--role", "owner", "--complex", live.demo["complex"]["id"],
                 "--owner-key", owner["owner_key"], env=live.env)  # fmt: skip
    return issued.strip().splitlines()[-1]


@pytest.mark.parametrize("width", [390, 1280])
def test_an_owner_walks_from_the_index_to_their_own_units_ledger(
    live: Live, browser: Browser, width: int
) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    name, code = live.demo["complex"]["name"], live.demo["complex"]["code"]
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")

    page.goto(live.base + "/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("details summary", has_text="市南区").count() == 1  # browse by district
    search = page.get_by_role("button", name="搜索")  # the page's own styles are there
    assert search.evaluate("b => getComputedStyle(b).backgroundColor") == "rgb(26, 95, 180)"
    shot(page, width, "1-index")
    page.get_by_label("小区名称、小区编码或地址（区、街道）").fill(name[:2])
    page.get_by_role("button", name="搜索").click()
    assert page.locator(f'li[data-code="{code}"]').count() == 1
    shot(page, width, "2-search")

    page.get_by_role("link", name=name).click()
    assert page.url.endswith(f"/c/{code}")
    assert name in page.locator("h1").inner_text()
    for section in ("业主委员会", "共有资金账户", "收支公示", "专项维修资金", "业主大会表决"):
        assert page.get_by_role("heading", name=section).count() == 1, section
    shot(page, width, "3-home")

    page.locator("section.statements ul.periods a").first.click()
    assert "/statements/" in page.url
    charts = page.locator('figure.chart svg[role="img"]')
    assert charts.count() == 3
    for n in range(3):
        assert charts.nth(n).locator("title").count() == 1
    assert page.locator("table.chart-data").count() == 3
    assert "季度" in page.locator("h1").inner_text()
    assert not any(f"第{n}季度" in page.content() for n in "1234")  # 第三季度, never 第3季度
    assert "公示期" in page.locator("header.page").inner_text()
    no_overlaps(page, "statement")
    shot(page, width, "4-statement")
    assert 1 <= printed(page, width, "4-statement") <= 4

    page.go_back()
    page.locator("section.fund ul.periods a").first.click()
    assert "/maintenance-fund/" in page.url
    assert page.locator('figure[data-chart="fund-by-building"] svg[role="img"]').count() == 1
    no_overlaps(page, "fund")
    shot(page, width, "5-fund")
    assert printed(page, width, "5-fund") >= 1

    page.goto(live.base + "/owner")
    page.get_by_label("业主凭证").fill(owner_token(live))
    page.get_by_role("button", name="登录").click()
    unit = live.demo["owner"]["unit"]
    assert page.locator(f'tr[data-unit="{unit}"]').count() == 1
    shot(page, width, "6-owner")
    page.get_by_role("link", name=unit).click()
    assert page.locator("h1").inner_text().startswith(unit)
    assert page.locator("tr[data-position]").count() >= 1  # the demo's first deposit at least
    no_overlaps(page, "unit")
    shot(page, width, "7-unit")
    assert printed(page, width, "7-unit") >= 1
    page.context.close()
