"""Canteen purchases from the platform's trading site, imported as `canteen` entries
(API.md "Canteen purchase import columns"; DOMAIN.md rules 4, 5 and 6).

Canteens buy on the trading site, not in the mini-program, so a platform admin imports its
completed orders. Every row is checked and gets each of its problems in Chinese; nothing is
booked unless every row is fine. The order number is the entry's reference: a row whose order
number is booked already, with the same unit and amount, is `skipped`, so importing the same
file twice counts nothing twice. A negative amount refunds an earlier order named in
`reverses_order_no` (booked before or earlier in the file, same unit) and counts in that
order's year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from miniapp_api.services.chunks import rows_where_in
from miniapp_api.services.ledger import (
    CHINA,
    MAX_REFERENCE_LENGTH,
    NewEntry,
    book_entries,
    counting_year,
)
from miniapp_api.services.sheets import (
    SKIPPED,
    UPLOAD_LIMITS,
    ImportReport,
    RowResult,
    SheetImport,
    SheetLimits,
    SheetRow,
    run_import,
    shown,
)
from miniapp_api.services.units import units_where_in
from models.calendar import FIRST_YEAR
from models.credit_code import normalise
from models.ledger import CANTEEN, Entry
from models.money import MoneyFormatError, yuan_to_fen
from models.unit import Unit

COLUMNS = {
    "credit_code": "credit_code",
    "预算单位统一信用代码": "credit_code",
    "order_no": "order_no",
    "订单编号": "order_no",
    "amount": "amount",
    "订单金额": "amount",
    "completed_at": "completed_at",
    "完成时间": "completed_at",
    "reverses_order_no": "reverses_order_no",
    "冲销订单编号": "reverses_order_no",
}
REQUIRED = ("credit_code", "order_no", "amount", "completed_at")


@dataclass
class _Counted:
    """An order as far as this import knows it: booked before, or earlier in the file."""

    unit_id: int
    amount: int
    year: int
    reverses: str | None
    remaining: int  # what reversals may still take back
    entry_id: int | None = None  # booked before this import
    index: int | None = None  # position in this import's bookings


def import_canteen_entries(
    session: Session, filename: str, stream: IO[bytes], *, limits: SheetLimits = UPLOAD_LIMITS
) -> ImportReport:
    """Check every row, then book all of them, or raise ImportRejected having booked none."""
    return run_import(session, CANTEEN_SHEET, filename, stream, limits)


def _check_rows(session: Session, rows: list[SheetRow], report: ImportReport) -> list[NewEntry]:
    units = _units_by_credit_code(session, rows)
    counted = _booked_orders(session, rows)
    bookings: list[NewEntry] = []
    now = datetime.now(UTC)
    for row in rows:
        result = RowResult(row.number)
        report.rows.append(result)
        entry = _check_row(row, result, units, counted, now)
        if entry is not None:
            counted[entry.reference] = _Counted(
                unit_id=entry.unit.id,
                amount=entry.amount,
                year=entry.year,
                reverses=row.values.get("reverses_order_no") or None,
                remaining=max(entry.amount, 0),
                index=len(bookings),
            )
            bookings.append(entry)
        elif result.status == SKIPPED:
            report.skipped += 1
    return bookings


def _book(session: Session, bookings: list[NewEntry], report: ImportReport) -> None:
    book_entries(session, bookings)
    report.created = len(bookings)


def _check_row(
    row: SheetRow,
    result: RowResult,
    units: dict[str, Unit],
    counted: dict[str, _Counted],
    now: datetime,
) -> NewEntry | None:
    """The entry this row books, or None when it is skipped or has problems (on `result`)."""
    values = row.values
    code = normalise(values.get("credit_code", ""))
    order_no = values.get("order_no", "").strip()
    reverses = values.get("reverses_order_no", "").strip()
    unit = units.get(code)
    if not code:
        result.fail("预算单位统一信用代码不能为空")
    elif unit is None:
        result.fail(f"找不到统一信用代码为 {shown(code)} 的单位")
    if not order_no:
        result.fail("订单编号不能为空")
    elif len(order_no) > MAX_REFERENCE_LENGTH:
        result.fail(f"订单编号最多{MAX_REFERENCE_LENGTH}个字符")
    amount = _amount(values.get("amount", ""), result)
    moment = _moment(values.get("completed_at", ""), result, now)
    if result.errors or unit is None or amount is None or moment is None:
        return None

    earlier = counted.get(order_no)
    if earlier is not None:
        if earlier.index is not None:
            result.fail(f"订单编号 {order_no} 在文件中重复")
        elif (earlier.unit_id, earlier.amount) == (unit.id, amount) and (
            earlier.reverses == (reverses or None)
        ):
            result.status = SKIPPED
        else:
            result.fail(f"订单编号 {order_no} 已导入，但单位或金额与本行不同")
        return None

    year = counting_year(moment)
    reverses_id = reverses_index = None
    if amount > 0 and reverses:
        result.fail("正数金额不能填写冲销订单编号")
    elif amount < 0:
        original = counted.get(reverses) if reverses else None
        if not reverses:
            result.fail("负数金额须填写冲销订单编号")
        elif original is None or original.amount <= 0:
            result.fail(f"冲销订单编号 {shown(reverses)} 不是已导入的订单")
        elif original.unit_id != unit.id:
            result.fail(f"冲销订单 {reverses} 属于另一个单位")
        elif -amount > original.remaining:
            result.fail(f"冲销金额超过订单 {reverses} 尚未冲销的金额")
        else:
            original.remaining += amount
            year = original.year  # rule 4: the year of what it refunds
            reverses_id, reverses_index = original.entry_id, original.index
    if result.errors:
        return None
    return NewEntry(
        unit=unit,
        year=year,
        source=CANTEEN,
        amount=amount,
        occurred_at=moment,
        reference=order_no,
        reverses_id=reverses_id,
        reverses_index=reverses_index,
    )


def _amount(text: str, result: RowResult) -> int | None:
    if not text.strip():
        result.fail("订单金额不能为空")
        return None
    try:
        amount = yuan_to_fen(text, allow_negative=True)
    except MoneyFormatError as error:
        result.fail(f"订单金额：{error}")
        return None
    if amount == 0:
        result.fail("订单金额不能为0")
        return None
    return amount


def _moment(text: str, result: RowResult, now: datetime) -> datetime | None:
    """ISO-8601 with an offset, or a time without one, read as China time (API.md)."""
    text = text.strip()
    try:
        if len(text) < 16:  # a date alone does not say when in the day it completed
            raise ValueError(text)
        moment = datetime.fromisoformat(text)
    except ValueError:
        result.fail("完成时间格式应为 YYYY-MM-DD HH:MM:SS 或带时区的 ISO-8601")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=CHINA)
    if moment > now:
        result.fail("完成时间不能晚于当前时间")
    elif counting_year(moment) < FIRST_YEAR:
        result.fail(f"完成时间不能早于{FIRST_YEAR}年")
    else:
        return moment
    return None


def _units_by_credit_code(session: Session, rows: list[SheetRow]) -> dict[str, Unit]:
    codes = {normalise(row.values.get("credit_code", "")) for row in rows}
    return {unit.credit_code: unit for unit in units_where_in(session, Unit.credit_code, codes)}  # type: ignore[misc]


def _booked_orders(session: Session, rows: list[SheetRow]) -> dict[str, _Counted]:
    """Canteen orders of this file (as rows or as refunded orders) that are booked already."""
    numbers = set()
    for row in rows:
        numbers.add(row.values.get("order_no", "").strip())
        numbers.add(row.values.get("reverses_order_no", "").strip())
    booked: dict[str, _Counted] = {}
    reversal = aliased(Entry)
    reversed_so_far = (
        select(func.coalesce(func.sum(reversal.amount), 0))
        .where(reversal.reverses_id == Entry.id)
        .scalar_subquery()
    )
    original = aliased(Entry)
    query = (
        select(Entry, reversed_so_far, original.reference)
        .outerjoin(original, original.id == Entry.reverses_id)
        .where(Entry.source == CANTEEN)
    )
    for entry, reversed_amount, reverses in rows_where_in(session, query, Entry.reference, numbers):
        booked[entry.reference] = _Counted(
            unit_id=entry.unit_id,
            amount=entry.amount,
            year=entry.year,
            reverses=reverses,
            remaining=max(entry.amount + int(reversed_amount or 0), 0),
            entry_id=entry.id,
        )
    return booked


CANTEEN_SHEET = SheetImport(COLUMNS, REQUIRED, _check_rows, _book)
