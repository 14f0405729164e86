"""Chinese substring search on product titles, fast at 100,000 products on SQLite and PostgreSQL.

The index is a table of n-grams, `product_grams (gram, product_id)`, holding every distinct
character and every pair of adjacent characters of each lower-cased title. A query of one
character looks up its unigram, a query of two its bigram (both exact answers), a longer one
intersects its bigrams and confirms the whole string with LIKE. It is plain SQL on a primary
key, so both databases behave the same; SQLite FTS5's trigram tokenizer cannot answer one- or
two-character queries, and PostgreSQL's pg_trgm with a GIN index answers them only by falling
back to a scan (figures in README.md, "Catalogue").

A title search is combined with sorting and cursor paging, which is where a naive plan is slow:
a common term ("米") matches tens of thousands of products that would all be sorted for one
page, and a rare term walked along the sort index scans everything. So `title_match` looks at
the postings of each gram, reading at most `FEW` of them:

* some gram has fewer than `FEW` postings: the candidates are those few ids (intersected over
  every such gram); the database sorts at most `FEW` rows;
* every gram is common: the page walks the sort order's index and keeps titles that match,
  which finds a page after reading about `limit × catalogue / matches` rows.

A string whose bigrams are each common but which is itself rare (possible only for three or
more characters) falls in the second case and walks further; see README.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    and_,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session, aliased

from models.catalog import GramCount, Product, ProductGram

FEW = 1000  # postings above which a gram counts as common


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
    """(Re)write the search postings of these products (after their title or rank changed),
    and recount the grams they touch."""
    products = list(products)
    if not products:
        return
    ids = [p.id for p in products]
    touched: set[str] = set()
    for chunk in _chunks(ids, 500):
        stale = ProductGram.product_id.in_(chunk)
        touched.update(session.scalars(select(ProductGram.gram).where(stale).distinct()))
        session.execute(delete(ProductGram).where(stale))
    rows = [
        {"gram": g, "product_id": p.id, "selected": p.selected, "sales": p.sales}
        for p in products
        for g in title_grams(p.title)
    ]
    touched.update(row["gram"] for row in rows)
    for chunk in _chunks(rows, 5000):
        session.execute(insert(ProductGram), chunk)
    recount_grams(session, touched)


def recount_grams(session: Session, grams: Iterable[str] | None = None) -> None:
    """Count again how many titles hold these grams (all grams when None)."""
    if grams is None:
        session.execute(delete(GramCount))
        session.execute(insert(GramCount).from_select(["gram", "products"], _counted(None)))
        return
    for chunk in _chunks(sorted(grams), 500):
        session.execute(delete(GramCount).where(GramCount.gram.in_(chunk)))
        session.execute(insert(GramCount).from_select(["gram", "products"], _counted(chunk)))


def _counted(grams: list[str] | None):
    statement = select(ProductGram.gram, func.count()).group_by(ProductGram.gram)
    return statement if grams is None else statement.where(ProductGram.gram.in_(grams))


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class TitleMatch:
    """How a page finds the products whose title contains the query."""

    condition: ColumnElement[bool] | None  # the WHERE clause to add on products
    drive_gram: str | None = None  # walk this gram's postings in rank order (default sort)
    is_empty: bool = False  # some gram is in no title: nothing can match


def title_match(session: Session, text: str, *, ranked: bool) -> TitleMatch:
    """The condition that finds titles containing `text` (stripped, non-empty), and the plan
    for it (see above). `ranked`: the page is in the default order, which the postings carry."""
    text = text.lower()
    grams = query_grams(text)
    confirm = None if len(text) <= 2 else func.lower(Product.title).contains(text, autoescape=True)
    if ranked and len(grams) == 1:
        return TitleMatch(confirm, drive_gram=grams[0])
    counts = _counts(session, grams)
    rarest = min(grams, key=lambda gram: counts[gram])
    if counts[rarest] == 0:
        return TitleMatch(None, is_empty=True)
    others = [gram for gram in grams if gram != rarest]
    if ranked:
        # the rarest gram's postings, in rank order; the others and the LIKE only filter them
        return TitleMatch(_has_grams(others, confirm), drive_gram=rarest)
    if counts[rarest] < FEW:
        # few candidates: the database looks up just those and sorts them
        ids = session.scalars(select(ProductGram.product_id).where(ProductGram.gram == rarest))
        condition = Product.id.in_(list(ids))
        return TitleMatch(condition if confirm is None else condition & confirm)
    # every gram is common: a walk down the sort order's index meets matches soon
    return TitleMatch(_has_grams(grams, confirm))


def _counts(session: Session, grams: list[str]) -> dict[str, int]:
    """How many titles hold each gram (0 for a gram no title holds)."""
    found = session.execute(
        select(GramCount.gram, GramCount.products).where(GramCount.gram.in_(grams))
    )
    return {gram: 0 for gram in grams} | {gram: n for gram, n in found}


_POSTING_ALIASES: list[Any] = []


def _posting_alias(n: int) -> Any:
    """The n-th alias of the postings table (made once: making one costs more than a query)."""
    while len(_POSTING_ALIASES) <= n:
        _POSTING_ALIASES.append(aliased(ProductGram, name=f"posting_{len(_POSTING_ALIASES)}"))
    return _POSTING_ALIASES[n]


def _has_grams(grams: list[str], confirm: ColumnElement[bool] | None) -> ColumnElement[bool] | None:
    """A product holds every gram, checked on the postings by its id alone; the LIKE that
    confirms the whole string sits inside the last check, so that SQLite reads a product's
    row only for products that hold every gram.

    Each check is a correlated subquery with OFFSET 0: PostgreSQL then keeps it as a probe per
    product instead of turning it into a join that reads every posting of the gram and sorts
    them, which is what makes a page cost a few probes however common the term is."""
    if not grams:
        return confirm
    checks = []
    for n, gram in enumerate(grams):
        posting = _posting_alias(n)
        probe = select(posting.product_id).where(
            posting.gram == gram, posting.product_id == Product.id
        )
        if confirm is not None and n == len(grams) - 1:
            probe = probe.where(confirm)
        checks.append(probe.offset(0).exists())
    return and_(*checks)
