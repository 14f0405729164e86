"""Catalogue administration: the product list, off shelf (suppliers their own products, the
platform every one) and on shelf again (the platform), and for the platform operator the
import."""

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.response_cache import clear_response_cache
from miniapp_api.schemas.catalog import AdminProductArgs, AdminProductPageSchema, ShelfStateSchema
from miniapp_api.schemas.imports import ImportReportSchema, UploadSchema
from miniapp_api.services.admin_lists import products_for_admin
from miniapp_api.services.audit import record_import
from miniapp_api.services.catalog import set_on_shelf
from miniapp_api.services.catalog_import import import_catalog
from models.admin import PLATFORM_ADMIN, SUPPLIER

blp = Blueprint(
    "admin_catalog", __name__, url_prefix="/api/v1/admin", description="Catalogue administration"
)


@blp.route("/catalog/import", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(UploadSchema, location="files")
@blp.response(200, ImportReportSchema)
def upload_catalog(files: dict):
    """Import a catalogue sheet (.xlsx or .csv, one row per SKU); all rows or nothing.

    422 `invalid_file` (not a readable .xlsx or .csv) or `import_rejected` (a bad row)."""
    upload = files["file"]
    report = import_catalog(db.session, upload.filename or "", upload.stream)
    record_import(db.session, g.admin, "catalog.import", upload.filename or "", report)
    clear_response_cache()
    return report.as_dict()


@blp.route("/products", methods=["GET"])
@admin_required(PLATFORM_ADMIN, SUPPLIER)
@blp.arguments(AdminProductArgs, location="query")
@blp.response(200, AdminProductPageSchema)
def list_products_for_admin(args: dict):
    """Products on and off shelf, newest first: every product for platform admins, their own
    for a supplier. `q`: a fragment of the title or the exact product code."""
    items, next_cursor = products_for_admin(
        db.session,
        g.admin,
        q=args.get("q"),
        on_shelf=args.get("on_shelf"),
        limit=args["limit"],
        cursor=args["cursor"],
    )
    return {"items": items, "next_cursor": next_cursor}


@blp.route("/products/<int:product_id>/off-shelf", methods=["POST"])
@admin_required(PLATFORM_ADMIN, SUPPLIER)
@blp.response(200, ShelfStateSchema)
def take_off_shelf(product_id: int):
    """Take a product off shelf: it leaves every list and its page answers 404. A supplier
    may change its own products only (another supplier's is 404)."""
    state = set_on_shelf(db.session, product_id, False, by=g.admin)
    clear_response_cache()
    return state


@blp.route("/products/<int:product_id>/on-shelf", methods=["POST"])
@admin_required(PLATFORM_ADMIN, SUPPLIER)
@blp.response(200, ShelfStateSchema)
def put_on_shelf(product_id: int):
    """Put a product back on shelf. Suppliers may call it only for their own products that are
    on shelf already: listing a product again is the platform's review (403
    `listing_needs_review`)."""
    state = set_on_shelf(db.session, product_id, True, by=g.admin)
    clear_response_cache()
    return state
