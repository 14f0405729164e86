"""The app's SMS sender, chosen by configuration like the WeChat client (`SMS_SENDER`).

A sender hands one text to a provider and answers the provider's reference, or raises
`SmsSendError`. Messages reach a sender only through the outbox (services/sms.py), so a change
that calls for a message never depends on the provider being up.

- `outbox` (the default, and what the demo and the tests use): delivers nowhere; the outbox row
  is the message, which platform admins read at `GET /admin/sms-outbox`.
- `package.module:factory`: a real provider; `factory(config)` returns an object with
  `send(phone, text) -> str`.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol


class SmsSendError(Exception):
    """The provider did not take the message; it is tried again later."""


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Hand the text to the provider; the provider's reference for it."""
        ...


class OutboxSender:
    """Delivers nowhere: the message stays readable in the outbox, marked sent."""

    def send(self, phone: str, text: str) -> str:
        return "outbox"


def sender_from_config(config: dict[str, Any]) -> SmsSender:
    name = config.get("SMS_SENDER") or "outbox"
    if isinstance(name, str) and name == "outbox":
        return OutboxSender()
    if not isinstance(name, str):
        return name  # an instance, handed in by the tests
    module_name, _, factory_name = name.partition(":")
    if not factory_name:
        raise ValueError(f"SMS_SENDER must be 'outbox' or 'package.module:factory', got {name!r}")
    factory = getattr(importlib.import_module(module_name), factory_name)
    return factory(config)


def sms_sender() -> SmsSender:
    """The app's sender (for blueprints and the jobs runner; services are handed one)."""
    from flask import current_app

    return current_app.extensions["sms_sender"]
