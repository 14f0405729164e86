"""Writing spreadsheets for download: every export (totals.xlsx now, every later one too) adds
its rows through `append_row`, so that no text from a user becomes a live formula.

A unit named `=HYPERLINK("http://…","点我")` must reach its superior's sheet as that text. A
spreadsheet program reads a cell starting with =, +, -, @, a tab or a carriage return as a
formula (or, once edited, turns it into one), so such text is written as a string cell with the
"quote prefix" style, the same as typing a leading ' in Excel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def append_row(sheet: Worksheet, values: Iterable[Any]) -> None:
    """Append one row; text starting like a formula is written as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
            cell.data_type = "s"
            cell.quotePrefix = True


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
