"""The database lost under a request: the backend killed mid-transaction (PostgreSQL), and a
payment notification arriving while the database cannot be reached at all."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from miniapp_api import create_app
from models import Order, db
from models.catalog import Sku
from tests.conftest import app_config
from tests.factories import make_unit
from tests.faults.hooks import at_statement, kill_backend, postgresql_only
from tests.order_factories import (
    make_buyer,
    make_sku,
    notification,
    notify,
    order_row,
    pay_through_fake,
    place,
    placed,
)

# nothing listens on port 1: connecting is refused at once, as with a database that is down
DEAD_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:1/down"


def test_a_backend_killed_mid_order_is_503_writes_nothing_and_the_next_order_works(client):
    postgresql_only()
    buyer = make_buyer()
    sku = make_sku(stock=5)
    with at_statement(db.engine, "UPDATE skus", kill_backend(db.engine)) as fired:
        lost = place(client, buyer, sku.id, 2)
    assert fired and lost.status_code == 503
    assert lost.get_json()["error"]["code"] == "service_unavailable"
    db.session.rollback()
    assert db.session.scalars(select(Order)).all() == []
    assert db.session.get(Sku, sku.id).stock == 5
    placed(client, buyer, sku.id, 2)  # the pool dropped the dead connection
    db.session.rollback()
    assert db.session.get(Sku, sku.id).stock == 3


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
