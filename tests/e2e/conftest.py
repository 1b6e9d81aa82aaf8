"""Browser walks against the real ASGI app: uvicorn in its own process, Debian's Chromium.

`live_url` serves config.asgi (HTTP and WebSocket, the site's own URLs) on a free port, sharing
the test database; `walk` gives each user a browser context of their own and, when the test
fails, saves a screenshot of every open page under test-results/<test id>/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.server import CHROMIUM, CHROMIUM_ARGS, serve

RESULTS_DIR = Path(__file__).resolve().parents[2] / "test-results"
#: How long `expect` waits by default in these tests (signing and LibreOffice take seconds).
EXPECT_TIMEOUT_MS = 20_000


# ---------------------------------------------------------------------------------------------
# The server


@pytest.fixture
def live_url(transactional_db: Any) -> Iterator[str]:
    """The site, served for the browser walks (tests/e2e/server.py)."""
    with serve() as url:
        yield url


# ---------------------------------------------------------------------------------------------
# The browser


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Iterator[None]:
    """Keep each phase's report on the item, so fixtures can tell whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class Walk:
    """One browser; one context (a private window) per user, each with one page."""

    def __init__(self, playwright: Any, base_url: str) -> None:
        self.playwright = playwright
        self.base_url = base_url
        self.pages: dict[str, Any] = {}
        self.closed = False
        #: What Chromium refused under the Content-Security-Policy: must stay empty.
        self.csp_violations: list[str] = []
        try:
            self.browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
        except Exception:
            playwright.stop()
            raise

    def new_page(self, user: str) -> Any:
        """A page in a fresh context for `user`, relative URLs against the server."""
        assert user not in self.pages, f"{user} already has a browser context"
        context = self.browser.new_context(base_url=self.base_url, locale="vi-VN")
        context.set_default_timeout(EXPECT_TIMEOUT_MS)
        page = context.new_page()
        # Confirmations (submit, sign, issue) are window.confirm: the user says yes.
        page.on("dialog", lambda dialog: dialog.accept())
        page.on("console", self._watch_console)
        self.pages[user] = page
        return page

    def _watch_console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def screenshots(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for user, page in self.pages.items():
            try:
                page.screenshot(path=str(folder / f"{user}.png"), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                (folder / f"{user}.error.txt").write_text(repr(exc))

    def close(self) -> None:
        """Close the browser and stop Playwright (and its event loop); safe to call twice."""
        if self.closed:
            return
        self.closed = True
        try:
            self.browser.close()
        finally:
            self.playwright.stop()


@pytest.fixture
def walk(live_url: str, request: pytest.FixtureRequest, monkeypatch: Any) -> Iterator[Walk]:
    """Headless Debian Chromium (never a downloaded browser); screenshots when the test fails.

    The test may call `walk.close()` when it is done with the browser: Playwright's event loop
    then stops, so that code calling asyncio.run() (pyHanko's validation) works again.
    """
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium "
            "(apt-get install -y --no-install-recommends chromium) to run the e2e tests."
        )
    from playwright.sync_api import expect, sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain sync.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    walk = Walk(sync_playwright().start(), live_url)
    previous_timeout = expect._timeout
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    try:
        yield walk
        assert not walk.csp_violations, walk.csp_violations
    finally:
        try:
            report = getattr(request.node, "rep_call", None)
            if not walk.closed and (report is None or report.failed):
                walk.screenshots(RESULTS_DIR / re.sub(r"[^\w.-]+", "_", request.node.nodeid))
        finally:
            walk.close()
            expect.set_options(timeout=previous_timeout)
