from tests.console.browser import browser, live_server, new_page, page  # noqa: F401
