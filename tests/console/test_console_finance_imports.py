"""Finance admins' units imports in the console (POST /admin/units/import's rule, through the
same page as the platform's): only units below their own unit, the bad rows as a table,
nothing written unless every row is right, audited under their unit."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from miniapp_api.extensions import db
from models import AuditEntry
from models.admin import FINANCE_ADMIN, UNIT_ADMIN
from models.unit import Unit
from tests.console.helpers import console_login, page_csrf
from tests.factories import make_admin, make_unit, upload

HEADER = ["name", "parent_name", "budget_level"]


@pytest.fixture
def tree():
    bureau = make_unit("新郑市财政局")
    other = make_unit("登封市财政局")
    return {"bureau": bureau, "other": other}


def _finance(client, tree):
    make_admin(FINANCE_ADMIN, unit=tree["bureau"], username="finance")
    console_login(client, "finance")


def _post(client, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": page_csrf(client, "/console/login")})


def _units() -> int:
    return db.session.scalar(select(func.count()).select_from(Unit))


def test_a_finance_admin_reaches_the_units_import_from_its_unit_and_only_that(client, tree):
    _finance(client, tree)

    unit_page = client.get(f"/console/units/{tree['bureau'].id}").get_data(as_text=True)
    imports = client.get("/console/imports").get_data(as_text=True)

    assert 'id="imports-link" href="/console/imports"' in unit_page
    assert 'id="import-units"' in imports
    assert 'id="import-catalog"' not in imports and 'id="import-entries"' not in imports
    assert "只能导入或修改“新郑市财政局”的下级单位" in imports


def test_a_finance_admin_imports_units_below_its_own_unit(client, tree):
    _finance(client, tree)
    rows = [HEADER, ["新郑市第二中学", "新郑市财政局", "县级"]]

    response = _post(client, "/console/imports/units", {"file": upload(rows)})

    assert response.status_code == 200
    assert "导入成功：新增 1" in response.get_data(as_text=True)
    school = db.session.scalars(select(Unit).where(Unit.name == "新郑市第二中学")).one()
    assert school.parent_id == tree["bureau"].id
    audit = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "unit.import")).one()
    assert audit.unit_path == tree["bureau"].path


def test_rows_outside_its_reach_come_back_as_a_table_and_nothing_is_written(client, tree):
    _finance(client, tree)
    before = _units()
    rows = [HEADER, ["新郑市第二中学", "新郑市财政局", "县级"]]
    rows += [["登封市第一中学", "登封市财政局", "县级"], ["无上级的单位", "", "县级"]]

    response = _post(client, "/console/imports/units", {"file": upload(rows)})

    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="bad-rows"' in page
    assert "<td>3</td>" in page and "<td>4</td>" in page and "<td>2</td>" not in page
    assert "须填写上级单位：只能导入本单位的下级单位" in page
    assert _units() == before
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_a_finance_admin_cannot_change_its_own_unit_by_import(client, tree):
    _finance(client, tree)

    response = _post(
        client, "/console/imports/units", {"file": upload([HEADER, ["新郑市财政局", "", "县级"]])}
    )

    assert response.status_code == 422
    assert "无权修改该单位" in response.get_data(as_text=True)


def test_an_upload_without_a_file_is_said_beside_the_field(client, tree):
    _finance(client, tree)

    response = _post(client, "/console/imports/units", {})

    assert response.status_code == 422
    assert "请选择要上传的文件" in response.get_data(as_text=True)


def test_a_finance_admin_imports_no_catalogue_or_canteen_purchases(client, tree):
    _finance(client, tree)
    rows = [["credit_code", "order_no", "amount", "completed_at"]]

    answers = [
        _post(client, f"/console/imports/{kind}", {"file": upload(rows, "c.csv")}).status_code
        for kind in ("catalog", "entries")
    ]

    assert answers == [403, 403]


def test_unit_admins_import_nothing(client, tree):
    make_admin(UNIT_ADMIN, unit=tree["bureau"], username="unit")
    console_login(client, "unit")
    before = _units()

    page = client.get("/console/imports")
    posted = _post(
        client,
        "/console/imports/units",
        {"file": upload([HEADER, ["新郑市第二中学", "新郑市财政局", "县级"]])},
    )

    assert (page.status_code, posted.status_code) == (403, 403)
    assert _units() == before
