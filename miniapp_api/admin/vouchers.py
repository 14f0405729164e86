"""Voucher batches for unions and the platform: order, pay, hand out, void, follow."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g
from flask_smorest import Blueprint

from miniapp_api.admin.downloads import XLSX, xlsx_download
from miniapp_api.auth import admin_required
from miniapp_api.extensions import db
from miniapp_api.idempotency import idempotent
from miniapp_api.schemas.common import PageArgs
from miniapp_api.schemas.vouchers import (
    BatchCreateSchema,
    BatchPageSchema,
    BatchSchema,
    CodeSchema,
    MarkPaidSchema,
    VoidResultSchema,
)
from miniapp_api.services.voucher_batches import (
    batch_figures,
    batch_within_reach,
    create_batch,
    list_batches,
    mark_batch_paid,
)
from miniapp_api.services.voucher_sheet import codes_workbook
from miniapp_api.services.vouchers import void_voucher
from miniapp_api.voucher_keys import code_keys
from models.admin import PLATFORM_ADMIN, UNION_ADMIN
from models.voucher import VoucherBatch

blp = Blueprint(
    "admin_vouchers", __name__, url_prefix="/api/v1/admin", description="Union voucher batches"
)


def _answers(batches: list[VoucherBatch]) -> list[dict]:
    figures = batch_figures(db.session, batches)
    return [
        {
            "id": batch.id,
            "title": batch.title,
            "unit": batch.unit,
            "face_value": batch.face_value,
            "quantity": batch.quantity,
            "amount": batch.amount,
            "valid_from": batch.valid_from,
            "valid_until": batch.valid_until,
            "status": batch.status,
            "created_at": batch.created_at,
            "paid_at": batch.paid_at,
            "payment_reference": batch.payment_reference,
            "figures": figures[batch.id],
        }
        for batch in batches
    ]


@blp.route("/voucher-batches", methods=["POST"])
@admin_required(UNION_ADMIN)
@idempotent
@blp.arguments(BatchCreateSchema)
@blp.response(201, BatchSchema)
def create(body: dict):
    """Order a batch for the caller's union: unpaid, no codes, nothing counted yet.

    422 `invalid_request` when `valid_until` is not after `valid_from`;
    `idempotency_key_reused`. 409 `unit_inactive` when the union's unit has been merged (the
    successor in `details`: its union orders instead) or revoked; a batch ordered before the
    change stays its unit's whenever it is paid."""
    batch = create_batch(db.session, g.admin, **body)
    return _answers([batch])[0]


@blp.route("/voucher-batches", methods=["GET"])
@admin_required(UNION_ADMIN, PLATFORM_ADMIN)
@blp.arguments(PageArgs, location="query")
@blp.response(200, BatchPageSchema)
def list_all(args: dict):
    """A union's own batches, or every union's for the platform; newest first, with figures."""
    batches, next_cursor = list_batches(
        db.session, g.admin, limit=args["limit"], cursor=args["cursor"]
    )
    return {"items": _answers(batches), "next_cursor": next_cursor}


@blp.route("/voucher-batches/<int:batch_id>", methods=["GET"])
@admin_required(UNION_ADMIN, PLATFORM_ADMIN)
@blp.response(200, BatchSchema)
def read(batch_id: int):
    """One batch with its figures."""
    return _answers([batch_within_reach(db.session, g.admin, batch_id)])[0]


@blp.route("/voucher-batches/<int:batch_id>/mark-paid", methods=["POST"])
@admin_required(PLATFORM_ADMIN)
@blp.arguments(MarkPaidSchema)
@blp.response(200, BatchSchema)
@blp.alt_response(409, description="invalid_state: the batch is paid already")
def mark_paid(body: dict, batch_id: int):
    """The union's payment arrived: the batch becomes active, its codes are generated, and its
    amount counts as `union` in the China-time year of `paid_at` (rule 3).

    422 `invalid_request` unless `amount` is face value × quantity and `paid_at` is not in
    the future."""
    batch = mark_batch_paid(
        db.session, g.admin, batch_id, keys=code_keys(), now=datetime.now(UTC), **body
    )
    return _answers([batch])[0]


@blp.route("/voucher-batches/<int:batch_id>/codes.xlsx", methods=["GET"])
@admin_required(UNION_ADMIN)
@blp.response(200, description="the codes as an .xlsx spreadsheet", content_type=XLSX)
@blp.alt_response(409, description="invalid_state: only active batches")
def download_codes(batch_id: int):
    """The batch's codes, for the union to hand out (the only answer that carries codes)."""
    content = codes_workbook(db.session, g.admin, batch_id, code_keys())
    return xlsx_download(content, f"voucher-codes-{batch_id}.xlsx")


@blp.route("/vouchers/void", methods=["POST"])
@admin_required(UNION_ADMIN)
@blp.arguments(CodeSchema)
@blp.response(200, VoidResultSchema)
@blp.alt_response(404, description="voucher_not_found")
@blp.alt_response(409, description="invalid_state: redeemed, voided or expired")
def void(body: dict):
    """Void an unredeemed code of the caller's union (the code travels in the body only)."""
    voucher = void_voucher(db.session, g.admin, body["code"], code_keys(), now=datetime.now(UTC))
    return {"id": voucher.id, "batch_id": voucher.batch_id, "status": voucher.status}
