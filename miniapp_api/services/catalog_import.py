"""Importing the catalogue from a sheet (API.md, "Catalogue import columns").

One row per SKU; rows with the same `product_code` are one product. Every row is checked and
gets each of its problems in Chinese; nothing is written unless every row is fine. A re-import
updates products by `product_code` and SKUs by `spec`: a SKU keeps its id (orders point at it)
and SKUs missing from the file are left as they are. A supplier is created on first sight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from miniapp_api.services.catalog import ensure_root_categories
from miniapp_api.services.catalog_search import index_titles
from miniapp_api.services.chunks import scalars_where_in
from miniapp_api.services.sheets import (
    UPLOAD_LIMITS,
    ImportReport,
    RowResult,
    SheetImport,
    SheetLimits,
    SheetRow,
    run_import,
)
from models.catalog import ROOT_CATEGORIES, Product, Sku
from models.money import MAX_PRICE, MoneyFormatError, fen_to_yuan, yuan_to_fen
from models.supplier import Supplier

COLUMNS = {
    "product_code": "product_code",
    "商品编码": "product_code",
    "title": "title",
    "商品名称": "title",
    "category": "category",
    "商品分类": "category",
    "supplier": "supplier",
    "供应商": "supplier",
    "province": "province",
    "省": "province",
    "city": "city",
    "市": "city",
    "county": "county",
    "县": "county",
    "priority_county": "priority_county",
    "重点帮扶县": "priority_county",
    "selected": "selected",
    "832优选": "selected",
    "spec": "spec",
    "规格": "spec",
    "price": "price",
    "价格": "price",
    "stock": "stock",
    "库存": "stock",
    "description": "description",
    "商品描述": "description",
    "image_url": "image_url",
    "图片": "image_url",
    "on_shelf": "on_shelf",
    "上架": "on_shelf",
    "sku_code": "sku_code",
    "sku编码": "sku_code",
}
REQUIRED = (
    "product_code",
    "title",
    "category",
    "supplier",
    "province",
    "city",
    "county",
    "spec",
    "price",
    "stock",
)
LIMITS = {
    "product_code": 64,
    "title": 200,
    "supplier": 200,
    "province": 50,
    "city": 50,
    "county": 50,
    "spec": 100,
    "sku_code": 64,
}
LABELS = {
    "product_code": "商品编码",
    "title": "商品名称",
    "category": "商品分类",
    "supplier": "供应商",
    "province": "省",
    "city": "市",
    "county": "县",
    "priority_county": "重点帮扶县标记",
    "selected": "832优选标记",
    "spec": "规格",
    "price": "价格",
    "stock": "库存",
    "description": "商品描述",
    "image_url": "图片",
    "on_shelf": "上架标记",
    "sku_code": "SKU编码",
}
# fields of the product: every row of one product_code must agree on them
PRODUCT_FIELDS = ("title", "category", "supplier", "province", "city", "county")
PRODUCT_FLAGS = ("priority_county", "selected", "on_shelf")
FLAG_VALUES = {"1": True, "0": False, "是": True, "否": False, "true": True, "false": False}
_URL = re.compile(r"^https?://\S+$")
MAX_STOCK = 10_000_000


@dataclass
class ProductRows:
    """What the file says about one product, gathered from its rows."""

    first_row: int
    fields: dict[str, str]
    flags: dict[str, bool]
    description: str = ""
    images: list[str] = field(default_factory=list)
    skus: dict[str, tuple[int, int, str | None]] = field(default_factory=dict)


def import_catalog(
    session: Session, filename: str, stream: IO[bytes], *, limits: SheetLimits = UPLOAD_LIMITS
) -> ImportReport:
    """Check every row, then write all of them in one transaction, or raise ImportRejected
    with the report and write nothing."""
    return run_import(session, CATALOG_SHEET, filename, stream, limits)


def _check_rows(
    session: Session, rows: list[SheetRow], report: ImportReport
) -> dict[str, ProductRows]:
    products: dict[str, ProductRows] = {}
    for row in rows:
        result = RowResult(row.number)
        report.rows.append(result)
        _check_row(row, result, products)
    return products


def _check_row(row: SheetRow, result: RowResult, products: dict[str, ProductRows]) -> None:
    values = row.values
    for name in REQUIRED:
        if not values.get(name):
            result.fail(f"第{row.number}行：{LABELS[name]}不能为空")
    for name, limit in LIMITS.items():
        if len(values.get(name, "")) > limit:
            result.fail(f"第{row.number}行：{LABELS[name]}不能超过{limit}个字")
    category = values.get("category", "")
    if category and category not in ROOT_CATEGORIES:
        result.fail(f"第{row.number}行：商品分类须为{'、'.join(ROOT_CATEGORIES)}之一")
    flags = {}
    for name in PRODUCT_FLAGS:
        text = values.get(name, "").strip().lower()
        default = name == "on_shelf"
        if text and text not in FLAG_VALUES:
            result.fail(f"第{row.number}行：{LABELS[name]}须为 1 或 0")
        flags[name] = FLAG_VALUES.get(text, default) if text else default
    price = stock = None
    if values.get("price"):
        try:
            price = yuan_to_fen(values["price"], maximum=MAX_PRICE)
            if price <= 0:
                result.fail(f"第{row.number}行：价格须大于0")
        except MoneyFormatError:
            result.fail(
                f"第{row.number}行：价格须为数字（元），最多两位小数，"
                f"不超过{fen_to_yuan(MAX_PRICE)}元"
            )
    if values.get("stock"):
        text = values["stock"]
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_STOCK:
            result.fail(f"第{row.number}行：库存须为0到{MAX_STOCK}之间的整数")
        else:
            stock = int(text)
    images = values.get("image_url", "").replace(",", " ").replace("|", " ").split()
    if any(not _URL.match(url) or len(url) > 500 for url in images):
        result.fail(f"第{row.number}行：图片须为 http(s) 地址，多个地址用空格分隔")
    if result.errors:
        return
    _gather(row, result, products, flags, price, stock, images)


def _gather(row, result, products, flags, price, stock, images) -> None:
    values = row.values
    code = values["product_code"]
    product = products.get(code)
    if product is None:
        product = ProductRows(
            first_row=row.number,
            fields={name: values[name] for name in PRODUCT_FIELDS},
            flags=flags,
        )
        products[code] = product
    else:
        for name in PRODUCT_FIELDS:
            if values[name] != product.fields[name]:
                result.fail(
                    f"第{row.number}行：{LABELS[name]}与第{product.first_row}行"
                    f"（同一商品编码）不一致"
                )
        for name in PRODUCT_FLAGS:
            if values.get(name) and flags[name] != product.flags[name]:
                result.fail(
                    f"第{row.number}行：{LABELS[name]}与第{product.first_row}行"
                    f"（同一商品编码）不一致"
                )
    spec = values["spec"]
    if spec in product.skus:
        result.fail(f"第{row.number}行：商品编码{code}的规格“{spec}”重复")
    if result.errors:
        return
    product.skus[spec] = (price, stock, values.get("sku_code") or None)
    description = values.get("description", "")
    if description and not product.description:
        product.description = description
    for url in images:
        if url not in product.images:
            product.images.append(url)


def _write(session: Session, products: dict[str, ProductRows], report: ImportReport) -> None:
    categories = {c.name: c for c in ensure_root_categories(session)}
    suppliers = _suppliers(session, {p.fields["supplier"] for p in products.values()})
    query = select(Product).options(selectinload(Product.skus))
    stored = {p.code: p for p in scalars_where_in(session, query, Product.code, products)}
    reindexed = []
    for code, rows in products.items():
        product = stored.get(code)
        if product is None:
            product = Product(code=code, skus=[], sales=0)
            session.add(product)
            report.created += 1
        else:
            report.updated += 1
        indexed = (product.title, product.selected, product.min_price)
        product.title = rows.fields["title"]
        product.category = categories[rows.fields["category"]]
        product.supplier = suppliers[rows.fields["supplier"]]
        product.province = rows.fields["province"]
        product.city = rows.fields["city"]
        product.county = rows.fields["county"]
        product.priority_county = rows.flags["priority_county"]
        product.selected = rows.flags["selected"]
        product.on_shelf = rows.flags["on_shelf"]
        if rows.description or product.description is None:
            product.description = rows.description
        if rows.images or product.images is None:
            product.images = rows.images
        product.image_url = (product.images or [""])[0]
        by_spec = {sku.spec: sku for sku in product.skus}
        for spec, (price, stock, sku_code) in rows.skus.items():
            sku = by_spec.get(spec)
            if sku is None:
                product.skus.append(Sku(spec=spec, price=price, stock=stock, code=sku_code))
            else:
                sku.price, sku.stock = price, stock
                if sku_code:
                    sku.code = sku_code
        product.refresh_min_price()
        if (product.title, product.selected, product.min_price) != indexed:
            reindexed.append(product)  # the search postings copy these (models/catalog.py)
    session.flush()
    index_titles(session, reindexed)


def _suppliers(session: Session, names: set[str]) -> dict[str, Supplier]:
    """The suppliers by name, creating those seen for the first time."""
    found = {s.name: s for s in scalars_where_in(session, select(Supplier), Supplier.name, names)}
    for name in names - set(found):
        found[name] = Supplier(name=name)
        session.add(found[name])
    return found


CATALOG_SHEET = SheetImport(COLUMNS, REQUIRED, _check_rows, _write)
