"""The Flask application class of the service: every request is one unit of work.

The rules of where transactions begin and end are in miniapp_api/transaction.py; this is the
request's side of them, kept apart so that the services importing `commit_early` import no
Flask.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from miniapp_api.transaction import (
    begin_without_transaction,
    is_read_only_method,
    request_transaction,
    run_retrying_once,
)


class ServiceFlask(Flask):
    """Flask whose every request is one unit of work: committed after the view (and its
    response schema) ran, rolled back when it raised or answered an error."""

    def dispatch_request(self):  # type: ignore[override]
        from miniapp_api.extensions import db

        writes = not is_read_only_method(request.method)
        rule = request.url_rule
        reads_only = (
            not writes
            and rule is not None
            and getattr(self.view_functions.get(rule.endpoint), "read_only", False)
        )
        with request_transaction(writes=writes, reads_only=reads_only):
            return run_retrying_once(
                lambda: self._dispatch_once(db.session, reads_only),
                db.session.rollback,
                f"{request.method} {rule.rule if rule else request.path}",
            )

    def _dispatch_once(self, session: Any, reads_only: bool):
        try:
            if reads_only:
                begin_without_transaction(session)
            response = super().dispatch_request()
            status = getattr(response, "status_code", 200)
            if isinstance(response, tuple) and len(response) > 1 and isinstance(response[1], int):
                status = response[1]
            if status >= 400:
                session.rollback()
            else:
                session.commit()
            return response
        except BaseException:
            session.rollback()
            raise
