"""The platform's pages: admin accounts (list, create, disable), the audit log (also for
finance and unit admins, within their reach) and the SMS outbox; each through the service
the admin API uses (services.admins, services.audit, services.sms)."""

from __future__ import annotations

import marshmallow as ma
from flask import flash, g, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.forms import field_errors, form_body, form_values
from miniapp_api.console.session import login_required
from miniapp_api.errors import Conflict, InvalidRequest, NotFound
from miniapp_api.extensions import db
from miniapp_api.paging import ID, decode_cursor, page_of
from miniapp_api.schemas.admins import NewAdminSchema
from miniapp_api.services.admins import admin_by_id, create_admin, disable_admin, list_admins
from miniapp_api.services.audit import audit_entries
from miniapp_api.services.sms import outbox_page
from models.admin import ADMIN_ROLES, FINANCE_ADMIN, PLATFORM_ADMIN, UNIT_ADMIN
from models.audit import AUDIT_ACTIONS

PER_PAGE = 50
ADMIN_FIELDS = ("username", "password", "role", "unit_id", "supplier_id")
SMS_STATUS_NAMES = {"pending": "待发送", "sent": "已发送", "failed": "发送失败"}


def _admins_page(values=None, errors=None, status: int = 200):
    cursor = request.args.get("cursor")
    after = decode_cursor(cursor, (ID,))[0] if cursor else None
    rows = list_admins(db.session, after_id=after, limit=PER_PAGE)
    admins, next_cursor = page_of(rows, PER_PAGE, lambda admin: [admin.id])
    page = render_template(
        "admins.html",
        admins=admins,
        next_cursor=next_cursor,
        roles=ADMIN_ROLES,
        values=values or {"role": "unit_admin"},
        errors=errors or {},
    )
    return page, status


@bp.route("/admins", methods=["GET"])
@login_required(PLATFORM_ADMIN)
def admins_page():
    return _admins_page()


@bp.route("/admins", methods=["POST"])
@login_required(PLATFORM_ADMIN)
def admin_create():
    try:
        body = NewAdminSchema().load(form_body(ADMIN_FIELDS))
        admin = create_admin(db.session, by=g.admin, **body)
    except (ma.ValidationError, InvalidRequest, Conflict, NotFound) as error:
        if isinstance(error, ma.ValidationError | InvalidRequest):
            errors = field_errors(error)
        else:  # username_taken, or a unit or supplier that is gone: the message says which
            errors = {"username" if error.code == "username_taken" else "_form": error.message}
        values = form_values(ADMIN_FIELDS) | {"password": ""}
        return _admins_page(values, errors, 422)
    flash(f"已创建管理员 {admin.username}")
    return redirect(url_for("console.admins_page"))


@bp.route("/admins/<int:admin_id>/disable", methods=["POST"])
@login_required(PLATFORM_ADMIN)
def admin_disable(admin_id: int):
    try:
        admin = disable_admin(db.session, admin_by_id(db.session, admin_id), by=g.admin)
    except Conflict as error:
        return _admins_page(errors={"_form": error.message}, status=error.status)
    flash(f"已停用管理员 {admin.username}，其登录已全部失效")
    return redirect(url_for("console.admins_page"))


@bp.route("/audit-log", methods=["GET"])
@login_required(PLATFORM_ADMIN, FINANCE_ADMIN, UNIT_ADMIN)
def audit_log_page():
    action = request.args.get("action") or None
    if action is not None and action not in AUDIT_ACTIONS:
        raise InvalidRequest(details={"action": ["不支持的操作类型"]})
    items, next_cursor = audit_entries(
        db.session,
        g.admin,
        action=action,
        limit=PER_PAGE,
        cursor=request.args.get("cursor") or None,
    )
    return render_template(
        "audit_log.html",
        items=items,
        next_cursor=next_cursor,
        action=action,
        actions=AUDIT_ACTIONS,
    )


@bp.route("/sms-outbox", methods=["GET"])
@login_required(PLATFORM_ADMIN)
def sms_outbox_page():
    items, next_cursor = outbox_page(
        db.session, limit=PER_PAGE, cursor=request.args.get("cursor") or None
    )
    return render_template(
        "sms_outbox.html", items=items, next_cursor=next_cursor, statuses=SMS_STATUS_NAMES
    )
