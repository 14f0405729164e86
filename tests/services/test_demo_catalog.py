"""The demo catalogue: realistic products from seed 003's counties, with their priority flags."""

from sqlalchemy import func, select

from miniapp_api.demo.catalog import load_demo_catalog
from miniapp_api.demo.catalog_data import COUNTIES
from models import Product, Sku, Supplier, db
from models.catalog import ROOT_CATEGORIES, Category


def test_the_demo_catalogue_covers_the_six_categories_and_every_paired_county():
    lines = load_demo_catalog(db.session)

    products = db.session.scalars(select(Product)).all()
    assert len(products) >= 200
    roots = {
        p.category.name if p.category.parent_id is None else _root(p.category) for p in products
    }
    assert roots == set(ROOT_CATEGORIES)
    assert {p.county for p in products} == {c.name for c in COUNTIES}
    assert db.session.scalar(select(func.count()).select_from(Sku)) > len(products)
    assert 3 <= db.session.scalar(select(func.count()).select_from(Supplier)) <= 20
    assert any(p.selected for p in products) and any(p.sales for p in products)
    assert lines


def test_demo_products_carry_the_appendix_priority_flags():
    load_demo_catalog(db.session)

    flags = {p.county: p.priority_county for p in db.session.scalars(select(Product))}
    assert len(COUNTIES) == 99
    assert sum(flags.values()) == 36  # 20 in Guangxi, 16 named in Guizhou (4 still to name)
    assert flags["环江毛南族自治县"] and flags["从江县"] and flags["水城县"]
    assert not flags["西林县"] and not flags["湄潭县"] and not flags["田阳县"]


def _root(category) -> str:
    return db.session.get(Category, int(category.path.split("/")[0])).name


def test_demo_products_are_filed_under_sub_categories():
    load_demo_catalog(db.session)

    subcategories = db.session.scalars(select(Category).where(Category.parent_id.is_not(None)))
    filed = {p.category.name for p in db.session.scalars(select(Product))}
    names = {category.name for category in subcategories}
    assert {"大米杂粮", "食用油", "时令水果"} <= names
    assert names <= filed, "every demo sub-category holds products"
