"""Writing the spreadsheets the service hands out (every export goes through here).

People add these up in Excel or WPS, so amounts are numeric cells shown with two decimals
(never text, never a float: the exact yuan from integer fen), headers are Chinese, and each
column is as wide as its longest cell. Text cells are written by one function, `put_text`,
the single place for any rule about text: a spreadsheet program reads a cell starting with =,
+, -, @, a tab or a carriage return as a formula (or turns it into one once edited), so a unit
named `=HYPERLINK("http://…","点我")` would become a live link in its superior's sheet. Such
text is written as a string cell with the "quote prefix" style, as typing a leading ' does.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

MONEY_FORMAT = "#,##0.00"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
TEXT, MONEY, INTEGER = "text", "money", "integer"
MIN_WIDTH, MAX_WIDTH = 8, 60


@dataclass(frozen=True)
class Column:
    header: str  # Chinese, as the reader sees it
    kind: str = TEXT  # text, money (int fen), integer


def put_text(sheet: Worksheet, row: int, column: int, value: str | None) -> None:
    """A text cell, always stored as text, never read as a formula."""
    _as_text(sheet.cell(row=row, column=column, value=value or ""))


def _as_text(cell: Cell) -> Cell:
    cell.data_type = "s"
    if cell.value.startswith(FORMULA_STARTS):
        cell.quotePrefix = True
    return cell


def append_row(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> None:
    """Append one row to a sheet written row by row (write-only ones too): text as text that
    never starts a formula, exact yuan (Decimal) as money, anything else as it is."""
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            _as_text(cell)
        elif isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        cells.append(cell)
    sheet.append(cells)


def put_money(sheet: Worksheet, row: int, column: int, fen: int) -> None:
    """An amount: the exact yuan as a number, shown as 1,234.50 (DOMAIN.md: never a float)."""
    cell = sheet.cell(row=row, column=column, value=Decimal(fen).scaleb(-2))
    cell.number_format = MONEY_FORMAT


def put_integer(sheet: Worksheet, row: int, column: int, value: int) -> None:
    sheet.cell(row=row, column=column, value=int(value))


_WRITERS = {TEXT: put_text, MONEY: put_money, INTEGER: put_integer}


def write_table(
    sheet: Worksheet,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    bold_rows: Iterable[int] = (),
) -> None:
    """A header row in bold, then `rows` (values in the columns' order; money in int fen),
    then widths that fit. `bold_rows` are 0-based indexes into `rows` (e.g. a sum row)."""
    for index, column in enumerate(columns, start=1):
        put_text(sheet, 1, index, column.header)
        sheet.cell(row=1, column=index).font = Font(bold=True)
    widths = [_width(column.header) for column in columns]
    bold = set(bold_rows)
    for offset, values in enumerate(rows):
        row = offset + 2
        for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
            _WRITERS[column.kind](sheet, row, index, value)
            if offset in bold:
                sheet.cell(row=row, column=index).font = Font(bold=True)
            widths[index - 1] = max(widths[index - 1], _width(_shown(column, value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _shown(column: Column, value: Any) -> str:
    if column.kind == MONEY:
        return f"{Decimal(value).scaleb(-2):,.2f}"
    return "" if value is None else str(value)


def _width(text: str) -> float:
    """Excel's width in characters: a Chinese character takes about two."""
    units = sum(2 if ord(character) > 0x2E7F else 1 for character in text)
    return min(MAX_WIDTH, max(MIN_WIDTH, units + 2))
