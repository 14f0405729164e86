"""The spreadsheet writer: amounts people can add up, text kept as text, widths that fit."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from miniapp_api.services.spreadsheets import (
    INTEGER,
    MONEY,
    Column,
    workbook_bytes,
    write_table,
)


def _written(columns, rows):
    workbook = Workbook()
    write_table(workbook.active, columns, rows)
    return load_workbook(io.BytesIO(workbook_bytes(workbook))).active


def test_amounts_are_the_exact_yuan_of_their_fen_as_numbers():
    sheet = _written([Column("金额（元）", MONEY)], [[1], [1_234_567_89], [-50]])

    assert [sheet[f"A{row}"].value for row in (2, 3, 4)] == [0.01, 1234567.89, -0.5]
    assert all(sheet[f"A{row}"].number_format == "#,##0.00" for row in (2, 3, 4))


def test_text_that_looks_like_a_number_stays_text():
    sheet = _written([Column("订单编号"), Column("数量", INTEGER)], [["000123", 5]])

    assert sheet["A2"].value == "000123"
    assert sheet["B2"].value == 5


def test_columns_are_as_wide_as_their_longest_cell():
    sheet = _written(
        [Column("名称"), Column("金额（元）", MONEY)], [["新郑市第一中学", 1_000_000_00]]
    )

    assert sheet.column_dimensions["A"].width == 2 * len("新郑市第一中学") + 2
    assert sheet.column_dimensions["B"].width >= len("1,000,000.00")
