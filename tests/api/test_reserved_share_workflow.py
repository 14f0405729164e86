"""A filing moves draft → submitted → confirmed, or is returned with a reason and an SMS to its
contact (seed 000 FAQ 16-17; seed 001 三: "系统将以短信方式通知被退回的预算单位")."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import ReservedShare, db
from tests.factories import admin_headers, employee_headers, make_admin, make_employee, make_unit

URL = "/api/v1/admin/units/{}/reserved-shares/{}"
YEAR = 2025
BODY = {
    "has_canteen": True,
    "canteen_total": "3000000",
    "reserved_ratio": "20",
    "contact_name": "王老师",
    "contact_mobile": "13912345678",
}


@pytest.fixture
def tree():
    """county finance bureau > education bureau > school; a sibling school beside it."""
    county = make_unit("某县财政局")
    bureau = make_unit("某县教育局", county)
    school = make_unit("某县第一中学", bureau)
    sibling = make_unit("某县第二中学", bureau)
    return county, bureau, school, sibling


@pytest.fixture
def school_admin(tree):
    return admin_headers(make_admin("unit_admin", unit=tree[2]))


@pytest.fixture
def bureau_admin(tree):
    return admin_headers(make_admin("unit_admin", unit=tree[1]))


def move(client, unit, action, headers, **body):
    return client.post(f"{URL.format(unit.id, YEAR)}/{action}", json=body or None, headers=headers)


def save(client, unit, headers, **changes):
    return client.put(URL.format(unit.id, YEAR), json=BODY | changes, headers=headers)


def outbox(client):
    platform = admin_headers(make_admin("platform_admin"))
    response = client.get("/api/v1/admin/sms-outbox", headers=platform)
    assert response.status_code == 200
    return response.get_json()["items"]


def test_filed_returned_fixed_resubmitted_and_confirmed(client, tree, school_admin, bureau_admin):
    school = tree[2]
    assert save(client, school, school_admin).status_code == 200
    submitted = move(client, school, "submit", school_admin).get_json()
    assert (submitted["status"], submitted["status_label"]) == ("submitted", "待上级确认")

    returned = move(client, school, "return", bureau_admin, reason="采购总额填报不准确")
    assert returned.status_code == 200, returned.get_json()
    assert returned.get_json()["status"] == "returned"
    assert returned.get_json()["return_reason"] == "采购总额填报不准确"

    assert save(client, school, school_admin, canteen_total="3500000").status_code == 200
    assert move(client, school, "submit", school_admin).get_json()["status"] == "submitted"
    confirmed = move(client, school, "confirm", bureau_admin).get_json()

    assert confirmed["status"] == "confirmed"
    assert confirmed["reserved_share"] == "700000.00"
    assert confirmed["return_reason"] is None
    assert [(e["action"], e["reason"]) for e in confirmed["history"]] == [
        ("save", None),
        ("submit", None),
        ("return", "采购总额填报不准确"),
        ("save", None),
        ("submit", None),
        ("confirm", None),
    ]


def test_returning_sends_an_sms_to_the_filings_contact(client, tree, school_admin, bureau_admin):
    school = tree[2]
    save(client, school, school_admin)
    move(client, school, "submit", school_admin)

    move(client, school, "return", bureau_admin, reason="预留比例不达标")

    (message,) = outbox(client)
    assert message["phone"] == "13912345678"
    assert "某县第一中学2025年度预留份额填报已被上级单位退回" in message["text"]
    assert "预留比例不达标" in message["text"]
    assert message["status"] == "sent"


def test_a_failing_sms_provider_never_loses_the_return_and_the_jobs_runner_retries(
    app, client, tree, school_admin, bureau_admin
):
    from datetime import timedelta

    from miniapp_api.jobs import run_due_jobs
    from miniapp_api.sms import OutboxSender, SmsSendError
    from models.base import utcnow

    class DownProvider:
        def send(self, phone, text):
            raise SmsSendError("provider unavailable")

    school = tree[2]
    save(client, school, school_admin)
    move(client, school, "submit", school_admin)
    app.extensions["sms_sender"] = DownProvider()
    try:
        response = move(client, school, "return", bureau_admin, reason="请核实")
    finally:
        app.extensions["sms_sender"] = OutboxSender()

    assert response.status_code == 200
    assert db.session.scalars(select(ReservedShare.status)).one() == "returned"
    (message,) = outbox(client)
    assert (message["status"], message["attempts"]) == ("pending", 1)

    results = run_due_jobs(db.session, utcnow() + timedelta(minutes=5))

    assert results["sms.deliver"] == 1
    (message,) = outbox(client)
    assert (message["status"], message["attempts"]) == ("sent", 2)


def test_the_unit_may_edit_while_submitted_and_it_stays_submitted(client, tree, school_admin):
    school = tree[2]
    save(client, school, school_admin)
    move(client, school, "submit", school_admin)

    response = save(client, school, school_admin, reserved_ratio="25")

    assert response.status_code == 200
    assert response.get_json()["status"] == "submitted"
    assert response.get_json()["reserved_share"] == "750000.00"


def test_a_confirmed_filing_is_read_only_until_the_superior_returns_it(
    client, tree, school_admin, bureau_admin
):
    school = tree[2]
    save(client, school, school_admin)
    move(client, school, "submit", school_admin)
    move(client, school, "confirm", bureau_admin)

    refused = save(client, school, school_admin, reserved_ratio="25")
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "invalid_state"
    assert refused.get_json()["error"]["details"] == {"state": "confirmed"}

    assert move(client, school, "return", bureau_admin, reason="需调整").status_code == 200
    assert save(client, school, school_admin, reserved_ratio="25").status_code == 200


@pytest.mark.parametrize(
    ("moves", "action", "state"),
    [
        ([], "submit", "unfiled"),
        ([], "confirm", "unfiled"),
        (["save"], "confirm", "draft"),
        (["save"], "return", "draft"),
        (["save", "submit"], "submit", "submitted"),
        (["save", "submit", "confirm"], "submit", "confirmed"),
        (["save", "submit", "confirm"], "confirm", "confirmed"),
        (["save", "submit", "return"], "return", "returned"),
        (["save", "submit", "return"], "confirm", "returned"),
    ],
)
def test_an_illegal_move_is_409_invalid_state(
    client, tree, school_admin, bureau_admin, moves, action, state
):
    school = tree[2]
    for done in moves:
        if done == "save":
            save(client, school, school_admin)
        elif done == "submit":
            move(client, school, "submit", school_admin)
        else:
            move(client, school, done, bureau_admin, reason="退回")
    by = school_admin if action == "submit" else bureau_admin

    response = move(
        client, school, action, by, **({"reason": "退回"} if action == "return" else {})
    )

    assert response.status_code == 409
    assert response.get_json()["error"] == {
        "code": "invalid_state",
        "message": response.get_json()["error"]["message"],
        "details": {"state": state},
    }


def test_a_return_needs_a_reason(client, tree, school_admin, bureau_admin):
    school = tree[2]
    save(client, school, school_admin)
    move(client, school, "submit", school_admin)

    response = move(client, school, "return", bureau_admin, reason="   ")

    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == {"reason": ["请填写退回原因"]}


@pytest.fixture
def submitted(client, tree, school_admin):
    save(client, tree[2], school_admin)
    move(client, tree[2], "submit", school_admin)
    return tree[2]


def test_a_sibling_unit_admin_may_not_confirm(client, tree, submitted):
    sibling_admin = admin_headers(make_admin("unit_admin", unit=tree[3]))

    assert move(client, submitted, "confirm", sibling_admin).status_code == 404


def test_an_employee_token_may_not_confirm(client, submitted):
    assert move(client, submitted, "confirm", employee_headers(make_employee())).status_code == 401


def test_a_union_admin_of_the_superior_may_not_confirm(client, tree, submitted):
    union_admin = admin_headers(make_admin("union_admin", unit=tree[1]))

    assert move(client, submitted, "confirm", union_admin).status_code == 403


def test_the_unit_may_not_confirm_its_own_filing(client, submitted, school_admin):
    assert move(client, submitted, "confirm", school_admin).status_code == 403


def test_a_unit_admin_two_levels_up_may_not_confirm(client, tree, submitted):
    county_unit_admin = admin_headers(make_admin("unit_admin", unit=tree[0]))

    assert move(client, submitted, "confirm", county_unit_admin).status_code == 403


def test_a_finance_admin_anywhere_above_may_confirm(client, tree, submitted):
    county_finance = admin_headers(make_admin("finance_admin", unit=tree[0]))

    response = move(client, submitted, "confirm", county_finance)

    assert response.status_code == 200
    assert response.get_json()["history"][-1]["action"] == "confirm"


def test_a_unit_without_a_superior_is_confirmed_by_the_platform_only(client, tree):
    county = tree[0]
    own_finance = admin_headers(make_admin("finance_admin", unit=county))
    save(client, county, own_finance)
    move(client, county, "submit", own_finance)

    assert move(client, county, "confirm", own_finance).status_code == 403
    platform = admin_headers(make_admin("platform_admin"))
    assert move(client, county, "confirm", platform).status_code == 200


def test_only_the_platform_reads_the_sms_outbox(client, tree):
    finance = admin_headers(make_admin("finance_admin", unit=tree[0]))

    assert client.get("/api/v1/admin/sms-outbox", headers=finance).status_code == 403
