"""Finding one's unit and binding to it (rules 2 and 8)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from miniapp_api.services.units import unit_bound_at
from models import UnitBinding, db
from tests.factories import credit_code, make_unit


@pytest.fixture
def me(login):
    return login("openid-binder")


def _bind(client, headers, body):
    return client.put("/api/v1/me/unit", json=body, headers=headers)


def test_search_puts_the_exact_name_first_then_prefixes_then_the_rest(client, me):
    make_unit("某市第一中学分校")
    make_unit("附属第一中学")
    make_unit("第一中学")
    make_unit("第一中学附属小学")
    make_unit("第二中学")

    response = client.get("/api/v1/units", query_string={"q": "第一中学"}, headers=me)

    assert response.status_code == 200
    names = [item["name"] for item in response.get_json()["items"]]
    assert names == ["第一中学", "第一中学附属小学", "附属第一中学", "某市第一中学分校"]


def test_search_offers_active_units_only_and_at_most_twenty(client, me):
    for i in range(25):
        make_unit(f"郑州市学校{i:02d}")
    make_unit("郑州市撤销学校", status="revoked")
    make_unit("郑州市合并学校", status="merged")

    items = client.get("/api/v1/units", query_string={"q": "郑州市"}, headers=me).get_json()[
        "items"
    ]

    assert len(items) == 20
    assert all("撤销" not in i["name"] and "合并" not in i["name"] for i in items)


def test_search_by_credit_code_is_exact_and_a_bad_code_is_422(client, me):
    unit = make_unit("郑州市公安局", credit_code=credit_code(3))
    make_unit("郑州市林业局", credit_code=credit_code(4))

    found = client.get(
        "/api/v1/units", query_string={"credit_code": credit_code(3).lower()}, headers=me
    )
    bad = client.get("/api/v1/units", query_string={"credit_code": "123"}, headers=me)
    nothing = client.get("/api/v1/units", headers=me)

    assert [i["id"] for i in found.get_json()["items"]] == [unit.id]
    assert bad.status_code == 422 and "credit_code" in bad.get_json()["error"]["details"]
    assert nothing.status_code == 422 and "q" in nothing.get_json()["error"]["details"]


def test_a_percent_sign_in_the_search_is_a_character_not_a_wildcard(client, me):
    make_unit("郑州市公安局")

    items = client.get("/api/v1/units", query_string={"q": "%"}, headers=me).get_json()["items"]

    assert items == []


@pytest.mark.parametrize("key", ["unit_id", "credit_code", "name"])
def test_binding_by_each_key_shows_in_me(client, me, key):
    unit = make_unit("郑州市公安局", credit_code=credit_code(3))
    value = {
        "unit_id": unit.id,
        "credit_code": f" {credit_code(3).lower()} ",
        "name": "郑州市公安局",
    }

    response = _bind(client, me, {key: value[key]})

    assert response.status_code == 200
    assert response.get_json()["unit"] == {
        "id": unit.id,
        "name": "郑州市公安局",
        "credit_code": credit_code(3),
    }
    assert client.get("/api/v1/me", headers=me).get_json()["unit"]["id"] == unit.id


def test_rebinding_keeps_the_history_so_an_earlier_moment_still_has_its_unit(client, me):
    first, second = make_unit("单位甲"), make_unit("单位乙")
    _bind(client, me, {"unit_id": first.id})
    bindings = db.session.scalars(select(UnitBinding)).all()
    moment_under_first = bindings[0].bound_from

    _bind(client, me, {"unit_id": second.id})

    bindings = db.session.scalars(select(UnitBinding).order_by(UnitBinding.id)).all()
    assert [(b.unit_id, b.bound_to is None) for b in bindings] == [
        (first.id, False),
        (second.id, True),
    ]
    assert unit_bound_at(db.session, bindings[0].employee_id, moment_under_first).id == first.id


def test_binding_the_unit_already_bound_changes_nothing(client, me):
    unit = make_unit("单位甲")
    _bind(client, me, {"unit_id": unit.id})

    again = _bind(client, me, {"unit_id": unit.id})

    assert again.status_code == 200
    assert len(db.session.scalars(select(UnitBinding)).all()) == 1


def test_unbinding_leaves_no_unit(client, me):
    _bind(client, me, {"unit_id": make_unit("单位甲").id})

    response = client.delete("/api/v1/me/unit", headers=me)

    assert response.status_code == 204
    assert client.get("/api/v1/me", headers=me).get_json()["unit"] is None


def test_a_revoked_unit_cannot_be_bound(client, me):
    unit = make_unit("撤销单位", status="revoked")

    response = _bind(client, me, {"unit_id": unit.id})

    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "unit_inactive" and error["details"]["status"] == "revoked"
    assert client.get("/api/v1/me", headers=me).get_json()["unit"] is None


def test_a_merged_unit_answers_with_its_successor_and_me_offers_it(client, me):
    successor = make_unit("新单位", credit_code=credit_code(2))
    merged = make_unit("旧单位", credit_code=credit_code(1))
    _bind(client, me, {"unit_id": merged.id})
    merged.status, merged.successor_id = "merged", successor.id
    db.session.commit()

    response = _bind(client, me, {"credit_code": credit_code(1)})
    mine = client.get("/api/v1/me", headers=me).get_json()["unit"]

    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["successor"]["id"] == successor.id
    assert mine["status"] == "merged" and mine["successor"]["id"] == successor.id


def test_a_wrong_credit_code_is_422_naming_it_and_what_is_wrong(client, me):
    response = _bind(client, me, {"credit_code": "91350100M000100Y44"})

    assert response.status_code == 422
    assert "校验位" in response.get_json()["error"]["details"]["credit_code"][0]


def test_an_unknown_unit_is_404_and_two_keys_are_422(client, me):
    unit = make_unit("单位甲")

    assert _bind(client, me, {"unit_id": 999999}).status_code == 404
    assert _bind(client, me, {"name": "不存在的单位"}).status_code == 404
    assert _bind(client, me, {"unit_id": unit.id, "name": "单位甲"}).status_code == 422
    assert _bind(client, me, {}).status_code == 422


def test_two_active_units_with_the_same_name_need_the_credit_code(client, me):
    make_unit("第一中学", credit_code=credit_code(1))
    make_unit("第一中学", credit_code=credit_code(2))

    response = _bind(client, me, {"name": "第一中学"})

    assert response.status_code == 409
    assert len(response.get_json()["error"]["details"]["candidates"]) == 2


def test_binding_needs_an_employee_token(client):
    assert client.put("/api/v1/me/unit", json={"unit_id": 1}).status_code == 401
    assert client.get("/api/v1/units", query_string={"q": "x"}).status_code == 401
