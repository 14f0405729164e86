"""A guard over the whole suite: no voucher code in any log line (API.md "Voucher codes").

After every test, while its rows still exist, each code of every voucher is unsealed and looked
for, as stored and as printed, in every log record the test produced."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import current_app
from sqlalchemy import select

from miniapp_api.services.voucher_codes import CodeKeys, printed, unseal
from models import Voucher, db


def _codes() -> list[str]:
    rows = db.session.execute(select(Voucher.batch_id, Voucher.code_cipher)).all()
    if not rows:
        return []
    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
    return [code for batch_id, sealed in rows for code in unseal(keys, [sealed], batch_id)]


@pytest.fixture(autouse=True)
def _no_voucher_code_in_the_log(_app_context, caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    db.session.rollback()
    codes = _codes()
    if not codes:
        return
    for record in caplog.get_records("setup") + caplog.get_records("call"):
        line = (record.getMessage() + (record.exc_text or "")).upper()
        for code in codes:
            assert code not in line and printed(code) not in line, (
                f"a voucher code reached the log through {record.name}"
            )
