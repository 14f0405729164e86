"""`codes.xlsx`: the one place a batch's codes leave the service, to the union that bought them
(API.md "voucher batches"). Codes are unsealed here, written straight into the sheet and never
logged; 10,000 codes take well under two seconds (openpyxl's write-only mode)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, Forbidden
from miniapp_api.services.voucher_batches import batch_within_reach
from miniapp_api.services.voucher_codes import CodeKeys, printed, unseal
from models.admin import UNION_ADMIN, Admin
from models.calendar import CHINA
from models.money import fen_to_yuan
from models.voucher import BATCH_ACTIVE, Voucher, VoucherBatch

HEADERS = ["序号", "券码", "面值（元）", "有效期自", "有效期至", "批次", "状态"]
_STATUS_NAMES = {"unredeemed": "未领取", "redeemed": "已领取", "voided": "已作废"}


def codes_workbook(session: Session, admin: Admin, batch_id: int, keys: CodeKeys) -> bytes:
    """The batch's codes, printed in groups of four, for its own union to hand out: only a
    union admin of the batch's unit (another union's batch is 404) and only while the batch
    is active (409 `invalid_state` otherwise)."""
    if admin.role != UNION_ADMIN:
        raise Forbidden(details={"required_roles": [UNION_ADMIN]})
    batch = batch_within_reach(session, admin, batch_id)
    if batch.status != BATCH_ACTIVE:
        raise Conflict("invalid_state", "只能导出已生效批次的券码", details={"state": batch.status})
    rows = session.execute(
        select(Voucher.code_cipher, Voucher.status)
        .where(Voucher.batch_id == batch.id)
        .order_by(Voucher.id)
    ).all()
    codes = unseal(keys, [sealed for sealed, _ in rows], batch.id)
    return _workbook(batch, codes, [status for _, status in rows])


def _workbook(batch: VoucherBatch, codes: list[str], statuses: list[str]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=f"批次{batch.id}")
    sheet.column_dimensions["B"].width = 30
    sheet.append(HEADERS)
    face = fen_to_yuan(batch.face_value)
    valid_from = batch.valid_from.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    valid_until = batch.valid_until.astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    for number, (code, status) in enumerate(zip(codes, statuses, strict=True), start=1):
        sheet.append(
            [
                number,
                printed(code),
                face,
                valid_from,
                valid_until,
                batch.title,
                _STATUS_NAMES.get(status, status),
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
