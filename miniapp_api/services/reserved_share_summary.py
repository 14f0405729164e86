"""A superior's summary of the filings below it (预留份额信息确认 / 汇总; seed 000 FAQ 18): one row
per unit of its subtree with status, share, annual total and completion rate, the counts per
status, and "未全部完成" while any unit in it is not confirmed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from openpyxl import Workbook
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from miniapp_api.paging import decode_cursor, page_of, text
from miniapp_api.services.completion import completion_rate
from miniapp_api.services.spreadsheets import append_row
from miniapp_api.services.totals import check_year
from models.ledger import UnitTotal
from models.ratio import hundredths_to_percent
from models.reserved_share import (
    CONFIRMED,
    FILING_STATUSES,
    STATUS_LABELS,
    UNFILED,
    ReservedShare,
)
from models.unit import ACTIVE, Unit, subtree_condition

ALL_DONE, NOT_ALL_DONE = "已全部完成", "未全部完成"
SHEET_HEADERS = [
    "预算单位名称",
    "上级预算单位名称",
    "统一信用代码",
    "年度食堂食材采购总额",
    "预留比例",
    "预留份额",
    "备注",
    "联系人",
    "联系电话",
    "状态",
]
_SHEET_CHUNK = 1000


@dataclass
class SummaryRow:
    unit: Unit
    filing: ReservedShare | None
    annual_total: int = 0

    @property
    def status(self) -> str:
        return self.filing.status if self.filing is not None else UNFILED

    @property
    def reserved_share(self) -> int | None:
        return self.filing.reserved_share if self.filing is not None else None

    @property
    def completion_rate(self) -> str | None:
        if self.status != CONFIRMED:
            return None
        return completion_rate(self.annual_total, self.reserved_share)


def _rows_query(unit: Unit, year: int, include_self: bool):
    """The subtree's units (the unit itself only with include_self, FAQ 18's 本级), each with
    its filing for `year`: active units, and inactive ones that filed that year."""
    filing_join = and_(ReservedShare.unit_id == Unit.id, ReservedShare.year == year)
    conditions = [
        subtree_condition(unit.path),
        or_(Unit.status == ACTIVE, ReservedShare.id.is_not(None)),
    ]
    if not include_self:
        conditions.append(Unit.id != unit.id)
    return filing_join, conditions


def summary_counts(
    session: Session, unit: Unit, year: int, *, include_self: bool = False
) -> dict[str, int]:
    """How many units of the subtree are in each status, and in all."""
    filing_join, conditions = _rows_query(unit, year, include_self)
    status = func.coalesce(ReservedShare.status, UNFILED)
    rows = session.execute(
        select(status, func.count())
        .select_from(Unit)
        .outerjoin(ReservedShare, filing_join)
        .where(*conditions)
        .group_by(status)
    )
    counts = dict.fromkeys(FILING_STATUSES, 0)
    for name, count in rows:
        counts[name] = int(count)
    counts["total"] = sum(counts.values())
    return counts


def completion_label(counts: dict[str, int]) -> tuple[bool, str]:
    """(all_confirmed, label): "未全部完成" while any unit is unfiled, a draft, submitted or
    returned (seed 000 FAQ 18: "只要有一个被退回，将显示'未全部完成'")."""
    done = counts["confirmed"] == counts["total"]
    return done, ALL_DONE if done else NOT_ALL_DONE


def summary_rows(
    session: Session,
    unit: Unit,
    year: int,
    *,
    include_self: bool = False,
    status: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[SummaryRow], str | None]:
    """One page of rows in tree order, optionally of one status (the confirm page lists the
    submitted ones), each with the unit's own annual total over every source (rule 6)."""
    check_year(year)
    filing_join, conditions = _rows_query(unit, year, include_self)
    query = select(Unit, ReservedShare).outerjoin(ReservedShare, filing_join).where(*conditions)
    if status == UNFILED:
        query = query.where(ReservedShare.id.is_(None))
    elif status is not None:
        query = query.where(ReservedShare.status == status)
    if cursor:
        (after_path,) = decode_cursor(cursor, (text(255),))
        query = query.where(Unit.path > after_path)
    found = session.execute(query.order_by(Unit.path).limit(limit + 1)).all()
    rows, next_cursor = page_of(
        [SummaryRow(u, f) for u, f in found], limit, lambda row: [row.unit.path]
    )
    totals = _own_totals(session, [row.unit.id for row in rows], year)
    for row in rows:
        row.annual_total = totals.get(row.unit.id, 0)
    return rows, next_cursor


def _own_totals(session: Session, unit_ids: list[int], year: int) -> dict[int, int]:
    if not unit_ids:
        return {}
    rows = session.execute(
        select(UnitTotal.unit_id, func.sum(UnitTotal.own_amount))
        .where(UnitTotal.unit_id.in_(unit_ids), UnitTotal.year == year)
        .group_by(UnitTotal.unit_id)
    )
    return {unit_id: int(amount) for unit_id, amount in rows}


def _all_rows(session: Session, unit: Unit, year: int, include_self: bool) -> Iterator[SummaryRow]:
    cursor = None
    while True:
        rows, cursor = summary_rows(
            session, unit, year, include_self=include_self, limit=_SHEET_CHUNK, cursor=cursor
        )
        yield from rows
        if cursor is None:
            return


def summary_workbook(
    session: Session, unit: Unit, year: int, *, include_self: bool = False
) -> bytes:
    """The summary as the platform's sheet (预算单位名称 … 状态), every row, and a last row with
    the counts and the label. Amounts and ratios are two-decimal text, never floats.

    User text (unit names, remark, contact) goes through `_text`: the export guard against
    formula injection belongs there."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(f"{year}年度预留份额")
    append_row(sheet, SHEET_HEADERS)
    for row in _all_rows(session, unit, year, include_self):
        append_row(sheet, _sheet_row(row))
    counts = summary_counts(session, unit, year, include_self=include_self)
    _, label = completion_label(counts)
    append_row(
        sheet, [f"合计：{counts['total']}个单位，已确认{counts['confirmed']}个", *[""] * 8, label]
    )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_row(row: SummaryRow) -> list[str | Decimal]:
    unit, filing = row.unit, row.filing
    parent = unit.parent.name if unit.parent is not None else ""

    def money(value: int | None) -> Decimal | str:
        return Decimal(value).scaleb(-2) if value is not None else ""

    if filing is None:
        cells = ["", "", "", "", "", ""]
    else:
        ratio = filing.reserved_ratio
        cells = [
            money(filing.canteen_total),
            hundredths_to_percent(ratio) if ratio is not None else "",
            money(filing.reserved_share),
            filing.remark or "",
            filing.contact_name or "",
            " / ".join(p for p in (filing.contact_mobile, filing.contact_phone) if p),
        ]
    return [
        unit.name,
        parent,
        unit.credit_code or "",
        *cells,
        STATUS_LABELS[row.status],
    ]
