"""The app's WeChat client (chosen by configuration in create_app: WeChat, or the fake)."""

from flask import current_app

from wx_client import WxClient


def wx() -> WxClient:
    return current_app.extensions["wx_client"]
