"""Stock and sales, as orders will use them."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from miniapp_api.services.catalog import return_stock, take_stock
from models import Sku, db
from tests.factories import make_product


def test_stock_is_taken_only_while_enough_is_left():
    sku = make_product(prices=(1000,)).skus[0]  # 100 in stock

    assert take_stock(db.session, sku.id, 60) is True
    assert take_stock(db.session, sku.id, 60) is False
    return_stock(db.session, sku.id, 20)
    db.session.commit()

    assert db.session.scalar(select(Sku.stock).where(Sku.id == sku.id)) == 60


def test_two_buyers_never_take_more_than_the_stock(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    sku_id = make_product(prices=(1000,)).skus[0].id  # 100 in stock
    results: list[bool] = []

    def buy() -> None:
        with app.app_context():
            for _ in range(15):
                results.append(take_stock(db.session, sku_id, 5))
                db.session.commit()
            db.session.remove()

    threads = [threading.Thread(target=buy) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    db.session.expire_all()
    assert results.count(True) == 20
    assert db.session.scalar(select(Sku.stock).where(Sku.id == sku_id)) == 0
