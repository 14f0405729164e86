"""Browsing the catalogue: every filter and sort against answers computed here, and paging."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from models import Category, db
from tests.factories import employee_headers, make_employee, make_product, root_category

COUNTIES = [
    ("广西壮族自治区", "河池市", "环江毛南族自治县", True),
    ("广西壮族自治区", "百色市", "田阳县", False),
    ("贵州省", "黔南州", "三都县", True),
    ("贵州省", "遵义市", "湄潭县", False),
]
TITLES = [
    "香粳米",
    "小米",
    "菜籽油",
    "红糖",
    "腊肉",
    "土鸡蛋",
    "百香果",
    "茶叶礼盒",
    "米粉",
    "木耳",
]


@pytest.fixture
def headers():
    return employee_headers(make_employee())


@pytest.fixture
def catalogue():
    """Thirty products with many ties in price and sales, in all six categories and a
    sub-category; returns them as plain dicts for computing expected answers."""
    rng = random.Random(832)
    roots = [root_category(n) for n in ("米面粮油", "调味干货", "休闲食品", "禽畜肉蛋", "鲜果蔬菜")]
    roots.append(root_category("组合套餐"))
    child = Category(name="大米", parent_id=roots[0].id, position=1)
    db.session.add(child)
    db.session.flush()
    child.path = f"{roots[0].path}{child.id}/"
    db.session.commit()
    categories = [*roots, child]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    products = []
    for n in range(30):
        province, city, county, priority = COUNTIES[n % len(COUNTIES)]
        prices = tuple(rng.choice([990, 1990, 1990, 2990, 5990]) for _ in range(rng.randint(1, 3)))
        category = categories[n % len(categories)]
        product = make_product(
            f"{county[:2]}{TITLES[n % len(TITLES)]}{n}号",
            category=category,
            prices=prices,
            province=province,
            city=city,
            county=county,
            priority_county=priority,
            selected=n % 3 == 0,
            sales=rng.choice([0, 5, 5, 12]),
            created_at=start + timedelta(hours=rng.choice([1, 2, 2, 3])),
        )
        products.append(
            {
                "id": product.id,
                "title": product.title,
                "category": category.id,
                "root": roots[0].id if category is child else category.id,
                "province": province,
                "county": county,
                "priority": priority,
                "selected": product.selected,
                "sales": product.sales,
                "min_price": min(prices),
                "created_at": product.created_at,
            }
        )
    make_product("已下架的香粳米", on_shelf=False)
    return products


def all_pages(client, headers, limit: int = 4, **params) -> list[dict]:
    items: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit} | ({"cursor": cursor} if cursor else {})
        response = client.get("/api/v1/products", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("paging never ended")


SORT_KEYS = {
    "default": lambda p: (p["selected"], p["sales"]),
    "price_asc": lambda p: -p["min_price"],
    "price_desc": lambda p: p["min_price"],
    "sales": lambda p: p["sales"],
    "newest": lambda p: p["created_at"],
}


@pytest.mark.parametrize("sort", list(SORT_KEYS))
def test_each_sort_pages_through_every_product_once_in_order(client, headers, catalogue, sort):
    items = all_pages(client, headers, limit=4, sort=sort)

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "a product was repeated across pages"
    assert set(ids) == {p["id"] for p in catalogue}, "a product was skipped"
    by_id = {p["id"]: p for p in catalogue}
    keys = [SORT_KEYS[sort](by_id[i]) for i in ids]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("q", ["米", "香粳米"])
def test_each_sort_pages_through_every_match_of_a_search_once_in_order(
    client, headers, catalogue, sort, q
):
    items = all_pages(client, headers, limit=2, sort=sort, q=q)

    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "a product was repeated across pages"
    assert set(ids) == {p["id"] for p in catalogue if q in p["title"]}
    by_id = {p["id"]: p for p in catalogue}
    keys = [SORT_KEYS[sort](by_id[i]) for i in ids]
    assert keys == sorted(keys, reverse=True)


FILTERS = {
    "county": ({"county": "三都县"}, lambda p: p["county"] == "三都县"),
    "province": ({"province": "广西壮族自治区"}, lambda p: p["province"] == "广西壮族自治区"),
    "priority": ({"priority_county": "true"}, lambda p: p["priority"]),
    "not priority": ({"priority_county": "false"}, lambda p: not p["priority"]),
    "selected": ({"selected": "true"}, lambda p: p["selected"]),
    "min price": ({"min_price": "19.90"}, lambda p: p["min_price"] >= 1990),
    "max price": ({"max_price": "19.90"}, lambda p: p["min_price"] <= 1990),
    "price range": (
        {"min_price": "10.00", "max_price": "30.00"},
        lambda p: 1000 <= p["min_price"] <= 3000,
    ),
    "search": ({"q": "米"}, lambda p: "米" in p["title"]),
    "combined": (
        {"q": "米", "province": "贵州省", "sort": "price_asc"},
        lambda p: "米" in p["title"] and p["province"] == "贵州省",
    ),
    "search in a price range, by price": (
        {"q": "米", "min_price": "10.00", "max_price": "30.00", "sort": "price_desc"},
        lambda p: "米" in p["title"] and 1000 <= p["min_price"] <= 3000,
    ),
    "search above a price, default order": (
        {"q": "香粳", "min_price": "19.90"},
        lambda p: "香粳" in p["title"] and p["min_price"] >= 1990,
    ),
}


@pytest.mark.parametrize("name", list(FILTERS))
def test_each_filter_answers_exactly_the_matching_on_shelf_products(
    client, headers, catalogue, name
):
    params, matches = FILTERS[name]

    items = all_pages(client, headers, limit=3, **params)

    assert sorted(i["id"] for i in items) == sorted(p["id"] for p in catalogue if matches(p))


def test_a_category_includes_its_sub_categories(client, headers, catalogue):
    root = catalogue[0]["root"]

    items = all_pages(client, headers, category=root)

    expected = [p["id"] for p in catalogue if p["root"] == root]
    assert any(p["category"] != root for p in catalogue if p["root"] == root)
    assert sorted(i["id"] for i in items) == sorted(expected)


@pytest.mark.parametrize("sort", list(SORT_KEYS))
@pytest.mark.parametrize("also", [{}, {"province": "贵州省"}, {"max_price": "29.90"}])
def test_a_category_with_sub_categories_pages_in_every_sort_once_in_order(
    client, headers, catalogue, sort, also
):
    """A category and those below it are listed as one list: each page continues where the
    last ended, across the categories, in the sort's order."""
    root = catalogue[0]["root"]
    filtered = {"province": lambda p: p["province"] == "贵州省"}.get(
        next(iter(also), ""), lambda p: p["min_price"] <= 2990 if also else True
    )

    items = all_pages(client, headers, limit=2, category=root, sort=sort, **also)

    expected = [p for p in catalogue if p["root"] == root and filtered(p)]
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "a product was repeated across pages"
    assert sorted(ids) == sorted(p["id"] for p in expected)
    by_id = {p["id"]: p for p in catalogue}
    tie = (lambda i: -i) if sort == "price_asc" else (lambda i: i)  # ids in the sort's direction
    keys = [(SORT_KEYS[sort](by_id[i]), tie(i)) for i in ids]
    assert keys == sorted(keys, reverse=True), "out of order (ties by id)"


def test_a_list_item_carries_the_fields_of_the_contract(client, headers, catalogue):
    response = client.get("/api/v1/products", query_string={"limit": 1}, headers=headers)

    item = response.get_json()["items"][0]
    expected = next(p for p in catalogue if p["id"] == item["id"])
    assert set(item) >= {
        "id",
        "title",
        "category",
        "min_price",
        "origin",
        "priority_county",
        "selected",
        "image_url",
        "sales",
    }
    assert item["min_price"] == f"{expected['min_price'] // 100}.{expected['min_price'] % 100:02d}"
    assert item["origin"]["county"] == expected["county"]
    assert set(item["category"]) == {"id", "name"}


def test_paging_across_a_tie_of_equal_prices_neither_repeats_nor_skips(client, headers):
    tied = {make_product(f"同价商品{n}", prices=(1990,)).id for n in range(7)}

    items = all_pages(client, headers, limit=2, sort="price_asc")

    assert [i["id"] for i in items] == sorted(tied)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "cheapest"}, "sort"),
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"category": "abc"}, "category"),
        ({"category": "999999"}, "category"),
        ({"priority_county": "perhaps"}, "priority_county"),
        ({"selected": "2"}, "selected"),
        ({"min_price": "-1.00"}, "min_price"),
        ({"max_price": "1.999"}, "max_price"),
        ({"min_price": "20.00", "max_price": "10.00"}, "max_price"),
        ({"q": "米" * 51}, "q"),
        ({"cursor": "garbage!!"}, "cursor"),
        ({"cursor": "W10"}, "cursor"),  # base64 of []
        ({"cursor": "WyJkZWZhdWx0IiwiYSIsMSwxXQ"}, "cursor"),  # ["default","a",1,1]
        ({"cursor": "WyJuZXdlc3QiLCJ4IiwxXQ"}, "cursor"),  # ["newest","x",1]
    ],
)
def test_a_bad_parameter_is_422_naming_it(client, headers, catalogue, params, field):
    response = client.get("/api/v1/products", query_string=params, headers=headers)

    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "invalid_request"
    assert field in error["details"]


def test_a_cursor_of_another_sort_is_refused(client, headers, catalogue):
    first = client.get(
        "/api/v1/products", query_string={"limit": 2, "sort": "sales"}, headers=headers
    )
    cursor = first.get_json()["next_cursor"]

    response = client.get(
        "/api/v1/products", query_string={"sort": "price_asc", "cursor": cursor}, headers=headers
    )

    assert response.status_code == 422
    assert "cursor" in response.get_json()["error"]["details"]


def test_the_catalogue_needs_an_employee_token(client, catalogue):
    for path in (
        "/api/v1/products",
        "/api/v1/categories",
        f"/api/v1/products/{catalogue[0]['id']}",
    ):
        response = client.get(path)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"


def test_list_items_written_by_hand_match_the_documented_schema(client, headers, catalogue):
    from miniapp_api.schemas.catalog import ProductCardSchema, product_card
    from miniapp_api.services.catalog import list_products
    from models import Product

    rows, _ = list_products(db.session, limit=5)

    for row in rows:
        product = db.session.get(Product, row.id)
        assert product_card(row) == ProductCardSchema().dump(product)


def test_a_category_with_very_many_sub_categories_is_listed_in_order_too(client, headers):
    """Past MAX_MERGED_CATEGORIES the list reads the categories with IN (...) and sorts (one
    part per category would pass SQLite's 500 parts): the same answers, in the same order."""
    from miniapp_api.services.catalog import MAX_MERGED_CATEGORIES

    root = root_category("休闲食品")
    children = []
    for n in range(MAX_MERGED_CATEGORIES + 1):
        child = Category(name=f"小类{n}", parent_id=root.id, position=n)
        db.session.add(child)
        db.session.flush()
        child.path = f"{root.path}{child.id}/"
        children.append(child)
    db.session.commit()
    made = [
        make_product(category=children[n * 3], prices=(990 + n * 7 % 5 * 100,)) for n in range(9)
    ]

    items = all_pages(client, headers, limit=2, category=root.id, sort="price_asc")

    expected = sorted(made, key=lambda p: (p.min_price, p.id))
    assert [i["id"] for i in items] == [p.id for p in expected]


@pytest.mark.parametrize("rarer", ["香粳", "粳米"])
def test_a_title_with_every_gram_but_not_the_term_is_not_found_whichever_gram_is_walked(
    client, headers, rarer
):
    """A search walks the postings of its rarest gram and checks the others; the walked one is
    answered by the posting in hand, and the whole term is still confirmed on the title."""
    match = make_product("环江香粳米")
    make_product("粳米与香粳")  # both grams of 香粳米, not the term
    commoner = "粳米" if rarer == "香粳" else "香粳"
    for n in range(3):
        make_product(f"{commoner}{n}号")  # makes the other gram the rarer one

    items = all_pages(client, headers, limit=2, q="香粳米")

    assert [i["id"] for i in items] == [match.id]


@pytest.mark.parametrize("sort", ["default", "sales", "newest", "price_asc", "price_desc"])
def test_a_countys_page_is_read_in_order_from_an_index_led_by_the_county(
    client, headers, catalogue, sort
):
    """A county holds a small share of the catalogue: walking the whole catalogue's order
    until its products turn up read thousands of rows for one page (bench/tail.py). Its page,
    in every sort and from a cursor, is read from an index that starts with the county, in
    the page's order, with no sort step. (Sorting is made dear and the whole-table scan
    forbidden so that the planner shows the ordered index walk it has; with only 30 products
    it would rather read them all.)"""
    from sqlalchemy import event

    county = COUNTIES[2][2]
    first = client.get(f"/api/v1/products?county={county}&sort={sort}&limit=2", headers=headers)
    cursor = first.json["next_cursor"]
    statements: list[tuple[str, dict]] = []

    def keep(_conn, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        answer = client.get(
            f"/api/v1/products?county={county}&sort={sort}&limit=2&cursor={cursor}",
            headers=headers,
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    assert answer.status_code == 200 and answer.json["items"]
    (statement, parameters), *_ = [s for s in statements if "FROM products" in s[0]]
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # LOCAL: the settings end with this transaction, never reaching a pooled connection
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            connection.exec_driver_sql("SET LOCAL enable_sort = off")
            plan = "\n".join(
                row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            )
            assert "ix_products_county_" in plan and "Sort" not in plan, plan
        else:
            plan = "\n".join(
                str(row[-1])
                for row in connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert "ix_products_county_" in plan and "TEMP B-TREE" not in plan, plan
