"""Security review finding 7: every IN list of an import goes through services/chunks.py, so
a file of 70,000 product codes is looked up on PostgreSQL (65,535 parameters at most) and SQLite
(32,766). A whole 70,000-row import takes minutes, so it runs in bench/imports.py."""

from __future__ import annotations

from sqlalchemy import select

from miniapp_api.services.canteen_import import _booked_orders
from miniapp_api.services.chunks import scalars_where_in
from miniapp_api.services.sheets import RowValues, SheetRow
from miniapp_api.services.units import units_where_in
from models import Product, Unit, db
from tests.factories import make_entry, make_product, make_unit

CODES = [f"P{n:06d}" for n in range(70_000)]


def test_finding_7_70000_product_codes_are_looked_up_in_chunks():
    product = make_product()
    product.code = "P069999"
    db.session.commit()

    found = scalars_where_in(db.session, select(Product), Product.code, CODES)

    assert [product.code for product in found] == ["P069999"]


def test_finding_7_70000_unit_names_and_order_numbers_are_looked_up_in_chunks():
    unit = make_unit("单位69999")
    make_entry(unit, 100, reference="T69999")
    names = {"order_no": 0}
    rows = [SheetRow(n + 2, RowValues(names, (f"T{n}",))) for n in range(70_000)]

    named = units_where_in(db.session, Unit.name, [f"单位{n}" for n in range(70_000)])

    assert [u.id for u in named] == [unit.id]
    assert list(_booked_orders(db.session, rows)) == ["T69999"]
