from tests.console.browser import browser, live_server, page  # noqa: F401  (fixtures)
