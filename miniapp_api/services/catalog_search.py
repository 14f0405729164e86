"""Chinese substring search on product titles, fast at 100,000 products on SQLite and PostgreSQL.

The index is a postings table, `product_grams (gram, product_id, selected, sales, min_price,
created_at)`, holding every distinct character and every pair of adjacent characters of each
lower-cased title, and `gram_counts`, how many titles hold each gram. A query of one character
is answered by its unigram and one of two characters by its bigram (both exact); a longer one
needs all of its bigrams and a LIKE on the title to confirm the whole string. It is plain SQL
over B-tree indexes, so SQLite and PostgreSQL run the same plans.

Search is combined with sorting and cursor paging, which is where naive plans are slow: a
common term ("米", one title in seven) has tens of thousands of matches to sort for one page,
and a rare one walked along the sort order's index reads the whole catalogue. So each posting
carries every sort key of its product (832优选 and sales, lowest price, creation time), and
`ix_product_grams_rank (gram, selected, sales, product_id)`, `_price (gram, min_price, ...)`,
`_sales (gram, sales, ...)` and `_newest (gram, created_at, ...)` list a gram's products
already in page order, whatever the sort:

* DRIVE (one gram: a query of one or two characters) walks that gram's postings in page order;
  the page is the first `limit` postings.
* DRIVE_RAREST (three characters and more) walks the postings of the query's rarest gram (the
  query picks it from `gram_counts` itself, in the same round trip), checks the other grams by
  probes on the postings' primary key and confirms with LIKE: a common term fills the page at
  once, a rare one ends when its few postings do, and a query with a gram in no title reads no
  posting. Cost: about limit × (postings of the rarest gram / matches), never more than the
  rarest gram's postings.

Sorting by sales or newest used to walk the products' sort index and probe the postings (or,
for a gram in fewer than 1,000 titles, fetch its candidates and sort them), which read far
into the catalogue for a rare string whose bigrams are all common (高山香粳米 by sales: 12 to
18 ms; 精选红 by newest: 17 to 40 ms). Walking the rarest gram's postings bounds that by the
gram's postings, as for the other sorts (docs/performance.md).

Why not the databases' own indexes (bench/search_alternatives.py; README.md "Catalogue"):
SQLite FTS5's trigram tokenizer cannot answer one- or two-character queries at all. pg_trgm
does extract trigrams from Chinese under this cluster's lc_ctype C.UTF-8, but a LIKE of fewer
than three characters has no trigram to look up, and with ORDER BY ... LIMIT the planner
prefers walking the sort index even for a rare three-character term (36 ms for a term in no
title, against 0.2 ms here). Neither helps with the page order, which is what costs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, delete, func, insert, null, or_, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session, aliased

from miniapp_api.services.chunks import batches, chunked
from models.catalog import GramCount, Product, ProductGram

_INDEX_LOCK = 832_005  # PostgreSQL advisory lock taken while the search index is written


def title_grams(title: str) -> set[str]:
    """Every distinct character and adjacent pair of a lower-cased title."""
    text = title.lower()
    return set(text) | {text[i : i + 2] for i in range(len(text) - 1)}


def query_grams(query: str) -> list[str]:
    """The grams a query needs: its one character, or its distinct bigrams."""
    text = query.strip().lower()
    if len(text) <= 2:
        return [text] if text else []
    return sorted({text[i : i + 2] for i in range(len(text) - 1)})


def index_titles(session: Session, products: Iterable[Product]) -> None:
    """(Re)write the search postings of these products (after their title, default rank or
    lowest price changed), and recount the grams they touch."""
    products = list(products)
    if not products:
        return
    if session.get_bind().dialect.name == "postgresql":
        # one writer of the index at a time: two imports recounting the same gram would
        # otherwise both insert its count (SQLite has one writer anyway)
        session.execute(sql_text("SELECT pg_advisory_xact_lock(:key)"), {"key": _INDEX_LOCK})
    ids = [p.id for p in products]
    touched: set[str] = set()
    for chunk in chunked(ids):
        stale = ProductGram.product_id.in_(chunk)
        touched.update(session.scalars(select(ProductGram.gram).where(stale).distinct()))
        session.execute(delete(ProductGram).where(stale))
    rows = [
        {
            "gram": g,
            "product_id": p.id,
            "selected": p.selected,
            "sales": p.sales,
            "min_price": p.min_price,
            "created_at": p.created_at,
        }
        for p in products
        for g in title_grams(p.title)
    ]
    touched.update(row["gram"] for row in rows)
    for chunk in batches(rows, 5000):
        session.execute(insert(ProductGram), chunk)
    recount_grams(session, touched)


def recount_grams(session: Session, grams: Iterable[str] | None = None) -> None:
    """Count again how many titles hold these grams (all grams when None)."""
    if grams is None:
        session.execute(delete(GramCount))
        session.execute(insert(GramCount).from_select(["gram", "products"], _counted(None)))
        return
    for chunk in chunked(grams):
        session.execute(delete(GramCount).where(GramCount.gram.in_(chunk)))
        session.execute(insert(GramCount).from_select(["gram", "products"], _counted(chunk)))


def _counted(grams: list[str] | None):
    statement = select(ProductGram.gram, func.count()).group_by(ProductGram.gram)
    return statement if grams is None else statement.where(ProductGram.gram.in_(grams))


@dataclass(frozen=True)
class SearchPlan:
    """How a page finds the products whose title contains the query: the plan's shape (which
    picks a prepared statement) and the values bound into it."""

    kind: str  # DRIVE or DRIVE_RAREST
    drive_gram: str | None = None  # DRIVE: walk this gram's postings in page order
    check_grams: tuple[str, ...] = ()  # grams each product must also hold
    pattern: str | None = None  # LIKE pattern confirming the whole string (3+ characters)

    @property
    def shape(self) -> tuple[str, int, bool]:
        return (self.kind, len(self.check_grams), self.pattern is not None)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {f"gram_{n}": gram for n, gram in enumerate(self.check_grams)}
        if self.drive_gram is not None:
            values["drive_gram"] = self.drive_gram
        if self.pattern is not None:
            values["pattern"] = self.pattern
        return values


DRIVE, DRIVE_RAREST = "drive", "drive_rarest"


def plan_search(text: str) -> SearchPlan:
    """The plan that finds titles containing `text` (stripped, non-empty); see above."""
    text = text.lower()
    grams = query_grams(text)
    pattern = None if len(text) <= 2 else f"%{_escape_like(text)}%"
    if len(grams) == 1:
        return SearchPlan(DRIVE, drive_gram=grams[0], pattern=pattern)
    # the rarest gram's postings, in page order, the rarest chosen by the query itself (one
    # round trip); every gram and the LIKE then filter them
    return SearchPlan(DRIVE_RAREST, check_grams=tuple(grams), pattern=pattern)


def search_conditions(shape: tuple[str, int, bool]) -> list[ColumnElement[bool]]:
    """The WHERE terms of a plan's shape, with its values as bound parameters."""
    kind, checks, confirm = shape
    like = func.lower(Product.title).like(bindparam("pattern"), escape="/") if confirm else None
    terms: list[ColumnElement[bool]] = []
    if kind == DRIVE:
        terms.append(ProductGram.gram == bindparam("drive_gram"))
    if kind == DRIVE_RAREST:
        terms.append(ProductGram.gram == _rarest(checks))
    terms.extend(_has_grams(checks, like, walked=kind == DRIVE_RAREST))
    return terms


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _rarest(checks: int) -> Any:
    """The query's rarest gram, or NULL when one of its grams is in no title: then nothing
    matches, and no posting needs reading. Its grams are the checks' own parameters (distinct,
    see query_grams): a fixed list keeps the SQL text the same."""
    grams = [bindparam(f"gram_{n}") for n in range(checks)]
    rarest = (
        select(GramCount.gram)
        .where(GramCount.gram.in_(grams))
        .order_by(GramCount.products, GramCount.gram)
        .limit(1)
        .scalar_subquery()
    )
    held = select(func.count()).where(GramCount.gram.in_(grams)).scalar_subquery()
    return case((held == checks, rarest), else_=null())


def _has_grams(
    checks: int, like: ColumnElement[bool] | None, walked: bool = False
) -> list[ColumnElement[bool]]:
    """A product holds every gram, checked on the postings by its id alone; the LIKE that
    confirms the whole string sits inside the last check, so that SQLite reads a product's
    row only for products that hold every gram.

    Each check is a correlated subquery with OFFSET 0: PostgreSQL then keeps it as a probe per
    product instead of turning it into a join that reads every posting of the gram and sorts
    them, which is what makes a page cost a few probes however common the term is.

    `walked`: the query walks one of these grams' postings (the rarest, chosen in the SQL), so
    the posting in hand already holds that gram: its check is answered by comparing the grams
    first, and probed only for the others (a fifth to a third less read per page)."""
    if not checks:
        return [like] if like is not None else []
    terms = []
    for n in range(checks):
        gram = bindparam(f"gram_{n}")
        posting = aliased(ProductGram, name=f"posting_{n}")
        probe = select(posting.product_id).where(
            posting.gram == gram, posting.product_id == Product.id
        )
        in_hand: ColumnElement[bool] = ProductGram.gram == gram
        if like is not None and n == checks - 1:
            probe = probe.where(like)
            in_hand = and_(in_hand, like)
        held = probe.offset(0).exists()
        terms.append(or_(in_hand, held) if walked else held)
    return terms
