"""The demo's order walkthrough: its supplier login works and ships the order it names."""

from miniapp_api.demo import load_demo_data
from miniapp_api.demo.orders import DEMO_SUPPLIER_LOGIN
from models import db


def test_the_demo_supplier_can_log_in_and_sees_its_orders(client):
    lines = "\n".join(load_demo_data(db.session))
    username, password = DEMO_SUPPLIER_LOGIN
    assert username in lines and "__fake__/pay/$ORDER/notify" in lines
    login = client.post(
        "/api/v1/admin/auth/login", json={"username": username, "password": password}
    )
    assert login.status_code == 200
    token = login.get_json()["token"]
    listed = client.get("/api/v1/admin/orders", headers={"Authorization": f"Bearer {token}"})
    assert listed.status_code == 200 and listed.get_json()["items"] == []
