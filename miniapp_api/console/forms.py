"""Forms in the console: the API's own schemas load them, and every problem goes back to the
field it belongs to, in Chinese."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Any

import marshmallow as ma
from flask import request

from miniapp_api.errors import DomainError
from models.calendar import CHINA

_EXACT = {
    "Missing data for required field.": "请填写此项",
    "Field may not be null.": "请填写此项",
    "Not a valid integer.": "请输入整数",
    "Not a valid number.": "请输入数字",
    "Not a valid datetime.": "请输入正确的日期时间",
    "Not a valid date.": "请输入正确的日期",
    "Not a valid string.": "格式不正确",
    "Not a valid boolean.": "请选择",
    "Unknown field.": "不支持的字段",
}
_PATTERNS = (
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        "须在 {0} 至 {1} 之间",
    ),
    (re.compile(r"^Must be greater than or equal to (\S+)\.$"), "不能小于 {0}"),
    (re.compile(r"^Must be less than or equal to (\S+)\.$"), "不能大于 {0}"),
    (re.compile(r"^Length must be between (\d+) and (\d+)\.$"), "长度须为 {0} 至 {1} 个字"),
    (re.compile(r"^Shorter than minimum length 1\.$"), "请填写此项"),
    (re.compile(r"^Longer than maximum length (\d+)\.$"), "最多 {0} 个字"),
)
_CHINESE = re.compile(r"[\u4e00-\u9fff]")


def in_chinese(message: str) -> str:
    """A message fit to show: ours are Chinese already; marshmallow's English defaults are
    put in Chinese (and anything else English becomes a plain 格式不正确)."""
    if _CHINESE.search(message):
        return message
    if message in _EXACT:
        return _EXACT[message]
    for pattern, chinese in _PATTERNS:
        if match := pattern.match(message):
            return chinese.format(*match.groups())
    return "格式不正确"


def field_errors(error: ma.ValidationError | DomainError) -> dict[str, str]:
    """{field: first message} from a schema's ValidationError or a rule's details; what has no
    field of its own goes under `_form` (shown at the top of the form)."""
    found = error.messages if isinstance(error, ma.ValidationError) else error.details
    if not isinstance(found, dict):
        return {"_form": str(found)}
    errors: dict[str, str] = {}
    for name, messages in found.items():
        first = messages[0] if isinstance(messages, list) and messages else messages
        key = "_form" if name in ("_schema", "body") else name
        errors[key] = in_chinese(first if isinstance(first, str) else str(first))
    if isinstance(error, DomainError) and not errors:
        errors["_form"] = error.message
    return errors


FORM_FLAGS = {"true": True, "1": True, "false": False, "0": False}


def form_body(
    names: tuple[str, ...] | list[str], schema: ma.Schema | None = None
) -> dict[str, Any]:
    """The posted fields among `names`, trimmed; an empty field is a field not given (the
    schema then says it is required, or takes its default). A form carries only text: the
    fields `schema` takes as booleans are turned into JSON's true and false first (any other
    text stays as it is, for the schema to refuse)."""
    flags = {
        name
        for name, field in (schema.fields.items() if schema is not None else ())
        if isinstance(field, ma.fields.Boolean)
    }
    body: dict[str, Any] = {}
    for name in names:
        value = request.form.get(name, "").strip()
        if value:
            body[name] = FORM_FLAGS.get(value.lower(), value) if name in flags else value
    return body


def form_values(names: tuple[str, ...] | list[str]) -> dict[str, str]:
    """What the person typed, to put back in the form when it comes back with errors."""
    return {name: request.form.get(name, "") for name in names}


def china_day_start(text: str, *, next_day: bool = False) -> str | None:
    """A date from `<input type=date>` as the ISO moment its day starts in China (the next
    day's start with `next_day`: an inclusive last day becomes an exclusive end); a bad date
    stays as typed, for the schema to refuse."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text or None
    if next_day:
        day += timedelta(days=1)
    return datetime.combine(day, time(), CHINA).isoformat()


def china_moment(text: str) -> str | None:
    """A `<input type=datetime-local>` value as an ISO moment in China time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text or None
    return moment.replace(tzinfo=CHINA).isoformat() if moment.tzinfo is None else text
