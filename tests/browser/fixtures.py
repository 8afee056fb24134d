"""Browser fixtures: Debian's chromium driven by Playwright's sync API, one browser a session.

A pytest plugin (tests/conftest.py names it in pytest_plugins), so every test folder can use
these fixtures: tests/browser/, and tests/security/test_xss_inert_browser.py.

Never `playwright install`: the tests use /usr/bin/chromium (`make browser-deps`). Without it
the browser tests skip, unless REQUIRE_SHARED is set (CI), where a missing browser fails.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MOBILE = {"width": 360, "height": 740}


def _unavailable(reason: str):
    if os.environ.get("REQUIRE_SHARED"):
        pytest.fail(f"{reason}, and REQUIRE_SHARED is set (CI runs the browser tests)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing: install Debian's chromium (make browser-deps)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[dev]')")
    # Playwright's sync API runs an asyncio event loop in the test thread from here on, and
    # Django refuses database access from a thread with a running loop. The tests are
    # synchronous code that only looks async to Django, so allow it (the live server answers
    # in its own thread anyway). Set here, not on import: sessions without a browser keep
    # Django's check.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    except Exception as exc:
        playwright.stop()
        _unavailable(f"{CHROMIUM} did not start under Playwright: {exc}")
    yield browser
    browser.close()
    playwright.stop()


@pytest.fixture
def context(browser):
    """A fresh context (cookies, storage) per test, at a phone's width."""
    context = browser.new_context(viewport=MOBILE)
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    page = context.new_page()
    yield page
    page.close()


@pytest.fixture
def site(live_server, transactional_db) -> str:
    """The live server's base URL; its database is the test's transactional one."""
    return live_server.url
