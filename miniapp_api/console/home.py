"""Logging in and out, and each role's start page."""

from __future__ import annotations

from flask import g, make_response, redirect, render_template, request, url_for

from miniapp_api.console.blueprint import bp
from miniapp_api.console.session import end_session, login_required, start_session
from miniapp_api.extensions import client_address, db, limit_wrong_guesses
from miniapp_api.services.admins import InvalidCredentials, authenticate_admin
from models.admin import FINANCE_ADMIN, PLATFORM_ADMIN, SUPPLIER, UNION_ADMIN, UNIT_ADMIN

ROLE_NAMES = {
    "platform_admin": "平台管理员",
    "finance_admin": "财政部门",
    "unit_admin": "预算单位",
    "union_admin": "工会",
    "supplier": "供应商",
}


@bp.app_template_filter("role_name")
def role_name(role: str) -> str:
    return ROLE_NAMES.get(role, role)


MENUS = {
    UNION_ADMIN: [
        {"name": "工会采购进度与提货券", "endpoint": "console.union_page"},
        {"name": "新建提货券批次", "endpoint": "console.batch_new"},
    ],
    PLATFORM_ADMIN: [
        {"name": "单位与采购情况", "endpoint": "console.unit_search"},
        {"name": "提货券批次（确认付款）", "endpoint": "console.batch_list"},
        {"name": "订单", "endpoint": "console.order_list"},
        {"name": "商品上下架", "endpoint": "console.product_list"},
        {"name": "数据导入（单位、商品、食堂采购）", "endpoint": "console.imports_page"},
        {"name": "管理员账号", "endpoint": "console.admins_page"},
        {"name": "操作记录", "endpoint": "console.audit_log_page"},
        {"name": "短信发件箱", "endpoint": "console.sms_outbox_page"},
    ],
}


def _username_and_address() -> str:
    username = request.form.get("username", "")
    return f"{client_address()}|{username[:64].strip().lower()}"


def _failed(response) -> bool:
    return response.status_code == 401


def _too_many_attempts(limit):
    from miniapp_api.extensions import seconds_until

    minutes = max(1, seconds_until(limit.reset_at) // 60)
    page = render_template(
        "login.html",
        error=f"尝试次数过多，请{minutes}分钟后再试",
        username=request.form.get("username", ""),
    )
    return make_response(page, 429)


def _safe_next(target: str | None) -> str:
    """Only a page of the console itself (never another site) after logging in."""
    if target and target.startswith("/console/") and not target.startswith("//"):
        return target
    return url_for("console.home")


@bp.route("/login", methods=["GET"])
def login():
    return render_template("login.html", next=request.args.get("next", ""))


@bp.route("/login", methods=["POST"])
# the API's limits on wrong passwords, counted the same way (per name and address, per address)
@limit_wrong_guesses(
    "ADMIN_LOGIN_FAILURE_LIMIT",
    _failed,
    key_func=_username_and_address,
    on_breach=_too_many_attempts,
)
@limit_wrong_guesses("ADMIN_LOGIN_ADDRESS_FAILURE_LIMIT", _failed, on_breach=_too_many_attempts)
def login_submit():
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = "请输入用户名"
    if not password:
        errors["password"] = "请输入密码"
    if errors:
        return render_template("login.html", errors=errors, username=username), 422
    try:
        admin = authenticate_admin(db.session, username, password)
    except InvalidCredentials as error:
        return render_template("login.html", error=error.message, username=username), 401
    start_session(admin)
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["POST"])
def logout():
    end_session()
    return redirect(url_for("console.login"))


@bp.route("/", methods=["GET"])
@login_required()
def home():
    """Each role's start page: a unit's admins go to their unit."""
    if g.admin.role in (UNIT_ADMIN, FINANCE_ADMIN) and g.admin.unit_id:
        return redirect(url_for("console.unit_page", unit_id=g.admin.unit_id))
    if g.admin.role == UNION_ADMIN:
        return redirect(url_for("console.union_page"))
    if g.admin.role == SUPPLIER:
        return redirect(url_for("console.order_list"))
    return render_template("home.html", menu=MENUS.get(g.admin.role, []))
