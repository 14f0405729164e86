"""Importing the catalogue: one row per SKU, all rows or nothing, re-import updates in place."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from miniapp_api.services.catalog_import import import_catalog
from miniapp_api.services.sheets import ImportRejected
from models import Product, Sku, Supplier, db
from tests.factories import sheet

HEADER = [
    "product_code",
    "title",
    "category",
    "supplier",
    "province",
    "city",
    "county",
    "priority_county",
    "selected",
    "spec",
    "price",
    "stock",
    "description",
    "image_url",
]
RICE = [
    "GX-001",
    "环江香粳米",
    "米面粮油",
    "环江农品有限公司",
    "广西壮族自治区",
    "河池市",
    "环江毛南族自治县",
    "1",
    "1",
    "5kg/袋",
    "59.90",
    "200",
    "高山梯田种植",
    "https://img.example.com/rice.jpg",
]


def row(base: list[str], **changes: str) -> list[str]:
    values = dict(zip(HEADER, base, strict=True)) | changes
    return [values[name] for name in HEADER]


def csv_file(rows: list[list[str]], header: list[str] = HEADER) -> io.BytesIO:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return io.BytesIO(("\n".join(lines) + "\n").encode("utf-8"))


def test_rows_of_one_product_code_become_one_product_with_its_skus():
    report = import_catalog(
        db.session,
        "catalog.csv",
        csv_file([RICE, row(RICE, spec="10kg/袋", price="109.00", stock="50")]),
    )

    assert (report.created, report.updated) == (1, 0)
    product = db.session.scalars(select(Product)).one()
    assert product.title == "环江香粳米"
    assert product.category.name == "米面粮油"
    assert product.supplier.name == "环江农品有限公司"
    assert (product.priority_county, product.selected, product.on_shelf) == (True, True, True)
    assert product.min_price == 5990
    assert product.image_url == "https://img.example.com/rice.jpg"
    assert [(s.spec, s.price, s.stock) for s in product.skus] == [
        ("5kg/袋", 5990, 200),
        ("10kg/袋", 10900, 50),
    ]


def test_an_xlsx_with_numbers_in_cells_is_read_as_well():
    cells = row(RICE)
    cells[HEADER.index("price")] = 59.9
    cells[HEADER.index("stock")] = 200
    cells[HEADER.index("priority_county")] = 1

    import_catalog(db.session, *sheet([HEADER, cells], "catalog.xlsx"))

    product = db.session.scalars(select(Product)).one()
    assert (product.min_price, product.skus[0].stock, product.priority_county) == (5990, 200, True)


def test_reimport_updates_the_product_by_code_and_skus_by_spec_keeping_their_ids():
    import_catalog(db.session, "a.csv", csv_file([RICE, row(RICE, spec="10kg/袋", price="109.00")]))
    sku_ids = {s.spec: s.id for s in db.session.scalars(select(Sku))}

    report = import_catalog(
        db.session,
        "b.csv",
        csv_file(
            [
                row(RICE, title="环江香粳米（新米）", price="49.90", stock="10"),
                row(RICE, title="环江香粳米（新米）", spec="25kg/袋", price="199.00"),
            ]
        ),
    )

    assert (report.created, report.updated) == (0, 1)
    db.session.expire_all()
    product = db.session.scalars(select(Product)).one()
    assert product.title == "环江香粳米（新米）"
    skus = {s.spec: s for s in product.skus}
    assert skus["5kg/袋"].id == sku_ids["5kg/袋"]
    assert (skus["5kg/袋"].price, skus["5kg/袋"].stock) == (4990, 10)
    assert skus["10kg/袋"].id == sku_ids["10kg/袋"]  # not in the file: kept as it was
    assert set(skus) == {"5kg/袋", "10kg/袋", "25kg/袋"}
    assert product.min_price == 4990


def test_a_supplier_is_created_on_first_sight_and_reused_after():
    import_catalog(db.session, "a.csv", csv_file([RICE, row(RICE, product_code="GX-002")]))

    assert db.session.scalar(select(func.count()).select_from(Supplier)) == 1


def test_every_bad_row_is_reported_with_its_number_and_nothing_is_written():
    rows = [
        RICE,
        row(RICE, product_code="GX-002", category="海鲜水产", price="abc"),
        row(RICE, product_code="GX-003", title="", stock="-1", selected="maybe"),
        row(RICE, spec="5kg/袋"),  # the same SKU twice
        row(RICE, spec="1kg/袋", title="另一个名字"),
    ]

    with pytest.raises(ImportRejected) as rejected:
        import_catalog(db.session, "bad.csv", csv_file(rows))

    db.session.rollback()
    report = rejected.value.report
    by_row = {r.row: r for r in report.rows}
    assert by_row[2].status == "ok"
    assert len(by_row[3].errors) == 2 and "第3行" in by_row[3].errors[0]
    assert any("商品分类" in e for e in by_row[3].errors)
    assert any("价格" in e for e in by_row[3].errors)
    assert len(by_row[4].errors) == 3
    assert any("规格" in e and "重复" in e for e in by_row[5].errors)
    assert any("商品名称" in e and "第2行" in e for e in by_row[6].errors)
    assert db.session.scalar(select(func.count()).select_from(Product)) == 0
    assert db.session.scalar(select(func.count()).select_from(Supplier)) == 0


def test_a_file_missing_required_columns_is_refused_as_a_whole():
    header = [h for h in HEADER if h != "price"]
    rows = [[v for h, v in zip(HEADER, RICE, strict=True) if h != "price"]]

    with pytest.raises(ImportRejected) as rejected:
        import_catalog(db.session, "bad.csv", csv_file(rows, header))

    assert "price" in rejected.value.report.errors[0]


def test_an_on_shelf_column_takes_a_product_off_shelf_and_back():
    header = [*HEADER, "on_shelf"]
    import_catalog(db.session, "a.csv", csv_file([[*RICE, "0"]], header))
    assert db.session.scalars(select(Product)).one().on_shelf is False

    import_catalog(db.session, "a.csv", csv_file([[*RICE, "1"]], header))
    db.session.expire_all()
    assert db.session.scalars(select(Product)).one().on_shelf is True


def test_the_cli_imports_a_file_and_exits_non_zero_on_a_bad_one(app, tmp_path):
    good = tmp_path / "good.csv"
    good.write_bytes(csv_file([RICE]).getvalue())
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file([row(RICE, price="1.234")]).getvalue())
    runner = app.test_cli_runner()

    result = runner.invoke(args=["catalog", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 created" in result.output

    result = runner.invoke(args=["catalog", "import", str(bad)])
    assert result.exit_code == 1
    assert "row 2" in result.output
    assert db.session.scalar(select(func.count()).select_from(Sku)) == 1


@pytest.mark.parametrize("stock", ["²", "５0", "1e3"])
def test_a_stock_of_other_digits_is_a_bad_row_not_a_crash(stock):
    with pytest.raises(ImportRejected) as rejected:
        import_catalog(db.session, "odd.csv", csv_file([RICE, row(RICE, stock=stock)]))

    db.session.rollback()
    (bad,) = [r for r in rejected.value.report.rows if r.status == "error"]
    assert any("库存须为0到" in e for e in bad.errors)
