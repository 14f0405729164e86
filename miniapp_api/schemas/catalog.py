"""The catalogue on the wire: the category tree, product lists and details (API.md)."""

from __future__ import annotations

from typing import Any

import marshmallow as ma

from miniapp_api.paging import DEFAULT_LIMIT, MAX_LIMIT
from miniapp_api.schemas.admins import SupplierRefSchema
from miniapp_api.schemas.common import Money, PageArgs, PageSchema
from models.catalog import PRODUCT_SORTS
from models.money import MoneyFormatError, fen_to_yuan, yuan_to_fen


class CategoryNodeSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    children = ma.fields.List(ma.fields.Nested(lambda: CategoryNodeSchema()))


class CategoryTreeSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CategoryNodeSchema))


class ProductListArgs(PageArgs):
    category = ma.fields.Integer(
        validate=ma.validate.Range(min=1), metadata={"description": "a category id (and below)"}
    )
    q = ma.fields.String(
        validate=ma.validate.Length(max=50),
        metadata={"description": "a substring of the title, one character or more"},
    )
    county = ma.fields.String(validate=ma.validate.Length(min=1, max=50))
    province = ma.fields.String(validate=ma.validate.Length(min=1, max=50))
    priority_county = ma.fields.Boolean(metadata={"description": "国家乡村振兴重点帮扶县"})
    selected = ma.fields.Boolean(metadata={"description": "832优选"})
    min_price = Money(metadata={"description": "lowest SKU price at least this (yuan)"})
    max_price = Money(metadata={"description": "lowest SKU price at most this (yuan)"})
    sort = ma.fields.String(load_default="default", validate=ma.validate.OneOf(PRODUCT_SORTS))

    @ma.validates_schema
    def _price_range(self, data: dict[str, Any], **_: Any) -> None:
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("最高价不能低于最低价", field_name="max_price")

    def fast_load(self, args: Any) -> dict[str, Any] | None:
        """What `load` gives for a plain, valid query (`args`: a MultiDict), in a tenth of
        its time; None for anything else (an unknown or repeated parameter, any value this
        does not recognise as plainly valid), so that `load` decides and names the error.
        tests/test_product_list_args.py checks the two agree on arbitrary queries."""
        loaded: dict[str, Any] = {"limit": DEFAULT_LIMIT, "cursor": None, "sort": "default"}
        for name, values in args.lists():
            if len(values) != 1:
                return None
            value = values[0]
            kind = _PLAIN_ARGS.get(name)
            if kind is None:
                return None
            if kind == "int":
                if not (value.isascii() and value.isdigit()):
                    return None
                number = int(value)
                if number < 1 or (name == "limit" and number > MAX_LIMIT):
                    return None
                loaded[name] = number
            elif kind == "text":
                if len(value) > _TEXT_MAX[name] or (name in ("county", "province") and not value):
                    return None
                loaded[name] = value
            elif kind == "bool":
                if value in ma.fields.Boolean.truthy:
                    loaded[name] = True
                elif value in ma.fields.Boolean.falsy:
                    loaded[name] = False
                else:
                    return None
            elif kind == "money":
                try:
                    loaded[name] = yuan_to_fen(value)
                except MoneyFormatError:
                    return None
            elif value in PRODUCT_SORTS:  # sort
                loaded[name] = value
            else:
                return None
        low, high = loaded.get("min_price"), loaded.get("max_price")
        if low is not None and high is not None and low > high:
            return None
        return loaded


_PLAIN_ARGS = {
    "limit": "int",
    "category": "int",
    "cursor": "text",
    "q": "text",
    "county": "text",
    "province": "text",
    "priority_county": "bool",
    "selected": "bool",
    "min_price": "money",
    "max_price": "money",
    "sort": "sort",
}
_TEXT_MAX = {"cursor": 512, "q": 50, "county": 50, "province": 50}


class CategoryRefSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()


class OriginSchema(ma.Schema):
    province = ma.fields.String()
    city = ma.fields.String()
    county = ma.fields.String()


class ProductCardSchema(ma.Schema):
    """A product in a list."""

    id = ma.fields.Integer()
    title = ma.fields.String()
    category = ma.fields.Nested(CategoryRefSchema)
    min_price = Money(metadata={"description": "the lowest SKU price"})
    origin = ma.fields.Nested(OriginSchema)
    priority_county = ma.fields.Boolean()
    selected = ma.fields.Boolean(metadata={"description": "832优选"})
    image_url = ma.fields.String()
    sales = ma.fields.Integer()


def product_card(row: Any) -> dict[str, Any]:
    """A list item as ProductCardSchema dumps it, written out by hand: dumping 20 items
    through marshmallow costs more than the whole rest of the request (bench/browse).
    tests/api/test_products.py checks the two agree."""
    return {
        "id": row.id,
        "title": row.title,
        "category": {"id": row.category_id, "name": row.category_name},
        "min_price": fen_to_yuan(row.min_price),
        "origin": {"province": row.province, "city": row.city, "county": row.county},
        "priority_county": row.priority_county,
        "selected": row.selected,
        "image_url": row.image_url,
        "sales": row.sales,
    }


class ProductPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(ProductCardSchema))


class SkuSchema(ma.Schema):
    id = ma.fields.Integer()
    spec = ma.fields.String()
    price = Money()
    stock = ma.fields.Integer()


class ProductDetailSchema(ProductCardSchema):
    description = ma.fields.String()
    images = ma.fields.List(ma.fields.String())
    supplier = ma.fields.Nested(SupplierRefSchema)
    skus = ma.fields.List(ma.fields.Nested(SkuSchema))
    created_at = ma.fields.AwareDateTime()


def product_page_body(rows: list[Any]) -> dict[str, Any]:
    """A product page as ProductDetailSchema dumps it, written out by hand from the rows of
    services.catalog.product_page (one per SKU); tests/api/test_catalog.py checks the two agree."""
    row = rows[0]
    body = product_card(row)
    body["description"] = row.description
    body["images"] = list(row.images or [])
    body["supplier"] = {"id": row.supplier_id, "name": row.supplier_name}
    body["skus"] = [
        {
            "id": r.sku_id,
            "spec": r.sku_spec,
            "price": fen_to_yuan(r.sku_price),
            "stock": r.sku_stock,
        }
        for r in rows
        if r.sku_id is not None
    ]
    body["created_at"] = row.created_at.isoformat()
    return body


class ShelfStateSchema(ma.Schema):
    id = ma.fields.Integer()
    on_shelf = ma.fields.Boolean()


class AdminProductArgs(PageArgs):
    q = ma.fields.String(
        validate=ma.validate.Length(max=64),
        metadata={"description": "a fragment of the title, or the exact product code"},
    )
    on_shelf = ma.fields.Boolean(metadata={"description": "only products on (or off) shelf"})


class AdminProductSchema(ProductCardSchema):
    code = ma.fields.String(metadata={"description": "product_code of the import"})
    supplier = ma.fields.Nested(SupplierRefSchema)
    on_shelf = ma.fields.Boolean()
    skus = ma.fields.List(ma.fields.Nested(SkuSchema))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()


class AdminProductPageSchema(PageSchema):
    items = ma.fields.List(ma.fields.Nested(AdminProductSchema))
