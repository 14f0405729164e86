"""The demo's filings: every state somewhere in the tree, and the walkthrough's calls work."""

from sqlalchemy import select

from miniapp_api.demo import load_demo_data
from models import Unit, db
from models.calendar import current_year


def login(client, username, password):
    response = client.post(
        "/api/v1/admin/auth/login", json={"username": username, "password": password}
    )
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def test_the_demo_has_filings_in_every_state_and_the_walkthrough_calls_work(client):
    load_demo_data(db.session)
    units = {unit.name: unit for unit in db.session.scalars(select(Unit))}
    year = current_year()
    zz = login(client, "zz-finance", "finance-demo-2")
    base = "/api/v1/admin/units/{}/reserved-shares/" + str(year)

    summary = client.get(base.format(units["郑州市财政局"].id) + "/summary", headers=zz)
    counts = summary.get_json()["counts"]
    assert all(counts[state] >= 1 for state in ("unfiled", "draft", "submitted", "confirmed"))
    assert counts["returned"] == 1 and summary.get_json()["label"] == "未全部完成"

    confirm = client.post(base.format(units["郑州市卫生健康委员会"].id) + "/confirm", headers=zz)
    assert confirm.status_code == 200

    totals = client.get(
        f"/api/v1/admin/units/{units['郑州市公安局'].id}/totals?year={year}", headers=zz
    ).get_json()
    assert totals["reserved_share"] == "200000.00" and totals["completion_rate"] is not None

    platform = login(client, "platform", "platform-demo-1")
    (message,) = client.get("/api/v1/admin/sms-outbox", headers=platform).get_json()["items"]
    assert "郑州幼儿师范高等专科学校" in message["text"] and message["status"] == "sent"
