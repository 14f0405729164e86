"""Reading spreadsheets: .xlsx and .csv, English or Chinese headers, row numbers as seen."""

import io

import pytest

from miniapp_api.services.sheets import SheetUnreadable, read_sheet
from tests.factories import sheet

COLUMNS = {"name": "name", "预算单位名称": "name", "credit_code": "credit_code"}


def _xlsx(rows: list[list]) -> io.BytesIO:
    return sheet(rows, "units.xlsx")[1]


def test_an_xlsx_with_chinese_headers_is_read_with_sheet_row_numbers():
    stream = _xlsx(
        [["预算单位名称", "备注"], ["郑州市公安局", "x"], [None, None], ["某县一中", ""]]
    )

    rows = read_sheet("units.xlsx", stream, COLUMNS).rows

    assert [(r.number, r.values) for r in rows] == [
        (2, {"name": "郑州市公安局"}),
        (4, {"name": "某县一中"}),
    ]


def test_a_csv_in_utf8_with_bom_or_gb18030_is_read():
    for encoding in ("utf-8-sig", "gb18030"):
        stream = io.BytesIO(
            "name,credit_code\n郑州市公安局, 91350100M000100Y43 \n".encode(encoding)
        )

        rows = read_sheet("units.CSV", stream, COLUMNS).rows

        assert rows[0].values == {"name": "郑州市公安局", "credit_code": "91350100M000100Y43"}


def test_other_file_kinds_and_garbage_are_refused():
    with pytest.raises(SheetUnreadable):
        read_sheet("units.pdf", io.BytesIO(b"%PDF"), COLUMNS)
    with pytest.raises(SheetUnreadable):
        read_sheet("units.xlsx", io.BytesIO(b"not a zip"), COLUMNS)


def test_a_header_without_known_columns_leaves_the_missing_columns_to_the_import():
    unknown = read_sheet("units.csv", io.BytesIO(b"foo,bar\n1,2\n"), COLUMNS)

    assert unknown.columns == frozenset()
