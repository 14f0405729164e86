"""Logging into the console through its form, as a browser does (test client)."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

PASSWORD = "correct horse battery"


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def console_login(client: FlaskClient, username: str, password: str = PASSWORD):
    """Open the login page, then post the form with its CSRF token; answers the response."""
    page = client.get("/console/login").get_data(as_text=True)
    return client.post(
        "/console/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page)},
    )


def page_csrf(client: FlaskClient, path: str) -> str:
    return csrf_of(client.get(path).get_data(as_text=True))


def once_key_of(page: str) -> str:
    """The one-time key a form carries (console/union.py: the same form sent twice acts once)."""
    match = re.search(r'name="idempotency_key" value="([^"]+)"', page)
    assert match, "the form has no one-time key"
    return match.group(1)
