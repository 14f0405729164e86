"""Factories for arranging tests: explicit, real rows in the real database."""

from __future__ import annotations

import itertools
from datetime import datetime

from werkzeug.security import generate_password_hash

from miniapp_api.auth import ADMIN, EMPLOYEE, issue_token
from models import Admin, Employee, Supplier, Unit, db

_sequence = itertools.count(1)
# A fast hash for tests only; the service itself uses the slow default.
TEST_PASSWORD_METHOD = "pbkdf2:sha256:1000"


def make_unit(
    name: str | None = None,
    parent: Unit | None = None,
    *,
    credit_code: str | None = None,
    budget_level: str = "county",
    status: str = "active",
) -> Unit:
    unit = Unit(
        name=name or f"测试单位{next(_sequence)}",
        credit_code=credit_code,
        budget_level=budget_level,
        status=status,
    )
    db.session.add(unit)
    db.session.flush()
    unit.place_under(parent)
    db.session.commit()
    return unit


def make_employee(openid: str | None = None) -> Employee:
    employee = Employee(openid=openid or f"openid-{next(_sequence)}")
    db.session.add(employee)
    db.session.commit()
    return employee


def make_supplier(name: str | None = None) -> Supplier:
    supplier = Supplier(name=name or f"测试供应商{next(_sequence)}")
    db.session.add(supplier)
    db.session.commit()
    return supplier


def make_admin(
    role: str,
    *,
    unit: Unit | None = None,
    supplier: Supplier | None = None,
    username: str | None = None,
    password: str = "correct horse battery",
) -> Admin:
    admin = Admin(
        username=username or f"admin{next(_sequence)}",
        password_hash=generate_password_hash(password, method=TEST_PASSWORD_METHOD),
        role=role,
        unit_id=unit.id if unit else None,
        supplier_id=supplier.id if supplier else None,
    )
    db.session.add(admin)
    db.session.commit()
    return admin


def admin_headers(admin: Admin) -> dict[str, str]:
    token, _ = issue_token(ADMIN, admin)
    return {"Authorization": f"Bearer {token}"}


def employee_headers(employee: Employee) -> dict[str, str]:
    token, _ = issue_token(EMPLOYEE, employee)
    return {"Authorization": f"Bearer {token}"}


def credit_code(seed: int) -> str:
    """A valid unified social credit code, different for every seed."""
    from models.credit_code import check_character

    body = f"12410100{seed:09d}"
    return body + check_character(body)


def sheet(rows: list[list], filename: str = "units.xlsx"):
    """A spreadsheet upload: (filename, stream) of an .xlsx or .csv built from `rows`."""
    import csv
    import io

    from openpyxl import Workbook

    buffer = io.BytesIO()
    if filename.endswith(".csv"):
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        buffer.write(text.getvalue().encode("utf-8-sig"))
    else:
        workbook = Workbook()
        for row in rows:
            workbook.active.append(row)
        workbook.save(buffer)
    buffer.seek(0)
    return filename, buffer


def upload(rows: list[list], filename: str = "units.xlsx"):
    """The same sheet as a multipart file for the test client: (stream, filename)."""
    name, stream = sheet(rows, filename)
    return stream, name


def make_entry(
    unit: Unit,
    amount: int,
    occurred_at: datetime | str = "2026-06-01T10:00:00+08:00",
    *,
    source: str = "canteen",
    reference: str | None = None,
    employee: Employee | None = None,
):
    """A counted entry booked through the ledger service, committed."""
    from miniapp_api.services.ledger import book_entry

    if isinstance(occurred_at, str):
        occurred_at = datetime.fromisoformat(occurred_at)
    entry = book_entry(
        db.session,
        unit_id=unit.id,
        source=source,
        amount=amount,
        occurred_at=occurred_at,
        reference=reference or f"REF{next(_sequence):08d}",
        employee_id=employee.id if employee else None,
    )
    db.session.commit()
    return entry


# --- catalogue -------------------------------------------------------------------------------


def root_category(name: str = "米面粮油"):
    from miniapp_api.services.catalog import ensure_root_categories

    roots = {c.name: c for c in ensure_root_categories(db.session)}
    db.session.commit()
    return roots[name]


def make_product(
    title: str | None = None,
    *,
    category=None,
    supplier: Supplier | None = None,
    prices: tuple[int, ...] = (1000,),
    province: str = "广西壮族自治区",
    city: str = "河池市",
    county: str = "环江毛南族自治县",
    priority_county: bool = False,
    selected: bool = False,
    on_shelf: bool = True,
    sales: int = 0,
    created_at=None,
):
    """A product with one SKU per price (fen), indexed for search."""
    from miniapp_api.services.catalog_search import index_titles
    from models.catalog import Product, Sku

    number = next(_sequence)
    product = Product(
        code=f"P{number:06d}",
        title=title or f"测试商品{number}",
        description="",
        category=category or root_category(),
        supplier=supplier or make_supplier(),
        province=province,
        city=city,
        county=county,
        priority_county=priority_county,
        selected=selected,
        on_shelf=on_shelf,
        sales=sales,
        image_url=f"https://img.example.com/{number}.jpg",
        images=[f"https://img.example.com/{number}.jpg"],
        skus=[Sku(spec=f"规格{i + 1}", price=price, stock=100) for i, price in enumerate(prices)],
    )
    if created_at is not None:
        product.created_at = created_at
    product.refresh_min_price()
    db.session.add(product)
    db.session.flush()
    index_titles(db.session, [product])
    db.session.commit()
    return product


def make_batch(
    unit: Unit,
    *,
    face_value: int = 10_000,
    quantity: int = 3,
    valid_from: str = "2026-01-01T00:00:00+08:00",
    valid_until: str = "2027-01-01T00:00:00+08:00",
    paid_at: str | None = "2026-03-01T10:00:00+08:00",
    title: str = "中秋福利提货券",
):
    """A voucher batch of `unit`'s union, paid (active, with codes, counted) unless paid_at is
    None; committed."""
    from flask import current_app

    from miniapp_api.services.voucher_batches import generate_codes
    from miniapp_api.services.voucher_codes import CodeKeys
    from models.voucher import VoucherBatch

    batch = VoucherBatch(
        unit_id=unit.id,
        title=title,
        face_value=face_value,
        quantity=quantity,
        valid_from=datetime.fromisoformat(valid_from),
        valid_until=datetime.fromisoformat(valid_until),
        status="unpaid",
    )
    db.session.add(batch)
    db.session.flush()
    if paid_at is not None:
        batch.status = "active"
        batch.paid_at = datetime.fromisoformat(paid_at)
        batch.payment_reference = "BANK-TEST"
        batch.paid_amount = batch.amount
        generate_codes(
            db.session, batch, CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
        )
    db.session.commit()
    return batch


def batch_codes(batch) -> list[str]:
    """The batch's codes in id order, unsealed as the codes sheet does (tests only)."""
    from flask import current_app
    from sqlalchemy import select

    from miniapp_api.services.voucher_codes import CodeKeys, unseal
    from models.voucher import Voucher

    sealed = db.session.scalars(
        select(Voucher.code_cipher).where(Voucher.batch_id == batch.id).order_by(Voucher.id)
    ).all()
    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
    return unseal(keys, list(sealed), batch.id)


def redeemed_voucher(employee: Employee, batch, index: int = 0):
    """The batch's `index`th voucher, redeemed into `employee`'s wallet; committed."""
    from flask import current_app

    from miniapp_api.services.voucher_codes import CodeKeys
    from miniapp_api.services.vouchers import redeem_voucher

    keys = CodeKeys.from_secret(current_app.config["VOUCHER_CODE_KEY"])
    code = batch_codes(batch)[index]
    voucher = redeem_voucher(
        db.session, employee, code, keys, now=datetime.fromisoformat("2026-06-01T10:00:00+08:00")
    )
    db.session.commit()
    return voucher
