"""Ratios are percent with at most two decimals ("20" means 20%), kept as integer hundredths of
a percent (2000), and every product of a ratio and money is exact integer arithmetic, rounded
half up to the fen (DOMAIN.md, "Money and numbers"). Never a float."""

from __future__ import annotations

import re

_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d{1,2}))?$")
HUNDRED_PERCENT = 10_000  # 100.00% in hundredths of a percent


class RatioFormatError(ValueError):
    """The text is not a percent with at most two decimals."""


def percent_to_hundredths(text: str | int) -> int:
    """ "12.5" -> 1250, "20" -> 2000. Digits and one decimal point, at most two decimals."""
    if isinstance(text, bool) or not isinstance(text, str | int):
        raise RatioFormatError("须为数字，最多两位小数，例如 20 或 12.50")
    match = _PERCENT.match(str(text).strip())
    if not match:
        raise RatioFormatError("须为数字，最多两位小数，例如 20 或 12.50")
    whole, part = match.groups()
    return int(whole) * 100 + int((part or "0").ljust(2, "0"))


def hundredths_to_percent(hundredths: int) -> str:
    """2000 -> "20.00"."""
    whole, part = divmod(hundredths, 100)
    return f"{whole}.{part:02d}"


def _divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half away from zero (denominator > 0)."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if remainder * 2 >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def share_of(total_fen: int, ratio_hundredths: int) -> int:
    """total × ratio / 100, rounded half up to the fen: 300000000 fen × 20% = 60000000 fen."""
    return _divide_half_up(total_fen * ratio_hundredths, HUNDRED_PERCENT)


def rate_of(part_fen: int, whole_fen: int) -> str | None:
    """part / whole as a percent with two decimals, rounded half up ("104.17"); None when the
    whole is zero or negative (there is nothing to complete)."""
    if whole_fen <= 0:
        return None
    hundredths = _divide_half_up(part_fen * HUNDRED_PERCENT, whole_fen)
    sign = "-" if hundredths < 0 else ""
    return sign + hundredths_to_percent(abs(hundredths))
