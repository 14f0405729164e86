"""Reading an uploaded .xlsx or .csv within fixed limits, one row at a time.

A spreadsheet is a zip of XML parts, and a small one can unpack to gigabytes (a "bomb"). So
the archive is checked before anything is parsed (members, each member's size, the
compression ratio, the total), and the parts are then streamed through expat with counters
that stop at the first limit passed: rows (every row, empty ones and those with values only in
ignored columns included), cells in any column, shared strings and their characters. Nothing
is ever loaded whole. A file that passes a limit, or is not a well-formed spreadsheet, is
SheetUnreadable (422 `invalid_file`); an upload's limits are smaller than the CLI's.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

from miniapp_api.errors import DomainError

MB = 1024 * 1024


@dataclass(frozen=True)
class SheetLimits:
    max_bytes: int  # the file as uploaded
    max_rows: int  # data rows below the header, every one counted
    max_cells: int  # cells of the sheet, in any column
    max_shared_strings: int
    max_string_chars: int  # characters of all shared strings together
    max_member_bytes: int  # one part of the archive, unpacked
    max_total_bytes: int  # all parts, unpacked
    max_members: int = 500
    max_ratio: int = 100  # unpacked / packed, for parts over 1 MB


# what one request may carry; bigger files go through the CLI (README, "Imports")
UPLOAD_LIMITS = SheetLimits(
    max_bytes=20 * MB,
    max_rows=20_000,
    max_cells=500_000,
    max_shared_strings=200_000,
    max_string_chars=5_000_000,
    max_member_bytes=50 * MB,
    max_total_bytes=80 * MB,
)
CLI_LIMITS = SheetLimits(
    max_bytes=1024 * MB,
    max_rows=1_000_000,
    max_cells=30_000_000,
    max_shared_strings=10_000_000,
    max_string_chars=300_000_000,
    max_member_bytes=4096 * MB,
    max_total_bytes=8192 * MB,
    max_members=5_000,
)
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell

Cells = dict[int, Any]  # column index (0 = A) -> value, only the cells present


class SheetUnreadable(DomainError):
    status = 422
    code = "invalid_file"
    message = "无法读取上传的文件，请上传 .xlsx 或 .csv 文件"


def unreadable(problem: str) -> SheetUnreadable:
    return SheetUnreadable(details={"file": [problem]})


def read_table(filename: str, stream: IO[bytes], limits: SheetLimits) -> Iterator[Cells]:
    """The rows of the file's first sheet, header first; every row is yielded (an empty one
    as {}), so that the caller's row numbers are the sheet's."""
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        from miniapp_api.services.sheet_xlsx import xlsx_rows  # it builds on this module

        return xlsx_rows(_bytes_of(stream, limits), limits)
    if lowered.endswith(".csv"):
        return _csv_rows(_bytes_of(stream, limits), limits)
    raise unreadable("只接受 .xlsx 或 .csv 文件")


def _bytes_of(stream: IO[bytes], limits: SheetLimits) -> bytes:
    data = stream.read(limits.max_bytes + 1)
    if len(data) > limits.max_bytes:
        raise unreadable(f"文件超过{limits.max_bytes // MB}MB，请拆分后导入或使用命令行导入")
    if not data:
        raise unreadable("文件是空的")
    return data


# --- CSV -------------------------------------------------------------------------------------


def _csv_rows(raw: bytes, limits: SheetLimits) -> Iterator[Cells]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise unreadable("CSV 文件编码无法识别，请使用 UTF-8")
    del raw
    counter = RowCounter(limits)
    try:
        for fields in csv.reader(_lines(text)):
            counter.row()
            counter.cells(len(fields))
            yield {index: value for index, value in enumerate(fields) if value}
    except csv.Error as error:
        raise unreadable(f"CSV 格式有误：{str(error)[:100]}") from None


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` one by one, each a small copy (csv.reader joins quoted ones)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


class RowCounter:
    """Stops reading at the first limit passed."""

    def __init__(self, limits: SheetLimits) -> None:
        self.limits = limits
        self.rows = 0  # the header is row 1
        self.cell_count = 0

    def row(self, number: int | None = None) -> None:
        self.rows = max(self.rows + 1, number or 0)
        if self.rows > self.limits.max_rows + 1:
            raise unreadable(
                f"一次最多导入{self.limits.max_rows}行（空行也计算在内），"
                "更大的文件请拆分或使用命令行导入"
            )

    def cells(self, count: int = 1) -> None:
        self.cell_count += count
        if self.cell_count > self.limits.max_cells:
            raise unreadable(f"表格的单元格超过{self.limits.max_cells}个（含无关的列）")


def text_of(value: Any) -> str:
    """A cell's value as the text the row checks read."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()
