"""The employee's contribution to their unit's annual purchase total."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db
from miniapp_api.schemas.ledger import ContributionSchema, YearArgs
from miniapp_api.services.contribution import employee_contribution

blp = Blueprint(
    "me_contribution",
    __name__,
    url_prefix="/api/v1/me",
    description="What the employee's purchases added to their unit",
)


@blp.route("/contribution", methods=["GET"])
@employee_required
@blp.arguments(YearArgs, location="query")
@blp.response(200, ContributionSchema)
def read_contribution(args: dict):
    """What the caller's completed purchases added this year, and their unit's figures."""
    return employee_contribution(db.session, g.employee, args["year"])
