"""Admin accounts over HTTP, for platform admins: list, create, disable, and one's own
password. Disabling an account or changing its password ends every token it holds."""

from __future__ import annotations

from sqlalchemy import select

from models import db
from models.audit import AuditEntry
from tests.factories import admin_headers, make_admin, make_supplier, make_unit

PASSWORD = "correct horse battery"


def _login(client, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/admin/auth/login", json={"username": username, "password": password}
    )


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_disabling_an_admin_ends_every_token_it_holds(client):
    root = admin_headers(make_admin("platform_admin", username="root"))
    other = make_admin("platform_admin", username="deputy")
    tokens = [
        admin_headers(other),
        {"Authorization": f"Bearer {_login(client, 'deputy').get_json()['token']}"},
    ]
    assert all(client.get("/api/v1/admin/admins", headers=t).status_code == 200 for t in tokens)

    response = client.post(f"/api/v1/admin/admins/{other.id}/disable", headers=root)

    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert all(client.get("/api/v1/admin/admins", headers=t).status_code == 401 for t in tokens)
    assert _login(client, "deputy").status_code == 401
    [entry] = _audit("admin.disable")
    assert (entry.admin_username, entry.target_id) == ("root", other.id)


def test_a_platform_admin_cannot_disable_themselves(client):
    root = make_admin("platform_admin", username="root")
    make_admin("platform_admin", username="deputy")

    response = client.post(f"/api/v1/admin/admins/{root.id}/disable", headers=admin_headers(root))

    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "cannot_disable_self"
    assert client.get("/api/v1/admin/admins", headers=admin_headers(root)).status_code == 200


def test_disabling_a_disabled_admin_is_409_invalid_state(client):
    root = admin_headers(make_admin("platform_admin"))
    other = make_admin("unit_admin", unit=make_unit())
    assert client.post(f"/api/v1/admin/admins/{other.id}/disable", headers=root).status_code == 200

    again = client.post(f"/api/v1/admin/admins/{other.id}/disable", headers=root)

    assert again.status_code == 409
    assert again.get_json()["error"] == {
        "code": "invalid_state",
        "message": "该账号已停用",
        "details": {"state": "disabled"},
    }


def test_an_unknown_admin_is_404(client):
    root = admin_headers(make_admin("platform_admin"))

    response = client.post("/api/v1/admin/admins/999999/disable", headers=root)

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "admin_not_found"


def test_only_platform_admins_manage_accounts(client):
    unit = make_unit()
    finance = admin_headers(make_admin("finance_admin", unit=unit))
    target = make_admin("unit_admin", unit=unit)
    body = {
        "username": "new",
        "password": "long-enough-1",
        "role": "unit_admin",
        "unit_id": unit.id,
    }

    answers = [
        client.get("/api/v1/admin/admins", headers=finance),
        client.post("/api/v1/admin/admins", json=body, headers=finance),
        client.post(f"/api/v1/admin/admins/{target.id}/disable", headers=finance),
    ]

    assert [a.status_code for a in answers] == [403, 403, 403]
    assert client.get("/api/v1/admin/admins").status_code == 401


def test_a_platform_admin_creates_an_account_that_can_log_in(client):
    root = admin_headers(make_admin("platform_admin", username="root"))
    unit = make_unit("郑州市财政局")

    response = client.post(
        "/api/v1/admin/admins",
        json={
            "username": "zz-finance",
            "password": "long-enough-1",
            "role": "finance_admin",
            "unit_id": unit.id,
        },
        headers=root,
    )

    assert response.status_code == 201
    created = response.get_json()
    assert created["role"] == "finance_admin" and created["unit"]["id"] == unit.id
    assert created["active"] is True and "password" not in str(created)
    assert _login(client, "zz-finance", "long-enough-1").status_code == 200
    [entry] = _audit("admin.create")
    assert (entry.admin_username, entry.target_name) == ("root", "zz-finance")


def test_a_supplier_account_names_a_stored_supplier(client):
    root = admin_headers(make_admin("platform_admin"))
    supplier = make_supplier("融水县农副产品公司")
    body = {"username": "rs", "password": "long-enough-1", "role": "supplier"}

    created = client.post(
        "/api/v1/admin/admins", json=body | {"supplier_id": supplier.id}, headers=root
    )
    unknown = client.post(
        "/api/v1/admin/admins", json=body | {"username": "rs2", "supplier_id": 999999}, headers=root
    )

    assert created.status_code == 201
    assert created.get_json()["supplier"]["id"] == supplier.id
    assert unknown.status_code == 422
    assert "supplier_id" in unknown.get_json()["error"]["details"]


def test_creating_an_admin_refuses_bad_input_naming_each_field(client):
    root = admin_headers(make_admin("platform_admin", username="root"))
    revoked = make_unit(status="revoked")

    def create(**body):
        return client.post("/api/v1/admin/admins", json=body, headers=root)

    short = create(username="a", password="short", role="platform_admin")
    no_unit = create(username="b", password="long-enough-1", role="finance_admin")
    gone_unit = create(
        username="c", password="long-enough-1", role="unit_admin", unit_id=revoked.id
    )
    bad_role = create(username="d", password="long-enough-1", role="boss")
    taken = create(username="root", password="long-enough-1", role="platform_admin")
    huge = create(username="e", password="long-enough-1", role="unit_admin", unit_id=2**40)

    assert short.status_code == 422 and "password" in short.get_json()["error"]["details"]
    assert no_unit.status_code == 422 and "unit" in no_unit.get_json()["error"]["details"]
    assert gone_unit.status_code == 422 and "unit_id" in gone_unit.get_json()["error"]["details"]
    assert bad_role.status_code == 422 and "role" in bad_role.get_json()["error"]["details"]
    assert taken.status_code == 409 and taken.get_json()["error"]["code"] == "username_taken"
    assert huge.status_code == 422 and "unit_id" in huge.get_json()["error"]["details"]
    assert _audit("admin.create") == []


def test_the_account_list_is_paged_in_id_order_and_filtered_by_role_and_username(client):
    root = make_admin("platform_admin", username="root")
    unit = make_unit()
    made = [make_admin("unit_admin", unit=unit, username=f"unit_{n}") for n in range(3)]
    make_admin("union_admin", unit=unit, username="union%1")
    headers = admin_headers(root)

    first = client.get("/api/v1/admin/admins?limit=2", headers=headers).get_json()
    rest = client.get(
        f"/api/v1/admin/admins?limit=2&cursor={first['next_cursor']}", headers=headers
    ).get_json()
    units = client.get("/api/v1/admin/admins?role=unit_admin", headers=headers).get_json()
    literal = client.get("/api/v1/admin/admins?q=n%25", headers=headers).get_json()

    names = [a["username"] for a in first["items"] + rest["items"]]
    assert names[:2] == ["root", "unit_0"] and len(names) == 4
    assert [a["id"] for a in units["items"]] == [a.id for a in made]
    assert [a["username"] for a in literal["items"]] == ["union%1"]


def test_a_bad_role_or_cursor_in_the_account_list_is_422(client):
    headers = admin_headers(make_admin("platform_admin"))
    from miniapp_api.paging import encode_cursor

    bad_role = client.get("/api/v1/admin/admins?role=boss", headers=headers)
    huge = client.get(f"/api/v1/admin/admins?cursor={encode_cursor([2**63])}", headers=headers)
    garbage = client.get("/api/v1/admin/admins?cursor=%%%", headers=headers)

    assert [r.status_code for r in (bad_role, huge, garbage)] == [422, 422, 422]
    assert "cursor" in huge.get_json()["error"]["details"]


def test_changing_ones_own_password_ends_the_old_tokens_and_answers_a_new_one(client):
    admin = make_admin("union_admin", unit=make_unit(), username="union")
    old = admin_headers(admin)
    unit_route = f"/api/v1/admin/units/{admin.unit_id}"

    response = client.post(
        "/api/v1/admin/auth/password",
        json={"current_password": PASSWORD, "new_password": "a-new-password"},
        headers=old,
    )

    assert response.status_code == 200
    new = {"Authorization": f"Bearer {response.get_json()['token']}"}
    assert client.get(unit_route, headers=old).status_code == 401
    assert client.get(unit_route, headers=new).status_code != 401
    assert _login(client, "union", PASSWORD).status_code == 401
    assert _login(client, "union", "a-new-password").status_code == 200
    [entry] = _audit("admin.set_password")
    assert entry.admin_username == "union" and "a-new-password" not in str(entry.details)


def test_a_wrong_current_password_changes_nothing(client):
    admin = make_admin("platform_admin", username="root")
    headers = admin_headers(admin)

    response = client.post(
        "/api/v1/admin/auth/password",
        json={"current_password": "wrong", "new_password": "a-new-password"},
        headers=headers,
    )

    assert response.status_code == 422
    assert "current_password" in response.get_json()["error"]["details"]
    assert client.get("/api/v1/admin/admins", headers=headers).status_code == 200
    assert _login(client, "root").status_code == 200
