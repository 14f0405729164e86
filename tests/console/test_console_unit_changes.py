"""Changing a unit in the console: merging it into another and revoking it (rule 8), each
behind a page that asks to confirm; every mistake said beside its field, nothing changed; only
platform and finance admins, within their reach, and never a finance admin's own unit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from miniapp_api.extensions import db
from models import AuditEntry
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.unit import Unit
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_unit


@pytest.fixture
def tree():
    bureau = make_unit("某市财政局")
    old = make_unit("某某中学（老校区）", bureau)
    new = make_unit("某某中学", bureau)
    other = make_unit("另一个市财政局")
    return {"bureau": bureau, "old": old, "new": new, "other": other}


def _finance(client, tree):
    make_admin(FINANCE_ADMIN, unit=tree["bureau"], username="finance")
    console_login(client, "finance")


def _post(client, path: str, data: dict | None = None):
    token = page_csrf(client, "/console/login")
    return client.post(path, data={**(data or {}), "csrf_token": token})


def _status(unit_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Unit, unit_id).status


def test_a_finance_admin_finds_the_successor_confirms_and_the_unit_shows_as_merged(client, tree):
    old, new = tree["old"], tree["new"]
    _finance(client, tree)

    unit_page = client.get(f"/console/units/{old.id}").get_data(as_text=True)
    found = client.get(f"/console/units/{old.id}/merge?q=某某中学").get_data(as_text=True)
    confirm = client.get(f"/console/units/{old.id}/merge?into={new.id}")
    status_before_confirming = _status(old.id)
    merged = _post(client, f"/console/units/{old.id}/merge", {"into_unit_id": str(new.id)})
    after = client.get(f"/console/units/{old.id}").get_data(as_text=True)

    assert 'id="unit-changes"' in unit_page and 'id="successor-q"' in unit_page
    assert f'value="{new.id}"' in found
    assert f'value="{old.id}"' not in found  # not into itself
    assert "另一个市财政局" not in found  # outside reach
    assert confirm.status_code == 200 and "确认合并" in confirm.get_data(as_text=True)
    assert status_before_confirming == "active"
    assert merged.status_code == 302
    assert _status(old.id) == "merged"
    assert db.session.get(Unit, old.id).successor_id == new.id
    assert 'id="unit-status"' in after and "已合并" in after and "“某某中学”</a>" in after
    assert 'id="unit-changes"' not in after  # a merged unit changes no more
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.merge")).one()
    assert (audit.target_id, audit.details["into"]["id"]) == (old.id, new.id)


def test_the_search_answers_only_the_choices_to_htmx(client, tree):
    _finance(client, tree)

    response = client.get(
        f"/console/units/{tree['old'].id}/merge?q=某某中学", headers={"HX-Request": "true"}
    )

    page = response.get_data(as_text=True)
    assert page.lstrip().startswith('<div id="successor-choices">')
    assert "<html" not in page
    assert f'value="{tree["new"].id}"' in page


def test_a_revoked_unit_is_not_offered_as_successor(client, tree):
    make_unit("某某中学（已撤销）", tree["bureau"], status="revoked")
    _finance(client, tree)

    page = client.get(f"/console/units/{tree['old'].id}/merge?q=某某中学").get_data(as_text=True)

    assert "某某中学（已撤销）" not in page


@pytest.mark.parametrize(
    ("into", "status", "message"),
    [
        ("", 422, "请选择合并后的单位"),
        ("abc", 422, "请选择合并后的单位"),
        ("self", 422, "不能合并到单位自身"),
        ("other", 404, "单位不存在"),
        ("revoked", 409, "合并目标单位已撤销或合并"),
    ],
)
def test_each_wrong_successor_is_said_beside_the_field_and_nothing_changes(
    client, tree, into, status, message
):
    revoked = make_unit("已撤销的学校", tree["bureau"], status="revoked")
    named = {"self": tree["old"].id, "other": tree["other"].id, "revoked": revoked.id}
    _finance(client, tree)

    response = _post(
        client,
        f"/console/units/{tree['old'].id}/merge",
        {"into_unit_id": str(named.get(into, into))},
    )

    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert f'data-error-for="into_unit_id">{message}<' in page
    assert _status(tree["old"].id) == "active"
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_choosing_no_successor_on_the_search_page_is_said(client, tree):
    _finance(client, tree)

    response = client.get(f"/console/units/{tree['old'].id}/merge?q=某某中学&into=")

    assert response.status_code == 422
    assert "请选择合并后的单位" in response.get_data(as_text=True)


def test_a_unit_with_active_children_cannot_be_merged_or_revoked(client, tree):
    make_unit("老校区分部", tree["old"])
    _finance(client, tree)

    merged = _post(
        client, f"/console/units/{tree['old'].id}/merge", {"into_unit_id": str(tree["new"].id)}
    )
    revoked = _post(client, f"/console/units/{tree['old'].id}/revoke")

    for response in (merged, revoked):
        assert response.status_code == 409
        assert "该单位还有未撤销的下级单位" in response.get_data(as_text=True)
    assert _status(tree["old"].id) == "active"


def test_revoking_asks_first_then_the_unit_shows_as_revoked(client, tree):
    old = tree["old"]
    _finance(client, tree)

    unit_page = client.get(f"/console/units/{old.id}").get_data(as_text=True)
    confirm = client.get(f"/console/units/{old.id}/revoke")
    status_before_confirming = _status(old.id)
    revoked = _post(client, f"/console/units/{old.id}/revoke")
    again = _post(client, f"/console/units/{old.id}/revoke")
    after = client.get(f"/console/units/{old.id}").get_data(as_text=True)

    assert f'href="/console/units/{old.id}/revoke"' in unit_page
    assert confirm.status_code == 200 and 'id="confirm-revoke"' in confirm.get_data(as_text=True)
    assert status_before_confirming == "active"
    assert revoked.status_code == 302
    assert _status(old.id) == "revoked"
    assert again.status_code == 409 and "该单位已撤销或合并" in again.get_data(as_text=True)
    assert "已撤销" in after and 'id="unit-status"' in after
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.revoke")).one()
    assert audit.target_id == old.id


def test_the_platform_merges_any_unit(client, tree):
    make_admin(PLATFORM_ADMIN, username="root")
    console_login(client, "root")

    response = _post(
        client, f"/console/units/{tree['old'].id}/merge", {"into_unit_id": str(tree["other"].id)}
    )

    assert response.status_code == 302
    assert _status(tree["old"].id) == "merged"


def test_a_finance_admin_cannot_change_its_own_unit(client, tree):
    _finance(client, tree)
    bureau = tree["bureau"]

    unit_page = client.get(f"/console/units/{bureau.id}").get_data(as_text=True)
    revoke_page = client.get(f"/console/units/{bureau.id}/revoke")
    revoked = _post(client, f"/console/units/{bureau.id}/revoke")

    assert 'id="unit-changes"' not in unit_page
    assert revoke_page.status_code == 403 and revoked.status_code == 403
    assert _status(bureau.id) == "active"


def test_a_unit_admin_sees_no_change_form_and_cannot_post_one(client, tree):
    make_admin(UNIT_ADMIN, unit=tree["bureau"], username="unit")
    console_login(client, "unit")

    unit_page = client.get(f"/console/units/{tree['old'].id}").get_data(as_text=True)
    merged = _post(
        client, f"/console/units/{tree['old'].id}/merge", {"into_unit_id": str(tree["new"].id)}
    )

    assert 'id="unit-changes"' not in unit_page
    assert merged.status_code == 403
    assert _status(tree["old"].id) == "active"


def test_a_finance_admin_of_another_tree_reaches_nothing(client, tree):
    make_admin(FINANCE_ADMIN, unit=tree["other"], username="stranger")
    console_login(client, "stranger")
    old = tree["old"]

    answers = [
        client.get(f"/console/units/{old.id}/merge?q=某").status_code,
        client.get(f"/console/units/{old.id}/revoke").status_code,
        _post(client, f"/console/units/{old.id}/revoke").status_code,
        _post(
            client, f"/console/units/{old.id}/merge", {"into_unit_id": str(tree["new"].id)}
        ).status_code,
    ]

    assert answers == [404, 404, 404, 404]
    assert _status(old.id) == "active"
