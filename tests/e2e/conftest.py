"""Browser fixtures for end-to-end tests: Debian's Chromium driven by Playwright.

Reuse them in any e2e test::

    @pytest.mark.e2e
    def test_something(cast, page, login, live_server):
        login(page, "committee")
        page.goto(live_server.url + "/c/home/")

``page`` opens on the live server in a desktop window with a Chinese browser locale (the
portal's default language); ``make_page(viewport=PHONE)`` gives other sizes;
``screenshot(page, name)`` saves to var/screenshots/ (gitignored). No browser is ever
downloaded: the tests use /usr/bin/chromium.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright import sync_api

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP = {"width": 1280, "height": 860}
PHONE = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture(scope="package")
def browser() -> Iterator[sync_api.Browser]:
    """One Chromium for the e2e package, closed when its last test is done.

    Playwright's sync API keeps an asyncio loop running in this thread, beside which
    Django refuses ORM calls unless DJANGO_ALLOW_ASYNC_UNSAFE is set (the tests share no
    connection across threads, so it is safe here). It is set only while the browser
    lives, so the rest of the suite, and the subprocesses it starts (``check --deploy``
    warns about the variable), never see it.
    """
    if not Path(CHROMIUM).exists():
        pytest.skip(f"real-service test: needs Chromium at {CHROMIUM} (scripts/system-deps.sh)")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def _urls_loaded() -> None:
    """Import every URL module (and the views', PDF and schema libraries they pull in)
    before the live server's first request, which would otherwise spend the first
    page's timeout on them."""
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 (populating the resolver imports the modules)


@pytest.fixture
def make_page(browser, live_server, _urls_loaded) -> Iterator[Callable[..., sync_api.Page]]:
    """Open pages on the live server: ``make_page(viewport=PHONE, locale="en-US")``."""
    contexts = []

    def make(*, viewport: dict = DESKTOP, locale: str = "zh-CN", **options) -> sync_api.Page:
        context = browser.new_context(
            base_url=live_server.url, viewport=viewport, locale=locale, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(make_page) -> sync_api.Page:
    """A desktop page with a Chinese browser locale, on the live server."""
    return make_page()


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(page, username, password=factories.PASSWORD)``: sign in through the form and
    land on the home page (fails with the page's text when the login is refused)."""

    def do_login(page: sync_api.Page, username: str, password: str = PASSWORD) -> None:
        page.goto("/accounts/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        if re.search(r"/accounts/login/", page.url):
            raise AssertionError(f"login as {username} failed: {page.inner_text('main')}")

    return do_login


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    """``screenshot(page, name)``: a full-page PNG in var/screenshots/<name>.png."""

    def take(page: sync_api.Page, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def horizontal_overflow(page: sync_api.Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it fits)."""
    return page.evaluate(
        "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth"
    )
