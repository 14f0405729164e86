"""The employee's address book (API.md, addresses): at most 20 entries, validated by the
schema; orders copy an entry, so editing the book later changes no order."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniapp_api.errors import DomainError, NotFound
from models.employee import Employee
from models.order import Address

MAX_ADDRESSES = 20


class TooManyAddresses(DomainError):
    status = 422
    code = "too_many_addresses"
    message = f"最多保存{MAX_ADDRESSES}个收货地址"


def list_addresses(session: Session, employee_id: int) -> list[Address]:
    return list(
        session.scalars(
            select(Address).where(Address.employee_id == employee_id).order_by(Address.id)
        )
    )


def own_address(session: Session, employee_id: int, address_id: int) -> Address:
    address = session.get(Address, address_id)
    if address is None or address.employee_id != employee_id:
        raise NotFound("address_not_found", "收货地址不存在", details={"id": address_id})
    return address


def add_address(session: Session, employee_id: int, fields: dict[str, Any]) -> Address:
    """Store a new address, unless the book holds 20 already (the employee's row is locked
    while counting, so two concurrent additions cannot both be the 20th)."""
    session.scalars(select(Employee.id).where(Employee.id == employee_id).with_for_update()).one()
    count = session.scalar(
        select(func.count()).select_from(Address).where(Address.employee_id == employee_id)
    )
    if count >= MAX_ADDRESSES:
        raise TooManyAddresses(details={"max": MAX_ADDRESSES})
    address = Address(employee_id=employee_id, **fields)
    session.add(address)
    session.flush()
    return address


def change_address(
    session: Session, employee_id: int, address_id: int, fields: dict[str, Any]
) -> Address:
    address = own_address(session, employee_id, address_id)
    for name, value in fields.items():
        setattr(address, name, value)
    session.flush()
    return address


def remove_address(session: Session, employee_id: int, address_id: int) -> None:
    session.delete(own_address(session, employee_id, address_id))
    session.flush()
