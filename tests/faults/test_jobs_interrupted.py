"""The jobs runner dying mid-run (here: an error after some rows were committed, as a killed
process leaves them) and started again: every row is done once, nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from miniapp_api.jobs import run_due_jobs
from miniapp_api.services import order_states, payments
from miniapp_api.services.totals import verify_totals
from models import Entry, Order, db
from models.admin import SUPPLIER
from models.base import utcnow
from models.catalog import Sku
from tests.factories import admin_headers, make_admin, make_supplier, make_unit
from tests.order_factories import make_buyer, make_sku, order_row, placed, shipped


class RunnerKilled(RuntimeError):
    """Stands for the process dying: the row in hand is never committed."""


def _die_on_call(monkeypatch, owner, name: str, call: int) -> None:
    real, calls = getattr(owner, name), []

    def dying(*args, **kwargs):
        calls.append(1)
        if len(calls) == call:
            raise RunnerKilled
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, dying)


def _statuses(numbers: list[str]) -> list[str]:
    return [order_row(no).status for no in numbers]


def test_auto_completion_killed_after_one_order_completes_each_order_once(
    client, fake, monkeypatch
):
    supplier = make_supplier()
    shipper = admin_headers(make_admin(SUPPLIER, supplier=supplier))
    unit = make_unit()
    numbers = [
        shipped(client, fake.state, make_buyer(unit), make_sku(supplier=supplier), shipper)
        for _ in range(3)
    ]
    later = utcnow() + timedelta(days=11)
    _die_on_call(monkeypatch, order_states, "complete", call=2)

    first = run_due_jobs(db.session, later)
    assert first["complete_shipped_orders"] == -1
    assert _statuses(numbers) == ["completed", "shipped", "shipped"]

    monkeypatch.undo()
    again = run_due_jobs(db.session, later)
    db.session.rollback()
    assert again["complete_shipped_orders"] == 2
    assert _statuses(numbers) == ["completed"] * 3
    assert db.session.scalar(select(func.count()).select_from(Entry)) == 3
    assert verify_totals(db.session) == []


def test_a_cancel_killed_mid_call_is_left_leased_then_done_once(client, monkeypatch):
    sku_id = make_sku(stock=6).id
    numbers = [placed(client, make_buyer(), sku_id, 2)["order"]["order_no"] for _ in range(2)]
    past_timeout = utcnow() + timedelta(minutes=31)
    _die_on_call(monkeypatch, payments, "cancel_unpaid_order", call=1)

    assert run_due_jobs(db.session, past_timeout)["cancel_unpaid_orders"] == -1
    monkeypatch.undo()
    assert run_due_jobs(db.session, past_timeout)["cancel_unpaid_orders"] == 1
    assert _statuses(numbers) == ["pending_payment", "cancelled"]  # the first is still leased

    # its lease runs out (two minutes) and the next run cancels it
    db.session.execute(update(Order).values(lease_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    assert run_due_jobs(db.session, past_timeout)["cancel_unpaid_orders"] == 1
    assert run_due_jobs(db.session, past_timeout)["cancel_unpaid_orders"] == 0
    assert _statuses(numbers) == ["cancelled", "cancelled"]
    db.session.rollback()
    assert db.session.get(Sku, sku_id).stock == 6


@pytest.fixture(autouse=True)
def _quiet_failure_log(caplog):
    caplog.set_level("CRITICAL", logger="miniapp.jobs")
