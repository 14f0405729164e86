"""Cursor paging (API.md "Lists"): an opaque cursor that encodes the sort key and the id."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from miniapp_api.errors import InvalidRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    """The values a cursor carries, checked against the expected types; 422 on anything else."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (ValueError, UnicodeError, binascii.Error) as exc:
        raise _bad_cursor() from exc
    if not isinstance(values, list) or len(values) != len(types):
        raise _bad_cursor()
    for value, expected in zip(values, types, strict=True):
        if isinstance(value, bool) or not isinstance(value, expected):
            raise _bad_cursor()
    return values


def _bad_cursor() -> InvalidRequest:
    return InvalidRequest(details={"cursor": ["游标无效，请从第一页重新加载"]})


def page_of(rows: list[Any], limit: int, cursor_of) -> tuple[list[Any], str | None]:
    """Given up to limit+1 rows, the page and the cursor of the next page (or None)."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(cursor_of(rows[-1]))
    return rows, None
