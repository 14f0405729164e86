"""The demo catalogue: about 220 products from the 99 counties of seed 003's appendix, filed
under the six categories and their sub-categories."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.demo.catalog_data import SUBCATEGORIES, demo_products, demo_subcategories
from miniapp_api.services.catalog import ensure_root_categories, record_sales
from miniapp_api.services.catalog_import import import_catalog
from models.catalog import Category, Product


def demo_catalogue_csv() -> bytes:
    rows = demo_products()
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def load_demo_catalog(session: Session) -> list[str]:
    """Import the demo catalogue through the real import, file the products under their
    sub-categories, then give products some sales."""
    report = import_catalog(session, "demo-catalogue.csv", io.BytesIO(demo_catalogue_csv()))
    subcategories = _plant_subcategories(session)
    filed = demo_subcategories()
    for product in session.scalars(select(Product).where(Product.code.in_(list(filed)))):
        product.category = subcategories[filed[product.code]]
    session.flush()
    for product_id in session.scalars(select(Product.id)):
        record_sales(session, product_id, (product_id * 7919) % 500)
    rice = subcategories[("米面粮油", "大米杂粮")]
    return [
        "",
        f"  # 7. browse the {report.created} demo products (six categories and their "
        "sub-categories, the 99 counties of seed 003): the category tree, rice from priority "
        "counties cheapest first, the 大米杂粮 sub-category, and a search for 香菇",
        '  curl -s "$API/api/v1/categories" -H "Authorization: Bearer $TOKEN"',
        '  curl -s -G "$API/api/v1/products" --data-urlencode "q=米" -d priority_county=true \\',
        '      -d sort=price_asc -d limit=3 -H "Authorization: Bearer $TOKEN"',
        f'  curl -s "$API/api/v1/products?category={rice.id}&limit=3" -H "Authorization: Bearer $TOKEN"',
        '  curl -s -G "$API/api/v1/products" --data-urlencode "q=香菇" -H "Authorization: Bearer $TOKEN"',
    ]


def _plant_subcategories(session: Session) -> dict[tuple[str, str], Category]:
    roots = {category.name: category for category in ensure_root_categories(session)}
    planted: dict[tuple[str, str], Category] = {}
    for root_name, subs in SUBCATEGORIES.items():
        root = roots[root_name]
        for position, name in enumerate(subs, start=1):
            category = Category(name=name, parent_id=root.id, position=position)
            session.add(category)
            session.flush()
            category.path = f"{root.path}{category.id}/"
            planted[(root_name, name)] = category
    session.flush()
    return planted
