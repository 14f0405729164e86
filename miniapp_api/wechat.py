"""The app's WeChat client (chosen by configuration in create_app: WeChat, or the fake)."""

from flask import current_app

from miniapp_api.transaction import mark_irreversible
from wx_client import WxClient
from wx_client.pay import PaymentGateway


def wx() -> WxClient:
    """The WeChat client; a request that takes it is not rerun after a deadlock (a login code
    is good once)."""
    mark_irreversible()
    return current_app.extensions["wx_client"]


def wx_pay() -> PaymentGateway:
    """The payment provider behind orders (WeChat Pay v2 JSAPI); taking it makes the request
    irreversible, as `wx()` does."""
    mark_irreversible()
    return current_app.extensions["wx_pay"]
