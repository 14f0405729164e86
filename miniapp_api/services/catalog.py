"""Browsing the catalogue: the category tree, product lists with filters and sorts, details.

Only products on shelf are shown (an off-shelf product is not found). Lists are paged by
keyset: the cursor carries the sort's name, the sort key of the last product shown and its id,
and the next page starts strictly after that (sort key, id) pair, so pages never repeat or
skip a product even when many share a price. Each sort has an index led by `on_shelf`
(models/catalog.py), so the first page and a page deep in the list cost the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Row,
    Select,
    Update,
    bindparam,
    literal_column,
    select,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from miniapp_api.errors import Forbidden, InvalidRequest, NotFound
from miniapp_api.paging import COUNT, FLAG, ID, CursorKind, decode_cursor, moment, page_of, text
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.catalog_search import plan_search, search_conditions
from models.admin import PLATFORM_ADMIN, SUPPLIER, Admin
from models.catalog import PRODUCT_SORTS, ROOT_CATEGORIES, Category, Product, ProductGram, Sku
from models.supplier import Supplier


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "商品不存在或已下架"


@dataclass(frozen=True)
class SortOrder:
    """Columns to order by (the product id is always the last), and their direction."""

    columns: tuple[InstrumentedAttribute, ...]
    descending: bool

    def key_of(self, product: Product | Row) -> list[Any]:
        values: list[Any] = []
        for column in self.columns:
            value = getattr(product, column.key)
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            values.append(value)
        return values

    def key_kinds(self) -> tuple[CursorKind, ...]:
        """How a cursor's value of each key is checked (paging.py): in its column's range."""
        kinds = {"created_at": moment, "selected": FLAG, "sales": COUNT, "min_price": COUNT}
        return tuple(kinds[column.key] for column in self.columns)


# what a list item shows (API.md), and the sort keys but one: `created_at` is read only when
# the list is sorted by it (turning it into an aware datetime costs more than any other column)
CARD_COLUMNS = (
    Product.id,
    Product.title,
    Product.category_id,
    Category.name.label("category_name"),
    Product.min_price,
    Product.province,
    Product.city,
    Product.county,
    Product.priority_county,
    Product.selected,
    Product.image_url,
    Product.sales,
)

SORTS: dict[str, SortOrder] = {
    # 832优选 first, then the best sellers
    "default": SortOrder((Product.selected, Product.sales), descending=True),
    "price_asc": SortOrder((Product.min_price,), descending=False),
    "price_desc": SortOrder((Product.min_price,), descending=True),
    "sales": SortOrder((Product.sales,), descending=True),
    "newest": SortOrder((Product.created_at,), descending=True),
}
assert tuple(SORTS) == PRODUCT_SORTS, "every sort the API offers has its order here"


# every sort's key as the search postings copy it (models/catalog.py): a search walks the
# postings of its rarest gram in page order
POSTING_KEYS: dict[str, tuple[InstrumentedAttribute, ...]] = {
    "default": (ProductGram.selected, ProductGram.sales, ProductGram.product_id),
    "price_asc": (ProductGram.min_price, ProductGram.product_id),
    "price_desc": (ProductGram.min_price, ProductGram.product_id),
    "sales": (ProductGram.sales, ProductGram.product_id),
    "newest": (ProductGram.created_at, ProductGram.product_id),
}
assert tuple(POSTING_KEYS) == PRODUCT_SORTS, "a search in every sort walks the postings"


def ensure_root_categories(session: Session) -> list[Category]:
    """The six categories of DOMAIN.md, created where missing (the migration creates them)."""
    roots = {
        c.name: c for c in session.scalars(select(Category).where(Category.parent_id.is_(None)))
    }
    for position, name in enumerate(ROOT_CATEGORIES, start=1):
        if name not in roots:
            category = Category(name=name, position=position)
            session.add(category)
            session.flush()
            category.path = f"{category.id}/"
            roots[name] = category
    session.flush()
    return [roots[name] for name in ROOT_CATEGORIES]


def category_tree(session: Session) -> list[dict[str, Any]]:
    """Every category, roots first in the platform's order, each with its children."""
    categories = session.scalars(select(Category).order_by(Category.position, Category.id)).all()
    nodes = {c.id: {"id": c.id, "name": c.name, "children": []} for c in categories}
    roots = []
    for category in categories:
        node = nodes[category.id]
        parent = nodes.get(category.parent_id) if category.parent_id else None
        (parent["children"] if parent else roots).append(node)
    return roots


def _category_and_below(session: Session, category_id: int) -> list[int]:
    """The category and every category under it (one read of the small categories table)."""
    paths = dict(session.execute(select(Category.id, Category.path)).all())
    if category_id not in paths:
        raise InvalidRequest(details={"category": ["分类不存在"]})
    prefix = paths[category_id]
    return [id_ for id_, path in paths.items() if path.startswith(prefix)]


# a category with more sub-categories than this is read with IN (...) and sorted: one walk per
# category would make a statement of that many parts (SQLite allows 500)
MAX_MERGED_CATEGORIES = 32

# the filters of GET /products, as WHERE terms over bound parameters named like the filter
FILTERS: dict[str, Any] = {
    "category": lambda: Product.category_id.in_(bindparam("category", expanding=True)),
    "county": lambda: Product.county == bindparam("county"),
    "province": lambda: Product.province == bindparam("province"),
    "priority_county": lambda: (
        Product.priority_county == bindparam("priority_county", type_=Boolean)
    ),
    "selected": lambda: Product.selected == bindparam("selected", type_=Boolean),
    "min_price": lambda: Product.min_price >= bindparam("min_price"),
    "max_price": lambda: Product.min_price <= bindparam("max_price"),
}


def list_products(
    session: Session,
    *,
    sort: str = "default",
    limit: int = 20,
    cursor: str | None = None,
    q: str | None = None,
    category: int | None = None,
    **filters: Any,
) -> tuple[Sequence[Row], str | None]:
    """One page of on-shelf products matching every filter given (`category` includes the
    categories below it, `q` is a substring of the title; the others are FILTERS), in `sort`
    order, and the cursor of the next page (None on the last page). A cursor from another
    sort, or anything that is not one of ours, is 422 naming `cursor`.

    Items are rows of `CARD_COLUMNS`, not ORM objects: a list page is the hottest path of the
    mini-program, and plain rows cost a fraction of loading and tracking 20 objects; likewise
    each shape of query is built once and then only executed with new values."""
    order = SORTS[sort]
    params = {name: value for name, value in filters.items() if value is not None}
    unknown = set(params) - set(FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    if category is not None:
        params["category"] = _category_and_below(session, category)
    search_shape = None
    if q and q.strip():
        plan = plan_search(q.strip())
        search_shape = plan.shape
        params.update(plan.params())
    after = None
    if cursor:
        after = _cursor_values(order, cursor, sort)
        params.update({f"after_{n}": value for n, value in enumerate(after)})
    filter_names = tuple(sorted(set(params) & set(FILTERS)))
    if search_shape is None and 1 < len(params.get("category", ())) <= MAX_MERGED_CATEGORIES:
        # a category with sub-categories: one ordered walk per category, merged
        categories = params.pop("category")
        params.update({f"category_{n}": id_ for n, id_ in enumerate(categories)})
        statement = _categories_statement(
            sort,
            tuple(name for name in filter_names if name != "category"),
            len(categories),
            after is not None,
            limit,
        )
    else:
        statement = _list_statement(sort, filter_names, search_shape, after is not None, limit)
    rows = _rows(session, statement, params)
    return page_of(rows, limit, lambda p: [sort, *order.key_of(p), p.id])


def _rows(session: Session, statement: Select, params: dict[str, Any]) -> list[Row]:
    """Core execution of a cached statement: plain rows, without the ORM's result machinery
    (the statement selects columns, never entities, so nothing is lost)."""
    return list(session.connection().execute(statement, params).all())


@lru_cache(maxsize=1024)
def _list_statement(
    sort: str,
    filters: tuple[str, ...],
    search_shape: tuple[str, int, bool] | None,
    after: bool,
    limit: int,
) -> Select:
    """The query of one shape of list page, values left as bound parameters."""
    order = SORTS[sort]
    keys = [*order.columns, Product.id]
    columns: list[Any] = list(CARD_COLUMNS)
    columns += [c for c in order.columns if not any(c is card for card in CARD_COLUMNS)]
    statement = select().join_from(Product, Category, Category.id == Product.category_id)
    conditions: list[ColumnElement[bool]] = [Product.on_shelf.is_(True)]
    conditions += [FILTERS[name]() for name in filters]
    if search_shape is not None:
        conditions += search_conditions(search_shape)
        # walk the term's postings, which carry this sort's key (models/catalog.py)
        keys = list(POSTING_KEYS[sort])
        # only the sort's own keys from the postings: the walk then needs nothing but its
        # index (an index-only scan on PostgreSQL), the rest comes with the product's row
        columns = [_posted(c) if any(c is k for k in order.columns) else c for c in columns]
        # the price bounds again on the postings' copy: a walk by price seeks to the range
        if "min_price" in filters:
            conditions.append(ProductGram.min_price >= bindparam("min_price"))
        if "max_price" in filters:
            conditions.append(ProductGram.min_price <= bindparam("max_price"))
        statement = (
            select()
            .join_from(ProductGram, Product, Product.id == ProductGram.product_id)
            .join(Category, Category.id == Product.category_id)
        )
    if after:
        bound = [bindparam(f"after_{n}", type_=key.type) for n, key in enumerate(keys)]
        left, right = tuple_(*keys), tuple_(*bound)
        conditions.append(left < right if order.descending else left > right)
    return (
        statement.add_columns(*columns)
        .where(*conditions)
        .order_by(*(key.desc() if order.descending else key.asc() for key in keys))
        .limit(_fetched(limit))
    )


@lru_cache(maxsize=256)
def _categories_statement(
    sort: str, filters: tuple[str, ...], categories: int, after: bool, limit: int
) -> Select:
    """A list page over several categories (a category and those below it): the first
    `limit + 1` products of each category in page order (each a walk down its category's
    index), then the first `limit + 1` of those. `IN (...)` over the categories would make the
    database either walk the whole catalogue in order, skipping other categories' products,
    or read and sort every product of every category given."""
    branches = []
    for n in range(categories):
        branch = _list_statement(sort, filters, None, after, limit).where(
            Product.category_id == bindparam(f"category_{n}")
        )
        part = branch.subquery(f"category_{n}")
        branches.append(select(*part.c))
    merged = union_all(*branches).subquery("listed")
    order = SORTS[sort]
    keys = [merged.c[column.key] for column in (*order.columns, Product.id)]
    return (
        select(*merged.c)
        .order_by(*(key.desc() if order.descending else key.asc() for key in keys))
        .limit(_fetched(limit))
    )


def _fetched(limit: int) -> ColumnElement[int]:
    """LIMIT one more than a page (to know whether another follows), written into the SQL
    rather than bound: the statement is built per page size anyway, and PostgreSQL's generic
    plan of a prepared statement (psycopg prepares one after five runs) guesses an unknown
    LIMIT at a tenth of the rows, and then prefers walking the whole catalogue in sort order
    to a category's or a search term's own index."""
    return literal_column(str(int(limit) + 1), Integer)


def _posted(column: Any) -> Any:
    """The posting's copy of a sort key column, under the product column's name."""
    for product_column, copy in (
        (Product.selected, ProductGram.selected),
        (Product.sales, ProductGram.sales),
        (Product.min_price, ProductGram.min_price),
        (Product.created_at, ProductGram.created_at),
    ):
        if column is product_column:
            return copy.label(product_column.key)
    return column


def _cursor_values(order: SortOrder, cursor: str, sort: str) -> list[Any]:
    """The (sort key, id) a cursor carries, as values to bind; 422 naming `cursor` if it is
    not one of ours or belongs to another sort."""
    values = decode_cursor(cursor, (text(20), *order.key_kinds(), ID))
    if values[0] != sort:
        raise InvalidRequest(details={"cursor": ["游标与排序方式不符，请从第一页重新加载"]})
    columns = [*order.columns, Product.id]
    return [
        bool(value) if isinstance(column.type, Boolean) else value
        for column, value in zip(columns, values[1:], strict=True)
    ]


def product_detail(session: Session, product_id: int) -> Product:
    """An on-shelf product with its SKUs and supplier; off shelf or unknown: 404."""
    product = session.scalars(
        select(Product)
        .where(Product.id == product_id, Product.on_shelf.is_(True))
        .options(
            selectinload(Product.skus),
            selectinload(Product.category),
            selectinload(Product.supplier),
        )
    ).one_or_none()
    if product is None:
        raise ProductNotFound(details={"id": product_id})
    return product


# a product page in one query: the product, its category and supplier, one row per SKU
_PAGE = (
    select(
        *CARD_COLUMNS,
        Product.created_at,
        Product.description,
        Product.images,
        Product.supplier_id,
        Supplier.name.label("supplier_name"),
        Sku.id.label("sku_id"),
        Sku.spec.label("sku_spec"),
        Sku.price.label("sku_price"),
        Sku.stock.label("sku_stock"),
    )
    .join_from(Product, Category, Category.id == Product.category_id)
    .join(Supplier, Supplier.id == Product.supplier_id)
    .outerjoin(Sku, Sku.product_id == Product.id)
    .where(Product.id == bindparam("product_id"), Product.on_shelf.is_(True))
    .order_by(Sku.id)
)


def product_page(session: Session, product_id: int) -> list[Row]:
    """What a product page shows, for an on-shelf product (else 404), in one round trip: one
    row per SKU in id order (a product without SKUs: one row, its SKU columns None), each with
    the product's own columns, its category's and its supplier's name. Same content as
    `product_detail`, without loading and tracking ORM objects (schemas.catalog.product_page_body
    writes it out)."""
    rows = _rows(session, _PAGE, {"product_id": product_id})
    if not rows:
        raise ProductNotFound(details={"id": product_id})
    return rows


def record_sales(session: Session, product_id: int, quantity: int) -> None:
    """Add sold units to a product (orders call this, in their own transaction): the count
    lists sort by, kept in step on the product and on its search postings."""
    session.execute(
        update(Product).where(Product.id == product_id).values(sales=Product.sales + quantity)
    )
    session.execute(
        update(ProductGram)
        .where(ProductGram.product_id == product_id)
        .values(sales=ProductGram.sales + quantity)
    )


def take_stock(session: Session, sku_id: int, quantity: int) -> bool:
    """Take `quantity` units of a SKU's stock if that many are left, in one conditional
    UPDATE (two buyers of the last unit cannot both get it). False when too few are left."""
    taken = session.execute(_take_stock(), {"sku_id": sku_id, "quantity": quantity})
    return taken.rowcount == 1


@cache
def _take_stock() -> Update:
    # built once (every order runs it): building a statement costs more CPU than running it
    return (
        update(Sku)
        .where(Sku.id == bindparam("sku_id"), Sku.stock >= bindparam("quantity"))
        .values(stock=Sku.stock - bindparam("quantity"))
        .execution_options(synchronize_session=False)
    )


def return_stock(session: Session, sku_id: int, quantity: int) -> None:
    """Put back stock taken for an order that did not go through."""
    session.execute(
        update(Sku)
        .where(Sku.id == sku_id)
        .values(stock=Sku.stock + quantity)
        .execution_options(synchronize_session=False)
    )


class ListingNeedsReview(Forbidden):
    code = "listing_needs_review"
    message = "商品上架须经平台审核，请联系平台运营"


def set_on_shelf(session: Session, product_id: int, on_shelf: bool, *, by: Admin | None) -> Product:
    """An operator takes a product off shelf (it disappears from lists and details) or puts
    it back; a supplier takes its own products off shelf (another supplier's is 404, as if it
    did not exist), but putting one on shelf again is the platform's: it reviews what is
    listed, and a product it took down must not come back at the supplier's word (403
    `listing_needs_review`). Idempotent; audited. The one way in for the API and the console."""
    product = session.get(Product, product_id)
    if product is None or not _may_shelve(by, product):
        raise ProductNotFound(details={"id": product_id})
    if on_shelf and not product.on_shelf and not may_list(by):
        raise ListingNeedsReview(details={"id": product_id})
    product.on_shelf = on_shelf
    session.flush()
    record_admin_action(
        session,
        by,
        "product.on_shelf" if on_shelf else "product.off_shelf",
        target_type="product",
        target_id=product.id,
        target_name=product.title,
    )
    return product


def may_list(admin: Admin | None) -> bool:
    """Whether `admin` may put a product on shelf: the platform (or a command) only."""
    return admin is None or admin.role == PLATFORM_ADMIN


def _may_shelve(admin: Admin | None, product: Product) -> bool:
    """The platform (or a command) any product; a supplier its own."""
    if may_list(admin):
        return True
    return admin.role == SUPPLIER and admin.supplier_id == product.supplier_id
