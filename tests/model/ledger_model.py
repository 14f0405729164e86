"""A plain Python model of what the ledger must show (DOMAIN.md rules 1-8), with no database.

The stateful test (test_ledger_model.py) does every action through the service and here, then
compares the service's totals with `own` and `subtree` below. The model knows only the rules:
- an order counts when it completes (rule 1), its cash part only (rule 3), as `personal`, to
  the unit bound when it was placed, or that unit's successor when it had been merged (rules
  2 and 8), in the China year of completion (rule 5);
- a voucher batch counts once, as `union`, to the union's unit, in the China year of paid_at;
- an after-sales refund reverses the order's entry in the same unit and year (rule 4);
- a canteen row counts to the unit it names as it was at its completion time (rule 8), a
  refund row to the unit and year of the row it refunds;
- subtree = the unit and every unit below it as the tree is now (rule 7; a move carries the
  whole subtree's figures to the new ancestors).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from models.calendar import counting_year

SOURCES = ("canteen", "union", "personal")


@dataclass
class Unit:
    id: int
    name: str
    credit_code: str
    parent_id: int | None
    merged_into: int | None = None
    merged_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.merged_into is None


@dataclass
class Order:
    order_no: str
    employee_id: int
    unit_id: int | None  # the unit it counts to, settled when placed
    cash: int
    spends: dict[int, int]  # voucher id -> fen taken
    status: str
    pay_expires_at: datetime
    transaction_id: str | None = None
    shipped_at: datetime | None = None
    entry: tuple[int, int, int] | None = None  # (unit, year, amount) booked on completion
    refund_after_sales: bool = False


@dataclass
class CanteenRow:
    order_no: str
    credit_code: str
    amount: int
    moment: str  # as written in the file
    reverses: str | None
    unit_id: int
    year: int
    reversed_so_far: int = 0


@dataclass
class Model:
    units: dict[int, Unit]
    entries: list[tuple[int, int, str, int]] = field(default_factory=list)
    bindings: dict[int, int | None] = field(default_factory=dict)  # employee -> unit
    orders: dict[str, Order] = field(default_factory=dict)
    vouchers: dict[int, tuple[int, int]] = field(default_factory=dict)  # id -> (owner, balance)
    batches: dict[int, tuple[int, bool]] = field(default_factory=dict)  # id -> (unit, paid)
    canteen: dict[str, CanteenRow] = field(default_factory=dict)

    # --- the tree (rules 7 and 8) ------------------------------------------------------------

    def below(self, unit_id: int) -> set[int]:
        """The unit and every unit under it."""
        found = {unit_id}
        changed = True
        while changed:
            more = {u.id for u in self.units.values() if u.parent_id in found} - found
            found |= more
            changed = bool(more)
        return found

    def successor_at(self, unit_id: int, moment: datetime) -> int:
        """Rule 8: where an amount named to the unit at `moment` counts."""
        unit = self.units[unit_id]
        while unit.merged_into is not None and unit.merged_at <= moment:  # type: ignore[operator]
            unit = self.units[unit.merged_into]
        return unit.id

    def merge_refusal(self, unit_id: int, into_id: int) -> str | None:
        """The error code the service answers a merge with, or None when it merges."""
        unit, into = self.units[unit_id], self.units[into_id]
        if not unit.active:
            return "unit_inactive"
        if any(u.parent_id == unit_id and u.active for u in self.units.values()):
            return "unit_has_children"
        if into_id == unit_id:
            return "invalid_request"
        if not into.active:
            return "unit_inactive"
        return None

    def merge(self, unit_id: int, into_id: int, at: datetime) -> None:
        self.units[unit_id].merged_into = into_id
        self.units[unit_id].merged_at = at

    def move_allowed(self, unit_id: int, parent_id: int | None) -> bool:
        if parent_id is None:
            return True
        return self.units[parent_id].active and parent_id not in self.below(unit_id)

    # --- figures -------------------------------------------------------------------------------

    def book(self, unit_id: int, moment_or_year: datetime | int, source: str, amount: int) -> int:
        year = moment_or_year
        if isinstance(moment_or_year, datetime):
            year = counting_year(moment_or_year)
        self.entries.append((unit_id, year, source, amount))  # type: ignore[arg-type]
        return year  # type: ignore[return-value]

    def years(self) -> set[int]:
        return {year for _, year, _, _ in self.entries}

    def figures(self, unit_ids: set[int], year: int) -> dict[str, int]:
        sums: dict[str, int] = defaultdict(int)
        for unit_id, entry_year, source, amount in self.entries:
            if unit_id in unit_ids and entry_year == year:
                sums[source] += amount
        return {source: sums[source] for source in SOURCES}

    def snapshot(self) -> dict[tuple[int, int, str], tuple[int, int]]:
        """Every non-zero (unit, year, source) -> (own, subtree), as the totals table holds."""
        figures: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0])
        for unit_id, year, source, amount in self.entries:
            figures[(unit_id, year, source)][0] += amount
            for upper in self.units:
                if unit_id in self.below(upper):
                    figures[(upper, year, source)][1] += amount
        return {key: (own, sub) for key, (own, sub) in figures.items() if own or sub}

    def own(self, unit_id: int, year: int) -> dict[str, int]:
        return self.figures({unit_id}, year)

    def subtree(self, unit_id: int, year: int) -> dict[str, int]:
        return self.figures(self.below(unit_id), year)

    # --- orders (rules 1-5) -----------------------------------------------------------------

    def counting_unit(self, employee_id: int, placed_at: datetime) -> int | None:
        bound = self.bindings.get(employee_id)
        return None if bound is None else self.successor_at(bound, placed_at)

    def hold(self, employee_id: int, voucher_ids: list[int], due: int) -> dict[int, int]:
        """Vouchers pay in the order given, up to what is due (rule 3: never counted)."""
        spends: dict[int, int] = {}
        for voucher_id in voucher_ids:
            owner, balance = self.vouchers[voucher_id]
            take = min(balance, due - sum(spends.values()))
            if take <= 0:
                break
            self.vouchers[voucher_id] = (owner, balance - take)
            spends[voucher_id] = take
        return spends

    def release(self, order: Order) -> None:
        for voucher_id, amount in order.spends.items():
            owner, balance = self.vouchers[voucher_id]
            self.vouchers[voucher_id] = (owner, balance + amount)
        order.spends = {}

    def complete(self, order: Order, at: datetime) -> None:
        order.status = "completed"
        if order.unit_id is not None and order.cash > 0:
            year = self.book(order.unit_id, at, "personal", order.cash)
            order.entry = (order.unit_id, year, order.cash)

    def begin_refund(self, order: Order, *, after_sales: bool) -> None:
        """Refunding; an order with nothing paid in cash is refunded at once."""
        order.status = "refunding"
        order.refund_after_sales = after_sales
        self.release(order)
        if order.transaction_id is None:
            self.finish_refund(order)

    def finish_refund(self, order: Order) -> None:
        order.status = "refunded"
        if order.refund_after_sales and order.entry is not None:
            unit_id, year, amount = order.entry
            self.book(unit_id, year, "personal", -amount)

    def run_jobs(self, now: datetime, auto_complete_days: int) -> None:
        """What `run_due_jobs` as of `now` must do: cancel unpaid orders past their time,
        complete orders shipped long enough ago, finish every refund WeChat accepted."""
        from datetime import timedelta

        for order in self.orders.values():
            if order.status == "pending_payment" and order.pay_expires_at <= now:
                order.status = "cancelled"
                self.release(order)
            elif order.status == "shipped" and order.shipped_at <= now - timedelta(  # type: ignore[operator]
                days=auto_complete_days
            ):
                self.complete(order, now)
            elif order.status == "refunding":
                self.finish_refund(order)

    # --- canteen rows (rules 4, 5, 8) -------------------------------------------------------

    def canteen_row(
        self, order_no: str, credit_code: str, amount: int, moment: datetime, text: str
    ) -> CanteenRow:
        unit_id = next(u.id for u in self.units.values() if u.credit_code == credit_code)
        return CanteenRow(
            order_no,
            credit_code,
            amount,
            text,
            None,
            self.successor_at(unit_id, moment),
            counting_year(moment),
        )

    def refund_row(self, order_no: str, original: CanteenRow, amount: int, text: str):
        """A refund row names the original's unit; it counts where the original counted."""
        return CanteenRow(
            order_no,
            original.credit_code,
            -amount,
            text,
            original.order_no,
            original.unit_id,
            original.year,
        )

    def book_canteen(self, row: CanteenRow) -> None:
        self.canteen[row.order_no] = row
        if row.reverses is not None:
            self.canteen[row.reverses].reversed_so_far += -row.amount
        self.book(row.unit_id, row.year, "canteen", row.amount)
