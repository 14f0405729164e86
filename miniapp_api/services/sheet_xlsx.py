"""Reading the first sheet of an .xlsx within limits (sheet_files.py says why and which).

The archive is checked first (parts, their unpacked sizes, ratio); then the workbook, its
relationships, shared strings, styles (which numbers are dates) and the sheet are streamed
through expat, each stopping at the first limit passed.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
import zlib
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format
from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from miniapp_api.services.sheet_files import (
    MAX_CELL_CHARS,
    MB,
    Cells,
    RowCounter,
    SheetLimits,
    unreadable,
)

_BROKEN = (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError, OSError)


def _digits(text: str) -> bool:
    """Only 0-9: str.isdigit() also takes "²" and other digits int() refuses."""
    return text.isascii() and text.isdigit()


def xlsx_rows(data: bytes, limits: SheetLimits) -> Iterator[Cells]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        _check_archive(archive, limits)
        book = _Book(archive, limits)
        yield from book.rows()
    except _BROKEN as error:
        raise unreadable("不是有效的 .xlsx 文件") from error
    except (expat.ExpatError, ValueError, KeyError) as error:
        raise unreadable(f"不是有效的 .xlsx 文件（{str(error)[:100]}）") from None


def _check_archive(archive: zipfile.ZipFile, limits: SheetLimits) -> None:
    members = archive.infolist()
    if len(members) > limits.max_members:
        raise unreadable(f"文件包含的部件超过{limits.max_members}个")
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.max_member_bytes or total > limits.max_total_bytes:
            raise unreadable("文件解压后过大，请拆分后导入或使用命令行导入")
        if member.file_size > MB and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise unreadable("文件的压缩比异常，疑似压缩炸弹")


def _parse(stream: IO[bytes], start: Callable, end: Callable | None = None, text=None):
    """Feed one XML part through expat, 64 KB at a time. Handlers get names as written (strip
    a prefix with _local). A DTD (never in a spreadsheet; the way to entity bombs) is refused."""
    parser = expat.ParserCreate()
    parser.buffer_text = True

    def refuse(*_args: Any) -> None:
        raise ValueError("DTD")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    while chunk := stream.read(65536):
        parser.Parse(chunk, False)
        yield
    parser.Parse(b"", True)
    yield


def _local(name: str) -> str:
    """'x:row' -> 'row' (some writers prefix the spreadsheet namespace)."""
    return name[name.rfind(":") + 1 :]


class _Book:
    """The parts of a workbook needed to read its first sheet's values."""

    def __init__(self, archive: zipfile.ZipFile, limits: SheetLimits) -> None:
        self.archive, self.limits = archive, limits
        names = set(archive.namelist())
        root = self._relations("", "_rels/.rels")
        workbook = root.get("officeDocument", ["xl/workbook.xml"])[0]
        if workbook not in names:
            raise unreadable("文件中没有工作簿")
        parts = self._relations(posixpath.dirname(workbook), _rels_of(workbook))
        self.sheets: list[str] = []
        self.date1904 = False
        by_id = parts.get("by_id", {})

        def on_workbook(name: str, attrs: dict) -> None:
            name = _local(name)
            if name == "sheet":
                rid = next((v for k, v in attrs.items() if k.endswith(":id")), None)
                if rid in by_id:
                    self.sheets.append(by_id[rid])
            elif name == "workbookPr":
                self.date1904 = attrs.get("date1904", "0").lower() in ("1", "true")

        self._run(workbook, on_workbook)
        if not self.sheets or self.sheets[0] not in names:
            raise unreadable("工作簿中没有工作表")
        strings = [p for p in parts.get("sharedStrings", []) if p in names]
        self.strings = _shared_strings(self, strings[0]) if strings else []
        styles = [p for p in parts.get("styles", []) if p in names]
        self.date_styles = _date_styles(self, styles[0]) if styles else set()

    def _run(self, part: str, start: Callable, end=None, text=None) -> None:
        with self.archive.open(part) as stream:
            for _ in _parse(stream, start, end, text):
                pass

    def _relations(self, folder: str, rels: str) -> dict:
        """Relationship targets by type (the last word of its URI), and targets by id."""
        found: dict = {"by_id": {}}
        if rels not in self.archive.namelist():
            return found

        def on_relation(name: str, attrs: dict) -> None:
            if _local(name) != "Relationship" or "Target" not in attrs:
                return
            target = attrs["Target"]
            path = target[1:] if target.startswith("/") else posixpath.join(folder, target)
            path = posixpath.normpath(path)
            found.setdefault(attrs.get("Type", "").rpartition("/")[2], []).append(path)
            found["by_id"][attrs.get("Id")] = path

        self._run(rels, on_relation)
        return found

    def rows(self) -> Iterator[Cells]:
        reader = _SheetReader(self)
        with self.archive.open(self.sheets[0]) as stream:
            for _ in _parse(stream, reader.start, reader.end, reader.text):
                yield from reader.take()


def _rels_of(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _shared_strings(book: _Book, part: str) -> list[str]:
    strings: list[str] = []
    state = {"parts": [], "chars": 0, "in_text": False, "phonetic": 0}
    limits = book.limits

    def start(name: str, attrs: dict) -> None:
        name = _local(name)
        if name == "t" and not state["phonetic"]:
            state["in_text"] = True
        elif name == "rPh":
            state["phonetic"] += 1

    def end(name: str) -> None:
        name = _local(name)
        if name == "t":
            state["in_text"] = False
        elif name == "rPh":
            state["phonetic"] -= 1
        elif name == "si":
            strings.append("".join(state["parts"]))
            state["parts"] = []
            if len(strings) > limits.max_shared_strings:
                raise unreadable(f"共享字符串超过{limits.max_shared_strings}个")

    def text(data: str) -> None:
        if state["in_text"]:
            state["chars"] += len(data)
            if state["chars"] > limits.max_string_chars:
                raise unreadable(f"共享字符串超过{limits.max_string_chars}个字符")
            state["parts"].append(data)

    book._run(part, start, end, text)
    return strings


def _date_styles(book: _Book, part: str) -> set[int]:
    """The cell styles whose number format is a date (their numbers are dates)."""
    formats = dict(BUILTIN_FORMATS)
    styles: list[int] = []
    inside = {"cellXfs": False}

    def start(name: str, attrs: dict) -> None:
        name = _local(name)
        if name == "numFmt" and _digits(attrs.get("numFmtId", "")):
            formats[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
        elif name == "cellXfs":
            inside["cellXfs"] = True
        elif name == "xf" and inside["cellXfs"]:
            number_format = attrs.get("numFmtId", "0")
            styles.append(int(number_format) if _digits(number_format) else 0)

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            inside["cellXfs"] = False

    book._run(part, start, end)
    return {index for index, fmt in enumerate(styles) if is_date_format(formats.get(fmt, ""))}


class _SheetReader:
    """Expat handlers that turn <row>/<c> elements into Cells, counting as they go."""

    def __init__(self, book: _Book) -> None:
        self.strings, self.date_styles = book.strings, book.date_styles
        self.epoch = CALENDAR_MAC_1904 if book.date1904 else CALENDAR_WINDOWS_1900
        self.counter = RowCounter(book.limits)
        self.cell_count, self.max_cells = 0, book.limits.max_cells
        self.ready: list[Cells] = []
        self.current: Cells | None = None
        self.column = -1
        self.kind = self.style = None
        self.parts: list[str] = []
        self.chars = 0
        self.collecting = False
        self.phonetic = 0

    def take(self) -> list[Cells]:
        ready, self.ready = self.ready, []
        return ready

    def start(self, name: str, attrs: dict) -> None:
        name = name[name.rfind(":") + 1 :]
        if name == "c":
            self.cell_count += 1
            if self.cell_count > self.max_cells:
                self.counter.cells(self.cell_count)
            ref = attrs.get("r")
            self.column = _column_of(ref) if ref else self.column + 1
            self.kind, self.style = attrs.get("t", "n"), attrs.get("s")
            self.parts, self.chars = [], 0
        elif name == "v" or (name == "t" and self.kind == "inlineStr" and not self.phonetic):
            self.collecting = True
        elif name == "rPh":
            self.phonetic += 1
        elif name == "row":
            number = attrs.get("r")
            before = self.counter.rows
            self.counter.row(int(number) if number and _digits(number) else None)
            # rows the file leaves out are rows too (the caller's numbers stay the sheet's)
            self.ready.extend({} for _ in range(before + 1, self.counter.rows))
            self.current, self.column = {}, -1

    def end(self, name: str) -> None:
        name = name[name.rfind(":") + 1 :]
        if name == "c":
            if self.current is not None and self.parts:
                value = self._value("".join(self.parts))
                if value is not None and value != "":
                    self.current[self.column] = value
        elif name in ("v", "t"):
            self.collecting = False
        elif name == "rPh":
            self.phonetic -= 1
        elif name == "row" and self.current is not None:
            self.ready.append(self.current)
            self.current = None

    def text(self, data: str) -> None:
        if self.collecting:
            self.chars += len(data)
            if self.chars > MAX_CELL_CHARS:
                raise unreadable(f"单元格内容超过{MAX_CELL_CHARS}个字符")
            self.parts.append(data)

    def _value(self, raw: str) -> Any:
        kind = self.kind
        if kind == "s":
            if not raw:
                return None
            index = int(raw)
            if not 0 <= index < len(self.strings):
                raise ValueError("shared string index out of range")
            return self.strings[index]
        if kind in ("inlineStr", "str", "e", "d"):
            return raw
        if kind == "b":
            return raw.strip() in ("1", "true")
        if not raw:
            return None
        number = int(raw) if _digits(raw.lstrip("-")) and len(raw) < 20 else float(raw)
        if self.style and _digits(self.style) and int(self.style) in self.date_styles:
            try:
                return from_excel(number, self.epoch)
            except (ValueError, OverflowError, TypeError):
                return number
        return number


def _column_of(ref: str) -> int:
    """'C7' -> 2."""
    column = 0
    for char in ref:
        if "A" <= char <= "Z":
            column = column * 26 + ord(char) - 64
        elif "a" <= char <= "z":
            column = column * 26 + ord(char) - 96
        else:
            break
    if not 1 <= column <= 16384:
        raise ValueError(f"bad cell reference {ref[:20]}")
    return column - 1
