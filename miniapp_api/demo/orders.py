"""The demo's order walkthrough: an address, an order paid through the fake WeChat, shipped by
the demo supplier, received, and the unit's total going up by the cash amount."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.services.admins import create_admin
from models.calendar import current_year
from models.catalog import Product, Sku
from models.unit import Unit
from models.voucher import VoucherBatch

DEMO_SUPPLIER_LOGIN = ("supplier-demo", "supplier-demo-1")


def load_demo_orders(session: Session) -> list[str]:
    """A supplier login for the first demo product's supplier; returns walkthrough lines.
    Does nothing without a catalogue."""
    sku = session.scalars(
        select(Sku).join(Product).where(Product.on_shelf.is_(True), Sku.stock > 0).order_by(Sku.id)
    ).first()
    if sku is None:
        return []
    username, password = DEMO_SUPPLIER_LOGIN
    create_admin(
        session,
        username=username,
        password=password,
        role="supplier",
        supplier_name=sku.product.supplier.name,
    )
    police = session.scalars(select(Unit).where(Unit.name == "郑州市公安局")).first()
    totals = (
        [
            "  # the unit's personal total (as the finance admin above) went up by the same",
            f'  curl -s "$API/api/v1/admin/units/{police.id}/totals?year={current_year()}" '
            '-H "Authorization: Bearer $ADMIN"',
        ]
        if police is not None
        else []
    )
    pick = "python3 -c 'import sys, json; print(json.load(sys.stdin)[\"{}\"])'"
    auth = '-H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json"'
    return [
        "",
        f"  # 9. an address, then an order of {sku.product.title} ({sku.spec}); the answer "
        "carries the wx.requestPayment parameters",
        f"  ADDRESS=$(curl -s -X POST $API/api/v1/me/addresses {auth} \\",
        '      -d \'{"name": "张三", "phone": "13800138000", "province": "河南省", '
        '"city": "郑州市", "district": "金水区", "detail": "花园路1号"}\' | '
        + pick.format("id")
        + ")",
        f"  ORDER=$(curl -s -X POST $API/api/v1/orders {auth} -H 'Idempotency-Key: demo-order-1' \\",
        f'      -d "{{\\"items\\": [{{\\"sku_id\\": {sku.id}, \\"quantity\\": 2}}], '
        '\\"address_id\\": $ADDRESS}" | python3 -c \'import sys, json; '
        'print(json.load(sys.stdin)["order"]["order_no"])\')',
        "",
        "  # 10. pay: the fake WeChat sends its signed notification to the service",
        "  curl -s -X POST $FAKE/__fake__/pay/$ORDER/notify -H 'Content-Type: application/json' "
        '-d \'{"result": "SUCCESS"}\'',
        "",
        f"  # 11. ship as the demo supplier ({username} / {password}), then confirm receipt: it counts",
        "  SUPPLIER=$(curl -s -X POST $API/api/v1/admin/auth/login -H 'Content-Type: application/json' \\",
        f'      -d \'{{"username": "{username}", "password": "{password}"}}\' | '
        + pick.format("token")
        + ")",
        '  curl -s -X POST $API/api/v1/admin/orders/$ORDER/ship -H "Authorization: Bearer $SUPPLIER" \\',
        '      -H \'Content-Type: application/json\' -d \'{"carrier": "顺丰", "tracking_no": "SF1000"}\'',
        f"  curl -s -X POST $API/api/v1/orders/$ORDER/confirm-receipt {auth}",
        '  curl -s $API/api/v1/me/contribution -H "Authorization: Bearer $TOKEN"',
        *totals,
        *_voucher_spend(session, auth),
    ]


def _voucher_spend(session: Session, auth: str) -> list[str]:
    """Spending the voucher redeemed earlier in the walkthrough (rule 3): it covers the price,
    so the order is paid at once and nothing of it counts again as personal."""
    if session.scalar(select(VoucherBatch.id).limit(1)) is None:
        return []
    sku = session.scalars(
        select(Sku)
        .join(Product)
        .where(Product.on_shelf.is_(True), Sku.stock > 0, Sku.price <= 30_000)
        .order_by(Sku.price.desc(), Sku.id)
    ).first()
    if sku is None:
        return []
    return [
        "",
        f"  # 12. spend the voucher redeemed above on one {sku.product.title} ({sku.spec}): it "
        "covers the price, so the order is paid at once (payment is null); the union's money "
        "counted when its batch was paid, and the voucher part never counts again",
        '  VOUCHER=$(curl -s $API/api/v1/me/vouchers -H "Authorization: Bearer $TOKEN" | '
        'python3 -c \'import sys, json; print(json.load(sys.stdin)["items"][0]["id"])\')',
        f"  curl -s -X POST $API/api/v1/orders {auth} \\",
        f'      -d "{{\\"items\\": [{{\\"sku_id\\": {sku.id}, \\"quantity\\": 1}}], '
        '\\"address_id\\": $ADDRESS, \\"voucher_ids\\": [$VOUCHER]}"',
        '  curl -s $API/api/v1/me/vouchers -H "Authorization: Bearer $TOKEN"',
    ]
