"""The binding picker: finding one's unit."""

from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.schemas.units import UnitPickListSchema, UnitSearchArgs
from miniapp_api.services.units import search_units

blp = Blueprint("units", __name__, url_prefix="/api/v1/units", description="Budget units")


@blp.route("", methods=["GET"])
@employee_required
@blp.arguments(UnitSearchArgs, location="query")
@blp.response(200, UnitPickListSchema)
def find_units(args: dict):
    """Active units by a fragment of the full name (`q`) or the exact credit code; at most 20,
    the exact name first, then names starting with `q`, then the rest.

    422 `invalid_request` unless exactly one of `q` and `credit_code` is given."""
    return {"items": search_units(db.session, q=args.get("q"), credit_code=args.get("credit_code"))}
