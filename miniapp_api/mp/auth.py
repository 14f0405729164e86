"""WeChat login for the mini-program."""

from flask import current_app
from flask_smorest import Blueprint

from miniapp_api.auth import EMPLOYEE, issue_token
from miniapp_api.extensions import db, limiter
from miniapp_api.schemas.accounts import LoginResultSchema, WxCodeSchema
from miniapp_api.services.accounts import login_with_wechat
from miniapp_api.wechat import wx

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="WeChat login")


@blp.route("/wx-login", methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"])
@blp.arguments(WxCodeSchema)
@blp.response(200, LoginResultSchema)
def wx_login(body: dict):
    """Log in with the code from wx.login(); creates the employee on first login."""
    employee = login_with_wechat(db.session, wx(), body["code"])
    token, expires_in = issue_token(EMPLOYEE, employee)
    return {"token": token, "expires_in": expires_in, "user": employee}
