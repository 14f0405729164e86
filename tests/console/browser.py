"""Browser tests' fixtures: the app served on a free port by a live server thread, and Debian's
chromium driven headless by Playwright (never a downloaded browser). Where chromium cannot
start, the browser tests are skipped with the reason."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CONSOLE_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console"


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:
    """The app on 127.0.0.1 and a free port, in a thread; answers its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture(scope="session")
def browser():
    """Headless chromium from Debian's package, or a skip saying why it cannot run."""
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[test]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install -y chromium")
    manager = sync_playwright().start()
    try:
        browser = manager.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except Error as error:
        manager.stop()
        pytest.skip(f"chromium cannot start here: {str(error).splitlines()[0]}")
    yield browser
    browser.close()
    manager.stop()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser context (no cookies) on a phone-or-laptop-sized window."""
    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(browser, live_server):
    """Open more pages, each its own browser context (two people at once); all closed after."""
    contexts = []

    def open_page(width: int = 1280, height: int = 900):
        context = browser.new_context(
            base_url=live_server, viewport={"width": width, "height": height}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    """Keep a picture of the page for a person to look at (test-output/console/NAME.png)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def log_in(page, username: str, password: str = "correct horse battery") -> None:
    page.goto("/console/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def follow(page, selector: str) -> None:
    """Click a link to another page and wait until that page's scripts have run: console.js
    and htmx bind their listeners when the document is parsed, while a click only waits for
    the navigation to begin, so typing at once could go unseen by them."""
    page.click(selector)
    page.wait_for_load_state()
