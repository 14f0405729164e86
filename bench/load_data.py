"""bench/load's data: the database it loads (prepare) and the conservation checks after the
load (settle_and_check). See bench/load.py."""

from __future__ import annotations

import os
import random
from datetime import UTC, datetime, timedelta

from databases import complete_and_verify

PRODUCTS, BUYERS, UNITS, CODES = 20_000, 256, 8, 30_000
FACE_VALUE, STOCK = 100_00, 1_000_000


def prepare(database_url: str, settings: dict) -> dict:
    """A fresh schema with the generated catalogue (bench/generate_catalog.py), units with
    credit codes, a platform admin, buyers bound to units with an address, and a paid voucher
    batch; SKUs for orders get plenty of stock."""
    from generate_catalog import build_app, generate, reset_schema
    from sqlalchemy import select, update

    from miniapp_api.auth import ADMIN, EMPLOYEE, issue_token
    from miniapp_api.extensions import db
    from miniapp_api.services.voucher_batches import create_batch, mark_batch_paid
    from miniapp_api.services.voucher_codes import CodeKeys, unseal
    from models import Address, Admin, Employee, Product, Sku, Unit, UnitBinding, Voucher
    from models.admin import PLATFORM_ADMIN, UNION_ADMIN
    from models.credit_code import check_character

    app = build_app(database_url)
    app.config.update(
        SECRET_KEY=settings["SECRET_KEY"], VOUCHER_CODE_KEY=settings["VOUCHER_CODE_KEY"]
    )
    with app.app_context():
        reset_schema(app)
        generate(app, PRODUCTS, 1)
        session = db.session
        root = Unit(name="基准省财政厅", budget_level="provincial")
        session.add(root)
        session.flush()
        root.place_under(None)
        units = []
        for n in range(UNITS):
            body = f"12410100{n:09d}"
            unit = Unit(
                name=f"基准单位{n}", budget_level="county", credit_code=body + check_character(body)
            )
            session.add(unit)
            session.flush()
            unit.place_under(root)
            units.append(unit)
        platform = Admin(username="bench-platform", password_hash="!", role=PLATFORM_ADMIN)
        union = Admin(username="bench-union", password_hash="!", role=UNION_ADMIN, unit_id=root.id)
        session.add_all([platform, union])
        buyers = []
        for n in range(BUYERS):
            employee = Employee(openid=f"bench-load-{n}")
            session.add(employee)
            session.flush()
            session.add(UnitBinding(employee_id=employee.id, unit_id=units[n % UNITS].id))
            address = Address(
                employee_id=employee.id,
                name="张三",
                phone="13800138000",
                province="广东省",
                city="广州市",
                district="天河区",
                detail="天河路1号",
            )
            session.add(address)
            session.flush()
            buyers.append((issue_token(EMPLOYEE, employee)[0], address.id))
        session.flush()
        now = datetime.now(UTC)
        keys = CodeKeys.from_secret(settings["VOUCHER_CODE_KEY"])
        batch = create_batch(
            session,
            union,
            title="基准提货券",
            face_value=FACE_VALUE,
            quantity=CODES,
            valid_from=now - timedelta(days=1),
            valid_until=now + timedelta(days=300),
        )
        mark_batch_paid(
            session,
            platform,
            batch.id,
            paid_at=now - timedelta(hours=1),
            reference="BENCH",
            amount=FACE_VALUE * CODES,
            keys=keys,
            now=now,
        )
        session.commit()
        sealed = session.scalars(
            select(Voucher.code_cipher).where(Voucher.batch_id == batch.id).order_by(Voucher.id)
        ).all()
        codes = unseal(keys, list(sealed), batch.id)
        on_shelf = session.execute(
            select(Sku.id, Sku.price, Product.id, Product.title, Product.category_id)
            .join(Product)
            .where(Product.on_shelf)
        ).all()
        cheap = [row[0] for row in on_shelf if row[1] <= 20_00][:200]
        dear = [row[0] for row in on_shelf if 20_00 < row[1] <= 200_00][:200]
        session.execute(update(Sku).where(Sku.id.in_(cheap + dear)).values(stock=STOCK))
        session.commit()
        initial = dict(session.execute(select(Sku.id, Sku.stock)).all())
        plan = {
            "buyers": buyers,
            "admin": issue_token(ADMIN, platform)[0],
            "units": [unit.id for unit in [root, *units]],
            "credit_codes": [unit.credit_code for unit in units],
            "codes": codes,
            "cheap": cheap,
            "dear": dear,
            "products": [row[2] for row in on_shelf],
            "categories": sorted({row[4] for row in on_shelf}),
            "terms": _terms([row[3] for row in on_shelf]),
            "initial": initial,
        }
        session.remove()
        db.engine.dispose()
    return plan


def _terms(titles: list[str]) -> list[str]:
    rng = random.Random(18)
    terms = set()
    while len(terms) < 500:
        title = rng.choice(titles)
        size = rng.choice((1, 2, 2, 3, 4))
        start = rng.randrange(max(1, len(title) - size + 1))
        terms.add(title[start : start + size])
    return sorted(terms)


def settle_and_check(database_url: str, plan: dict, settings: dict) -> tuple[list[str], bool]:
    """Ship the paid orders, complete them through the jobs, and check conservation: the
    report's lines, and whether everything was conserved."""
    from generate_catalog import build_app
    from sqlalchemy import func, select

    from miniapp_api.extensions import db
    from miniapp_api.services import order_states
    from models import Order, OrderItem, Sku, Voucher, VoucherBatch
    from models.voucher import VoucherSpend

    app = build_app(database_url)
    with app.app_context():
        session = db.session
        for order in session.scalars(select(Order).where(Order.status == "paid")):
            order_states.ship(order, carrier="顺丰", tracking_no="SF-LOAD", now=datetime.now(UTC))
        session.commit()
        taken = dict(
            session.execute(
                select(OrderItem.sku_id, func.sum(OrderItem.quantity))
                .join(Order)
                .where(Order.status != "cancelled")
                .group_by(OrderItem.sku_id)
            ).all()
        )
        stock = dict(session.execute(select(Sku.id, Sku.stock)).all())
        statuses = dict(
            session.execute(select(Order.status, func.count()).group_by(Order.status)).all()
        )
        redeemed = session.execute(
            select(func.count(), func.sum(Voucher.balance), func.sum(VoucherBatch.face_value))
            .join(VoucherBatch)
            .where(Voucher.employee_id.is_not(None))
        ).one()
        spent = session.scalar(
            select(func.coalesce(func.sum(VoucherSpend.amount), 0)).where(
                VoucherSpend.released_at.is_(None)
            )
        )
        session.remove()
        db.engine.dispose()
    mismatched = [
        sku for sku, initial in plan["initial"].items() if initial - stock[sku] != taken.get(sku, 0)
    ]
    count, balances, faces = redeemed[0], redeemed[1] or 0, redeemed[2] or 0
    env = {**os.environ, **settings, "DATABASE_URL": database_url}
    completed, _, verify = complete_and_verify(env, rounds=40)
    conserved = not mismatched and balances + spent == faces and verify.returncode == 0
    return [
        f"orders by status after the load: {statuses}",
        f"stock: {len(plan['initial'])} SKUs, {sum(taken.values())} units sold, SKUs whose "
        f"stock taken differs from units sold: {len(mismatched)}",
        f"vouchers: {count} redeemed, balances {balances / 100:.2f} + spent {spent / 100:.2f} "
        f"= {(balances + spent) / 100:.2f}, face values {faces / 100:.2f}: "
        f"{'equal' if balances + spent == faces else 'NOT EQUAL'}",
        f"jobs run-once +11 days: {completed} orders completed",
        f"miniapp totals verify: exit {verify.returncode} "
        f"({' '.join(verify.stdout.split())[:200]})",
    ], conserved
