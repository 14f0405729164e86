"""A request or job step that loses a deadlock or a serialization failure is run once more
(transaction.py), unless something irreversible already happened in it. PostgreSQL only."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from miniapp_api.transaction import run_retrying_once
from models import Address, Order, db
from models.catalog import Sku
from tests.factories import employee_headers, make_employee
from tests.faults.hooks import DEADLOCK, SERIALIZATION, at_statement, postgresql_only, server_error
from tests.order_factories import make_buyer, make_sku, place

ADDRESSES = "/api/v1/me/addresses"
NEW_ADDRESS = {
    "name": "李四",
    "phone": "13900139000",
    "province": "广东省",
    "city": "广州市",
    "district": "越秀区",
    "detail": "中山路2号",
}


@pytest.fixture(autouse=True)
def _postgresql():
    postgresql_only()


@pytest.mark.parametrize("errcode", [DEADLOCK, SERIALIZATION])
def test_a_request_that_loses_a_deadlock_is_run_once_more_and_writes_once(client, errcode):
    headers = employee_headers(make_employee())
    with at_statement(db.engine, "INSERT INTO addresses", server_error(errcode)) as fired:
        answer = client.post(ADDRESSES, json=NEW_ADDRESS, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert len(fired) == 1
    db.session.rollback()
    assert len(db.session.scalars(select(Address)).all()) == 1


def test_a_request_that_loses_twice_is_503_and_writes_nothing(client):
    headers = employee_headers(make_employee())
    with at_statement(db.engine, "INSERT INTO addresses", server_error(DEADLOCK), times=2):
        answer = client.post(ADDRESSES, json=NEW_ADDRESS, headers=headers)
    assert answer.status_code == 503
    assert answer.get_json()["error"]["code"] == "service_unavailable"
    assert answer.headers["Retry-After"] == "1"
    db.session.rollback()
    assert db.session.scalars(select(Address)).all() == []


def test_a_request_past_its_early_commit_is_not_rerun_and_its_key_is_released(client):
    buyer = make_buyer()
    sku = make_sku(stock=5)
    key = {"Idempotency-Key": "order-deadlock"}
    with at_statement(db.engine, "UPDATE skus", server_error(DEADLOCK)) as fired:
        lost = place(client, buyer, sku.id, 2, **key)
    assert lost.status_code == 503 and len(fired) == 1
    db.session.rollback()
    assert db.session.scalars(select(Order)).all() == []
    assert db.session.get(Sku, sku.id).stock == 5
    again = place(client, buyer, sku.id, 2, **key)
    assert again.status_code == 201, again.get_json()
    db.session.rollback()
    assert db.session.get(Sku, sku.id).stock == 3


def test_a_real_deadlock_between_two_job_steps_ends_with_both_done(app):
    """Two steps lock the same two rows in opposite orders: PostgreSQL aborts one, which runs
    once more after the other commits."""
    first, second = make_sku(stock=10).id, make_sku(stock=10).id
    both_hold_one = threading.Barrier(2)
    attempts: list[str] = []

    def step(session: Session, name: str, rows: tuple[int, int]) -> None:
        attempts.append(name)
        lock = text("UPDATE skus SET stock = stock - 1 WHERE id = :id")
        session.execute(lock, {"id": rows[0]})
        if attempts.count(name) == 1:
            both_hold_one.wait(timeout=10)
        session.execute(lock, {"id": rows[1]})
        session.commit()

    errors: list[BaseException] = []

    def runner(name: str, rows: tuple[int, int]) -> None:
        with app.app_context(), Session(db.engine) as session:
            try:
                run_retrying_once(lambda: step(session, name, rows), session.rollback, name)
            except BaseException as error:  # noqa: BLE001 - reported below
                errors.append(error)

    threads = [
        threading.Thread(target=runner, args=("a", (first, second))),
        threading.Thread(target=runner, args=("b", (second, first))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert sorted(attempts) in (["a", "a", "b"], ["a", "b", "b"])
    db.session.rollback()
    assert [db.session.get(Sku, id_).stock for id_ in (first, second)] == [8, 8]


def test_a_deadlock_after_something_irreversible_is_not_run_again():
    from miniapp_api.transaction import mark_irreversible

    calls: list[int] = []

    def work() -> None:
        calls.append(1)
        mark_irreversible()
        db.session.execute(text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$"))

    with pytest.raises(OperationalError):
        run_retrying_once(work, db.session.rollback, "irreversible")
    db.session.rollback()
    assert calls == [1]


def test_the_rerun_waits_a_moment_after_the_rollback(monkeypatch):
    """The loser lets go of its rows first, then gives the winner time to take the row it was
    waiting for: rerunning at once could take that row first and deadlock again."""
    import miniapp_api.transaction as transaction

    events: list[str] = []
    monkeypatch.setattr(
        transaction.time, "sleep", lambda seconds: events.append(f"pause {seconds}")
    )

    def work() -> str:
        events.append("work")
        if events.count("work") == 1:
            db.session.execute(text("DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = '40P01'; END $$"))
        return "done"

    def rollback() -> None:
        events.append("rollback")
        db.session.rollback()

    assert run_retrying_once(work, rollback, "pause") == "done"
    assert events[:2] == ["work", "rollback"] and events[3] == "work"
    low, high = transaction.RETRY_PAUSE_SECONDS
    assert events[2].startswith("pause ") and low <= float(events[2].split()[1]) <= high
