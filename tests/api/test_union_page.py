"""The union's page: its profile, and the year's progress against the union standard (seed 004:
300 yuan per member, or 15% of the annual welfare total)."""

from __future__ import annotations

from sqlalchemy import select

from models import AuditEntry, db
from tests.factories import admin_headers, make_admin, make_entry, make_unit

PROFILE = "/api/v1/admin/union/profile"
PROGRESS = "/api/v1/admin/union/progress"


def _union():
    unit = make_unit()
    return unit, admin_headers(make_admin("union_admin", unit=unit))


def test_a_new_union_has_an_empty_profile(client):
    _, union = _union()

    assert client.get(PROFILE, headers=union).get_json() == {
        "member_count": 0,
        "welfare_total": "0.00",
    }


def test_a_union_sets_its_profile_and_the_change_is_audited(client):
    _, union = _union()

    saved = client.put(
        PROFILE, json={"member_count": 120, "welfare_total": "500000.00"}, headers=union
    )

    assert saved.status_code == 200
    assert client.get(PROFILE, headers=union).get_json() == {
        "member_count": 120,
        "welfare_total": "500000.00",
    }
    assert db.session.scalars(select(AuditEntry.action)).one() == "union_profile.update"


def test_progress_counts_the_batches_paid_in_the_year_against_both_targets(client):
    _, union = _union()
    platform = admin_headers(make_admin("platform_admin"))
    client.put(PROFILE, json={"member_count": 100, "welfare_total": "400000.00"}, headers=union)
    for paid_at in ("2026-03-01T10:00:00+08:00", "2025-12-01T10:00:00+08:00"):
        batch = client.post(
            "/api/v1/admin/voucher-batches",
            json={
                "title": "福利券",
                "face_value": "200.00",
                "quantity": 100,
                "valid_from": "2025-12-01T00:00:00+08:00",
                "valid_until": "2027-01-01T00:00:00+08:00",
            },
            headers=union,
        ).get_json()
        client.post(
            f"/api/v1/admin/voucher-batches/{batch['id']}/mark-paid",
            json={"paid_at": paid_at, "reference": "BANK", "amount": "20000.00"},
            headers=platform,
        )

    progress = client.get(f"{PROGRESS}?year=2026", headers=union).get_json()

    assert progress == {
        "year": 2026,
        "spent": "20000.00",
        "per_member_target": "30000.00",
        "welfare_share_target": "60000.00",
        "met": False,
    }


def test_the_standard_is_met_once_either_target_is_reached(client):
    unit, union = _union()
    client.put(PROFILE, json={"member_count": 100, "welfare_total": "100000.00"}, headers=union)
    # 15% of 100,000.00 is 15,000.00, below 300.00 × 100 = 30,000.00
    make_entry(unit, 1_499_999, "2026-03-01T10:00:00+08:00", source="union")

    before = client.get(f"{PROGRESS}?year=2026", headers=union).get_json()
    make_entry(unit, 1, "2026-03-02T10:00:00+08:00", source="union")
    after = client.get(f"{PROGRESS}?year=2026", headers=union).get_json()

    assert (before["spent"], before["met"]) == ("14999.99", False)
    assert (after["spent"], after["met"]) == ("15000.00", True)


def test_canteen_and_personal_purchases_are_not_the_unions_spending(client):
    unit, union = _union()
    client.put(PROFILE, json={"member_count": 1, "welfare_total": "0.00"}, headers=union)
    make_entry(unit, 50_000, "2026-03-01T10:00:00+08:00", source="canteen")

    progress = client.get(f"{PROGRESS}?year=2026", headers=union).get_json()

    assert (progress["spent"], progress["met"]) == ("0.00", False)


def test_without_a_profile_there_is_no_target_to_meet(client):
    unit, union = _union()
    make_entry(unit, 50_000, "2026-03-01T10:00:00+08:00", source="union")

    progress = client.get(f"{PROGRESS}?year=2026", headers=union).get_json()

    assert progress["met"] is False


def test_only_a_union_admin_has_a_union_page(client):
    unit_admin = admin_headers(make_admin("unit_admin", unit=make_unit()))

    assert client.get(PROFILE, headers=unit_admin).status_code == 403
