"""A guard over the whole suite: no secret in any log line, and none in an answer where it
does not belong (API.md: the session key never leaves the server; voucher codes stay out of
logs).

After every test, while its rows still exist, the secrets it could have produced are gathered:
every admin's password hash, every employee's WeChat session key, the pay key and every voucher
code (unsealed, as stored and as printed); bearer tokens are recognised by their form, and
password hashes by theirs too (a row gone by then still leaves its hash's shape). Each is looked
for in every log record of the test. Every answer the app gave during the test is checked too:
no password hash, session key or pay key in any; a token only in the answers that issue one; a
voucher code only in the union's codes.xlsx (which is a zip anyway)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask, Response, current_app, request, request_finished
from sqlalchemy import select

from miniapp_api.services.voucher_codes import CodeKeys, printed, unseal
from models import Admin, Employee, Voucher, db

# werkzeug's hashes (`pbkdf2:sha256:600000$salt$hex`, `scrypt:32768:8:1$salt$hex`)
PASSWORD_HASH = re.compile(r"\b(?:pbkdf2|scrypt)(?::[\w]+)+\$[^$\s]+\$[0-9a-f]{16,}")
# our bearer tokens (itsdangerous: base64 JSON claims, timestamp, signature)
BEARER_TOKEN = re.compile(r"eyJ[\w-]{8,}\.[\w-]{4,}\.[\w-]{16,}")
# the logins, and a password change (which ends the old tokens and answers a new one)
TOKEN_ANSWERS = {"/api/v1/auth/wx-login", "/api/v1/admin/auth/login", "/api/v1/admin/auth/password"}
CODES_SHEET = re.compile(r"^/api/v1/admin/voucher-batches/\d+/codes\.xlsx$")


@dataclass
class Secrets:
    fixed: dict[str, str]  # text -> what it is
    codes: list[str]

    def found_in(self, text: str, *, codes: bool = True) -> str | None:
        """What kind of secret `text` carries, or None."""
        for secret, kind in self.fixed.items():
            if secret in text:
                return kind
        if PASSWORD_HASH.search(text):
            return "a password hash"
        if codes:
            upper = text.upper()
            if any(code in upper or printed(code) in upper for code in self.codes):
                return "a voucher code"
        return None


def _secrets() -> Secrets:
    fixed = {current_app.config["WECHAT_PAY_API_KEY"]: "the pay key"}
    fixed |= {h: "a password hash" for h in db.session.scalars(select(Admin.password_hash))}
    keys = db.session.scalars(select(Employee.session_key).where(Employee.session_key.is_not(None)))
    fixed |= {key: "a WeChat session key" for key in keys}
    rows = db.session.execute(select(Voucher.batch_id, Voucher.code_cipher)).all()
    codes: list[str] = []
    if rows:
        code_keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
        for batch_id, sealed in rows:
            codes += unseal(code_keys, [sealed], batch_id)
    return Secrets({k: v for k, v in fixed.items() if k}, codes)


@pytest.fixture(autouse=True)
def _no_secret_in_logs_or_answers(
    app: Flask, _app_context, caplog: pytest.LogCaptureFixture
) -> Iterator[None]:
    answers: list[tuple[str, str]] = []

    def keep(sender: Flask, response: Response, **_: object) -> None:
        if response.direct_passthrough or response.is_streamed:
            return  # files (send_file): spreadsheets, whose text is zipped
        answers.append((request.path, response.get_data(as_text=True)))

    request_finished.connect(keep, app)
    try:
        yield
    finally:
        request_finished.disconnect(keep, app)
    db.session.rollback()
    secrets = _secrets()
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        line = record.getMessage() + (record.exc_text or "")
        kind = secrets.found_in(line) or ("a bearer token" if BEARER_TOKEN.search(line) else None)
        assert kind is None, f"{kind} reached the log through {record.name}"
    for path, body in answers:
        kind = secrets.found_in(body, codes=not CODES_SHEET.match(path))
        if kind is None and path not in TOKEN_ANSWERS and BEARER_TOKEN.search(body):
            kind = "a bearer token"
        assert kind is None, f"{kind} in the answer to {path}"
