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

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, func, insert, select
from sqlalchemy.orm import Session

from models.catalog import Product, ProductGram

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
    """(Re)write the search index of these products (after their titles were set or changed)."""
    products = list(products)
    if not products:
        return
    ids = [p.id for p in products]
    for start in range(0, len(ids), 500):
        session.execute(
            delete(ProductGram).where(ProductGram.product_id.in_(ids[start : start + 500]))
        )
    rows = [{"gram": g, "product_id": p.id} for p in products for g in title_grams(p.title)]
    for start in range(0, len(rows), 5000):
        session.execute(insert(ProductGram), rows[start : start + 5000])


@dataclass
class TitleMatch:
    """How a page finds the products whose title contains the query."""

    condition: ColumnElement[bool]  # the WHERE clause to add
    candidate_ids: list[int] | None  # None: walk the sort index (the term is common)

    @property
    def is_empty(self) -> bool:
        return self.candidate_ids == []


def title_match(session: Session, query: str) -> TitleMatch:
    """The condition that finds titles containing `query`, and the plan for it (see above)."""
    text = query.strip().lower()
    contains = func.lower(Product.title).contains(text, autoescape=True)
    exact = len(text) <= 2  # the gram itself is the answer
    candidates: set[int] | None = None
    for gram in query_grams(query):
        postings = session.scalars(
            select(ProductGram.product_id).where(ProductGram.gram == gram).limit(FEW)
        ).all()
        if len(postings) < FEW:
            candidates = set(postings) if candidates is None else candidates & set(postings)
            if not candidates:
                return TitleMatch(Product.id.in_([]), [])
    if candidates is None:
        return TitleMatch(contains, None)
    ids = sorted(candidates)
    condition = Product.id.in_(ids)
    if not exact:
        condition = condition & contains
    return TitleMatch(condition, ids)
