"""Security review finding 1: a units import resolves names and codes within the importer's
reach only, so a finance admin cannot write into another province's tree."""

from __future__ import annotations

from sqlalchemy import select

from miniapp_api.services.totals import unit_figures
from models import Unit, db
from tests.factories import admin_headers, credit_code, make_admin, make_entry, make_unit, upload

URL = "/api/v1/admin/units/import"
HEADER = ["name", "parent_name", "credit_code", "budget_level"]


def _post(client, headers, rows):
    return client.post(URL, data={"file": upload([HEADER, *rows], "units.csv")}, headers=headers)


def _tree():
    henan = make_unit("河南省财政厅", budget_level="provincial", credit_code=credit_code(1))
    zhengzhou = make_unit("郑州市财政局", henan, credit_code=credit_code(2))
    leaf = make_unit("郑州市某食堂", zhengzhou, credit_code=credit_code(3))
    school = make_unit("郑州市第一中学", zhengzhou, credit_code=credit_code(4))
    guangdong = make_unit("广东省财政厅", budget_level="provincial", credit_code=credit_code(5))
    guangzhou = make_unit("广州市财政局", guangdong, credit_code=credit_code(6))
    return zhengzhou, leaf, school, guangdong, guangzhou


def test_finding_1_a_renamed_and_revoked_own_unit_does_not_open_another_provinces_tree(client):
    zhengzhou, leaf, school, guangdong, guangzhou = _tree()
    make_entry(school, 1_740_850)
    headers = admin_headers(make_admin("finance_admin", unit=zhengzhou))
    before = unit_figures(db.session, guangdong, 2026).subtree.total

    renamed = _post(client, headers, [["广州市财政局", "郑州市财政局", credit_code(3), "county"]])
    assert renamed.status_code == 200, renamed.get_json()
    revoked = client.post(f"/api/v1/admin/units/{leaf.id}/revoke", headers=headers)
    assert revoked.status_code == 200
    attack = _post(
        client,
        headers,
        [
            ["新建单位", "广州市财政局", credit_code(7), "county"],
            ["郑州市第一中学", "广州市财政局", credit_code(4), "county"],
        ],
    )

    assert attack.status_code == 422
    assert attack.get_json()["error"]["code"] == "import_rejected"
    db.session.expire_all()
    assert unit_figures(db.session, guangdong, 2026).subtree.total == before
    assert db.session.get(Unit, school.id).parent_id == zhengzhou.id
    assert db.session.scalars(select(Unit).where(Unit.name == "新建单位")).first() is None
    assert db.session.get(Unit, guangzhou.id).parent_id == guangdong.id


def test_a_parent_outside_reach_is_answered_like_one_that_does_not_exist(client):
    zhengzhou, *_ = _tree()
    headers = admin_headers(make_admin("finance_admin", unit=zhengzhou))

    outside = _post(client, headers, [["新建单位", "广州市财政局", credit_code(7), "county"]])
    unknown = _post(client, headers, [["新建单位", "不存在的单位", credit_code(7), "county"]])

    outside_errors = outside.get_json()["error"]["details"]["rows"][0]["errors"]
    unknown_errors = unknown.get_json()["error"]["details"]["rows"][0]["errors"]
    assert outside_errors == [e.replace("不存在的单位", "广州市财政局") for e in unknown_errors]


def test_a_parent_code_outside_reach_is_answered_like_one_that_does_not_exist(client):
    zhengzhou, *_ = _tree()
    headers = admin_headers(make_admin("finance_admin", unit=zhengzhou))
    header = ["name", "parent_credit_code", "credit_code", "budget_level"]

    def errors(parent_code):
        rows = [header, ["新建单位", parent_code, credit_code(7), "county"]]
        answer = client.post(URL, data={"file": upload(rows, "u.csv")}, headers=headers)
        assert answer.status_code == 422
        return answer.get_json()["error"]["details"]["rows"][0]["errors"]

    outside, unknown = errors(credit_code(6)), errors(credit_code(99))
    assert outside == [e.replace(credit_code(99), credit_code(6)) for e in unknown]


def test_a_parent_name_shared_by_several_active_units_within_reach_names_the_candidates(client):
    zhengzhou, *_ = _tree()
    make_unit("同名单位", zhengzhou, credit_code=credit_code(8))
    make_unit("同名单位", zhengzhou, credit_code=credit_code(9))
    headers = admin_headers(make_admin("finance_admin", unit=zhengzhou))

    answer = _post(client, headers, [["新建单位", "同名单位", credit_code(7), "county"]])

    assert answer.status_code == 422
    [message] = answer.get_json()["error"]["details"]["rows"][0]["errors"]
    assert credit_code(8) in message and credit_code(9) in message
