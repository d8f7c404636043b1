"""`/docs` renders with no network (issue #17): Swagger UI comes from the package, not a CDN.

Every request the page makes that is not to 127.0.0.1 is aborted and recorded; the page
must still show the operations and the Authorize button of the bearer scheme. A
screenshot is kept in var/browser/api-docs.png.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Route

from tests.browser.test_owner_page import OUT, browser, cli, free_port, wait_ready

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the module's Chromium fixture, shared


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`commonfund serve` on a migrated, empty SQLite database."""
    home = tmp_path_factory.mktemp("docs")
    env = {**os.environ, "COMMONFUND_DATABASE_URL": f"sqlite:///{home / 'ledger.sqlite3'}"}
    cli("migrate", env=env)
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
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_the_api_docs_render_with_no_network(served: str, browser: Browser) -> None:
    blocked: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.route("**/*", offline)
    response = page.goto(f"{served}/docs")
    assert response is not None
    assert response.status == 200
    page.locator(".opblock").first.wait_for(timeout=20_000)
    assert page.locator(".opblock").count() > 40
    assert page.locator("#operations-accounts-recordIncome").count() == 1
    assert page.locator("button.authorize").is_visible()
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / "api-docs.png"))
    assert blocked == []
