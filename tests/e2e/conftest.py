"""Browser fixtures: Debian Chromium driven by Playwright against pytest-django's live server."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: how long a locator waits before an assertion fails; the live server answers in milliseconds
TIMEOUT_MS = 10_000

_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item so the page fixture knows whether the test failed."""
    report = yield
    item.stash.setdefault(_reports, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    p = sync_playwright().start()
    yield p
    p.stop()


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"Browser tests need Debian Chromium at {CHROMIUM} "
            "(apt-get install chromium); it is missing.",
            pytrace=False,
        )
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


PageFactory = Callable[[ViewportSize], Page]


@pytest.fixture
def new_page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """Open pages in fresh contexts (no shared cookies); screenshot them if the test fails."""
    contexts = []

    def make(viewport: ViewportSize) -> Page:
        context = browser.new_context(locale="zh-CN", viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    reports = request.node.stash.get(_reports, {})
    failed = any(r.failed for r in reports.values())
    for i, context in enumerate(contexts):
        if failed:
            out = Path(request.config.rootpath, "test-results")
            out.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            for j, p in enumerate(context.pages):
                # a crashed page must not hide the test's own failure
                with contextlib.suppress(Exception):
                    p.screenshot(path=str(out / f"{name}-{i}-{j}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page: PageFactory) -> Page:
    """A desktop-sized page (1280×800) in a zh-CN browser."""
    return new_page(DESKTOP)


@pytest.fixture
def phone_page(new_page: PageFactory) -> Page:
    """A phone-sized page (390×844) in a zh-CN browser."""
    return new_page(PHONE)


def login(page: Page, live_server: LiveServer, username: str, password: str) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form:has(#id_username) button[type=submit]").click()
