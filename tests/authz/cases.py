"""How to call each route of the URL map at another tenant's object (see world.py).

Every route with a variable in its path must be named here, either in `CASES` (how to call it
at someone else's object) or in `NOT_TENANT_OWNED` (why no tenant owns what it names). A new
route that is in neither fails `test_every_route_with_a_variable_is_known`, so whoever adds it
says here how to call it. `BODY_CASES` are routes whose other tenant's ids travel in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from tests.authz.world import YEAR, World


@dataclass
class Call:
    path_args: dict
    json: dict | None = None
    query: dict = field(default_factory=dict)


ADDRESS = {
    "name": "李四",
    "phone": "13900139000",
    "province": "广东省",
    "city": "广州市",
    "district": "天河区",
    "detail": "天河路2号",
}
FILING = {
    "has_canteen": True,
    "canteen_total": "1000.00",
    "reserved_ratio": "20.00",
    "contact_name": "王五",
    "contact_mobile": "13700137000",
}
REASON = {"reason": "质量问题"}


def _their_order(body: dict | None = None) -> Callable[[World], list[Call]]:
    return lambda w: [Call({"order_no": w.their_order_no}, body)]


def _their_units(body: dict | None = None, **query) -> Callable[[World], list[Call]]:
    return lambda w: [Call({"unit_id": u.id}, body, query) for u in w.other_units]


def _their_filings(body: dict | None = None) -> Callable[[World], list[Call]]:
    return lambda w: [Call({"unit_id": u.id, "year": YEAR}, body) for u in w.other_units]


def _their_batch(body: dict | None = None, unpaid: bool = False) -> Callable[[World], list[Call]]:
    return lambda w: [
        Call({"batch_id": w.their_unpaid_batch_id if unpaid else w.their_batch_id}, body)
    ]


CASES: dict[str, Callable[[World], list[Call]]] = {
    # the mini-program: another employee's address and order
    "addresses.update_address": lambda w: [Call({"address_id": w.them.address_id}, ADDRESS)],
    "addresses.delete_address": lambda w: [Call({"address_id": w.them.address_id})],
    "orders.read_order": _their_order(),
    "orders.pay_order": _their_order(),
    "orders.cancel_order": _their_order(),
    "orders.confirm_receipt": _their_order(),
    "orders.request_refund": _their_order(REASON),
    # admin: another supplier's order
    "admin_orders.ship_order": _their_order({"carrier": "顺丰", "tracking_no": "SF1"}),
    "admin_orders.approve_refund": _their_order(),
    "admin_orders.reject_refund": _their_order(REASON),
    # admin: another supplier's product
    "admin_catalog.take_off_shelf": lambda w: [Call({"product_id": w.their_product_id})],
    "admin_catalog.put_on_shelf": lambda w: [Call({"product_id": w.their_product_id})],
    # admin: a unit outside the caller's reach (a sibling, the parent)
    "admin_units.read_unit": _their_units(),
    "admin_units.read_children": _their_units(),
    "admin_units.list_bound_employees": _their_units(),
    "admin_units.merge": lambda w: [
        Call({"unit_id": u.id}, {"into_unit_id": w.their_child.id}) for u in w.other_units
    ],
    "admin_units.revoke": _their_units(),
    "admin_units.end_employee_binding": lambda w: [
        Call({"unit_id": unit.id, "employee_id": w.them.employee.id})
        for unit in [*w.other_units, w.mine]  # their employee, through their unit or mine
    ],
    "admin_totals.read_totals": _their_units(year=YEAR),
    "admin_totals.read_children_totals": _their_units(year=YEAR),
    "admin_totals.list_entries": _their_units(year=YEAR),
    "admin_totals.download_totals": _their_units(year=YEAR),
    "admin_reserved_shares.read_filing": _their_filings(),
    "admin_reserved_shares.put_filing": _their_filings(FILING),
    "admin_reserved_shares.submit": _their_filings(),
    "admin_reserved_shares.confirm": _their_filings(),
    "admin_reserved_shares.return_": _their_filings(REASON),
    "admin_reserved_shares.read_summary": _their_filings(),
    "admin_reserved_shares.download_summary": _their_filings(),
    "admin_reserved_shares.read_share_policy": _their_units(year=YEAR),
    "admin_reserved_shares.put_share_policy": _their_units(
        {"year": YEAR, "min_ratio": "30.00", "not_below_last_year": False}
    ),
    # admin: another union's batch
    "admin_vouchers.read": _their_batch(),
    "admin_vouchers.download_codes": _their_batch(),
    "admin_vouchers.mark_paid": _their_batch(
        {"paid_at": "2026-03-01T10:00:00+08:00", "reference": "BANK-1", "amount": "300.00"},
        unpaid=True,
    ),
    # platform-only actions on what no tenant below the platform owns
    "admin_admins.disable": lambda w: [Call({"admin_id": w.their_admin_id})],
}

BODY_CASES: dict[str, Callable[[World], list[Call]]] = {
    "orders.create_order": lambda w: [
        Call({}, {"items": [{"sku_id": w.extra["my_sku_id"], "quantity": 1}], **body})
        for body in (
            {"address_id": w.them.address_id},
            {"address_id": w.me.address_id, "voucher_ids": [w.their_voucher_id]},
        )
    ],
    "admin_vouchers.void": lambda w: [Call({}, {"code": w.their_code})],
    "admin_units.merge": lambda w: [
        Call({"unit_id": w.extra["my_child_id"]}, {"into_unit_id": u.id}) for u in w.other_units
    ],
}

NOT_TENANT_OWNED = {
    "catalog.read_product": "the catalogue is the same for every employee",
    "static": "Flask's static files",
    "swagger_ui_asset": "the API docs' assets",
}

# lists without a variable in the path that show the same to everyone who may call them
PUBLIC_LISTS = {
    "units.find_units": "the binding picker lists every active unit",
    "catalog.read_products": "the catalogue",
    "catalog.read_categories": "the catalogue",
}


def their_markers(w: World) -> dict[str, str]:
    """Text that only an answer carrying the other tenant's data would contain. (Not the
    parent's: a unit's admins see its superior named as their unit's `parent`.)"""
    return {
        w.their_order_no: "their order",
        w.other_units[0].credit_code: "the sibling unit",
        "未付款批次": "their union's batch",
        w.extra["their_product_title"]: "their supplier's product",
    }
