"""The service's side of the model test: each action as a client does it, over HTTP (the Flask
test client), with the accounts and catalogue it needs arranged first."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from types import SimpleNamespace

from flask.testing import FlaskClient
from sqlalchemy import select

from models import db
from models.admin import PLATFORM_ADMIN, UNION_ADMIN
from models.money import fen_to_yuan
from models.unit import Unit
from tests.factories import admin_headers, batch_codes, credit_code, make_admin, make_unit
from tests.model import ledger_model
from tests.order_factories import (
    NOTIFY,
    ORDERS,
    make_buyer,
    make_sku,
    notification,
    pay_through_fake,
)

ADMIN = "/api/v1/admin"
# name, index of the parent in this list: two trees, R (A (A1, A2), B (B1)) and S (S1)
TREE = [
    ("模型单位R", None),
    ("模型单位A", 0),
    ("模型单位B", 0),
    ("模型单位A1", 1),
    ("模型单位A2", 1),
    ("模型单位B1", 2),
    ("模型单位S", None),
    ("模型单位S1", 6),
]


class Actions:
    def __init__(self, client: FlaskClient, fake_state) -> None:
        self.client = client
        self.fake_state = fake_state
        self.platform = admin_headers(make_admin(PLATFORM_ADMIN))
        self.buyers: dict[int, object] = {}
        self.unit_ids: list[int] = []
        self.prices = [12_50, 99_99]
        skus = [make_sku(price=price, stock=1_000_000) for price in self.prices]
        self.sku_ids = [sku.id for sku in skus]

    # --- arranging ----------------------------------------------------------------------

    def make_tree(self) -> dict[int, ledger_model.Unit]:
        units: dict[int, ledger_model.Unit] = {}
        stored: list[Unit] = []
        for number, (name, parent) in enumerate(TREE):
            code = credit_code(900 + number)
            unit = make_unit(name, stored[parent] if parent is not None else None, credit_code=code)
            stored.append(unit)
            parent_id = stored[parent].id if parent is not None else None
            units[unit.id] = ledger_model.Unit(unit.id, name, code, parent_id)
        self.unit_ids = [unit.id for unit in stored]
        return units

    def make_buyers(self, count: int) -> list[int]:
        for _ in range(count):
            buyer = make_buyer()
            self.buyers[buyer.employee.id] = buyer
        return list(self.buyers)

    def make_unions(self, unit_ids: list[int]) -> list[dict[str, str]]:
        self.union_units = unit_ids
        units = [db.session.get(Unit, unit_id) for unit_id in unit_ids]
        return [admin_headers(make_admin(UNION_ADMIN, unit=unit)) for unit in units]

    # --- employees ----------------------------------------------------------------------

    def bind(self, employee: int, unit_id: int):
        headers = self.buyers[employee].headers  # type: ignore[attr-defined]
        return self.client.put("/api/v1/me/unit", json={"unit_id": unit_id}, headers=headers)

    def unbind(self, employee: int):
        return self.client.delete("/api/v1/me/unit", headers=self.buyers[employee].headers)  # type: ignore[attr-defined]

    def place(self, employee: int, sku: int, quantity: int, voucher_ids: list[int]):
        buyer = self.buyers[employee]
        body = {
            "items": [{"sku_id": self.sku_ids[sku], "quantity": quantity}],
            "address_id": buyer.address_id,  # type: ignore[attr-defined]
            "voucher_ids": voucher_ids,
        }
        return self.client.post(ORDERS, json=body, headers=buyer.headers)  # type: ignore[attr-defined]

    def _ok(self, response) -> dict:
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def _as_buyer(self, order: ledger_model.Order, action: str, body: dict | None = None) -> dict:
        headers = self.buyers[order.employee_id].headers  # type: ignore[attr-defined]
        return self._ok(
            self.client.post(f"{ORDERS}/{order.order_no}/{action}", json=body, headers=headers)
        )

    def order(self, order: ledger_model.Order) -> dict:
        headers = self.buyers[order.employee_id].headers  # type: ignore[attr-defined]
        return self._ok(self.client.get(f"{ORDERS}/{order.order_no}", headers=headers))

    def cancel(self, order: ledger_model.Order) -> dict:
        return self._as_buyer(order, "cancel")

    def confirm(self, order: ledger_model.Order) -> dict:
        return self._as_buyer(order, "confirm-receipt")

    def request_refund(self, order: ledger_model.Order) -> dict:
        return self._as_buyer(order, "refund", {"reason": "质量问题"})

    def redeem(self, employee: int, code: str) -> dict:
        headers = self.buyers[employee].headers  # type: ignore[attr-defined]
        return self._ok(
            self.client.post("/api/v1/vouchers/redeem", json={"code": code}, headers=headers)
        )

    # --- WeChat Pay ---------------------------------------------------------------------

    def pay(self, order_no: str, cash: int) -> str:
        """The buyer pays in WeChat (the fake) and WeChat notifies; the transaction id."""
        transaction_id = pay_through_fake(self.fake_state, order_no)
        self.notify(order_no, cash, transaction_id)
        return transaction_id

    def notify(self, order_no: str, cash: int, transaction_id: str) -> None:
        body = notification(order_no, cash, transaction_id=transaction_id)
        response = self.client.post(NOTIFY, data=body, content_type="application/xml")
        assert response.status_code == 200
        assert "SUCCESS" in response.get_data(as_text=True)

    # --- admins -------------------------------------------------------------------------

    def ship(self, order: ledger_model.Order) -> dict:
        body = {"carrier": "顺丰", "tracking_no": "SF0001"}
        url = f"{ADMIN}/orders/{order.order_no}/ship"
        return self._ok(self.client.post(url, json=body, headers=self.platform))

    def decide_refund(self, order: ledger_model.Order, approve: bool) -> dict:
        url = f"{ADMIN}/orders/{order.order_no}/refund/" + ("approve" if approve else "reject")
        body = None if approve else {"reason": "已签收无质量问题"}
        return self._ok(self.client.post(url, json=body, headers=self.platform))

    def create_batch(self, union: dict[str, str], face: int, quantity: int) -> int:
        response = self.order_batch(union, face, quantity)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def order_batch(self, union: dict[str, str], face: int, quantity: int):
        body = {
            "title": "模型提货券",
            "face_value": fen_to_yuan(face),
            "quantity": quantity,
            "valid_from": "2024-01-01T00:00:00+08:00",
            "valid_until": "2031-01-01T00:00:00+08:00",
        }
        return self.client.post(f"{ADMIN}/voucher-batches", json=body, headers=union)

    def mark_paid(self, batch_id: int, paid_at: str, amount: int):
        body = {"paid_at": paid_at, "reference": f"BANK{batch_id}", "amount": fen_to_yuan(amount)}
        url = f"{ADMIN}/voucher-batches/{batch_id}/mark-paid"
        return self.client.post(url, json=body, headers=self.platform)

    def codes(self, batch_id: int) -> list[str]:
        db.session.rollback()
        return batch_codes(SimpleNamespace(id=batch_id))

    def import_canteen(self, rows: list[ledger_model.CanteenRow]) -> dict:
        lines = [["credit_code", "order_no", "amount", "completed_at", "reverses_order_no"]]
        lines += [
            [r.credit_code, r.order_no, fen_to_yuan(r.amount), r.moment, r.reverses or ""]
            for r in rows
        ]
        response = self.client.post(
            f"{ADMIN}/entries/import",
            data={"file": (io.BytesIO(_csv(lines)), "canteen.csv")},
            headers=self.platform,
            content_type="multipart/form-data",
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def merge(self, unit_id: int, into_id: int):
        url = f"{ADMIN}/units/{unit_id}/merge"
        return self.client.post(url, json={"into_unit_id": into_id}, headers=self.platform)

    def merged_at(self, unit_id: int) -> datetime:
        db.session.rollback()
        return db.session.scalar(select(Unit.merged_at).where(Unit.id == unit_id))  # type: ignore[return-value]

    def move(self, unit: ledger_model.Unit, parent_code: str):
        """A units import that gives the unit another superior (or none)."""
        lines = [
            ["name", "credit_code", "budget_level", "parent_credit_code"],
            [unit.name, unit.credit_code, "county", parent_code],
        ]
        return self.client.post(
            f"{ADMIN}/units/import",
            data={"file": (io.BytesIO(_csv(lines)), "units.csv")},
            headers=self.platform,
            content_type="multipart/form-data",
        )

    def totals(self, unit_id: int, year: int) -> dict:
        return self._ok(
            self.client.get(f"{ADMIN}/units/{unit_id}/totals?year={year}", headers=self.platform)
        )


def _csv(lines: list[list[str]]) -> bytes:
    text = io.StringIO()
    csv.writer(text).writerows(lines)
    return text.getvalue().encode("utf-8-sig")
