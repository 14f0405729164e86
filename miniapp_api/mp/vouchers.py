"""The employee's side of union vouchers: redeem a code into the wallet, and the wallet."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g
from flask_smorest import Blueprint

from miniapp_api.auth import employee_required
from miniapp_api.extensions import db, limit_wrong_guesses, shared_limits_required
from miniapp_api.idempotency import idempotent
from miniapp_api.schemas.common import PageArgs
from miniapp_api.schemas.vouchers import CodeSchema, WalletPageSchema, WalletVoucherSchema
from miniapp_api.services.vouchers import redeem_voucher, wallet, wallet_status
from miniapp_api.voucher_keys import code_keys
from models.voucher import Voucher

blp = Blueprint(
    "mp_vouchers", __name__, url_prefix="/api/v1", description="Union pickup vouchers: the wallet"
)


def _employee() -> str:
    return f"employee:{g.employee.id}"


def _wrong_code(response) -> bool:
    # only codes that name no voucher are guesses; a used or expired one is not
    return response.status_code == 404


def wallet_item(voucher: Voucher, now: datetime) -> dict:
    batch = voucher.batch
    return {
        "id": voucher.id,
        "code": f"****-****-****-****-{voucher.code_tail or '****'}",
        "title": batch.title,
        "face_value": batch.face_value,
        "balance": voucher.balance,
        "valid_from": batch.valid_from,
        "valid_until": batch.valid_until,
        "status": wallet_status(voucher, now),
    }


@blp.route("/vouchers/redeem", methods=["POST"])
@employee_required
# Wrong codes only: per employee, and per client address over every employee.
@limit_wrong_guesses("VOUCHER_REDEEM_FAILURE_LIMIT", _wrong_code, key_func=_employee)
@limit_wrong_guesses("VOUCHER_REDEEM_ADDRESS_FAILURE_LIMIT", _wrong_code)
@shared_limits_required
@idempotent
@blp.arguments(CodeSchema)
@blp.response(200, WalletVoucherSchema)
@blp.alt_response(404, description="voucher_not_found (the same however the code is wrong)")
@blp.alt_response(409, description="voucher_already_redeemed, voucher_voided, voucher_expired")
@blp.alt_response(422, description="voucher_not_yet_valid")
@blp.alt_response(429, description="too_many_attempts, with Retry-After")
@blp.alt_response(503, description="limits_unavailable: the guessing limit cannot be counted")
def redeem(body: dict):
    """Claim a voucher into the caller's wallet with its printed code.

    422 `voucher_not_yet_valid` before the batch's `valid_from`."""
    now = datetime.now(UTC)
    voucher = redeem_voucher(db.session, g.employee, body["code"], code_keys(), now=now)
    return wallet_item(voucher, now)


@blp.route("/me/vouchers", methods=["GET"])
@employee_required
@blp.arguments(PageArgs, location="query")
@blp.response(200, WalletPageSchema)
def list_wallet(args: dict):
    """The caller's vouchers, newest first, with what is left on each."""
    now = datetime.now(UTC)
    items, next_cursor = wallet(
        db.session, g.employee.id, limit=args["limit"], cursor=args["cursor"]
    )
    return {"items": [wallet_item(voucher, now) for voucher in items], "next_cursor": next_cursor}
