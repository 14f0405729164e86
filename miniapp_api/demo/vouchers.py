"""Demo data for union vouchers: the police bureau's union ordered a batch, the platform recorded
its payment (so it counts as `union` this year, rule 3), and a few of its codes are printed in
the walkthrough for redeeming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.services.voucher_batches import create_batch, mark_batch_paid
from miniapp_api.services.voucher_codes import printed, unseal
from miniapp_api.voucher_keys import code_keys
from models.admin import Admin
from models.voucher import UnionProfile, Voucher

UNION_ADMIN_USERNAME, PLATFORM_USERNAME = "zz-police-union", "platform"
PRINTED_CODES = 3


def load_demo_vouchers(session: Session) -> list[str]:
    """A paid batch of twenty 300.00 vouchers and the union's profile; returns walkthrough lines
    with three codes. Does nothing when the demo has no union admin."""
    union_admin = session.scalars(
        select(Admin).where(Admin.username == UNION_ADMIN_USERNAME)
    ).first()
    platform = session.scalars(select(Admin).where(Admin.username == PLATFORM_USERNAME)).first()
    if union_admin is None or platform is None:
        return []
    now = datetime.now(UTC)
    keys = code_keys()
    batch = create_batch(
        session,
        union_admin,
        title="职工福利提货券（演示）",
        face_value=30_000,
        quantity=20,
        valid_from=now - timedelta(days=1),
        valid_until=now + timedelta(days=365),
    )
    mark_batch_paid(
        session,
        platform,
        batch.id,
        paid_at=now - timedelta(minutes=5),
        reference="DEMO-BANK-0001",
        amount=batch.amount,
        keys=keys,
        now=now,
    )
    session.add(UnionProfile(unit_id=batch.unit_id, member_count=80, welfare_total=20_000_000))
    sealed = session.scalars(
        select(Voucher.code_cipher)
        .where(Voucher.batch_id == batch.id)
        .order_by(Voucher.id)
        .limit(PRINTED_CODES)
    ).all()
    codes = [printed(code) for code in unseal(keys, list(sealed), batch.id)]
    return [
        "",
        f"  # 9. union vouchers: {union_admin.unit.name}'s union bought {batch.quantity} vouchers of 300.00 (paid, counted as union this year). Codes to try:",
        *[f"  #      {code}" for code in codes],
        "  # redeem one into the employee's wallet (case, spaces and dashes do not matter), then see the wallet",
        f'  curl -s -X POST $API/api/v1/vouchers/redeem -H "Authorization: Bearer $TOKEN" -H \'Content-Type: application/json\' -d \'{{"code": "{codes[0]}"}}\'',
        '  curl -s $API/api/v1/me/vouchers -H "Authorization: Bearer $TOKEN"',
        "  # the union's page: its batches with figures, its codes sheet, and the union standard",
        "  UNION=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\",
        '      -d \'{"username": "zz-police-union", "password": "union-demo-1"}\' | python3 -c \'import sys, json; print(json.load(sys.stdin)["token"])\')',
        '  curl -s $API/api/v1/admin/voucher-batches -H "Authorization: Bearer $UNION"',
        f'  curl -s -o codes.xlsx $API/api/v1/admin/voucher-batches/{batch.id}/codes.xlsx -H "Authorization: Bearer $UNION"',
        '  curl -s $API/api/v1/admin/union/progress -H "Authorization: Bearer $UNION"',
    ]
