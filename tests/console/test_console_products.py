"""Shelf pages: a supplier lists its products on and off shelf (searched, filtered, paged) and
takes one off shelf or puts it back, through the same services as the API (audited, the
mini-program's lists see it at once); another supplier's products stay out of reach."""

from __future__ import annotations

import re

from sqlalchemy import select

from miniapp_api.extensions import db
from models.admin import PLATFORM_ADMIN, SUPPLIER, UNIT_ADMIN
from models.audit import AuditEntry
from models.catalog import Product
from tests.console.helpers import console_login, page_csrf
from tests.factories import (
    employee_headers,
    make_admin,
    make_employee,
    make_product,
    make_supplier,
    make_unit,
)

HTMX = {"HX-Request": "true"}


def _post(client, path: str, data: dict | None = None, **headers):
    token = page_csrf(client, "/console/login")
    return client.post(path, data={**(data or {}), "csrf_token": token}, headers=headers)


def _logged_in(client, role: str = SUPPLIER, **kwargs):
    make_admin(role, username="someone", **kwargs)
    console = client.application.test_client()
    console_login(console, "someone")
    return console


def _on_shelf(product_id: int) -> bool:
    db.session.rollback()
    return db.session.get(Product, product_id).on_shelf


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr id="product-(\d+)"', page)


def test_a_supplier_lists_its_own_products_on_and_off_shelf_and_no_one_elses(client):
    mine = make_supplier("我家")
    on = make_product("高山香粳米", supplier=mine)
    off = make_product("红心猕猴桃", supplier=mine, on_shelf=False)
    theirs = make_product("别家香菇", supplier=make_supplier("别家"))
    console = _logged_in(client, supplier=mine)

    page = console.get("/console/products").get_data(as_text=True)

    assert _listed(page) == [str(off.id), str(on.id)]
    assert "已下架" in page and "在售" in page
    assert theirs.title not in page


def test_the_list_is_searched_by_title_or_code_and_filtered_by_shelf(client):
    mine = make_supplier()
    rice = make_product("高山香粳米", supplier=mine)
    mushroom = make_product("高山香菇", supplier=mine, on_shelf=False)
    make_product("红心猕猴桃", supplier=mine)
    console = _logged_in(client, supplier=mine)

    by_title = console.get("/console/products?q=高山").get_data(as_text=True)
    by_code = console.get(f"/console/products?q={rice.code}").get_data(as_text=True)
    off_shelf = console.get("/console/products?q=高山&on_shelf=false").get_data(as_text=True)

    assert _listed(by_title) == [str(mushroom.id), str(rice.id)]
    assert _listed(by_code) == [str(rice.id)]
    assert _listed(off_shelf) == [str(mushroom.id)]


def test_a_long_list_comes_in_pages(client):
    mine = make_supplier()
    products = [make_product(supplier=mine) for _ in range(21)]
    console = _logged_in(client, supplier=mine)

    first = console.get("/console/products").get_data(as_text=True)
    next_page = re.search(r'href="(/console/products\?cursor=[^"]+)">下一页', first)
    assert next_page, "the first page links to the next"
    second = console.get(next_page.group(1).replace("&amp;", "&")).get_data(as_text=True)

    assert len(_listed(first)) == 20
    assert _listed(second) == [str(products[0].id)]
    assert "下一页" not in second


def test_a_search_too_long_is_named_beside_the_field(client):
    console = _logged_in(client, supplier=make_supplier())

    response = console.get("/console/products?q=" + "米" * 65)

    assert response.status_code == 422
    assert 'data-error-for="q">长度不能超过 64</p>' in response.get_data(as_text=True)


def test_taking_a_product_off_shelf_changes_its_row_in_place_and_the_mini_program_list(client):
    mine = make_supplier()
    product = make_product("环江香粳米", supplier=mine)
    console = _logged_in(client, supplier=mine)
    buyer = employee_headers(make_employee())
    assert client.get("/api/v1/products", headers=buyer).get_json()["items"]

    response = _post(console, f"/console/products/{product.id}/off-shelf", **HTMX)

    row = response.get_data(as_text=True)
    assert response.status_code == 200
    assert row.lstrip().startswith(f'<tr id="product-{product.id}">')
    assert "已下架" in row and "重新上架须经平台审核" in row and ">上架</button>" not in row
    assert not _on_shelf(product.id)
    assert client.get("/api/v1/products", headers=buyer).get_json()["items"] == []
    actions = db.session.scalars(select(AuditEntry.action)).all()
    assert actions == ["product.off_shelf"]


def test_putting_it_back_without_javascript_returns_to_the_same_list_with_a_message(client):
    product = make_product("红心猕猴桃", on_shelf=False)
    console = _logged_in(client, PLATFORM_ADMIN)

    response = _post(
        console,
        f"/console/products/{product.id}/on-shelf",
        {"back": "/console/products?on_shelf=false"},
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/console/products?on_shelf=false"
    page = console.get(response.headers["Location"]).get_data(as_text=True)
    assert "「红心猕猴桃」已上架" in page
    assert _on_shelf(product.id)


def test_a_form_never_sends_the_browser_to_another_site(client):
    mine = make_supplier()
    product = make_product(supplier=mine)
    console = _logged_in(client, supplier=mine)

    response = _post(
        console, f"/console/products/{product.id}/off-shelf", {"back": "https://evil.example/"}
    )

    assert response.headers["Location"] == "/console/products"


def test_another_suppliers_product_is_not_found_and_stays_as_it_was(client):
    theirs = make_product("别家香菇", supplier=make_supplier("别家"))
    console = _logged_in(client, supplier=make_supplier("我家"))

    off = _post(console, f"/console/products/{theirs.id}/off-shelf", **HTMX)
    on = _post(console, f"/console/products/{theirs.id}/on-shelf")

    assert (off.status_code, on.status_code) == (404, 404)
    assert "商品不存在" in off.get_data(as_text=True)
    assert _on_shelf(theirs.id)
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_the_platform_sees_every_supplier_and_changes_any_product(client):
    product = make_product("环江香粳米", supplier=make_supplier("某某农产品公司"))
    console = _logged_in(client, PLATFORM_ADMIN)

    page = console.get("/console/products").get_data(as_text=True)
    response = _post(console, f"/console/products/{product.id}/off-shelf", **HTMX)

    assert "某某农产品公司" in page
    assert response.status_code == 200
    assert not _on_shelf(product.id)


def test_a_units_admin_has_no_shelf_page(client):
    product = make_product()
    console = _logged_in(client, UNIT_ADMIN, unit=make_unit())

    assert console.get("/console/products").status_code == 403
    assert _post(console, f"/console/products/{product.id}/off-shelf").status_code == 403
    assert _on_shelf(product.id)


def test_a_supplier_cannot_list_a_product_again_the_platform_reviews_listings(client):
    mine = make_supplier()
    product = make_product("红心猕猴桃", supplier=mine, on_shelf=False)
    console = _logged_in(client, supplier=mine)

    page = console.get("/console/products").get_data(as_text=True)
    answer = _post(console, f"/console/products/{product.id}/on-shelf", **HTMX)

    assert "重新上架须经平台审核" in page
    assert f'/console/products/{product.id}/on-shelf"' not in page
    assert answer.status_code == 403
    assert "商品上架须经平台审核" in answer.get_data(as_text=True)
    assert not _on_shelf(product.id)
    assert db.session.scalars(select(AuditEntry)).all() == []
