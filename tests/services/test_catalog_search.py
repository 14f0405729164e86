"""Title search through the postings gives exactly what a plain substring scan of the titles
gives: the same products, in the same order, split into the same pages (so the same cursors),
for terms shorter than, as long as and longer than the longest gram indexed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest

from miniapp_api.services.catalog import list_products
from miniapp_api.services.catalog_search import GRAM, title_grams
from models import db
from tests.factories import make_product

SORTS = ["default", "price_asc", "price_desc", "sales", "newest"]
TITLES = [
    "哈哈哈哈",  # a run of one character, longer than a gram
    "哈哈哈",
    "哈哈",
    "哈哈果哈哈哈",
    "红心猕猴桃红心猕猴桃",  # the term twice in one title
    "从江红心猕猴桃礼盒装",
    "红心猕子",  # the term's first trigram, not the term
    "猕猴桃红心",
    "心猕猴桃红",
    "环江香粳米 Rice",
    "RICE环江香粳米",
    "高山香粳米",
    "香粳米高山",  # every gram of 高山香粳米 but one
    "高山香粳米高山香粳米",
    "100%有机_米",
]
OFF_SHELF = "红心猕猴桃干"
ABSENT = ["哈哈哈哈哈", "红心猕猴桃红心猕猴桃红", "江香米", "米高山香", "咖啡豆", "1000%", "机_米%"]


@pytest.fixture
def catalogue() -> dict[int, str]:
    """Products with sort keys spread so that every sort orders them differently (ties in
    sales, price and 832优选 included), and one off shelf."""
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = {}
    for n, title in enumerate([*TITLES, OFF_SHELF]):
        product = make_product(
            title,
            prices=(1000 + (n * 37) % 5 * 100,),
            sales=(n * 7) % 4,
            selected=n % 5 == 0,
            created_at=start + timedelta(days=(n * 11) % 17),
            on_shelf=title != OFF_SHELF,
        )
        made[product.id] = title
    return made


def substrings(title: str, longest: int) -> set[str]:
    text = title.lower()
    return {text[i : i + n] for n in range(1, longest + 1) for i in range(len(text) - n + 1)} - {
        " "
    }


def searched_pages(term: str, sort: str, limit: int) -> list[list[int]]:
    pages, cursor = [], None
    while True:
        rows, cursor = list_products(db.session, q=term, sort=sort, limit=limit, cursor=cursor)
        pages.append([row.id for row in rows])
        if cursor is None:
            return pages


def scanned(term: str, sort: str, catalogue: dict[int, str]) -> list[int]:
    """The plain scan: every on-shelf product in the sort's order, kept if its title holds
    the term."""
    rows, cursor = list_products(db.session, sort=sort, limit=100)
    assert cursor is None
    return [row.id for row in rows if term.strip().lower() in catalogue[row.id].lower()]


def test_every_term_of_one_to_seven_characters_finds_what_a_substring_scan_finds(catalogue):
    terms = set(ABSENT)
    for title in [*TITLES, OFF_SHELF]:
        terms |= substrings(title, 7)
    assert any(len(term) > GRAM for term in terms) and any(len(term) < GRAM for term in terms)

    for sort in SORTS:
        for term in sorted(terms):
            expected = scanned(term, sort, catalogue)
            pages = searched_pages(term, sort, limit=2)

            assert [i for page in pages for i in page] == expected, (term, sort)
            assert all(len(page) == 2 for page in pages[:-1]), (term, sort)


def test_terms_spanning_repeated_characters(catalogue):
    ids = {title: id_ for id_, title in catalogue.items()}

    def found(term: str) -> set[str]:
        rows, _ = list_products(db.session, q=term, limit=50)
        return {catalogue[row.id] for row in rows}

    assert found("哈哈哈哈哈") == set()
    assert found("哈哈哈哈") == {"哈哈哈哈"}
    assert found("哈哈哈") == {"哈哈哈哈", "哈哈哈", "哈哈果哈哈哈"}
    assert found("哈果哈哈") == {"哈哈果哈哈哈"}
    assert found("红心猕猴") == {"红心猕猴桃红心猕猴桃", "从江红心猕猴桃礼盒装"}
    assert found("猴桃红心猕") == {"红心猕猴桃红心猕猴桃"}
    assert found("高山香粳米高") == {"高山香粳米高山香粳米"}
    assert ids[OFF_SHELF] not in {row.id for row in list_products(db.session, q="猕猴桃干")[0]}


def test_a_reimported_title_is_found_by_its_new_terms_only(client):
    from miniapp_api.services.catalog_import import import_catalog

    header = "product_code,title,category,supplier,province,city,county,spec,price,stock\n"
    row = "A,{title},米面粮油,融水农品,广西壮族自治区,柳州市,融水县,5kg,30.00,9\n"
    sheet = header + row.format(title="融水香糯米")
    import_catalog(db.session, "a.csv", io.BytesIO(sheet.encode()))
    db.session.commit()
    assert len(list_products(db.session, q="水香糯")[0]) == 1

    import_catalog(
        db.session, "b.csv", io.BytesIO((header + row.format(title="融水紫黑糯米")).encode())
    )
    db.session.commit()

    assert list_products(db.session, q="水香糯")[0] == []
    assert list_products(db.session, q="香糯米")[0] == []
    assert len(list_products(db.session, q="紫黑糯")[0]) == 1
    assert len(list_products(db.session, q="水紫黑糯米")[0]) == 1


def test_a_title_is_indexed_by_every_run_of_one_to_three_characters():
    assert title_grams("哈哈哈哈") == {"哈", "哈哈", "哈哈哈"}
    assert title_grams("Ab c") == {"a", "b", " ", "c", "ab", "b ", " c", "ab ", "b c"}
