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
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from miniapp_api.errors import InvalidRequest, NotFound
from miniapp_api.paging import decode_cursor, page_of
from miniapp_api.services.catalog_search import title_match
from models.catalog import ROOT_CATEGORIES, Category, Product


class ProductNotFound(NotFound):
    code = "product_not_found"
    message = "商品不存在或已下架"


@dataclass(frozen=True)
class SortOrder:
    """Columns to order by (the product id is always the last), and their direction."""

    columns: tuple[InstrumentedAttribute, ...]
    descending: bool

    def key_of(self, product: Product) -> list[Any]:
        values: list[Any] = []
        for column in self.columns:
            value = getattr(product, column.key)
            if isinstance(value, bool):
                value = int(value)
            elif isinstance(value, datetime):
                value = value.isoformat()
            values.append(value)
        return values

    def key_types(self) -> tuple[type, ...]:
        kinds = {"created_at": str}
        return tuple(kinds.get(column.key, int) for column in self.columns)


SORTS: dict[str, SortOrder] = {
    # 832优选 first, then the best sellers
    "default": SortOrder((Product.selected, Product.sales), descending=True),
    "price_asc": SortOrder((Product.min_price,), descending=False),
    "price_desc": SortOrder((Product.min_price,), descending=True),
    "sales": SortOrder((Product.sales,), descending=True),
    "newest": SortOrder((Product.created_at,), descending=True),
}


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
    category = session.get(Category, category_id)
    if category is None:
        raise InvalidRequest(details={"category": ["分类不存在"]})
    return list(session.scalars(select(Category.id).where(Category.path.startswith(category.path))))


def list_products(
    session: Session,
    *,
    sort: str = "default",
    limit: int = 20,
    cursor: str | None = None,
    category: int | None = None,
    q: str | None = None,
    county: str | None = None,
    province: str | None = None,
    priority_county: bool | None = None,
    selected: bool | None = None,
    min_price: int | None = None,
    max_price: int | None = None,
) -> tuple[Sequence[Product], str | None]:
    """One page of on-shelf products matching every filter given, in `sort` order, and the
    cursor of the next page (None on the last page). A cursor from another sort, or anything
    that is not one of ours, is 422 naming `cursor`."""
    order = SORTS[sort]
    conditions: list[ColumnElement[bool]] = [Product.on_shelf.is_(True)]
    if category is not None:
        conditions.append(Product.category_id.in_(_category_and_below(session, category)))
    if county:
        conditions.append(Product.county == county)
    if province:
        conditions.append(Product.province == province)
    if priority_county is not None:
        conditions.append(Product.priority_county.is_(priority_county))
    if selected is not None:
        conditions.append(Product.selected.is_(selected))
    if min_price is not None:
        conditions.append(Product.min_price >= min_price)
    if max_price is not None:
        conditions.append(Product.min_price <= max_price)
    if q and q.strip():
        match = title_match(session, q)
        if match.is_empty:
            return [], None
        conditions.append(match.condition)
    if cursor:
        conditions.append(_after(order, cursor, sort))
    columns = [*order.columns, Product.id]
    statement = (
        select(Product)
        .where(*conditions)
        .order_by(*(c.desc() if order.descending else c.asc() for c in columns))
        .limit(limit + 1)
        .options(selectinload(Product.category))
    )
    rows = session.scalars(statement).all()
    return page_of(list(rows), limit, lambda p: [sort, *order.key_of(p), p.id])


def _after(order: SortOrder, cursor: str, sort: str) -> ColumnElement[bool]:
    """The keyset condition: strictly after the (sort key, id) the cursor carries."""
    values = decode_cursor(cursor, (str, *order.key_types(), int))
    if values[0] != sort:
        raise InvalidRequest(details={"cursor": ["游标与排序方式不符，请从第一页重新加载"]})
    key = values[1:]
    bound = []
    for column, value in zip([*order.columns, Product.id], key, strict=True):
        if column.key == "created_at":
            try:
                value = datetime.fromisoformat(value)
            except ValueError as exc:
                raise InvalidRequest(details={"cursor": ["游标无效，请从第一页重新加载"]}) from exc
            if value.tzinfo is None:
                raise InvalidRequest(details={"cursor": ["游标无效，请从第一页重新加载"]})
        elif column.key in ("selected",):
            value = bool(value)
        bound.append(bindparam(None, value, type_=column.type))
    left = tuple_(*order.columns, Product.id)
    right = tuple_(*bound)
    return left < right if order.descending else left > right


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


def set_on_shelf(session: Session, product_id: int, on_shelf: bool) -> Product:
    """An operator takes a product off shelf (it disappears from lists and details) or puts
    it back. Idempotent."""
    product = session.get(Product, product_id)
    if product is None:
        raise ProductNotFound(details={"id": product_id})
    product.on_shelf = on_shelf
    session.commit()
    return product
