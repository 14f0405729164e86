"""The app's WeChat client (chosen by configuration in create_app: WeChat, or the fake)."""

from flask import current_app

from wx_client import WxClient
from wx_client.pay import PaymentGateway


def wx() -> WxClient:
    return current_app.extensions["wx_client"]


def wx_pay() -> PaymentGateway:
    """The payment provider behind orders (WeChat Pay v2 JSAPI)."""
    return current_app.extensions["wx_pay"]
