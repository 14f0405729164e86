"""Two tenants for the authorization tests: the callers (one of each role) all belong to "mine",
and every object they are pointed at belongs to someone else: another employee's order, address
and voucher; a sibling unit and the parent unit (totals, entries, children, filing, employees);
another union's batch and codes; another supplier's order."""

from __future__ import annotations

from dataclasses import dataclass, field

from models import Supplier, Unit, db
from tests.factories import (
    admin_headers,
    batch_codes,
    credit_code,
    make_admin,
    make_batch,
    make_supplier,
    make_unit,
    redeemed_voucher,
)
from tests.order_factories import Buyer, make_buyer, make_sku, paid

YEAR = 2026
EMPLOYEE = "employee"
ROLES = (EMPLOYEE, "platform_admin", "finance_admin", "unit_admin", "union_admin", "supplier")


@dataclass
class World:
    headers: dict[str, dict[str, str]]  # role -> Authorization header
    mine: Unit
    my_supplier: Supplier
    me: Buyer
    my_order_no: str
    # the other tenant's objects
    other_units: list[Unit]  # a sibling of mine and the parent above mine
    their_child: Unit
    them: Buyer
    their_order_no: str
    their_voucher_id: int
    their_batch_id: int
    their_unpaid_batch_id: int
    their_code: str
    their_admin_id: int
    their_product_id: int
    extra: dict = field(default_factory=dict)


def build_world(client, fake_state) -> World:
    parent = make_unit("上级单位", credit_code=credit_code(1))
    mine = make_unit("我的单位", parent, credit_code=credit_code(2))
    my_child = make_unit("我的下属单位", mine, credit_code=credit_code(5))
    sibling = make_unit("兄弟单位", parent, credit_code=credit_code(3))
    their_child = make_unit("兄弟单位下属", sibling, credit_code=credit_code(4))
    my_supplier, their_supplier = make_supplier("我的供应商"), make_supplier("别人的供应商")

    me, them = make_buyer(mine, "openid-me"), make_buyer(sibling, "openid-them")
    my_sku = make_sku(supplier=my_supplier)
    their_sku = make_sku(supplier=their_supplier)
    my_order_no = paid(client, fake_state, me, my_sku.id)["order_no"]
    their_order_no = paid(client, fake_state, them, their_sku.id)["order_no"]

    their_batch = make_batch(sibling, quantity=3)
    their_voucher = redeemed_voucher(them.employee, their_batch, 0)
    their_code = batch_codes(their_batch)[1]
    their_unpaid = make_batch(sibling, paid_at=None, title="未付款批次")
    make_batch(mine, quantity=1, title="我的批次")

    admins = {
        "platform_admin": make_admin("platform_admin"),
        "finance_admin": make_admin("finance_admin", unit=mine),
        "unit_admin": make_admin("unit_admin", unit=mine),
        "union_admin": make_admin("union_admin", unit=mine),
        "supplier": make_admin("supplier", supplier=my_supplier),
    }
    their_admin = make_admin("finance_admin", unit=sibling)
    headers = {role: admin_headers(admin) for role, admin in admins.items()}
    headers[EMPLOYEE] = me.headers
    db.session.commit()
    return World(
        headers=headers,
        mine=mine,
        my_supplier=my_supplier,
        me=me,
        my_order_no=my_order_no,
        other_units=[sibling, parent],
        their_child=their_child,
        them=them,
        their_order_no=their_order_no,
        their_voucher_id=their_voucher.id,
        their_batch_id=their_batch.id,
        their_unpaid_batch_id=their_unpaid.id,
        their_code=their_code,
        their_admin_id=their_admin.id,
        their_product_id=their_sku.product_id,
        extra={
            "my_sku_id": my_sku.id,
            "my_child_id": my_child.id,
            "their_product_title": their_sku.product.title,
            "admins": admins,
        },
    )
