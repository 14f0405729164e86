"""Security review finding 8: every money input has its limit, and sums stay in range."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from miniapp_api.services.totals import unit_figures
from models import Entry, Product, db
from models.money import MoneyFormatError, yuan_to_fen
from tests.factories import (
    admin_headers,
    employee_headers,
    make_admin,
    make_employee,
    make_unit,
    upload,
)

SCHOOL = "91350100M000100Y43"
CANTEEN_HEADER = ["credit_code", "order_no", "amount", "completed_at"]
CATALOG_HEADER = ["product_code", "title", "category", "supplier", "province", "city", "county"]
CATALOG_HEADER += ["spec", "price", "stock"]


def _canteen(client, amounts: list[str]):
    rows = [CANTEEN_HEADER] + [
        [SCHOOL, f"T{n}", amount, "2026-01-01 10:00:00"] for n, amount in enumerate(amounts)
    ]
    headers = admin_headers(make_admin("platform_admin"))
    return client.post(
        "/api/v1/admin/entries/import", data={"file": upload(rows, "c.csv")}, headers=headers
    )


def test_finding_8_canteen_rows_above_99999999_99_are_refused_and_nothing_is_booked(client):
    make_unit("某学校", credit_code=SCHOOL)

    answer = _canteen(client, ["9999999999999.99", "10.00", "100000000.00", "-100000000.00"])

    assert answer.status_code == 422
    bad = {r["row"] for r in answer.get_json()["error"]["details"]["rows"] if r["errors"]}
    assert bad == {2, 4, 5}
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 0


def test_many_rows_at_the_limit_sum_within_range(client):
    school = make_unit("某学校", credit_code=SCHOOL)

    answer = _canteen(client, ["99999999.99"] * 300)

    assert answer.status_code == 200, answer.get_json()
    assert unit_figures(db.session, school, 2026).subtree.total == 300 * 9_999_999_999


def test_finding_8_a_catalogue_price_above_1000000_is_refused(client):
    def row(code: str, price: str) -> list[str]:
        return [code, "大米", "米面粮油", "某社", "河南省", "信阳市", "光山县", "5kg", price, "1"]

    headers = admin_headers(make_admin("platform_admin"))
    rows = [CATALOG_HEADER, row("P1", "1000000.00"), row("P2", "1000000.01")]

    answer = client.post(
        "/api/v1/admin/catalog/import", data={"file": upload(rows, "p.csv")}, headers=headers
    )

    assert answer.status_code == 422
    bad = {r["row"] for r in answer.get_json()["error"]["details"]["rows"] if r["errors"]}
    assert bad == {3}
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0


def test_every_money_input_is_bounded_by_default():
    assert yuan_to_fen("99999999.99") == 9_999_999_999
    with pytest.raises(MoneyFormatError):
        yuan_to_fen("100000000.00")
    with pytest.raises(MoneyFormatError):
        yuan_to_fen("-100000000.00", allow_negative=True)


def test_a_products_price_filter_beyond_the_limit_is_422(client):
    headers = employee_headers(make_employee())

    answer = client.get("/api/v1/products?min_price=9999999999999.99", headers=headers)

    assert answer.status_code == 422
    assert "min_price" in answer.get_json()["error"]["details"]
