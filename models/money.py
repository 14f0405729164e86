"""Money is integer fen inside the service and a two-decimal string outside. Never a float."""

from __future__ import annotations

import re

# the most any one amount may be, in fen: 99,999,999.99 yuan (API.md, a canteen row); sums of
# such amounts stay far inside the BIGINT entry and totals columns
MAX_AMOUNT = 9_999_999_999
MAX_PRICE = 100_000_000  # a catalogue price: 1,000,000.00 yuan (prices are INTEGER columns)
_YUAN = re.compile(r"^(-)?(\d{1,13})(?:\.(\d{1,2}))?$")


class MoneyFormatError(ValueError):
    """The text is not an amount of yuan with at most two decimals."""


def fen_to_yuan(fen: int) -> str:
    """12345 -> "123.45"; -5 -> "-0.05"."""
    if isinstance(fen, bool) or not isinstance(fen, int):
        raise TypeError(f"money must be int fen, got {type(fen).__name__}")
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole}.{part:02d}"


def yuan_to_fen(text: str | int, *, allow_negative: bool = False, maximum: int = MAX_AMOUNT) -> int:
    """ "12.5" -> 1250. Digits and one decimal point, at most two decimals (DOMAIN.md), and
    no more than `maximum` fen either way."""
    if isinstance(text, bool):
        raise MoneyFormatError("金额格式不正确")
    if isinstance(text, int):
        text = str(text)
    if not isinstance(text, str):
        raise MoneyFormatError("金额格式不正确")
    match = _YUAN.match(text.strip())
    if not match:
        raise MoneyFormatError("金额须为数字，最多两位小数")
    negative, whole, part = match.groups()
    if negative and not allow_negative:
        raise MoneyFormatError("金额不能为负数")
    fen = int(whole) * 100 + int((part or "0").ljust(2, "0"))
    if fen > maximum:
        raise MoneyFormatError(f"金额不能超过{fen_to_yuan(maximum)}元")
    return -fen if negative else fen
