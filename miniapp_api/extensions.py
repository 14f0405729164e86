"""Extensions, created unbound here and bound to the app in create_app().

The flask-smorest Api is made per app in create_app(): its OpenAPI spec belongs to one app.
"""

from flask import request
from flask_limiter import Limiter
from flask_migrate import Migrate

from models.base import db


def client_address() -> str:
    # Behind a proxy, ProxyFix (configured in create_app) has already put the client in
    # remote_addr; we never trust X-Forwarded-For ourselves.
    return request.remote_addr or "unknown"


migrate = Migrate()
limiter = Limiter(key_func=client_address, default_limits=[])

__all__ = ["db", "limiter", "migrate"]
