"""The ballot pages in a real browser (issue #16): an owner reads their notices on /owner, votes
on a 390 px phone, and the result is read at 1280 px and printed on A4 for the notice board.

The ballots are made over HTTP with the e2e client, whose clock the test moves (a ballot must be
announced 15 days ahead, and one must have closed); the same application, with the same clock,
is served by uvicorn on a free port to the system Chromium. Screenshots and PDFs are kept in
var/browser/ (git-ignored).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from playwright.sync_api import Browser, FloatRect, Page, ViewportSize, sync_playwright

from tests.browser.test_accessibility import FAILING, audit
from tests.browser.test_owner_page import CHROMIUM, OUT, free_port, pdf_pages, unavailable
from tests.e2e.maintenance_world import fund, pay, settle, voted_project
from tests.e2e.voting_world import days_ago, matter_body, open_ballot, owner_token, vote
from tests.e2e.world import Builder, Side
from tests.plugins.api import Api

pytestmark = [pytest.mark.browser, pytest.mark.stores("sqlite")]

PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TOUCH = 44  # px: the least a finger hits reliably (WCAG 2.5.5, Apple's HIG)
PRINT_MIN_PX = 11 * 96 / 72 - 0.05  # 11 pt
A4_TEXT_WIDTH = round((210 - 2 * 16) / 25.4 * 96)  # px between ballot.css's @page margins
MATTERS = [
    matter_body(4, question="是否同意续聘青岛海湾物业服务有限公司为本小区物业服务企业，"
                "服务期三年，收费标准不变？"),
    matter_body(2, question="是否同意修订《管理规约》第十二条关于电动自行车停放的规定？",
                documents=["ef" * 32, "0a" * 32]),
]  # fmt: skip


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def served(api: Api) -> Iterator[str]:
    """The e2e client's own application (started, its clock movable) over real HTTP."""
    port = free_port()
    config = uvicorn.Config(
        api.client.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def boxes(page: Page, selector: str) -> list[FloatRect]:
    found = [element.bounding_box() for element in page.locator(selector).all()]
    assert all(box is not None for box in found), selector
    return [box for box in found if box is not None]


def overlap(one: FloatRect, other: FloatRect) -> bool:
    return (
        one["x"] < other["x"] + other["width"]
        and other["x"] < one["x"] + one["width"]
        and one["y"] < other["y"] + other["height"]
        and other["y"] < one["y"] + one["height"]
    )


def the_owners_notices_on_a_phone(phone: Page, served: str, token: str) -> None:
    """/owner signed in: the reminder and the A19 notice above the units, thumb-sized links."""
    phone.goto(f"{served}/owner")  # the owner's own page first: its notices (issue #16, A19)
    phone.get_by_label("业主凭证").fill(token)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url(f"{served}/owner")
    shown = phone.locator("[data-notice]")
    assert shown.evaluate_all("cards => cards.map(c => c.dataset.notice)") == [
        "ballot_closing",
        "replenishment",
    ]
    assert "投票即将截止" in shown.nth(0).inner_text()
    assert "维修资金余额低于续筹线，请续交" in shown.nth(1).inner_text()
    assert boxes(phone, "[data-notice]")[-1]["y"] < boxes(phone, "tr[data-unit]")[0]["y"]
    for box in boxes(phone, "[data-notice] a.act"):
        assert box["height"] >= TOUCH, box
        assert 0 <= box["x"] <= box["x"] + box["width"] <= PHONE["width"], box
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert [v for v in audit(phone) if v["impact"] in FAILING] == []  # axe-core, as for the rest
    phone.screenshot(path=str(OUT / "owner-notices-phone.png"), full_page=True)


def test_an_owner_votes_on_a_phone_and_gets_receipts(
    api: Api, served: str, browser: Browser
) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    fund(b, a)  # 1-001 pays 750.00 of its 1,000.00 for a repair: below the 300.00 line (A19)
    pay(b, a, voted_project(b, a, ["1-001"], budget="1100.00"), "750.00")
    ballot = open_ballot(b, a, matters=MATTERS, closes=timedelta(hours=31))  # 30 h to go
    settle(b)
    OUT.mkdir(parents=True, exist_ok=True)
    phone = browser.new_page(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    the_owners_notices_on_a_phone(phone, served, a.tokens["owner"])
    # an owner who opens the ballot's address directly signs in on the ballot's own page
    stranger = browser.new_page(viewport=PHONE, locale="zh-CN", device_scale_factor=2)
    stranger.goto(f"{served}/ballots/{ballot}/vote")
    field = boxes(stranger, "input[name=token]")[0]
    assert field["height"] >= TOUCH
    stranger.screenshot(path=str(OUT / "ballot-sign-in-phone.png"), full_page=True)
    stranger.close()
    # the signed-in owner taps 去投票 on /owner and is at the form: one sign-in for both pages
    phone.locator('[data-notice="ballot_closing"] a.act').click()
    phone.wait_for_url(f"{served}/ballots/{ballot}/vote")
    assert phone.locator("input[name=token]").count() == 0
    assert phone.locator("[data-state]").get_attribute("data-state") == "open"
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    options = boxes(phone, ".options label")
    assert len(options) == 3 * len(MATTERS)
    for box in options:
        assert min(box["height"], box["width"]) >= TOUCH, box
        assert 0 <= box["x"] <= box["x"] + box["width"] <= PHONE["width"], box
    for one, other in combinations(options, 2):
        assert not overlap(one, other), (one, other)
    submit = boxes(phone, "button.primary")[0]
    assert submit["height"] >= TOUCH
    assert not any(overlap(submit, box) for box in options)
    phone.screenshot(path=str(OUT / "ballot-vote-phone.png"), full_page=True)

    phone.locator('[data-matter="1"] label.agree').click()
    phone.locator('[data-matter="2"] label.disagree').click()
    phone.get_by_role("button", name="提交投票").click()
    phone.wait_for_url(f"{served}/ballots/{ballot}/confirmation*")
    assert phone.locator("[data-confirmed]").is_visible()
    mine = api.call("GET", f"/v1/ballots/{ballot}/votes/mine", a.tokens["owner"], expect=200)
    assert [(v["matter"], v["choice"]) for v in mine] == [(1, "agree"), (2, "disagree")]
    for cast in mine:
        shown = phone.locator(f'[data-receipt="{cast["receipt"]}"]')
        assert shown.is_visible()
        assert cast["nonce"] in shown.inner_text()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    phone.screenshot(path=str(OUT / "ballot-confirmation-phone.png"), full_page=True)

    phone.goto(f"{served}/ballots/{ballot}/vote")  # the current votes, the form pre-filled
    assert phone.locator('[data-matter="2"] input[value="disagree"]').is_checked()

    phone.goto(f"{served}/owner")  # voted on both matters: the ballot stays, the reminder goes
    card = phone.locator(f'[data-ballot="{ballot}"]')
    assert card.get_attribute("data-notice") == "ballot_opened"
    assert "您已投票" in card.inner_text()
    phone.screenshot(path=str(OUT / "owner-notices-voted-phone.png"), full_page=True)


def closed_ballot(b: Builder, a: Side) -> tuple[str, dict[str, Any]]:
    """Two matters; ten of twelve owners vote (matter 2 fails); counted yesterday."""
    with days_ago(b, 10):
        ballot = open_ballot(b, a, matters=MATTERS, closes=timedelta(days=9), deemed_votes=True)
        for i in range(1, 11):
            token = owner_token(b, a, i)
            vote(b, ballot, token)
            second = "agree" if i <= 5 else "disagree"
            b.post(f"/v1/ballots/{ballot}/votes", token, {"choices": {"2": second}})
    return ballot, b.post(f"/v1/ballots/{ballot}/close", a.tokens["m1"], None, expect=200)


def test_the_results_page_reads_at_1280_and_prints_on_a4(
    api: Api, served: str, browser: Browser
) -> None:
    b = Builder(api)
    a = b.side("370202", account=False)
    ballot, closed = closed_ballot(b, a)
    OUT.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport=DESKTOP, locale="zh-CN")
    response = page.goto(f"{served}/ballots/{ballot}/results")
    assert response is not None
    assert response.status == 200
    outcomes = page.locator("[data-outcome]").all_inner_texts()
    assert outcomes == ["表决结果：通过", "表决结果：未通过"]
    for result in closed["results"]:
        root = page.locator(f'[data-root="{result["root"]}"]')
        assert root.inner_text() == result["root"]
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP["width"]
    page.screenshot(path=str(OUT / "ballot-results.png"), full_page=True)

    page.emulate_media(media="print")
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('main *, footer *')]
            .filter(e => e.offsetParent !== null && e.innerText && e.innerText.trim())
            .map(e => parseFloat(getComputedStyle(e).fontSize)))"""
    )
    assert smallest >= PRINT_MIN_PX, f"the smallest printed text is {smallest * 72 / 96:.1f} pt"
    pdf = OUT / "ballot-results.pdf"
    page.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
    assert 1 <= pdf_pages(Path(pdf).read_bytes()) <= 3
    page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": 1000})  # a sheet's text width
    for root in page.locator("[data-root]").all():  # the full root, wrapped inside the page
        assert root.evaluate("e => e.scrollWidth <= e.parentElement.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= A4_TEXT_WIDTH
    page.screenshot(path=str(OUT / "ballot-results-print.png"), full_page=True)
