"""The employee's address book."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.schemas.orders import AddressListSchema, AddressSchema
from miniapp_api.services.addresses import (
    add_address,
    change_address,
    list_addresses,
    remove_address,
)

blp = Blueprint(
    "addresses", __name__, url_prefix="/api/v1/me/addresses", description="Address book"
)


@blp.route("", methods=["GET"])
@employee_required
@blp.response(200, AddressListSchema)
def read_addresses():
    """The employee's addresses, oldest first."""
    return {"items": list_addresses(db.session, g.employee.id)}


@blp.route("", methods=["POST"])
@employee_required
@blp.arguments(AddressSchema)
@blp.response(201, AddressSchema)
@blp.alt_response(422, description="too_many_addresses: 20 are stored already")
def create_address(body: dict):
    """Store an address (at most 20: the 21st is 422 `too_many_addresses`)."""
    return add_address(db.session, g.employee.id, body)


@blp.route("/<int:address_id>", methods=["PUT"])
@employee_required
@blp.arguments(AddressSchema)
@blp.response(200, AddressSchema)
def update_address(body: dict, address_id: int):
    """Change an address; orders placed with it keep their copy."""
    return change_address(db.session, g.employee.id, address_id, body)


@blp.route("/<int:address_id>", methods=["DELETE"])
@employee_required
@blp.response(204)
def delete_address(address_id: int):
    """Remove an address; orders placed with it keep their copy."""
    remove_address(db.session, g.employee.id, address_id)
