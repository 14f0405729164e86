"""The OpenAPI document states the limits the server enforces, so that a request the document
allows is not refused for a reason it never gave (issue 18; tests/contract fuzzes the rest),
and answers match the schemas it gives for them."""

from __future__ import annotations

from models.admin import PLATFORM_ADMIN
from models.calendar import FIRST_YEAR, current_year
from tests.factories import admin_headers, make_admin, make_unit


def _spec(client) -> dict:
    return client.get("/api/openapi.json").get_json()


def _schema(spec: dict, name: str) -> dict:
    return spec["components"]["schemas"][name]


def _parameter(spec: dict, path: str, name: str) -> dict:
    [parameter] = [p for p in spec["paths"][path]["get"]["parameters"] if p["name"] == name]
    return parameter["schema"]


def test_a_unit_without_its_own_minimum_answers_null_as_the_document_allows(client):
    unit = make_unit()
    headers = admin_headers(make_admin(PLATFORM_ADMIN))

    answer = client.get(f"/api/v1/admin/units/{unit.id}/share-policy", headers=headers)

    assert answer.status_code == 200 and answer.get_json()["min_ratio"] is None
    assert _schema(_spec(client), "SharePolicy")["properties"]["min_ratio"]["nullable"] is True


def test_the_year_parameters_state_their_range(client):
    spec = _spec(client)

    year = _parameter(spec, "/api/v1/me/contribution", "year")
    policy_year = _schema(spec, "SharePolicyBody")["properties"]["year"]

    for schema in (year, policy_year):
        assert (schema["minimum"], schema["maximum"]) == (FIRST_YEAR, current_year() + 1)


def test_an_address_phone_states_its_pattern(client):
    assert _schema(_spec(client), "Address")["properties"]["phone"]["pattern"] == r"^1[3-9]\d{9}$"


def test_a_cursor_states_its_form(client):
    assert _parameter(_spec(client), "/api/v1/orders", "cursor")["pattern"]


def test_money_that_cannot_be_negative_says_so(client):
    welfare = _schema(_spec(client), "UnionProfile")["properties"]["welfare_total"]

    assert not welfare["pattern"].startswith("^-")


def test_the_payment_notification_is_documented_as_xml(client):
    operation = _spec(client)["paths"]["/api/v1/pay/wechat/notify"]["post"]

    assert "application/xml" in operation["responses"]["200"]["content"]
    assert "application/xml" in operation["requestBody"]["content"]


def test_a_voucher_batch_valid_from_a_distant_century_is_refused(client):
    union = make_admin("union_admin", unit=make_unit())
    body = {
        "title": "福利",
        "face_value": "100.00",
        "quantity": 1,
        "valid_from": "1035-05-20T10:18:05+08:00",
        "valid_until": "2027-01-01T00:00:00+08:00",
    }

    answer = client.post("/api/v1/admin/voucher-batches", json=body, headers=admin_headers(union))

    assert answer.status_code == 422 and "valid_from" in answer.get_json()["error"]["details"]


def test_money_given_as_a_json_number_is_refused(client):
    union = make_admin("union_admin", unit=make_unit())
    body = {"member_count": 0, "welfare_total": 0}

    answer = client.put("/api/v1/admin/union/profile", json=body, headers=admin_headers(union))

    assert answer.status_code == 422 and "welfare_total" in answer.get_json()["error"]["details"]


def test_a_flag_given_as_a_number_is_refused(client):
    unit = make_unit()
    body = {"year": current_year(), "min_ratio": "20.00", "not_below_last_year": 0}
    headers = admin_headers(make_admin(PLATFORM_ADMIN))

    answer = client.put(f"/api/v1/admin/units/{unit.id}/share-policy", json=body, headers=headers)

    assert answer.status_code == 422
    assert "not_below_last_year" in answer.get_json()["error"]["details"]
