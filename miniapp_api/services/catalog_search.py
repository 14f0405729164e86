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
    bindparam,
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


@dataclass(frozen=True)
class SearchPlan:
    """How a page finds the products whose title contains the query: the plan's shape (which
    picks a prepared statement) and the values bound into it."""

    kind: str  # DRIVE, IDS, WALK or EMPTY
    drive_gram: str | None = None  # DRIVE: walk this gram's postings in rank order
    check_grams: tuple[str, ...] = ()  # grams each product must also hold
    pattern: str | None = None  # LIKE pattern confirming the whole string (3+ characters)
    ids: tuple[int, ...] = ()  # IDS: the candidates

    @property
    def shape(self) -> tuple[str, int, bool]:
        return (self.kind, len(self.check_grams), self.pattern is not None)

    def params(self) -> dict[str, Any]:
        values: dict[str, Any] = {f"gram_{n}": gram for n, gram in enumerate(self.check_grams)}
        if self.drive_gram is not None:
            values["drive_gram"] = self.drive_gram
        if self.pattern is not None:
            values["pattern"] = self.pattern
        if self.kind == IDS:
            values["ids"] = list(self.ids)
        return values


DRIVE, IDS, WALK, EMPTY = "drive", "ids", "walk", "empty"


def plan_search(session: Session, text: str, *, ranked: bool) -> SearchPlan:
    """The plan that finds titles containing `text` (stripped, non-empty); see above.
    `ranked`: the page is in the default order, which the postings carry."""
    text = text.lower()
    grams = query_grams(text)
    pattern = None if len(text) <= 2 else f"%{_escape_like(text)}%"
    if ranked and len(grams) == 1:
        return SearchPlan(DRIVE, drive_gram=grams[0], pattern=pattern)
    counts = _counts(session, grams)
    rarest = min(grams, key=lambda gram: counts[gram])
    if counts[rarest] == 0:
        return SearchPlan(EMPTY)
    others = tuple(gram for gram in grams if gram != rarest)
    if ranked:
        # the rarest gram's postings, in rank order; the others and the LIKE only filter them
        return SearchPlan(DRIVE, drive_gram=rarest, check_grams=others, pattern=pattern)
    if counts[rarest] < FEW:
        # few candidates: the database looks up just those and sorts them
        ids = session.scalars(select(ProductGram.product_id).where(ProductGram.gram == rarest))
        return SearchPlan(IDS, ids=tuple(ids), pattern=pattern)
    # every gram is common: a walk down the sort order's index meets matches soon
    return SearchPlan(WALK, check_grams=tuple(grams), pattern=pattern)


def search_conditions(shape: tuple[str, int, bool]) -> list[ColumnElement[bool]]:
    """The WHERE terms of a plan's shape, with its values as bound parameters."""
    kind, checks, confirm = shape
    like = func.lower(Product.title).like(bindparam("pattern"), escape="/") if confirm else None
    terms: list[ColumnElement[bool]] = []
    if kind == DRIVE:
        terms.append(ProductGram.gram == bindparam("drive_gram"))
    if kind == IDS:
        terms.append(Product.id.in_(bindparam("ids", expanding=True)))
        return terms + ([like] if like is not None else [])
    terms.extend(_has_grams(checks, like))
    return terms


def _escape_like(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


_COUNTS = select(GramCount.gram, GramCount.products).where(
    GramCount.gram.in_(bindparam("grams", expanding=True))
)


def _counts(session: Session, grams: list[str]) -> dict[str, int]:
    """How many titles hold each gram (0 for a gram no title holds)."""
    found = session.execute(_COUNTS, {"grams": grams})
    return {gram: 0 for gram in grams} | {gram: n for gram, n in found}


def _has_grams(checks: int, like: ColumnElement[bool] | None) -> list[ColumnElement[bool]]:
    """A product holds every gram, checked on the postings by its id alone; the LIKE that
    confirms the whole string sits inside the last check, so that SQLite reads a product's
    row only for products that hold every gram.

    Each check is a correlated subquery with OFFSET 0: PostgreSQL then keeps it as a probe per
    product instead of turning it into a join that reads every posting of the gram and sorts
    them, which is what makes a page cost a few probes however common the term is."""
    if not checks:
        return [like] if like is not None else []
    terms = []
    for n in range(checks):
        posting = aliased(ProductGram, name=f"posting_{n}")
        probe = select(posting.product_id).where(
            posting.gram == bindparam(f"gram_{n}"), posting.product_id == Product.id
        )
        if like is not None and n == checks - 1:
            probe = probe.where(like)
        terms.append(probe.offset(0).exists())
    return terms
