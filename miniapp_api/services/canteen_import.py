"""Canteen purchases from the platform's trading site, imported as `canteen` entries
(API.md "Canteen purchase import columns"; DOMAIN.md rules 4, 5 and 6).

Canteens buy on the trading site, not in the mini-program, so a platform admin imports its
completed orders. Every row is checked and gets each of its problems in Chinese; nothing is
booked unless every row is fine. The order number is the entry's reference: a row whose order
number is booked already, with the same unit, amount, completion time and refunded order, is
`skipped`, so importing the same file twice counts nothing twice; one that differs in any of
them is an error naming what changed. A negative amount refunds an earlier order named in
`reverses_order_no` (booked before or earlier in the file, same unit) and counts in that
order's unit and year; whether it may (rule 4) is the ledger's to say
(services/reversals.py `reversal_refusals`), checked with the refunded orders locked.

Rule 8: a row names its unit as it was when the order completed. A unit merged before that
counts the row to its successor (the row stays `ok`, with a note saying so); a row of a unit
revoked before that is refused; rows completed before either count to the unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from miniapp_api.services.chunks import rows_where_in
from miniapp_api.services.ledger import (
    CHINA,
    MAX_REFERENCE_LENGTH,
    EntryDuplicate,
    NewEntry,
    book_entries,
    counting_year,
)
from miniapp_api.services.reversals import ReversalRefused, reversal_refusals
from miniapp_api.services.sheets import (
    SKIPPED,
    UPLOAD_LIMITS,
    ImportRejected,
    ImportReport,
    RowResult,
    SheetImport,
    SheetLimits,
    SheetRow,
    run_import,
    shown,
)
from miniapp_api.services.units import unit_counting_at, units_where_in
from models.calendar import FIRST_YEAR
from models.credit_code import normalise
from models.ledger import CANTEEN, Entry
from models.money import MoneyFormatError, fen_to_yuan, yuan_to_fen
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
    occurred_at: datetime
    reverses: str | None
    entry_id: int | None = None  # booked before this import
    index: int | None = None  # position in this import's bookings


def import_canteen_entries(
    session: Session, filename: str, stream: IO[bytes], *, limits: SheetLimits = UPLOAD_LIMITS
) -> ImportReport:
    """Check every row, then book all of them, or raise ImportRejected having booked none."""
    return run_import(session, CANTEEN_SHEET, filename, stream, limits)


def _check_rows(
    session: Session, rows: list[SheetRow], report: ImportReport
) -> tuple[list[NewEntry], list[RowResult]]:
    units = _units_by_credit_code(session, rows)
    counted = _booked_orders(session, rows)
    bookings: list[NewEntry] = []
    booked_rows: list[RowResult] = []
    now = datetime.now(UTC)
    for row in rows:
        result = RowResult(row.number)
        report.rows.append(result)
        entry = _check_row(session, row, result, units, counted, now)
        if entry is not None:
            counted[entry.reference] = _Counted(
                unit_id=entry.unit.id,
                amount=entry.amount,
                year=entry.year,
                occurred_at=entry.occurred_at,
                reverses=row.values.get("reverses_order_no", "").strip() or None,
                index=len(bookings),
            )
            bookings.append(entry)
            booked_rows.append(result)
        elif result.status == SKIPPED:
            report.skipped += 1
    # rule 4 is the ledger's: every refund row it would refuse, with the refunded orders locked
    for index, refusal in reversal_refusals(session, bookings).items():
        booked_rows[index].fail(_refusal_message(refusal))
    return bookings, booked_rows


def _book(
    session: Session, plan: tuple[list[NewEntry], list[RowResult]], report: ImportReport
) -> None:
    bookings, booked_rows = plan
    try:
        book_entries(session, bookings)
    except ReversalRefused as refusal:  # cannot happen after the check above; never a 500
        booked_rows[refusal.index or 0].fail(_refusal_message(refusal))
        raise ImportRejected(report) from None
    except EntryDuplicate as duplicate:  # another import booked the same order meanwhile
        reference = duplicate.existing.reference
        for entry, result in zip(bookings, booked_rows, strict=True):
            if entry.reference == reference:
                result.fail(f"订单编号 {shown(reference)} 刚被另一次导入计入，请重新导入本文件")
        raise ImportRejected(report) from None
    report.created = len(bookings)


def _refusal_message(refusal: ReversalRefused) -> str:
    """The ledger's refusal of a refund row (rule 4), in the report's words."""
    if refusal.code == "reversal_mismatch":
        return "冲销订单属于另一个单位"
    if refusal.code == "entry_not_found":
        return "冲销订单不存在"
    if refusal.code == "entry_not_reversible":
        return "冲销订单编号指向的是冲销记录，不能再冲销"
    remaining = refusal.details.get("remaining")
    left = f"（尚余{fen_to_yuan(remaining)}元）" if remaining is not None else ""
    return f"冲销金额超过原订单尚未冲销的金额{left}"


def _check_row(
    session: Session,
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

    # rule 8: the unit as it was when the order completed
    counts_to, why = unit_counting_at(session, unit, moment)
    original = counted.get(reverses) if reverses and amount < 0 else None
    if original is not None and original.unit_id in _merge_chain(unit):
        # a refund counts where its order counted (rule 4), whatever became of the unit since:
        # the order counted to the named unit or to a unit it was merged into, then or later
        counts_to, why = session.get(Unit, original.unit_id), None
    if counts_to is None:
        result.fail(f"{why}，完成时间晚于撤销时间的订单不能计入")
        return None

    earlier = counted.get(order_no)
    if earlier is not None:
        if earlier.index is not None:
            result.fail(f"订单编号 {order_no} 在文件中重复")
            return None
        changed = _changes(earlier, counts_to, amount, moment, reverses)
        if changed:
            result.fail(f"订单编号 {order_no} 已导入，本行的{'、'.join(changed)}与已导入的不同")
        else:
            result.status = SKIPPED
        return None

    year = counting_year(moment)
    reverses_id = reverses_index = None
    if amount > 0 and reverses:
        result.fail("正数金额不能填写冲销订单编号")
    elif amount < 0:
        if not reverses:
            result.fail("负数金额须填写冲销订单编号")
        elif original is None:
            result.fail(f"冲销订单编号 {shown(reverses)} 不是已导入的订单")
        else:
            year = original.year  # rule 4: the year of what it refunds
            reverses_id, reverses_index = original.entry_id, original.index
    if result.errors:
        return None
    if why:
        result.notes.append(why)
    return NewEntry(
        unit=counts_to,
        year=year,
        source=CANTEEN,
        amount=amount,
        occurred_at=moment,
        reference=order_no,
        reverses_id=reverses_id,
        reverses_index=reverses_index,
    )


def _merge_chain(unit: Unit) -> set[int]:
    """The unit and every unit it was merged into, followed to the end (rule 8)."""
    chain, current = set(), unit
    while current is not None and current.id not in chain:
        chain.add(current.id)
        current = current.successor
    return chain


def _changes(
    earlier: _Counted, unit: Unit, amount: int, moment: datetime, reverses: str
) -> list[str]:
    """What a re-imported order number changes, in the report's words (never `skipped`)."""
    changed = []
    if earlier.unit_id != unit.id:
        changed.append("单位")
    if earlier.amount != amount:
        changed.append(f"金额（已导入{fen_to_yuan(earlier.amount)}元）")
    if earlier.occurred_at != moment:
        when = earlier.occurred_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M:%S")
        changed.append(f"完成时间（已导入{when}）")
    if (earlier.reverses or "") != reverses:
        changed.append("冲销订单编号")
    return changed


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
    original = aliased(Entry)
    query = (
        select(Entry, original.reference)
        .outerjoin(original, original.id == Entry.reverses_id)
        .where(Entry.source == CANTEEN)
    )
    for entry, reverses in rows_where_in(session, query, Entry.reference, numbers):
        booked[entry.reference] = _Counted(
            unit_id=entry.unit_id,
            amount=entry.amount,
            year=entry.year,
            occurred_at=entry.occurred_at,
            reverses=reverses,
            entry_id=entry.id,
        )
    return booked


CANTEEN_SHEET = SheetImport(COLUMNS, REQUIRED, _check_rows, _book)
