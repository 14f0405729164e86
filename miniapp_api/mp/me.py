"""The employee's own profile and unit binding."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.schemas.accounts import EmployeeSchema, WxCodeSchema
from miniapp_api.schemas.units import BindingSchema, BindUnitSchema
from miniapp_api.services.accounts import store_verified_phone
from miniapp_api.services.units import bind_employee, find_unit_for_binding, unbind_employee
from miniapp_api.wechat import wx

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The employee's profile")


@blp.route("", methods=["GET"])
@employee_required
@blp.response(200, EmployeeSchema)
def read_me():
    """The logged-in employee, with the unit they are bound to (and, if that unit was merged,
    the successor to bind to instead)."""
    return g.employee


@blp.route("/phone", methods=["POST"])
@employee_required
@blp.arguments(WxCodeSchema)
@blp.response(200, EmployeeSchema)
def store_phone(body: dict):
    """Store the phone number WeChat verified through the phone-number button.

    422 `phone_code_invalid` when WeChat does not accept the code (unknown, used, expired)."""
    return store_verified_phone(db.session, wx(), g.employee, body["code"])


@blp.route("/unit", methods=["PUT"])
@employee_required
@blp.arguments(BindUnitSchema)
@blp.response(200, BindingSchema)
@blp.alt_response(409, description="unit_inactive: revoked or merged (successor in details)")
def bind_unit(body: dict):
    """Bind to a unit by `unit_id`, `credit_code` or exact full `name`. Purchases from now on
    count to it; earlier orders keep the unit they were placed under.

    422 `invalid_request` unless exactly one of `unit_id`, `credit_code` and `name` is given,
    or when `credit_code`'s check character is wrong."""
    unit = find_unit_for_binding(
        db.session,
        unit_id=body.get("unit_id"),
        credit_code=body.get("credit_code"),
        name=body.get("name"),
    )
    return bind_employee(db.session, g.employee, unit)


@blp.route("/unit", methods=["DELETE"])
@employee_required
@blp.response(204)
def unbind_unit():
    """End the binding; later purchases count to no unit."""
    unbind_employee(db.session, g.employee)
