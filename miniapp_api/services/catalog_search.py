"""Chinese substring search on product titles, fast at 100,000 products on SQLite and PostgreSQL.

The index is a postings table, `product_grams (gram, product_id, selected, sales, min_price,
created_at)`, holding every distinct run of one, two and three characters (unigram, bigram,
trigram) of each lower-cased title, and `gram_counts`, how many titles hold each gram. A query
of up to three characters is answered by its own gram (exact; a LIKE on the title confirms
three, as it always did); a longer one walks the postings of its rarest trigram and confirms
the whole string with a LIKE on the title. It is plain SQL over B-tree indexes, so SQLite and
PostgreSQL run the same plans.

Search is combined with sorting and cursor paging, which is where naive plans are slow: a
common term ("米", one title in seven) has tens of thousands of matches to sort for one page,
and a rare one walked along the sort order's index reads the whole catalogue. So each posting
carries every sort key of its product (832优选 and sales, lowest price, creation time), and
`ix_product_grams_rank (gram, selected, sales, product_id)`, `_price (gram, min_price, ...)`,
`_sales (gram, sales, ...)` and `_newest (gram, created_at, ...)` list a gram's products
already in page order, whatever the sort:

* DRIVE (one gram: a query of one to three characters) walks that gram's postings in page
  order; the page is the first `limit` postings.
* DRIVE_RAREST (four characters and more) walks the postings of the query's rarest trigram
  (the query picks it from `gram_counts` itself, in the same round trip) and keeps the titles
  the LIKE confirms: a common term fills the page at once, a rare one ends when its few
  postings do, and a query with a trigram in no title reads no posting. Cost: about limit ×
  (postings of the rarest trigram / matches), never more than that trigram's postings; a
  trigram is far rarer than the bigrams it holds, so few postings walked are not matches.

Trigrams (migration 0014) cost a title about 40 % more postings. Before them a query of three
characters and more walked its rarest bigram and probed its other bigrams for each product
met: a page of 红心猕猴 read 240 buffers on PostgreSQL (a list page reads about 25, a
two-character search about 90), a rare string whose bigrams are all common (仁米花, in three
titles) 13,000. Now 107 and 16 (docs/performance.md, "Trigram postings").

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

from sqlalchemy import ColumnElement, bindparam, case, delete, func, insert, null, select
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Session

from miniapp_api.services.chunks import batches, chunked
from models.catalog import GramCount, Product, ProductGram

_INDEX_LOCK = 832_005  # PostgreSQL advisory lock taken while the search index is written


GRAM = 3  # the longest gram indexed: titles are indexed by every run of 1 to GRAM characters


def title_grams(title: str) -> set[str]:
    """Every distinct run of one, two and three characters of a lower-cased title."""
    text = title.lower()
    return {text[i : i + n] for n in range(1, GRAM + 1) for i in range(len(text) - n + 1)}


def query_grams(query: str) -> list[str]:
    """The grams a query needs: itself up to three characters, or its distinct trigrams."""
    text = query.strip().lower()
    if len(text) <= GRAM:
        return [text] if text else []
    return sorted({text[i : i + GRAM] for i in range(len(text) - GRAM + 1)})


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
    _write_postings(session, rows)
    recount_grams(session, touched)


_POSTING_COLUMNS = ("gram", "product_id", "selected", "sales", "min_price", "created_at")


def _write_postings(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert postings, in the session's transaction. On PostgreSQL by COPY: a multi-row
    INSERT through SQLAlchemy spent more CPU on its parameters than the database spent writing
    (10,000 products' 290,000 postings: 28 s, 10 s of it the app's CPU; by COPY 16 s and 1.6 s)."""
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        for chunk in batches(rows, 5000):
            session.execute(insert(ProductGram), chunk)
        return
    moment = ProductGram.created_at.type
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY product_grams ({', '.join(_POSTING_COLUMNS)}) FROM STDIN") as copy:
        for row in rows:
            values = [row[column] for column in _POSTING_COLUMNS]
            values[-1] = moment.process_bind_param(values[-1], dialect)  # aware, in UTC
            copy.write_row(values)


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
    grams: tuple[str, ...] = ()  # DRIVE_RAREST: walk the rarest of these grams' postings
    pattern: str | None = None  # LIKE pattern confirming the whole string (3+ characters)

    @property
    def shape(self) -> tuple[str, int, bool]:
        return (self.kind, len(self.grams), self.pattern is not None)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {f"gram_{n}": gram for n, gram in enumerate(self.grams)}
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
    # the rarest trigram's postings, in page order, the rarest chosen by the query itself
    # (one round trip); the LIKE keeps the titles holding the whole string
    return SearchPlan(DRIVE_RAREST, grams=tuple(grams), pattern=pattern)


def search_conditions(shape: tuple[str, int, bool]) -> list[ColumnElement[bool]]:
    """The WHERE terms of a plan's shape, with its values as bound parameters.

    The LIKE on the title is the only check besides the walked gram: the product's row is read
    for the page anyway (its shelf state, its card), and a probe of the query's other grams in
    the postings, per product met, cost about as much as that row again (a page of 红心猕猴
    over the trigram postings read 171 buffers on PostgreSQL with a probe of its other trigram,
    127 without: docs/performance.md)."""
    kind, grams, confirm = shape
    terms: list[ColumnElement[bool]] = []
    if kind == DRIVE:
        terms.append(ProductGram.gram == bindparam("drive_gram"))
    if kind == DRIVE_RAREST:
        terms.append(ProductGram.gram == _rarest(grams))
    if confirm:
        terms.append(func.lower(Product.title).like(bindparam("pattern"), escape="/"))
    return terms


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _rarest(count: int) -> Any:
    """The query's rarest gram, or NULL when one of its grams is in no title: then nothing
    matches, and no posting needs reading. Its grams are the parameters gram_0, gram_1, ...
    (distinct, see query_grams): a fixed list keeps the SQL text the same."""
    grams = [bindparam(f"gram_{n}") for n in range(count)]
    rarest = (
        select(GramCount.gram)
        .where(GramCount.gram.in_(grams))
        .order_by(GramCount.products, GramCount.gram)
        .limit(1)
        .scalar_subquery()
    )
    held = select(func.count()).where(GramCount.gram.in_(grams)).scalar_subquery()
    return case((held == count, rarest), else_=null())
