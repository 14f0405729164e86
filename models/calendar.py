"""The calendar that counts (DOMAIN.md rule 5): years in China Standard Time."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")
# The platform's first year: no amount counts before it.
FIRST_YEAR = 2019


def counting_year(moment: datetime) -> int:
    """Rule 5: the calendar year in China Standard Time of the moment that counts."""
    if moment.tzinfo is None:
        raise ValueError("the moment that counts must carry its offset")
    return moment.astimezone(CHINA).year


def current_year(now: datetime | None = None) -> int:
    """This year in China Standard Time (rule 5)."""
    return counting_year(now or datetime.now(UTC))
