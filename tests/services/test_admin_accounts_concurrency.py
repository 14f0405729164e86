"""Two platform admins disabling each other at the same moment: one of them stays, and two
creations of one username make one account (real threads; the race needs PostgreSQL, SQLite
serialises writers and is checked too)."""

from __future__ import annotations

import contextlib
import threading

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict
from miniapp_api.services.admins import create_admin, disable_admin
from miniapp_api.transaction import unit_of_work
from models import Admin, db
from tests.factories import make_admin


def _both_read_before_either_writes(session: Session, barrier: threading.Barrier) -> None:
    """Hold each thread at its read of the active platform admins until both are there (on
    SQLite the second cannot begin while the first writes: the wait then times out)."""

    @event.listens_for(session, "do_orm_execute")
    def _wait(state) -> None:
        if state.is_select and "admins.role =" in str(state.statement):
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait(timeout=2)


def test_two_platform_admins_disabling_each_other_at_once_leave_one_active():
    first = make_admin("platform_admin", username="first")
    second = make_admin("platform_admin", username="second")
    engine, barrier = db.engine, threading.Barrier(2)
    outcomes: list[str] = []

    def disable(by_id: int, target_id: int) -> None:
        with Session(engine) as session:
            _both_read_before_either_writes(session, barrier)
            try:
                with unit_of_work(session):
                    by, target = session.get(Admin, by_id), session.get(Admin, target_id)
                    disable_admin(session, target, by=by)
                outcomes.append("disabled")
            except Conflict as refused:
                outcomes.append(refused.code)

    threads = [
        threading.Thread(target=disable, args=(first.id, second.id)),
        threading.Thread(target=disable, args=(second.id, first.id)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    db.session.rollback()  # a fresh snapshot (SQLite keeps the old one otherwise)
    active = db.session.scalars(select(Admin.username).where(Admin.active.is_(True))).all()
    assert len(active) == 1
    assert sorted(outcomes) == ["disabled", "last_platform_admin"]


def test_two_creations_of_one_username_at_once_make_one_account_and_one_conflict():
    engine, barrier = db.engine, threading.Barrier(2)
    outcomes: list[str] = []

    def create(password: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                with unit_of_work(session):
                    create_admin(session, username="twin", password=password, role="platform_admin")
                outcomes.append("created")
            except Conflict as refused:
                outcomes.append(refused.code)

    threads = [threading.Thread(target=create, args=(f"long-enough-{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["created", "username_taken"]
    assert len(db.session.scalars(select(Admin)).all()) == 1
