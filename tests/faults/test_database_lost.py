"""The database lost under a request: the backend killed mid-transaction (PostgreSQL), and a
payment notification arriving while the database cannot be reached at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from miniapp_api import create_app
from miniapp_api.services.totals import verify_totals
from models import Order, Voucher, db
from models.catalog import Sku
from tests.conftest import app_config
from tests.factories import make_batch, make_unit, redeemed_voucher
from tests.faults.hooks import at_statement, kill_backend, postgresql_only
from tests.order_factories import (
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    pay_through_fake,
    placed,
)

# nothing listens on port 1: connecting is refused at once, as with a database that is down
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/down"


def test_a_backend_killed_mid_order_is_503_writes_nothing_and_the_next_order_works(client):
    """Killed after the order row and its stock were written, while its voucher is being
    spent: all of it is gone, the voucher keeps its balance, and the next order goes through."""
    postgresql_only()
    unit = make_unit()
    buyer = make_buyer(unit)
    voucher_id = redeemed_voucher(buyer.employee, make_batch(unit, face_value=5_00)).id
    sku = make_sku(stock=5)
    body = {
        "items": [{"sku_id": sku.id, "quantity": 2}],
        "address_id": buyer.address_id,
        "voucher_ids": [voucher_id],
    }
    with at_statement(db.engine, "INSERT INTO voucher_spends", kill_backend(db.engine)) as fired:
        lost = client.post("/api/v1/orders", json=body, headers=buyer.headers)
    assert fired and lost.status_code == 503
    assert lost.get_json()["error"]["code"] == "service_unavailable"
    db.session.rollback()
    assert db.session.scalars(select(Order)).all() == []
    assert db.session.get(Sku, sku.id).stock == 5
    assert db.session.get(Voucher, voucher_id).balance == 5_00

    again = client.post("/api/v1/orders", json=body, headers=buyer.headers)
    assert again.status_code == 201, again.get_json()  # the pool dropped the dead connection
    db.session.rollback()
    assert db.session.get(Sku, sku.id).stock == 3
    assert db.session.get(Voucher, voucher_id).balance == 0
    assert verify_totals(db.session) == []


@pytest.fixture
def database_down(fake_wechat, database_url) -> Iterator:
    """The same service, as a worker whose database cannot be reached."""
    down = create_app(app_config(fake_wechat, DEAD_DATABASE))
    yield down.test_client()
    with down.app_context():
        db.engine.dispose()
    create_app(app_config(fake_wechat, database_url))  # the other tests' limiter binding


def test_a_notification_while_the_database_is_down_is_fail_and_counted_once_later(
    client, fake, database_down, caplog
):
    buyer = make_buyer(make_unit())
    order = placed(client, buyer, make_sku().id)["order"]
    no = order["order_no"]
    body = notification(no, 12_50, transaction_id=pay_through_fake(fake.state, no))

    assert notify(database_down, body) == "FAIL"
    assert order_row(no).status == "pending_payment"
    assert notify(client, body) == "SUCCESS"  # WeChat sends it again
    assert notify(client, body) == "SUCCESS"  # and again: a duplicate
    paid = order_row(no)
    assert paid.status == "paid" and paid.paid_at is not None
    payments = [r for r in caplog.records if r.getMessage() == f"order {no} paid"]
    assert len(payments) == 1
