"""The one import pipeline: read the sheet, check every row, report, write all or nothing.

Every import (units, catalogue, canteen purchases) is a SheetImport run by `run_import`: rows
are read with their sheet row numbers within the limits of sheet_files.py, a file without a
required column or without data rows is refused with a report, each row is checked and gets
every problem it has in Chinese, and nothing is written unless every row is fine (API.md: the
all-or-nothing row report, 422 `import_rejected` with the report in `details`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Generic, TypeVar

from sqlalchemy.orm import Session

from miniapp_api.errors import DomainError
from miniapp_api.services.sheet_files import (
    UPLOAD_LIMITS,
    SheetLimits,
    SheetUnreadable,
    read_table,
    text_of,
    unreadable,
)

__all__ = ["SheetUnreadable", "SheetLimits", "UPLOAD_LIMITS"]

OK, ERROR, SKIPPED = "ok", "error", "skipped"
LISTED_BAD_ROWS = 1_000  # a report lists this many bad rows and counts the rest (`omitted`)
SHOWN_CHARS = 40  # of a cell's text quoted in a message


class RowValues(Mapping[str, str]):
    """One row's text by canonical column name (only the known columns, stored compactly)."""

    __slots__ = ("_positions", "_cells")

    def __init__(self, positions: dict[str, int], cells: tuple[str, ...]) -> None:
        self._positions, self._cells = positions, cells

    def __getitem__(self, name: str) -> str:
        return self._cells[self._positions[name]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


@dataclass(slots=True)
class SheetRow:
    number: int  # the row number a person sees in the sheet (the header is row 1)
    values: Mapping[str, str]


@dataclass
class Sheet:
    columns: frozenset[str]  # the canonical names the header has
    rows: list[SheetRow]
    chinese_header: bool = False  # the header row is written in Chinese


@dataclass(slots=True)
class RowResult:
    row: int
    status: str = OK
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what a person should know of an ok row

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
    # the headers the importer knows, when the file had none of them
    expected_columns: list[str] | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.status != ERROR for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        """The report as API.md gives it: every row, except bad rows past the first 1,000,
        which are counted in `omitted`."""
        listed, bad = [], 0
        for result in self.rows:
            if result.status == ERROR:
                bad += 1
                if bad > LISTED_BAD_ROWS:
                    continue
            row = {"row": result.row, "status": result.status, "errors": result.errors}
            listed.append(row | ({"notes": result.notes} if result.notes else {}))
        answer = {
            "rows": listed,
            "created": self.created,
            "updated": self.updated,
            "skipped": self.skipped,
            "omitted": max(bad - LISTED_BAD_ROWS, 0),
            "errors": self.errors,
        }
        if self.expected_columns is not None:
            answer["expected_columns"] = self.expected_columns
        return answer


class ImportRejected(DomainError):
    """Some row is bad: nothing was written; the report says which rows and why."""

    status = 422
    code = "import_rejected"
    message = "导入文件有误，未导入任何数据，请按提示修改后重新上传"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(details=report.as_dict())


Plan = TypeVar("Plan")


@dataclass(frozen=True)
class SheetImport(Generic[Plan]):
    """What makes one kind of import: its columns, and how its rows are checked and written.

    `check` appends a RowResult to the report for every row and returns what to write;
    `write` writes it (flush only) and counts created/updated on the report."""

    columns: Mapping[str, str]  # every accepted header -> its canonical column name
    required: tuple[str, ...]
    check: Callable[[Session, list[SheetRow], ImportReport], Plan]
    write: Callable[[Session, Plan, ImportReport], None]


def run_import(
    session: Session,
    kind: SheetImport[Plan],
    filename: str,
    stream: IO[bytes],
    limits: SheetLimits = UPLOAD_LIMITS,
) -> ImportReport:
    """Read, check, then write every row or none: raises ImportRejected with the report (a
    missing required column, no data rows, or any bad row), SheetUnreadable for a file that is
    not a spreadsheet within `limits`."""
    sheet = read_sheet(filename, stream, kind.columns, limits)
    report = ImportReport()
    missing = [name for name in kind.required if name not in sheet.columns]
    if not sheet.columns:
        report.expected_columns = expected_headers(kind.columns, chinese=sheet.chinese_header)
        report.errors.append(
            f"表头中没有可识别的列，应有这些列：{'、'.join(report.expected_columns)}"
        )
    elif missing:
        report.errors.append(f"缺少必填列：{describe_columns(kind.columns, missing)}")
    elif not sheet.rows:
        report.errors.append("文件中没有数据行")
    if report.errors:
        raise ImportRejected(report)
    plan = kind.check(session, sheet.rows, report)
    if not report.ok:
        raise ImportRejected(report)
    kind.write(session, plan, report)
    return report


def read_sheet(
    filename: str,
    stream: IO[bytes],
    columns: Mapping[str, str],
    limits: SheetLimits = UPLOAD_LIMITS,
) -> Sheet:
    """The non-empty rows of a .xlsx or .csv file, keyed by canonical column names.

    `columns` maps every accepted header (English or Chinese, compared without surrounding
    spaces and case) to its canonical name; unknown columns are ignored, but every row and
    every cell counts toward the limits."""
    table = read_table(filename, stream, limits)
    header = next(table, None)
    if header is None:
        raise unreadable("文件是空的")
    accepted = {key.strip().lower(): name for key, name in columns.items()}
    positions: dict[str, int] = {}
    for index in sorted(header):
        name = accepted.get(text_of(header[index]).lower())
        if name and name not in positions:
            positions[name] = index
    names = {name: slot for slot, name in enumerate(positions)}
    wanted = list(positions.values())
    rows = []
    for number, cells in enumerate(table, start=2):
        if not cells:
            continue
        values = tuple(text_of(cells.get(index)) for index in wanted)
        if any(values):
            rows.append(SheetRow(number, RowValues(names, values)))
    chinese_header = any(_is_chinese(text_of(title)) for title in header.values())
    return Sheet(frozenset(positions), rows, chinese_header)


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


def shown(text: str) -> str:
    """A cell's text as quoted in a message: at most SHOWN_CHARS characters."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "…"
