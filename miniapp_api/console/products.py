"""Shelf pages (上下架): products on and off shelf, searched and paged, and taking one off shelf
or putting it back; a supplier sees and changes its own products, the platform every one.
Through the same services as the admin API (admin_lists.products_for_admin,
catalog.set_on_shelf, audited), and the catalogue's cached answers are cleared as the API
clears them. The buttons post with htmx and the product's row is replaced in place; without
JavaScript they are plain forms and the list comes back with a message."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.forms import FORM_FLAGS, field_errors
from miniapp_api.console.session import login_required
from miniapp_api.extensions import db
from miniapp_api.response_cache import clear_response_cache
from miniapp_api.schemas.catalog import AdminProductArgs
from miniapp_api.services.admin_lists import products_for_admin
from miniapp_api.services.catalog import may_list, set_on_shelf
from models.admin import PLATFORM_ADMIN, SUPPLIER

PRODUCTS_PER_PAGE = 20
SHELF_FILTERS = {"": "全部", "true": "在售", "false": "已下架"}


def _search_args() -> dict:
    """The list's query as the API's own schema reads it (`on_shelf` from the filter links)."""
    args: dict = {"limit": PRODUCTS_PER_PAGE}
    for name in ("q", "cursor"):
        if value := request.args.get(name, "").strip():
            args[name] = value
    shelf = request.args.get("on_shelf", "")
    if shelf:
        args["on_shelf"] = FORM_FLAGS.get(shelf, shelf)
    return args


@bp.route("/products", methods=["GET"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def product_list():
    q = request.args.get("q", "").strip()
    shelf = request.args.get("on_shelf", "")
    products, next_cursor, errors, status = [], None, {}, 200
    try:
        args = AdminProductArgs().load(_search_args())
    except ma.ValidationError as error:
        errors, status = field_errors(error), 422
    else:
        products, next_cursor = products_for_admin(
            db.session,
            g.admin,
            q=args.get("q"),
            on_shelf=args.get("on_shelf"),
            limit=args["limit"],
            cursor=args["cursor"],
        )
    page = render_template(
        "products.html",
        products=products,
        next_cursor=next_cursor,
        q=q,
        shelf=shelf if shelf in SHELF_FILTERS else "",
        filters=SHELF_FILTERS,
        errors=errors,
        show_supplier=g.admin.role == PLATFORM_ADMIN,
        may_list=may_list(g.admin),
    )
    return page, status


def _shelved(product_id: int, on_shelf: bool):
    product = set_on_shelf(db.session, product_id, on_shelf, by=g.admin)
    clear_response_cache()
    if request.headers.get("HX-Request"):
        return render_template(
            "_product_row.html",
            product=product,
            show_supplier=g.admin.role == PLATFORM_ADMIN,
            may_list=may_list(g.admin),
            back=_back(),
        )
    flash(f"「{product.title}」已{'上架' if on_shelf else '下架'}")
    return redirect(_back())


def _back() -> str:
    """The list the form was on (its search and filter), never a page elsewhere."""
    back = request.form.get("back", "")
    if back == "/console/products" or back.startswith("/console/products?"):
        return back
    return url_for("console.product_list")


@bp.route("/products/<int:product_id>/off-shelf", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)
def product_off_shelf(product_id: int):
    return _shelved(product_id, False)


@bp.route("/products/<int:product_id>/on-shelf", methods=["POST"])
@login_required(SUPPLIER, PLATFORM_ADMIN)  # a supplier is told that listing needs the platform
def product_on_shelf(product_id: int):
    return _shelved(product_id, True)
