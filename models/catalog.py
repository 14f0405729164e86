"""The catalogue: categories as a tree, products, their SKUs, and the title search index.

Products carry what lists sort and filter by, denormalised so that a page is one index walk:
`min_price` is the lowest SKU price (kept in step by `Product.refresh_min_price`), `sales` the
number of units sold. SKUs keep their id across re-imports (they are updated by spec, never
deleted and recreated), because orders will point at them; price is integer fen and stock is
only ever decremented with a conditional `UPDATE ... WHERE stock >= n`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import UTCDateTime, db, path_string, utcnow
from models.supplier import Supplier

# The six categories of DOMAIN.md (seeds 001/003, section 四), in the platform's order.
ROOT_CATEGORIES = ("米面粮油", "调味干货", "休闲食品", "禽畜肉蛋", "鲜果蔬菜", "组合套餐")
# how product lists can be ordered (API.md `sort`); services.catalog says what each means
PRODUCT_SORTS = ("default", "price_asc", "price_desc", "sales", "newest")


class Category(db.Model):
    """A category; sub-categories hang below a root. `path` is the materialised path of ids
    ("3/17/"), so a category and everything under it is one prefix range."""

    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("parent_id", "name", name="uq_categories_parent_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    path: Mapped[str] = mapped_column(path_string(255), default="", index=True)
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Category {self.id} {self.name}>"


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        # one index per sort order, led by on_shelf: a page is a walk down one of these
        Index("ix_products_default_order", "on_shelf", "selected", "sales", "id"),
        Index("ix_products_price_order", "on_shelf", "min_price", "id"),
        Index("ix_products_sales_order", "on_shelf", "sales", "id"),
        Index("ix_products_newest_order", "on_shelf", "created_at", "id"),
        # the same, led by the category: a category's page walks its own products in order,
        # not the whole catalogue's until enough of them turned up (prices and sales differ by
        # category, so a cheap-first walk met the dear categories' products last)
        Index("ix_products_category_default", "category_id", "on_shelf", "selected", "sales", "id"),
        Index("ix_products_category_price", "category_id", "on_shelf", "min_price", "id"),
        Index("ix_products_category_sales", "category_id", "on_shelf", "sales", "id"),
        Index("ix_products_category_newest", "category_id", "on_shelf", "created_at", "id"),
        # and led by the county, for the same reason: a county holds a thousandth of the
        # catalogue, so its cheapest-first page walked thousands of others' products first
        Index("ix_products_county_default", "county", "on_shelf", "selected", "sales", "id"),
        Index("ix_products_county_price", "county", "on_shelf", "min_price", "id"),
        Index("ix_products_county_sales", "county", "on_shelf", "sales", "id"),
        Index("ix_products_county_newest", "county", "on_shelf", "created_at", "id"),
        CheckConstraint("sales >= 0", name="sales_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # product_code of the import
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    province: Mapped[str] = mapped_column(String(50))
    city: Mapped[str] = mapped_column(String(50))
    county: Mapped[str] = mapped_column(String(50))  # led indexes above
    priority_county: Mapped[bool] = mapped_column(default=False)
    selected: Mapped[bool] = mapped_column(default=False)  # 832优选
    image_url: Mapped[str] = mapped_column(String(500), default="")
    images: Mapped[list] = mapped_column(JSON, default=list)
    on_shelf: Mapped[bool] = mapped_column(default=True)
    sales: Mapped[int] = mapped_column(default=0)
    min_price: Mapped[int] = mapped_column(default=0)  # fen: the lowest SKU price
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    category: Mapped[Category] = relationship()
    supplier: Mapped[Supplier] = relationship()
    skus: Mapped[list[Sku]] = relationship(
        back_populates="product", order_by="Sku.id", cascade="save-update, merge"
    )

    @property
    def origin(self) -> dict[str, str]:
        return {"province": self.province, "city": self.city, "county": self.county}

    def refresh_min_price(self) -> None:
        """Keep `min_price` equal to the lowest SKU price (sorts and price filters use it)."""
        self.min_price = min((sku.price for sku in self.skus), default=0)

    def __repr__(self) -> str:
        return f"<Product {self.id} {self.code}>"


class Sku(db.Model):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("product_id", "spec", name="uq_skus_product_spec"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    spec: Mapped[str] = mapped_column(String(100))
    price: Mapped[int]  # fen
    stock: Mapped[int] = mapped_column(default=0)
    code: Mapped[str | None] = mapped_column(String(64))

    product: Mapped[Product] = relationship(back_populates="skus")

    def __repr__(self) -> str:
        return f"<Sku {self.id} {self.spec}>"


class ProductGram(db.Model):
    """The title search index: each distinct run of one, two and three characters of a
    product's lower-cased title (see miniapp_api/services/catalog_search.py).

    Each posting also carries every sort key of the product: its default rank (`selected`,
    `sales`), its `min_price` and its `created_at`, so that a search in any order is one walk
    down one of the `ix_product_grams_*` indexes, however common or rare the term. They are
    copies kept in step by the catalogue services (`index_titles` from the import,
    `record_sales`); never write `Product.sales`, `Product.selected` or `Product.min_price` any
    other way (`created_at` never changes)."""

    __tablename__ = "product_grams"
    __table_args__ = (
        Index("ix_product_grams_rank", "gram", "selected", "sales", "product_id"),
        Index("ix_product_grams_price", "gram", "min_price", "product_id"),
        Index("ix_product_grams_sales", "gram", "sales", "product_id"),
        Index("ix_product_grams_newest", "gram", "created_at", "product_id"),
    )

    gram: Mapped[str] = mapped_column(String(3), primary_key=True)
    product_id: Mapped[int] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    selected: Mapped[bool] = mapped_column(default=False)
    sales: Mapped[int] = mapped_column(default=0)
    min_price: Mapped[int] = mapped_column(default=0)  # fen
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class GramCount(db.Model):
    """How many titles hold each gram: what the search uses to choose its plan (the rarest
    gram, and whether a term is common). Recounted by `index_titles` for the grams it touches,
    in the same transaction as the postings: every gram with postings has its row here (a gram
    without one is taken to be in no title)."""

    __tablename__ = "gram_counts"

    gram: Mapped[str] = mapped_column(String(3), primary_key=True)
    products: Mapped[int] = mapped_column(default=0)
