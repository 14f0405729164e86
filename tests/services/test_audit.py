"""The audit log records a change in the change's own transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from miniapp_api.services.audit import record_admin_action
from miniapp_api.transaction import unit_of_work
from models import AuditEntry, db
from models.admin import PLATFORM_ADMIN
from tests.factories import make_admin, make_unit


def test_a_change_that_rolls_back_leaves_no_audit_row():
    admin = make_admin(PLATFORM_ADMIN)
    unit = make_unit("某学校")

    with pytest.raises(RuntimeError), unit_of_work(db.session):
        record_admin_action(
            db.session, admin, "unit.revoke", target_type="unit", target_id=unit.id, unit=unit
        )
        raise RuntimeError("the change failed")

    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_a_landed_change_keeps_who_what_and_the_units_place_in_the_tree():
    admin = make_admin(PLATFORM_ADMIN, username="ops")
    unit = make_unit("某学校")

    with unit_of_work(db.session):
        record_admin_action(
            db.session,
            admin,
            "unit.revoke",
            target_type="unit",
            target_id=unit.id,
            target_name=unit.name,
            unit=unit,
        )

    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.admin_username, entry.action, entry.target_name) == (
        "ops",
        "unit.revoke",
        "某学校",
    )
    assert entry.unit_path == unit.path


def test_an_unknown_action_is_a_programming_error():
    with pytest.raises(ValueError):
        record_admin_action(db.session, None, "unit.teleport", target_type="unit")
