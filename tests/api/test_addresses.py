"""The address book: validated, at most 20, and orders keep their own copy."""

from __future__ import annotations

from tests.factories import employee_headers, make_employee

ADDRESSES = "/api/v1/me/addresses"
HOME = {
    "name": "李四",
    "phone": "13912345678",
    "province": "广东省",
    "city": "深圳市",
    "district": "南山区",
    "detail": "科技园1栋",
}


def test_an_address_is_stored_and_listed(client):
    headers = employee_headers(make_employee())
    created = client.post(ADDRESSES, json=HOME, headers=headers)
    assert created.status_code == 201
    assert created.get_json() | {"id": 0} == HOME | {"id": 0}
    listed = client.get(ADDRESSES, headers=headers).get_json()["items"]
    assert [a["id"] for a in listed] == [created.get_json()["id"]]


def test_a_phone_that_is_not_a_mainland_mobile_is_refused(client):
    headers = employee_headers(make_employee())
    response = client.post(ADDRESSES, json=HOME | {"phone": "010-12345678"}, headers=headers)
    assert response.status_code == 422
    assert "phone" in response.get_json()["error"]["details"]


def test_a_twenty_first_address_is_refused(client):
    headers = employee_headers(make_employee())
    for _ in range(20):
        assert client.post(ADDRESSES, json=HOME, headers=headers).status_code == 201
    response = client.post(ADDRESSES, json=HOME, headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "too_many_addresses"


def test_another_employees_address_cannot_be_changed(client):
    owner, other = employee_headers(make_employee()), employee_headers(make_employee())
    address_id = client.post(ADDRESSES, json=HOME, headers=owner).get_json()["id"]
    assert client.put(f"{ADDRESSES}/{address_id}", json=HOME, headers=other).status_code == 404
    assert client.delete(f"{ADDRESSES}/{address_id}", headers=other).status_code == 404
    assert client.delete(f"{ADDRESSES}/{address_id}", headers=owner).status_code == 204
