"""A union's page: its profile and this year's progress against the union standard (seed 004)."""

from __future__ import annotations

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.schemas.ledger import YearArgs
from miniapp_api.schemas.vouchers import UnionProfileSchema, UnionProgressSchema
from miniapp_api.services.union import union_profile, union_progress, update_union_profile
from models.admin import UNION_ADMIN

blp = Blueprint(
    "admin_union", __name__, url_prefix="/api/v1/admin/union", description="The union's page"
)


@blp.route("/profile", methods=["GET"])
@admin_required(UNION_ADMIN)
@blp.response(200, UnionProfileSchema)
def read_profile():
    """The union's member count and annual welfare total (zeros until filled in)."""
    return union_profile(db.session, g.admin)


@blp.route("/profile", methods=["PUT"])
@admin_required(UNION_ADMIN)
@blp.arguments(UnionProfileSchema)
@blp.response(200, UnionProfileSchema)
def write_profile(body: dict):
    """Set the member count and the annual welfare total."""
    return update_union_profile(db.session, g.admin, **body)


@blp.route("/progress", methods=["GET"])
@admin_required(UNION_ADMIN)
@blp.arguments(YearArgs, location="query")
@blp.response(200, UnionProgressSchema)
def read_progress(args: dict):
    """What the union bought in the year against 300.00 × members and 15% of the welfare total;
    `met` once either is reached."""
    return union_progress(db.session, g.admin, args["year"])
