"""Debian's chromium for the browser tests, driven by Playwright (never a downloaded browser).

A package of browser tests makes it its ``browser`` fixture with package scope
(``browser = pytest.fixture(scope="package", name="browser")(chromium)`` in its conftest), so
that it is closed when the package's tests are done: while it is open, Playwright's sync API
keeps an event loop running in this thread, and the tests of other packages that call
``asyncio.run`` (or start Playwright themselves) must not meet it.
"""

from __future__ import annotations

from collections.abc import Iterator

from playwright.sync_api import Browser, sync_playwright


def chromium() -> Iterator[Browser]:
    """A headless chromium for the tests of one package."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=["--no-sandbox"]
        )
        yield browser
        browser.close()
