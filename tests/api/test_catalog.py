"""Categories, product details, title search, and taking products off shelf."""

from __future__ import annotations

import io

import pytest

from models import Category, Product, db
from models.admin import PLATFORM_ADMIN, SUPPLIER, UNIT_ADMIN
from tests.factories import (
    admin_headers,
    employee_headers,
    make_admin,
    make_employee,
    make_product,
    make_supplier,
    make_unit,
    root_category,
)


@pytest.fixture
def headers():
    return employee_headers(make_employee())


def product_ids(client, headers, **params) -> list[int]:
    response = client.get("/api/v1/products", query_string=params, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


def test_categories_are_the_six_of_the_platform_with_their_children(client, headers):
    rice = root_category("米面粮油")
    child = Category(name="大米", parent_id=rice.id, position=1)
    db.session.add(child)
    db.session.flush()
    child.path = f"{rice.path}{child.id}/"
    db.session.commit()

    response = client.get("/api/v1/categories", headers=headers)

    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [c["name"] for c in items] == [
        "米面粮油",
        "调味干货",
        "休闲食品",
        "禽畜肉蛋",
        "鲜果蔬菜",
        "组合套餐",
    ]
    assert items[0]["children"] == [{"id": child.id, "name": "大米", "children": []}]


def test_a_product_detail_has_skus_origin_supplier_and_images(client, headers):
    supplier = make_supplier("三都水族农品合作社")
    product = make_product("三都水族自治县九阡米酒", supplier=supplier, prices=(3980, 2590))

    response = client.get(f"/api/v1/products/{product.id}", headers=headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["title"] == "三都水族自治县九阡米酒"
    assert body["min_price"] == "25.90"
    assert body["supplier"] == {"id": supplier.id, "name": "三都水族农品合作社"}
    assert [(s["spec"], s["price"], s["stock"]) for s in body["skus"]] == [
        ("规格1", "39.80", 100),
        ("规格2", "25.90", 100),
    ]
    assert body["origin"] == {
        "province": "广西壮族自治区",
        "city": "河池市",
        "county": "环江毛南族自治县",
    }
    assert body["images"] == [body["image_url"]]
    assert "description" in body


def test_an_unknown_product_is_404_product_not_found(client, headers):
    response = client.get("/api/v1/products/424242", headers=headers)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "product_not_found"


def test_a_product_taken_off_shelf_leaves_lists_and_answers_404(client, headers):
    product = make_product("环江香粳米")
    operator = admin_headers(make_admin(PLATFORM_ADMIN))
    assert product.id in product_ids(client, headers)

    response = client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=operator)

    assert response.status_code == 200
    assert response.get_json() == {"id": product.id, "on_shelf": False}
    assert product.id not in product_ids(client, headers)
    assert product.id not in product_ids(client, headers, q="香粳")
    detail = client.get(f"/api/v1/products/{product.id}", headers=headers)
    assert detail.status_code == 404
    assert detail.get_json()["error"]["code"] == "product_not_found"

    client.post(f"/api/v1/admin/products/{product.id}/on-shelf", headers=operator)
    assert product.id in product_ids(client, headers)


def test_a_supplier_changes_the_shelf_of_its_own_products_only(client):
    mine, theirs = make_supplier("我家"), make_supplier("别家")
    own, other = make_product("环江香粳米", supplier=mine), make_product(supplier=theirs)
    supplier = admin_headers(make_admin(SUPPLIER, supplier=mine))

    taken = client.post(f"/api/v1/admin/products/{own.id}/off-shelf", headers=supplier)
    refused = client.post(f"/api/v1/admin/products/{other.id}/off-shelf", headers=supplier)

    assert taken.status_code == 200
    assert taken.get_json() == {"id": own.id, "on_shelf": False}
    assert refused.status_code == 404
    assert refused.get_json()["error"]["code"] == "product_not_found"
    db.session.rollback()
    assert db.session.get(Product, other.id).on_shelf


def test_a_supplier_cannot_list_a_product_again_only_the_platform_can(client):
    mine = make_supplier("我家")
    product = make_product("环江香粳米", supplier=mine)
    supplier = admin_headers(make_admin(SUPPLIER, supplier=mine))
    operator = admin_headers(make_admin(PLATFORM_ADMIN))
    client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=operator)

    refused = client.post(f"/api/v1/admin/products/{product.id}/on-shelf", headers=supplier)
    db.session.rollback()
    still_off = not db.session.get(Product, product.id).on_shelf
    listed = client.post(f"/api/v1/admin/products/{product.id}/on-shelf", headers=operator)
    again = client.post(f"/api/v1/admin/products/{product.id}/on-shelf", headers=supplier)

    assert refused.status_code == 403
    assert refused.get_json()["error"]["code"] == "listing_needs_review"
    assert still_off
    assert listed.status_code == 200 and listed.get_json()["on_shelf"] is True
    assert again.status_code == 200  # on shelf already: nothing to review


def test_only_the_platform_and_suppliers_change_the_shelf(client):
    product = make_product()
    unit_admin = admin_headers(make_admin(UNIT_ADMIN, unit=make_unit()))

    response = client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=unit_admin)

    assert response.status_code == 403


def test_the_operator_uploads_a_catalogue_sheet(client):
    operator = admin_headers(make_admin(PLATFORM_ADMIN))
    sheet = (
        "product_code,title,category,supplier,province,city,county,priority_county,selected,"
        "spec,price,stock,description,image_url\n"
        "GZ-9,湄潭翠芽,调味干货,湄潭茶业,贵州省,遵义市,湄潭县,0,1,250g/盒,88.00,30,,\n"
    ).encode()

    response = client.post(
        "/api/v1/admin/catalog/import",
        data={"file": (io.BytesIO(sheet), "catalog.csv")},
        headers=operator,
        content_type="multipart/form-data",
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["created"] == 1
    bad = client.post(
        "/api/v1/admin/catalog/import",
        data={"file": (io.BytesIO(sheet.replace(b"88.00", b"free")), "catalog.csv")},
        headers=operator,
        content_type="multipart/form-data",
    )
    assert bad.status_code == 422
    assert bad.get_json()["error"]["details"]["rows"][0]["status"] == "error"


@pytest.fixture
def titled():
    titles = [
        "贵州从江香猪腊肉",
        "从江椪柑",
        "环江香粳米",
        "香菇干货",
        "三江茶油",
        "融水香糯米",
        "HUANJIANG Rice 100% 有机",
    ]
    return {title: make_product(title).id for title in titles}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("香", ["贵州从江香猪腊肉", "环江香粳米", "香菇干货", "融水香糯米"]),
        ("米", ["环江香粳米", "融水香糯米"]),
        ("从江", ["贵州从江香猪腊肉", "从江椪柑"]),
        ("江香", ["贵州从江香猪腊肉", "环江香粳米"]),
        ("从江香猪", ["贵州从江香猪腊肉"]),
        ("环江香粳米", ["环江香粳米"]),
        ("江香米", []),  # every bigram exists, the string does not
        ("咖", []),
        ("rice", ["HUANJIANG Rice 100% 有机"]),
        ("100%", ["HUANJIANG Rice 100% 有机"]),
        ("0%", ["HUANJIANG Rice 100% 有机"]),
        ("_", []),
    ],
)
def test_search_finds_titles_containing_the_query(client, headers, titled, query, expected):
    found = product_ids(client, headers, q=query)

    assert sorted(found) == sorted(titled[t] for t in expected)


@pytest.mark.parametrize("sort", ["price_asc", "sales", "newest"])
def test_search_gives_the_same_answers_in_every_sort(client, headers, titled, sort):
    found = product_ids(client, headers, q="香", sort=sort)
    assert sorted(found) == sorted(
        titled[t] for t in ("贵州从江香猪腊肉", "环江香粳米", "香菇干货", "融水香糯米")
    )
    assert product_ids(client, headers, q="从江香猪", sort=sort) == [titled["贵州从江香猪腊肉"]]
    assert product_ids(client, headers, q="江香米", sort=sort) == []


@pytest.mark.parametrize("sort", ["default", "price_asc", "sales", "newest", "price_desc"])
def test_a_long_query_pages_through_its_matches_in_every_sort(client, headers, sort):
    ids = {
        make_product(f"从江香猪腊肉{n}号", prices=(1000 + n % 3,), sales=n % 2).id for n in range(7)
    }
    make_product("从江椪柑")
    make_product("香猪从江")  # every bigram but one, not the string

    seen: list[int] = []
    cursor = None
    while True:
        query = {"q": "从江香猪", "limit": 3, "sort": sort} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/products", query_string=query, headers=headers).get_json()
        seen.extend(i["id"] for i in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_search_pages_by_cursor_like_any_list(client, headers):
    ids = {make_product(f"香粳米{n}号", prices=(1000 + n % 2,)).id for n in range(9)}
    make_product("小麦粉")

    seen: list[int] = []
    cursor = None
    while True:
        query = {"q": "粳米", "limit": 4, "sort": "price_asc"} | (
            {"cursor": cursor} if cursor else {}
        )
        body = client.get("/api/v1/products", query_string=query, headers=headers).get_json()
        seen.extend(i["id"] for i in body["items"])
        cursor = body["next_cursor"]
        if not cursor:
            break

    assert sorted(seen) == sorted(ids) and len(seen) == len(ids)


def test_sales_recorded_by_orders_reorder_lists_and_searches_alike(client, headers):
    from miniapp_api.services.catalog import record_sales

    first = make_product("从江香猪腊肉", sales=5)
    second = make_product("从江香猪香肠", sales=3)

    record_sales(db.session, second.id, 10)
    db.session.commit()

    assert product_ids(client, headers)[:2] == [second.id, first.id]
    assert product_ids(client, headers, q="香猪") == [second.id, first.id]
    assert product_ids(client, headers, q="从江香猪") == [second.id, first.id]
    assert product_ids(client, headers, sort="sales", q="香猪") == [second.id, first.id]


def test_a_reimport_that_selects_a_product_moves_it_up_in_searches(client, headers):
    from miniapp_api.services.catalog_import import import_catalog

    header = "product_code,title,category,supplier,province,city,county,selected,spec,price,stock\n"
    row = "{code},{title},米面粮油,融水农品,广西壮族自治区,柳州市,融水县,{selected},5kg,30.00,9\n"
    sheet = header + row.format(code="A", title="融水香糯米", selected=0)
    sheet += row.format(code="B", title="融水紫黑香糯", selected=0)
    import_catalog(db.session, "a.csv", io.BytesIO(sheet.encode()))
    ids = product_ids(client, headers, q="香糯")

    import_catalog(
        db.session,
        "b.csv",
        io.BytesIO((header + row.format(code="A", title="融水香糯米", selected=1)).encode()),
    )

    assert ids == sorted(ids, reverse=True)
    assert product_ids(client, headers, q="香糯")[0] == min(ids)


def test_a_reimport_that_changes_a_price_reorders_searches_by_price(client, headers):
    from miniapp_api.services.catalog_import import import_catalog

    header = "product_code,title,category,supplier,province,city,county,spec,price,stock\n"
    row = "{code},{title},米面粮油,融水农品,广西壮族自治区,柳州市,融水县,5kg,{price},9\n"
    sheet = header + row.format(code="A", title="融水香糯米", price="30.00")
    sheet += row.format(code="B", title="融水紫黑香糯", price="40.00")
    import_catalog(db.session, "a.csv", io.BytesIO(sheet.encode()))
    a, b = product_ids(client, headers, q="香糯", sort="price_asc")

    sheet = header + row.format(code="A", title="融水香糯米", price="50.00")
    import_catalog(db.session, "b.csv", io.BytesIO(sheet.encode()))

    assert product_ids(client, headers, q="香糯", sort="price_asc") == [b, a]
    assert product_ids(client, headers, q="香糯", sort="price_desc") == [a, b]
    assert product_ids(client, headers, q="香糯米", sort="price_asc", min_price="45.00") == [a]
    assert product_ids(client, headers, q="香糯", sort="price_asc", max_price="45.00") == [b]


@pytest.fixture
def cached(app, monkeypatch):
    """The catalogue cache switched on, as in production, and emptied before and after."""
    from miniapp_api.response_cache import clear_response_cache

    monkeypatch.setitem(app.config, "CATALOG_CACHE_SECONDS", 60)
    clear_response_cache()
    yield
    clear_response_cache()


def test_with_the_cache_on_lists_still_need_a_token_and_follow_shelf_changes(
    client, headers, cached
):
    product = make_product("环江香粳米")
    operator = admin_headers(make_admin(PLATFORM_ADMIN))
    assert product.id in product_ids(client, headers)
    make_product("罗城毛葡萄酒")  # written behind the cache's back: not seen until it expires

    assert len(product_ids(client, headers)) == 1
    assert client.get("/api/v1/products").status_code == 401
    assert client.get("/api/v1/products", headers={"Authorization": "Bearer x"}).status_code == 401
    client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=operator)
    assert product.id not in product_ids(client, headers), "a shelf change clears the cache"
    assert len(product_ids(client, headers)) == 1


def test_product_pages_written_by_hand_match_the_documented_schema(client, headers):
    from miniapp_api.schemas.catalog import ProductDetailSchema, product_page_body
    from miniapp_api.services.catalog import product_detail, product_page

    product = make_product("三都水族自治县九阡米酒", prices=(3980, 2590, 4100))

    by_hand = product_page_body(product_page(db.session, product.id))

    assert by_hand == ProductDetailSchema().dump(product_detail(db.session, product.id))
    assert client.get(f"/api/v1/products/{product.id}", headers=headers).get_json() == by_hand


def test_a_product_without_skus_has_a_page_with_no_skus(client, headers):
    product = make_product("环江香粳米", prices=())

    response = client.get(f"/api/v1/products/{product.id}", headers=headers)

    assert response.status_code == 200
    assert response.get_json()["skus"] == []


def test_with_the_cache_on_a_product_page_is_served_again_until_the_shelf_changes(
    client, headers, cached
):
    product = make_product("环江香粳米")
    operator = admin_headers(make_admin(PLATFORM_ADMIN))
    path = f"/api/v1/products/{product.id}"

    first, second = client.get(path, headers=headers), client.get(path, headers=headers)
    assert (first.headers["X-Cache"], second.headers["X-Cache"]) == ("miss", "hit")
    assert second.get_json() == first.get_json()
    assert client.get(path).status_code == 401, "the token is checked before the cache"
    client.post(f"/api/v1/admin/products/{product.id}/off-shelf", headers=operator)

    assert client.get(path, headers=headers).status_code == 404


@pytest.mark.parametrize("sort", ["sales", "newest"])
def test_a_search_by_sales_or_newest_walks_the_postings_in_that_order(client, headers, sort):
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = [
        make_product(f"高山香粳米{n}号", sales=(n * 7) % 5, created_at=start + timedelta(days=n))
        for n in range(6)
    ]
    make_product("香粳米高山")  # every bigram but one, not the string

    found = product_ids(client, headers, q="高山香粳米", sort=sort)

    key = (lambda p: (p.sales, p.id)) if sort == "sales" else (lambda p: (p.created_at, p.id))
    assert found == [p.id for p in sorted(made, key=key, reverse=True)]
