"""Supplier pages: the orders to ship, shipping with carrier and tracking number (through the
same service as the API, audited), errors beside the fields, other suppliers' orders unseen."""

from __future__ import annotations

import re

from sqlalchemy import select

from miniapp_api.extensions import db
from models.admin import SUPPLIER
from models.audit import AuditEntry
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_supplier
from tests.order_factories import make_buyer, make_sku, order_row, paid


def _post(client, path: str, data: dict, **headers):
    token = page_csrf(client, "/console/login")
    return client.post(path, data={**data, "csrf_token": token}, headers=headers)


def _paid_order(client, fake, supplier):
    sku = make_sku(supplier=supplier)
    return paid(client, fake.state, make_buyer(), sku.id)["order_no"]


def test_a_supplier_sees_its_orders_to_ship_and_ships_one(client, fake):
    supplier = make_supplier("某某农产品公司")
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    order_no = _paid_order(client, fake, supplier)
    console = client.application.test_client()
    console_login(console, "supplier")

    listed = console.get("/console/orders").get_data(as_text=True)
    response = _post(
        console, f"/console/orders/{order_no}/ship", {"carrier": "顺丰", "tracking_no": "SF1"}
    )

    assert order_no in listed
    assert response.status_code == 302
    assert order_row(order_no).status == "shipped"
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert "order.ship" in actions


def test_each_order_cards_fields_have_their_own_ids(client, fake):
    """Two orders to ship on one page: each label points at its own card's input (a repeated
    id would send a click on the second card's label to the first card's field)."""
    supplier = make_supplier()
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    first, second = _paid_order(client, fake, supplier), _paid_order(client, fake, supplier)
    console = client.application.test_client()
    console_login(console, "supplier")

    page = console.get("/console/orders?status=paid").get_data(as_text=True)

    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for order_no in (first, second):
        assert f'<label for="{order_no}-tracking_no">' in page
        assert f'<input id="{order_no}-tracking_no" name="tracking_no"' in page


def test_shipping_without_a_tracking_number_is_named_beside_the_field(client, fake):
    supplier = make_supplier()
    make_admin(SUPPLIER, supplier=supplier, username="supplier")
    order_no = _paid_order(client, fake, supplier)
    console = client.application.test_client()
    console_login(console, "supplier")

    response = _post(
        console, f"/console/orders/{order_no}/ship", {"carrier": "顺丰"}, **{"HX-Request": "true"}
    )

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'data-error-for="tracking_no">' in page
    assert 'data-error-for="tracking_no"></p>' not in page
    assert order_row(order_no).status == "paid"


def test_another_suppliers_order_is_not_found(client, fake):
    theirs = _paid_order(client, fake, make_supplier("别家"))
    make_admin(SUPPLIER, supplier=make_supplier("我家"), username="supplier")
    console = client.application.test_client()
    console_login(console, "supplier")

    listed = console.get("/console/orders").get_data(as_text=True)
    response = _post(
        console, f"/console/orders/{theirs}/ship", {"carrier": "顺丰", "tracking_no": "SF1"}
    )

    assert theirs not in listed
    assert response.status_code == 404
    assert order_row(theirs).status == "paid"
