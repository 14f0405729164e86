"""The web console: server-rendered pages under /console for the admins (unions, units, finance
bureaus, suppliers, the platform). Its views call the same services, reach checks and audit log
as the admin API; only the way in (a form, a page) differs. Requests are one unit of work each,
committed by ServiceFlask.dispatch_request like every other request.
"""

from __future__ import annotations

from flask import Flask

from miniapp_api.console import (  # noqa: F401  (views register themselves)
    errors,
    filing,
    home,
    imports,
    orders,
    platform,
    products,
    union,
    unit_changes,
    units,
)
from miniapp_api.console.blueprint import bp
from miniapp_api.console.session import check_csrf, configure_console_session, csrf_token


def init_console(app: Flask) -> None:
    """Serve the console: its cookie session, CSRF check, template helpers and pages."""
    configure_console_session(app)
    app.register_blueprint(bp)


bp.before_request(check_csrf)


@bp.app_template_global("csrf_token")
def _csrf_token() -> str:
    return csrf_token()
