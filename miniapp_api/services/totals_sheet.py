"""The totals of a unit and its direct children as a spreadsheet, for those who report upward."""

from __future__ import annotations

from openpyxl import Workbook
from openpyxl.styles import Font

from miniapp_api.services.sheet_export import append_row, workbook_bytes
from miniapp_api.services.totals import Figures, UnitFigures
from models.money import fen_to_yuan

HEADERS = ["单位名称", "统一社会信用代码", "范围", "食堂采购", "工会采购", "个人采购", "合计"]


def totals_workbook(unit_figures: UnitFigures, children: list[UnitFigures]) -> bytes:
    """One row for the unit itself (its own figures), one per direct child (the child and
    everything below it), and a sum row, which equals the unit's subtree figures (rule 7)."""
    unit = unit_figures.unit
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{unit_figures.year}年度采购金额"
    append_row(sheet, HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    append_row(sheet, _row(unit.name, unit.credit_code, "本级", unit_figures.own))
    for child in children:
        append_row(sheet, _row(child.unit.name, child.unit.credit_code, "下级合计", child.subtree))
    append_row(sheet, _row("合计", None, "本级及下级", unit_figures.subtree))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for column, width in zip("ABCDEFG", (40, 22, 12, 16, 16, 16, 16), strict=True):
        sheet.column_dimensions[column].width = width
    return workbook_bytes(workbook)


def _row(name: str, credit_code: str | None, scope: str, figures: Figures) -> list:
    # amounts as two-decimal text, never floats (DOMAIN.md, "Money and numbers")
    amounts = [figures.canteen, figures.union, figures.personal, figures.total]
    return [name, credit_code or "", scope, *(fen_to_yuan(amount) for amount in amounts)]
