"""Reading the platform's spreadsheets (.xlsx and .csv) and reporting on every row.

Every import (units, catalogue, canteen purchases) works the same way: rows are read with
their sheet row numbers, each row is checked and gets every problem it has in Chinese, and
nothing is written unless every row is fine (API.md: the all-or-nothing row report).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import IO, Any

from miniapp_api.errors import DomainError

OK, ERROR, SKIPPED = "ok", "error", "skipped"
MAX_ROWS = 200_000


@dataclass
class SheetRow:
    number: int  # the row number a person sees in the sheet (the header is row 1)
    values: dict[str, str]


@dataclass
class RowResult:
    row: int
    status: str = OK
    errors: list[str] = field(default_factory=list)
    # what the row did that its author may not expect (e.g. counted to a merged unit's successor)
    notes: list[str] = field(default_factory=list)

    def fail(self, message: str) -> None:
        self.status = ERROR
        self.errors.append(message)


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)  # problems of the file itself

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.status != ERROR for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": [
                {"row": r.row, "status": r.status, "errors": r.errors}
                | ({"notes": r.notes} if r.notes else {})
                for r in self.rows
            ],
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "errors": self.errors,
        }


class ImportRejected(DomainError):
    """Some row is bad: nothing was written; the report says which rows and why."""

    status = 422
    code = "import_rejected"
    message = "导入文件有误，未导入任何数据，请按提示修改后重新上传"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(details=report.as_dict())


class SheetUnreadable(DomainError):
    status = 422
    code = "invalid_file"
    message = "无法读取上传的文件，请上传 .xlsx 或 .csv 文件"


def read_sheet(filename: str, stream: IO[bytes], columns: Mapping[str, str]) -> list[SheetRow]:
    """The rows of a .xlsx or .csv file, keyed by canonical column names.

    `columns` maps every accepted header (English or Chinese, compared without surrounding
    spaces and case) to its canonical name; unknown columns are ignored. Empty rows are
    skipped. Raises SheetUnreadable for a file that is neither, or has no known header.
    """
    lowered = filename.lower()
    if lowered.endswith(".xlsx"):
        table = _xlsx_rows(stream)
    elif lowered.endswith(".csv"):
        table = _csv_rows(stream)
    else:
        raise SheetUnreadable(details={"file": ["只接受 .xlsx 或 .csv 文件"]})
    try:
        header = next(table)
    except StopIteration:
        raise SheetUnreadable(details={"file": ["文件是空的"]}) from None
    accepted = {key.strip().lower(): name for key, name in columns.items()}
    positions = {}
    for index, title in enumerate(header):
        name = accepted.get(_text(title).lower())
        if name and name not in positions:
            positions[name] = index
    if not positions:
        expected = expected_headers(columns, chinese=any(_is_chinese(_text(t)) for t in header))
        raise SheetUnreadable(
            details={
                "file": [f"表头中没有可识别的列，应有这些列：{'、'.join(expected)}"],
                "expected_columns": expected,
            }
        )
    rows = []
    for number, cells in enumerate(table, start=2):
        values = {name: _text(cells[i]) if i < len(cells) else "" for name, i in positions.items()}
        if any(values.values()):
            rows.append(SheetRow(number, values))
        if len(rows) > MAX_ROWS:
            raise SheetUnreadable(details={"file": [f"一次最多导入{MAX_ROWS}行"]})
    return rows


def missing_columns(rows: Iterable[SheetRow], required: Iterable[str]) -> list[str]:
    first = next(iter(rows), None)
    if first is None:
        return []
    return [name for name in required if name not in first.values]


def expected_headers(columns: Mapping[str, str], *, chinese: bool) -> list[str]:
    """One header per column an importer knows, in the sheet's language (Chinese headers for a
    sheet whose header row is Chinese, else English), in the importer's order."""
    by_name: dict[str, str] = {}
    for header, name in columns.items():
        if name not in by_name or (
            chinese and _is_chinese(header) and not _is_chinese(by_name[name])
        ):
            by_name[name] = header
    return list(by_name.values())


def describe_columns(columns: Mapping[str, str], names: Iterable[str]) -> str:
    """Column names as a person looks for them: `credit_code（预算单位统一信用代码）`."""
    chinese: dict[str, str] = {}
    for header, name in columns.items():
        if _is_chinese(header):
            chinese.setdefault(name, header)
    return "、".join(f"{name}（{chinese[name]}）" if name in chinese else name for name in names)


def _is_chinese(text: str) -> bool:
    return any("\u4e00" <= character <= "\u9fff" for character in text)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_rows(stream: IO[bytes]):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(stream.read()), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise SheetUnreadable(details={"file": ["不是有效的 .xlsx 文件"]}) from exc
    sheet = workbook.worksheets[0]
    yield from sheet.iter_rows(values_only=True)


def _csv_rows(stream: IO[bytes]):
    raw = stream.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetUnreadable(details={"file": ["CSV 文件编码无法识别，请使用 UTF-8"]})
    yield from csv.reader(io.StringIO(text))
