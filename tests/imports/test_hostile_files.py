"""Security review findings 2 and 6: spreadsheet bombs and malformed uploads are refused with
422 in the error shape, by all three imports, and nothing is written."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from models import Entry, Product, Unit, db
from tests.factories import admin_headers, make_admin, sheet
from tests.imports.hostile import EMPTY_WORKBOOK, MAIN, inline_row, sheet_xml, xlsx

IMPORTS = {
    "units": ("/api/v1/admin/units/import", ["name", "budget_level"], ["某单位", "county"]),
    "catalogue": (
        "/api/v1/admin/catalog/import",
        ["product_code", "title", "category", "supplier", "province", "city", "county"]
        + ["spec", "price", "stock"],
        ["P1", "大米", "米面粮油", "某社", "河南省", "信阳市", "光山县", "5kg", "30.00", "10"],
    ),
    "canteen": (
        "/api/v1/admin/entries/import",
        ["credit_code", "order_no", "amount", "completed_at"],
        ["91350100M000100Y43", "T1", "10.00", "2026-01-01 10:00:00"],
    ),
}


@pytest.fixture(params=sorted(IMPORTS))
def kind(request):
    return request.param


def _written() -> tuple[int, int, int]:
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Unit, Product, Entry)
    )


def _refused(client, kind: str, stream, filename: str = "bad.xlsx") -> dict:
    url = IMPORTS[kind][0]
    before = _written()
    headers = admin_headers(make_admin("platform_admin"))
    answer = client.post(url, data={"file": (stream, filename)}, headers=headers)
    assert answer.status_code == 422, answer.get_json()
    error = answer.get_json()["error"]
    assert error["code"] in ("invalid_file", "import_rejected")
    assert error["message"]
    db.session.expire_all()
    assert _written() == before, "a refused file writes nothing"
    return error


def _header_then(kind: str, rows: str) -> str:
    return sheet_xml(inline_row(1, IMPORTS[kind][1]) + rows)


def test_finding_2_a_large_shared_string_table_is_refused_before_it_is_loaded(client, kind):
    strings = "".join(f"<si><t>s{i}</t></si>" for i in range(250_000))
    stream = xlsx(_header_then(kind, ""), strings=f'<sst xmlns="{MAIN}">{strings}</sst>')

    error = _refused(client, kind, stream)

    assert "共享字符串" in error["details"]["file"][0]


def test_finding_2_rows_with_values_only_in_ignored_columns_count_toward_the_row_limit(
    client, kind
):
    rows = "".join(f'<row r="{n}"><c r="ZZ{n}"><v>1</v></c></row>' for n in range(2, 20_100))

    error = _refused(client, kind, xlsx(_header_then(kind, rows), stored=True))

    assert "最多导入" in error["details"]["file"][0]


def test_finding_2_a_row_numbered_far_below_the_header_counts_every_row_before_it(client, kind):
    error = _refused(client, kind, xlsx(_header_then(kind, inline_row(1_000_000, ["x"]))))

    assert "最多导入" in error["details"]["file"][0]


def test_finding_2_a_sheet_of_too_many_cells_is_refused(client, kind):
    cells = "".join(f'<c r="A{n}"><v>1</v></c>' for n in range(600_000))
    rows = f'<row r="2">{cells}</row>'

    error = _refused(client, kind, xlsx(_header_then(kind, rows), stored=True))

    assert "单元格" in error["details"]["file"][0]


def test_finding_2_a_highly_compressed_part_is_refused_before_it_is_unpacked(client, kind):
    padding = b" " * (60 * 1024 * 1024)
    stream = xlsx(_header_then(kind, ""), extra={"xl/media/padding.bin": padding})

    error = _refused(client, kind, stream)

    assert "解压后过大" in error["details"]["file"][0] or "压缩比" in error["details"]["file"][0]


def test_finding_2_an_archive_of_very_many_parts_is_refused(client, kind):
    extra = {f"xl/media/{n}.bin": b"x" for n in range(600)}

    error = _refused(client, kind, xlsx(_header_then(kind, ""), extra=extra))

    assert "部件" in error["details"]["file"][0]


def test_finding_2_an_entity_expansion_bomb_is_refused(client, kind):
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
        + _header_then(kind, inline_row(2, ["&lol2;"]))
    )

    _refused(client, kind, xlsx(bomb))


def test_finding_6_a_truncated_sheet_is_refused(client, kind):
    whole = _header_then(kind, inline_row(2, IMPORTS[kind][2]))

    _refused(client, kind, xlsx(whole[: len(whole) // 2]))


def test_finding_6_a_workbook_without_a_sheet_is_refused(client, kind):
    error = _refused(client, kind, xlsx(sheet_xml(""), workbook=EMPTY_WORKBOOK))

    assert "工作表" in error["details"]["file"][0]


def test_finding_6_a_csv_field_over_131072_characters_is_refused(client, kind):
    header = ",".join(IMPORTS[kind][1])
    data = f'{header}\n"{"x" * 140_000}",county\n'.encode()

    _refused(client, kind, io.BytesIO(data), "bad.csv")


def test_finding_6_a_csv_in_neither_utf8_nor_gb18030_is_refused(client, kind):
    _refused(client, kind, io.BytesIO(b"\xff\xfe\x00\x81\x30name\n"), "bad.csv")


def test_finding_6_an_empty_file_a_wrong_extension_and_garbage_are_refused(client, kind):
    _refused(client, kind, io.BytesIO(b""), "empty.xlsx")
    _refused(client, kind, io.BytesIO(b""), "empty.csv")
    _refused(client, kind, io.BytesIO(b"name\n"), "units.txt")
    _refused(client, kind, io.BytesIO(b"PK\x03\x04garbage"), "broken.xlsx")


def test_a_file_missing_a_required_column_is_the_same_report_for_every_import(client, kind):
    stream = sheet([["unknown"], ["x"]], "missing.xlsx")[1]

    error = _refused(client, kind, stream)

    # no known column at all: the report lists the columns the import expects
    assert error["code"] == "import_rejected"
    assert "应有这些列" in error["details"]["errors"][0]
    assert error["details"]["expected_columns"]
