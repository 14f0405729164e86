"""The running app's voucher code keys, from VOUCHER_CODE_KEY (services take them as an argument
and never read configuration themselves)."""

from __future__ import annotations

from flask import current_app

from miniapp_api.services.voucher_codes import CodeKeys


def code_keys() -> CodeKeys:
    """Derived per call (two HMACs): cheap, and a changed configuration is seen at once."""
    return CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"] or "")
