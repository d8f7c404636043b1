"""The regulator's desk in Chromium (issue #17): sign in, a group, acknowledge, close.

At 1280 px and 390 px a district regulator signs in with the form, opens a
rule's group from the desk, acknowledges an open alert with a note and closes it
as a false positive; each step's confirmation must be visible. The demo's bank
differences (B01, B02, B04, raised by the day's supervision run when serve
starts) give the two widths an alert each. Screenshots go to var/browser/regulator-desk-*.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Page, expect

from projections.supervision.catalog import RULES
from tests.browser.test_owner_page import OUT, Live, browser, cli, live

__all__ = ["browser", "live"]  # the Chromium and demo-server fixtures, shared

pytestmark = pytest.mark.browser
WIDTHS = (1280, 390)
ALERTS_SECONDS = 30


def regulator(live: Live) -> str:
    issued = cli("token", "issue", "--role", "regulator", "--jurisdiction", "370202", env=live.env)
    return issued.strip().splitlines()[-1]


def sign_in(page: Page, live: Live, token: str) -> None:
    page.goto(f"{live.base}/regulator")
    page.get_by_label("监管令牌").fill(token)
    page.get_by_role("button", name="进入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("监管工作台")


def open_alerts(page: Page, live: Live) -> None:
    """Wait for the day's supervision run: the desk counts open alerts once it has raised them."""
    deadline = time.monotonic() + ALERTS_SECONDS
    while time.monotonic() < deadline:
        page.goto(f"{live.base}/regulator?state=open")
        if int(page.locator("[data-total]").get_attribute("data-total") or 0) > 0:
            return
        time.sleep(0.5)
    pytest.fail(f"no open alert on the desk within {ALERTS_SECONDS} s")


def no_sideways_scroll(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_in_a_group_acknowledge_and_close(live: Live, browser: Browser, width: int) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    stem = OUT / f"regulator-desk-{width}"
    page = browser.new_page(viewport={"width": width, "height": 900}, locale="zh-CN")
    sign_in(page, live, regulator(live))
    open_alerts(page, live)
    page.goto(f"{live.base}/regulator")  # the default view: open and acknowledged alerts
    no_sideways_scroll(page, width)
    page.screenshot(path=f"{stem}-1-desk.png", full_page=True)

    group = page.locator('table[data-group="rule"] tbody tr a').first
    name = group.inner_text()
    assert name == f"{name[:3]} {RULES[name[:3]].title_zh}"  # the id, then its Chinese name
    group.click()
    expect(page.locator("p.count")).to_contain_text(name)
    card = page.locator('li.alert-card[data-status="open"]').first
    alert_id = card.get_attribute("data-alert")
    assert alert_id
    facts = card.locator("dl.facts").inner_text()
    assert "海韵花园" in facts  # the complex by name
    assert "八大湖街道" in facts  # the street by name, not 370202012
    if width < 600:  # a card's labels sit beside their values, not on top of each other
        label = card.locator("dl.facts dt").first.bounding_box()
        value = card.locator("dl.facts dd").first.bounding_box()
        assert label
        assert value
        assert label["x"] + label["width"] <= value["x"]
    no_sideways_scroll(page, width)
    page.screenshot(path=f"{stem}-2-group.png", full_page=True)

    card.get_by_label("受理备注（可不填）").fill("已安排现场核查")
    card.get_by_role("button", name="受理").click()
    done = page.get_by_role("status")
    expect(done).to_contain_text("已受理预警")
    expect(done).to_contain_text("海韵花园")
    card = page.locator(f'li.alert-card[data-alert="{alert_id}"]')
    expect(card).to_have_attribute("data-status", "acknowledged")
    expect(card.locator("dd.status")).to_have_text("已受理")
    page.screenshot(path=f"{stem}-3-acknowledged.png", full_page=True)

    card.locator("summary", has_text="关闭预警").click()
    card.get_by_label("误报").check()
    card.get_by_label("原因").fill("银行已更正，经核实无误")
    card.get_by_role("button", name="关闭预警").click()
    expect(page.get_by_role("status")).to_contain_text("已关闭预警")
    expect(page.get_by_role("status")).to_contain_text("结论：误报")
    # closed alerts leave the default view ("待处理和已受理"); the closed filter shows it
    assert page.locator(f'li.alert-card[data-alert="{alert_id}"]').count() == 0
    page.screenshot(path=f"{stem}-4-closed.png", full_page=True)
    page.goto(f"{live.base}/regulator?state=closed&rule={name[:3]}")
    closed = page.locator(f'li.alert-card[data-alert="{alert_id}"]')
    expect(closed.locator("dd.status")).to_contain_text("已关闭（误报）")
    page.close()
