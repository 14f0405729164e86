"""Placing orders and finding them (DOMAIN.md rules 2, 3, 8; API.md "Orders and suppliers").

Placing is one transaction: the order with copies of its prices, address and unit, the stock
it holds (a conditional UPDATE per SKU, so two buyers of the last unit cannot both get it) and
the vouchers it spends. WeChat is called only after that transaction is committed
(services/payments.py).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import Insert, Row, Select, bindparam, insert, select
from sqlalchemy.orm import (
    Session,
    joinedload,
    make_transient_to_detached,
    selectinload,
)

from miniapp_api.errors import Conflict, DomainError, Forbidden, InvalidRequest
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.services import payments
from miniapp_api.services.addresses import own_address
from miniapp_api.services.audit import record_admin_action
from miniapp_api.services.catalog import take_stock
from miniapp_api.services.dialect import dialect_insert_for
from miniapp_api.services.order_states import (
    OrderNotFound,
    lock_order,
    mark_paid,
    reject_refund,
    ship,
)
from miniapp_api.services.units import unit_bound_at, unit_counting_at
from miniapp_api.services.voucher_spending import hold_vouchers
from models.admin import PLATFORM_ADMIN, SUPPLIER, Admin
from models.calendar import CHINA
from models.catalog import Product, Sku
from models.order import (
    MAX_CASH_AMOUNT,
    PENDING_PAYMENT,
    UNIT_BOUND,
    UNIT_NONE,
    UNIT_REVOKED,
    UNIT_SUCCESSOR,
    Order,
    OrderItem,
)
from models.unit import Unit
from wx_client.pay import PaymentGateway

_ORDER_NO_ATTEMPTS = 5


class OutOfStock(Conflict):
    code = "out_of_stock"
    message = "商品库存不足"


class MixedSuppliers(DomainError):
    status = 422
    code = "mixed_suppliers"
    message = "一个订单只能包含同一供应商的商品，请分开下单"


class AmountTooLarge(DomainError):
    status = 422
    code = "amount_too_large"
    message = "订单金额超过微信支付单笔上限"


@dataclass(frozen=True)
class LineRequest:
    sku_id: int
    quantity: int


def new_order_no(now: datetime) -> str:
    """XD + the China date + 8 random digits, e.g. XD2026112330011271."""
    return f"XD{now.astimezone(CHINA):%Y%m%d}{secrets.randbelow(10**8):08d}"


def counting_unit(session: Session, employee_id: int, now: datetime) -> tuple[Unit | None, str]:
    """Rules 2 and 8: the unit an order placed now counts to, and why: the unit bound now, or,
    when that unit was merged before now, the active end of its merges; none when it (or the
    end of its merges) was revoked, or when the employee is bound to no unit."""
    unit = unit_bound_at(session, employee_id, now)
    if unit is None:
        return None, UNIT_NONE
    counted, _ = unit_counting_at(session, unit, now)
    if counted is None:
        return None, UNIT_REVOKED
    return counted, UNIT_BOUND if counted.id == unit.id else UNIT_SUCCESSOR


def place_order(
    session: Session,
    *,
    employee_id: int,
    lines: list[LineRequest],
    address_id: int,
    voucher_ids: list[int],
    now: datetime,
    payment_timeout: timedelta,
) -> Order:
    """Place an order of one supplier's SKUs (rules 2, 3, 8): prices, address and unit
    copied, stock held, vouchers applied. An order whose vouchers cover it all is paid now."""
    if len({line.sku_id for line in lines}) != len(lines):
        raise InvalidRequest(details={"items": ["同一规格请合并为一行"]})
    address = own_address(session, employee_id, address_id)
    skus = _skus_on_shelf(session, [line.sku_id for line in lines])
    if len({sku.supplier_id for sku in skus.values()}) > 1:
        raise MixedSuppliers(details={"sku_ids": sorted(skus)})
    total = sum(skus[line.sku_id].price * line.quantity for line in lines)
    if total > MAX_CASH_AMOUNT and not voucher_ids:
        raise AmountTooLarge(details={"cash_amount": total, "max": MAX_CASH_AMOUNT})
    unit, reason = counting_unit(session, employee_id, now)
    order = Order(
        employee_id=employee_id,
        supplier_id=next(iter(skus.values())).supplier_id,
        unit_id=unit.id if unit else None,
        unit=unit,
        unit_reason=reason,
        status=PENDING_PAYMENT,
        total_amount=total,
        voucher_amount=0,
        cash_amount=total,
        address=address.as_copy(),
        placed_at=now,
        pay_expires_at=now + payment_timeout,
        items=[
            OrderItem(
                sku_id=line.sku_id,
                product_id=skus[line.sku_id].product_id,
                title=skus[line.sku_id].title,
                spec=skus[line.sku_id].spec,
                price=skus[line.sku_id].price,
                quantity=line.quantity,
            )
            for line in lines
        ],
    )
    _insert_with_fresh_number(session, order, now)
    # in SKU order, so that two orders of the same SKUs never wait for each other in a circle
    for line in sorted(lines, key=lambda line: line.sku_id):
        if not take_stock(session, line.sku_id, line.quantity):
            raise OutOfStock(details={"sku_id": line.sku_id, "spec": skus[line.sku_id].spec})
    if voucher_ids:
        applied = hold_vouchers(
            session,
            employee_id=employee_id,
            voucher_ids=voucher_ids,
            due=total,
            order_id=order.id,
            now=now,
        )
        order.voucher_amount = applied
        order.cash_amount = total - applied
        if order.cash_amount > MAX_CASH_AMOUNT:
            raise AmountTooLarge(details={"cash_amount": order.cash_amount, "max": MAX_CASH_AMOUNT})
    if order.cash_amount == 0:
        mark_paid(order, transaction_id=None, paid_at=now)
    session.flush()
    return order


def detach_placed(session: Session, order: Order) -> None:
    """Take a just-placed order (its items and unit loaded) out of the session, so that what
    it shows survives the commit that comes before WeChat is called."""
    session.flush()
    for item in order.items:
        session.expunge(item)
    if order.unit is not None:
        session.expunge(order.unit)
    session.expunge(order)


def _skus_on_shelf(session: Session, sku_ids: list[int]) -> dict[int, Row]:
    """What an order copies of each SKU on shelf (id, product_id, spec, price, and the
    product's title and supplier_id), by id; 422 `sku_unavailable` naming the others."""
    skus = {sku.id: sku for sku in session.execute(_skus_on_shelf_statement(), {"ids": sku_ids})}
    missing = [sku_id for sku_id in sku_ids if sku_id not in skus]
    if missing:
        raise InvalidRequest("sku_unavailable", "商品不存在或已下架", details={"sku_ids": missing})
    return skus


def _insert_with_fresh_number(session: Session, order: Order, now: datetime) -> None:
    """Insert the order under a fresh order number, and its items, without the unit of work:
    the order by `INSERT ... ON CONFLICT (order_no) DO NOTHING RETURNING id` (a number already
    taken inserts nothing and the next one is tried, so no SAVEPOINT is needed), the items in
    one statement. The order and its items then join the session as rows just loaded, so that
    what changes on them later in the transaction (vouchers, a voucher-only payment) is
    flushed as an UPDATE."""
    order.updated_at = now
    row = {
        column.key: getattr(order, column.key)
        for column in Order.__table__.columns
        if column.key not in ("id", "order_no")
    }
    for key, value in row.items():  # every column set: the loaded row has nothing to fetch
        setattr(order, key, value)
    statement = _order_insert(session.get_bind().dialect.name)
    for _ in range(_ORDER_NO_ATTEMPTS):
        order_no = new_order_no(now)
        order_id = session.scalar(statement, row | {"order_no": order_no})
        if order_id is not None:
            break
    else:
        raise RuntimeError("no free order number after several attempts")
    order.id, order.order_no = order_id, order_no
    rows = [
        {column.key: getattr(item, column.key) for column in _ITEM_COLUMNS} | {"order_id": order_id}
        for item in order.items
    ]
    item_ids = session.scalars(_items_insert(), rows).all()
    for item, item_id in zip(order.items, item_ids, strict=True):
        item.id, item.order_id = item_id, order_id
        make_transient_to_detached(item)
    make_transient_to_detached(order)
    session.add(order)


# Built once each (every order runs them): building a statement costs more CPU than running it.
@cache
def _skus_on_shelf_statement() -> Select:
    return (
        select(Sku.id, Sku.product_id, Sku.spec, Sku.price, Product.title, Product.supplier_id)
        .join(Product)
        .where(Sku.id.in_(bindparam("ids", expanding=True)), Product.on_shelf.is_(True))
    )


@cache
def _order_insert(dialect: str) -> Insert:
    orders = Order.__table__
    return (
        dialect_insert_for(dialect)(orders)
        .on_conflict_do_nothing(index_elements=["order_no"])
        .returning(orders.c.id)
    )


@cache
def _items_insert() -> Insert:
    items = OrderItem.__table__
    return insert(items).returning(items.c.id, sort_by_parameter_order=True)


_ITEM_COLUMNS = [column for column in OrderItem.__table__.columns if column.key != "id"]


def own_order(session: Session, employee_id: int, order_no: str) -> Order:
    """The employee's own order; anyone else's is simply not found."""
    order = session.scalars(
        select(Order)
        .where(Order.order_no == order_no)
        .options(selectinload(Order.items), joinedload(Order.unit))
    ).one_or_none()
    if order is None or order.employee_id != employee_id:
        raise OrderNotFound(details={"order_no": order_no})
    return order


def list_own_orders(
    session: Session, employee_id: int, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Order], str | None]:
    """The employee's orders, newest first."""
    statement = select(Order).where(Order.employee_id == employee_id)
    return _page(session, statement, status=status, limit=limit, cursor=cursor)


def supplier_order(session: Session, admin: Admin, order_no: str) -> Order:
    """An order the admin may act on: a supplier its own orders, the platform any."""
    order = session.scalars(select(Order).where(Order.order_no == order_no)).one_or_none()
    if order is None or not _admin_reaches(admin, order):
        raise OrderNotFound(details={"order_no": order_no})
    return order


def list_supplier_orders(
    session: Session, admin: Admin, *, status: str | None, limit: int, cursor: str | None
) -> tuple[list[Order], str | None]:
    """A supplier's own orders, or every order for the platform, newest first."""
    statement = select(Order)
    if admin.role == SUPPLIER:
        statement = statement.where(Order.supplier_id == admin.supplier_id)
    elif admin.role != PLATFORM_ADMIN:
        raise Forbidden()
    return _page(session, statement, status=status, limit=limit, cursor=cursor)


def _admin_reaches(admin: Admin, order: Order) -> bool:
    if admin.role == PLATFORM_ADMIN:
        return True
    return admin.role == SUPPLIER and admin.supplier_id == order.supplier_id


def _page(session: Session, statement, *, status, limit, cursor):
    if status:
        statement = statement.where(Order.status == status)
    if cursor:
        (before_id,) = decode_cursor(cursor, (ID,))
        statement = statement.where(Order.id < before_id)
    rows = list(
        session.scalars(
            statement.order_by(Order.id.desc())
            .limit(limit + 1)
            .options(selectinload(Order.items), selectinload(Order.unit))
        )
    )
    return page_of(rows, limit, lambda order: [order.id])


def ship_order(
    session: Session, admin: Admin, order_no: str, *, carrier: str, tracking_no: str, now: datetime
) -> Order:
    """A supplier (its own orders) or the platform ships a paid order with carrier and tracking
    number (paid → shipped), recorded in the audit log as `order.ship`; another supplier's
    order is 404, an order not paid 409 `invalid_state`. The one way in for the API and the
    console."""
    supplier_order(session, admin, order_no)
    order = lock_order(session, order_no)
    ship(order, carrier=carrier, tracking_no=tracking_no, now=now)
    _audit(session, admin, order, "order.ship", {"carrier": carrier, "tracking_no": tracking_no})
    return order


def approve_refund_request(
    session: Session, gateway: PaymentGateway, admin: Admin, order_no: str, *, now: datetime
) -> Order:
    """A supplier (its own orders) or the platform approves an after-sales refund request
    (refund_requested → refunding, or refunded at once when nothing was paid in cash; rule 4:
    the reversal counts when WeChat confirms), recorded as `order.refund_approve` and committed
    before WeChat is asked for the refund; another supplier's order is 404, an order with no
    request 409 `invalid_state`. Answers the order as it stands after WeChat was asked (still
    `refunding` with no `refund_submitted_at` when WeChat did not accept it: the refunds job
    tries again). The one way in for the API and the console."""
    supplier_order(session, admin, order_no)
    order = lock_order(session, order_no)
    _audit(session, admin, order, "order.refund_approve", {})
    payments.approve_refund(session, gateway, order, now=now)
    return supplier_order(session, admin, order_no)


def reject_refund_request(session: Session, admin: Admin, order_no: str, *, reason: str) -> Order:
    """A supplier (its own orders) or the platform rejects an after-sales refund request with a
    reason (refund_requested → completed; nothing is reversed), recorded as
    `order.refund_reject`; another supplier's order is 404, an order with no request 409
    `invalid_state`. The one way in for the API and the console."""
    supplier_order(session, admin, order_no)
    order = lock_order(session, order_no)
    reject_refund(order, reason=reason)
    _audit(session, admin, order, "order.refund_reject", {"reason": reason})
    return order


def _audit(session: Session, admin: Admin, order: Order, action: str, details: dict) -> None:
    record_admin_action(
        session,
        admin,
        action,
        target_type="order",
        target_id=order.id,
        target_name=order.order_no,
        details=details,
    )
