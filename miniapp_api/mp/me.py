"""The employee's own profile."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.schemas.accounts import EmployeeSchema, WxCodeSchema
from miniapp_api.services.accounts import store_verified_phone
from miniapp_api.wechat import wx

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The employee's profile")


@blp.route("", methods=["GET"])
@employee_required
@blp.response(200, EmployeeSchema)
def read_me():
    """The logged-in employee, with the unit they are bound to."""
    return g.employee


@blp.route("/phone", methods=["POST"])
@employee_required
@blp.arguments(WxCodeSchema)
@blp.response(200, EmployeeSchema)
def store_phone(body: dict):
    """Store the phone number WeChat verified through the phone-number button."""
    return store_verified_phone(db.session, wx(), g.employee, body["code"])
