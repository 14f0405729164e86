"""The totals of a unit and its direct children as a spreadsheet, for those who report upward."""

from __future__ import annotations

from openpyxl import Workbook

from miniapp_api.services.spreadsheets import MONEY, Column, workbook_bytes, write_table
from miniapp_api.services.totals import Figures, UnitFigures

COLUMNS = [
    Column("单位名称"),
    Column("统一社会信用代码"),
    Column("范围"),
    Column("食堂采购（元）", MONEY),
    Column("工会采购（元）", MONEY),
    Column("个人采购（元）", MONEY),
    Column("合计（元）", MONEY),
]


def totals_workbook(unit_figures: UnitFigures, children: list[UnitFigures]) -> bytes:
    """One row for the unit itself (its own figures), one per direct child (the child and
    everything below it), and a sum row, which equals the unit's subtree figures (rule 7)."""
    unit = unit_figures.unit
    rows = [_row(unit.name, unit.credit_code, "本级", unit_figures.own)]
    rows += [_row(c.unit.name, c.unit.credit_code, "下级合计", c.subtree) for c in children]
    rows.append(_row("合计", None, "本级及下级", unit_figures.subtree))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"{unit_figures.year}年度采购金额"
    write_table(sheet, COLUMNS, rows, bold_rows=[len(rows) - 1])
    return workbook_bytes(workbook)


def _row(name: str, credit_code: str | None, scope: str, figures: Figures) -> list:
    return [
        name,
        credit_code,
        scope,
        figures.canteen,
        figures.union,
        figures.personal,
        figures.total,
    ]
