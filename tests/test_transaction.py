"""Where a transaction begins and ends (miniapp_api/transaction.py)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from miniapp_api.services.audit import record_admin_action
from miniapp_api.transaction import unit_of_work
from models import AuditEntry, Sku, db
from tests.factories import make_product


def audit_rows() -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEntry))


def test_a_unit_of_work_commits_what_its_block_flushed():
    with unit_of_work(db.session):
        record_admin_action(db.session, None, "unit.import", target_type="file")
    db.session.close()

    assert audit_rows() == 1


def test_an_error_anywhere_in_the_block_undoes_everything_it_flushed():
    with pytest.raises(LookupError), unit_of_work(db.session):
        record_admin_action(db.session, None, "unit.import", target_type="file")
        raise LookupError

    assert audit_rows() == 0


def test_a_command_that_exits_non_zero_writes_nothing():
    with pytest.raises(SystemExit), unit_of_work(db.session):
        record_admin_action(db.session, None, "unit.import", target_type="file")
        raise SystemExit(1)

    assert audit_rows() == 0


def test_on_sqlite_a_read_then_write_is_never_stale():
    """Each thread reads the stock and writes back one less, the naive way: with BEGIN
    IMMEDIATE the second reader waits for the first writer, so no decrement is lost."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL relies on row locks and conditional updates instead")
    sku = make_product().skus[0]
    sku.stock, sku_id = 20, sku.id
    db.session.commit()
    engine, errors = db.engine, []
    barrier = threading.Barrier(8)

    def take_one() -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with unit_of_work(session):
                    stock = session.scalar(select(Sku.stock).where(Sku.id == sku_id))
                    session.get(Sku, sku_id).stock = stock - 1
            except Exception as error:  # noqa: BLE001 - the test reports any failure
                errors.append(error)

    threads = [threading.Thread(target=take_one) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    db.session.rollback()  # this session's own snapshot predates the threads' commits
    assert db.session.scalar(select(Sku.stock).where(Sku.id == sku_id)) == 12
