"""Cursor paging (API.md "Lists"): an opaque cursor that encodes the sort key and the id.

A cursor comes back from the client, so it is input like any other: every value it carries is
checked against the kind of key it stands for, with that key's range (an id fits the id
columns, a price the price column, a moment is a real time in sane years), and anything else
is 422 `invalid_request` naming `cursor`, never a database error.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from miniapp_api.errors import InvalidRequest

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_INT = 2**31 - 1  # INTEGER columns: ids, prices in fen, sales counts

# a kind of cursor value: checks one decoded JSON value and returns it as the query binds it,
# or raises ValueError
CursorKind = Callable[[Any], Any]


def whole(low: int, high: int) -> CursorKind:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise ValueError(value)
        return value

    return check


def text(max_length: int) -> CursorKind:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > max_length:
            raise ValueError(value)
        return value

    return check


EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(9000, 1, 1, tzinfo=UTC)


def moment(value: Any) -> datetime:
    """An ISO-8601 time with its offset, between 1970 and 9000, as an aware datetime."""
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(value)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise ValueError(value)
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+14:00 is before year 1 in UTC
        raise ValueError(value) from exc
    if not EARLIEST <= in_utc <= LATEST:
        raise ValueError(value)
    return parsed


ID = whole(0, MAX_INT)
COUNT = whole(0, MAX_INT)  # prices in fen and sales counts (INTEGER columns, never negative)
FLAG = whole(0, 1)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kinds: tuple[CursorKind, ...]) -> list[Any]:
    """The values a cursor carries, each checked and converted by its kind; 422 on anything
    else."""
    if any(kind in (int, str, float, bool) for kind in kinds):
        raise TypeError("decode_cursor takes checked kinds (ID, COUNT, text(n), moment), not types")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(kinds):
            raise ValueError(cursor)
        return [kind(value) for kind, value in zip(kinds, values, strict=True)]
    except (ValueError, UnicodeError, binascii.Error, RecursionError) as exc:
        raise bad_cursor() from exc


def bad_cursor() -> InvalidRequest:
    return InvalidRequest(details={"cursor": ["游标无效，请从第一页重新加载"]})


def page_of(rows: list[Any], limit: int, cursor_of) -> tuple[list[Any], str | None]:
    """Given up to limit+1 rows, the page and the cursor of the next page (or None)."""
    if len(rows) > limit:
        rows = rows[:limit]
        return rows, encode_cursor(cursor_of(rows[-1]))
    return rows, None
