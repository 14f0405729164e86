"""How request arguments are read (webargs under flask-smorest), set once for every blueprint.

- A body sent without a JSON content type is refused with 415, naming Content-Type, rather
  than read as if it were empty (which answered "missing field" for a body that was there).
- Unknown query parameters are 422 naming them, as unknown body fields already are: a
  misspelt filter (`?on_shelve=0`) must not quietly list everything.
- A body that is not valid JSON says so in Chinese.
"""

from __future__ import annotations

from typing import Any, NoReturn

import marshmallow as ma
from flask import Request
from flask_smorest import Blueprint
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request

from miniapp_api.errors import DomainError


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"
    message = "请求体须为 JSON，请设置请求头 Content-Type: application/json"


class ServiceParser(FlaskParser):
    DEFAULT_UNKNOWN_BY_LOCATION = {
        **FlaskParser.DEFAULT_UNKNOWN_BY_LOCATION,
        "query": ma.RAISE,
        "querystring": ma.RAISE,
    }

    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            if req.content_length or req.get_data(cache=True):
                raise UnsupportedMediaType(details={"content_type": req.mimetype or None})
            return core.missing
        return core.parse_json(req.get_data(cache=True))

    def _handle_invalid_json_error(
        self, error: Exception, req: Request, *args: Any, **kwargs: Any
    ) -> NoReturn:
        abort(400, exc=error, messages={"json": ["请求体不是合法的 JSON"]})


def use_service_parser() -> None:
    """Every flask-smorest blueprint, ours and those added later, parses with ServiceParser."""
    Blueprint.ARGUMENTS_PARSER = ServiceParser()
