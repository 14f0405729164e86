"""The web console, walked like the API (test_other_tenants.py): every console route with a
variable in its path, called by each admin role logged in through the console's own form, at
another tenant's object: 403 or 404 every time, and nothing of theirs changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import select

from models import Admin, Order, Unit, db
from models.catalog import Product
from models.reserved_share import SharePolicy
from models.voucher import VoucherBatch
from tests.authz.world import YEAR, World, build_world
from tests.console.helpers import PASSWORD, console_login, page_csrf

ADMIN_ROLES = ("finance_admin", "unit_admin", "union_admin", "supplier")
# method, path, form fields (the CSRF token is added)
ConsoleCall = tuple[str, str, dict[str, str]]


def _units(path: str, method: str = "GET", form: dict | None = None):
    def calls(w: World) -> list[ConsoleCall]:
        return [(method, path.format(u=u.id, y=YEAR), form or {}) for u in w.other_units]

    return calls


def _their_binding(w: World, method: str) -> list[ConsoleCall]:
    """Their employee, through their unit and through mine (bound elsewhere: not found)."""
    employee_id = w.them.employee.id
    return [
        (method, f"/console/units/{unit.id}/employees/{employee_id}/end", {})
        for unit in (w.other_units[0], w.mine)
    ]


CONSOLE_CASES: dict[str, Callable[[World], list[ConsoleCall]]] = {
    "console.unit_page": _units("/console/units/{u}"),
    "console.unit_entries": _units("/console/units/{u}/entries"),
    "console.unit_totals_sheet": _units("/console/units/{u}/totals.xlsx"),
    "console.filing_page": _units("/console/units/{u}/filing/{y}"),
    "console.filing_summary": _units("/console/units/{u}/filing/{y}/summary"),
    "console.filing_summary_sheet": _units("/console/units/{u}/filing/{y}/summary.xlsx"),
    "console.filing_save": _units("/console/units/{u}/filing/{y}", "POST", {"has_canteen": "0"}),
    "console.filing_submit": _units("/console/units/{u}/filing/{y}/submit", "POST"),
    "console.filing_confirm": _units("/console/units/{u}/filing/{y}/confirm", "POST"),
    "console.filing_return": _units(
        "/console/units/{u}/filing/{y}/return", "POST", {"reason": "请补充联系人"}
    ),
    "console.unit_merge_page": _units("/console/units/{u}/merge"),
    "console.unit_merge": lambda w: (
        [
            ("POST", f"/console/units/{u.id}/merge", {"into_unit_id": str(w.mine.id)})
            for u in w.other_units
        ]
        + [  # a unit of mine into one outside reach
            (
                "POST",
                f"/console/units/{w.extra['my_child_id']}/merge",
                {"into_unit_id": str(w.other_units[0].id)},
            )
        ]
    ),
    "console.unit_revoke_page": _units("/console/units/{u}/revoke"),
    "console.unit_revoke": _units("/console/units/{u}/revoke", "POST"),
    "console.share_policy_page": _units("/console/units/{u}/share-policy"),
    "console.share_policy_save": _units(
        "/console/units/{u}/share-policy", "POST", {"year": str(YEAR), "min_ratio": "50"}
    ),
    "console.unit_employees": _units("/console/units/{u}/employees"),
    "console.binding_end_page": lambda w: _their_binding(w, "GET"),
    "console.binding_end": lambda w: _their_binding(w, "POST"),
    "console.batch_page": lambda w: [("GET", f"/console/batches/{w.their_batch_id}", {})],
    "console.batch_codes_sheet": lambda w: [
        ("GET", f"/console/batches/{w.their_batch_id}/codes.xlsx", {})
    ],
    "console.batch_mark_paid": lambda w: [
        (
            "POST",
            f"/console/batches/{w.their_unpaid_batch_id}/mark-paid",
            {"paid_at": "2026-03-01T10:00", "reference": "BANK-X", "amount": "300.00"},
        )
    ],
    "console.admin_disable": lambda w: [
        ("POST", f"/console/admins/{w.their_admin_id}/disable", {})
    ],
    "console.order_ship": lambda w: [
        (
            "POST",
            f"/console/orders/{w.their_order_no}/ship",
            {"carrier": "顺丰", "tracking_no": "SF9"},
        )
    ],
    "console.order_refund_approve": lambda w: [
        ("POST", f"/console/orders/{w.their_order_no}/refund/approve", {})
    ],
    "console.order_refund_reject": lambda w: [
        ("POST", f"/console/orders/{w.their_order_no}/refund/reject", {"reason": "不同意"})
    ],
    "console.product_off_shelf": lambda w: [
        ("POST", f"/console/products/{w.their_product_id}/off-shelf", {})
    ],
    "console.product_on_shelf": lambda w: [
        ("POST", f"/console/products/{w.their_product_id}/on-shelf", {})
    ],
}
CONSOLE_NOT_TENANT_OWNED = {
    "console.static": "the console's own JavaScript and CSS",
    "console.import_upload": (
        "the variable names the kind of import; a finance admin's units import is held below"
        " its unit by import_scope (tests/console/test_console_finance_imports.py)"
    ),
}


def test_every_console_route_with_a_variable_is_known(app: Flask):
    unknown = sorted(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("console.")
        and rule.arguments
        and rule.endpoint not in CONSOLE_CASES
        and rule.endpoint not in CONSOLE_NOT_TENANT_OWNED
    )
    assert not unknown, f"console routes with no authorization case: {unknown}"


@pytest.mark.parametrize("role", ADMIN_ROLES)
def test_no_console_page_reaches_another_tenants_object(app: Flask, client, fake, role):
    world = build_world(client, fake.state)
    admin: Admin = world.extra["admins"][role]
    logged_in = console_login(client, admin.username, PASSWORD)
    assert logged_in.status_code in (302, 303), logged_in.get_data(as_text=True)[:200]
    token = page_csrf(client, "/console/login")

    answers = []
    for endpoint, calls in sorted(CONSOLE_CASES.items()):
        for method, path, form in calls(world):
            if method == "GET":
                answer = client.get(path)
            else:
                answer = client.post(path, data=form | {"csrf_token": token})
            answers.append((endpoint, method, path, answer.status_code))

    db.session.rollback()
    reached = [a for a in answers if a[3] not in (403, 404)]
    assert not reached, f"{role} reached another tenant's object: {reached}"
    assert db.session.get(VoucherBatch, world.their_unpaid_batch_id).status == "unpaid"
    assert db.session.get(Admin, world.their_admin_id).active
    their_order = db.session.scalars(
        select(Order).where(Order.order_no == world.their_order_no)
    ).one()
    assert their_order.status == "paid"
    assert all(db.session.get(Unit, unit.id).status == "active" for unit in world.other_units)
    assert db.session.get(Unit, world.extra["my_child_id"]).status == "active"
    assert not db.session.scalars(select(SharePolicy)).all()
    assert world.them.employee.current_binding.unit_id == world.other_units[0].id
    assert db.session.get(Product, world.their_product_id).on_shelf
