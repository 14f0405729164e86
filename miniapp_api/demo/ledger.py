"""Demo data for the ledger: a few canteen purchases in whatever units the demo has."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from miniapp_api.services.ledger import CHINA, book_entry, find_entry
from models.ledger import CANTEEN
from models.unit import Unit

# (yuan in fen, days back from now): this year's and last year's purchases
_THIS_YEAR = (1_280_000, 356_050, 98_800)
_LAST_YEAR = (2_000_000, 450_000)


def load_demo_ledger(session: Session) -> list[str]:
    """Book canteen purchases into up to four leaf units (this year and last year), once;
    returns walkthrough lines. Does nothing when the demo has no units."""
    child = aliased(Unit)
    leaves = list(
        session.scalars(
            select(Unit)
            .where(~select(child.id).where(child.parent_id == Unit.id).exists())
            .order_by(Unit.id)
            .limit(4)
        )
    )
    if not leaves:
        return []
    now = datetime.now(UTC)
    this_year = now.astimezone(CHINA).year
    start_of_year = datetime(this_year, 1, 1, 10, 0, tzinfo=CHINA)
    moments = [start_of_year + timedelta(days=2 + i) for i in range(len(_THIS_YEAR))]
    last_year = [datetime(this_year - 1, 11, 20 + i, 15, 30, tzinfo=CHINA) for i in range(2)]
    booked = 0
    for number, leaf in enumerate(leaves):
        plan = list(zip(_THIS_YEAR, moments, strict=True)) + list(
            zip(_LAST_YEAR, last_year, strict=True)
        )
        for item, (amount, moment) in enumerate(plan):
            reference = f"DEMO-CT-{leaf.id}-{item}"
            if moment > now or find_entry(session, CANTEEN, reference):
                continue
            book_entry(
                session,
                unit_id=leaf.id,
                source=CANTEEN,
                amount=amount + number * 1000,
                occurred_at=moment,
                reference=reference,
            )
            booked += 1
    root_id = int(leaves[0].path.split("/")[0])
    return [
        "",
        f"  # 8. {booked} canteen purchases are booked into {len(leaves)} units. As the admin"
        " above: the root unit's totals, its children's, and the entries behind a figure",
        f'  curl -s "$API/api/v1/admin/units/{root_id}/totals?year={this_year}" '
        '-H "Authorization: Bearer $ADMIN"',
        f'  curl -s "$API/api/v1/admin/units/{root_id}/totals/children?year={this_year}" '
        '-H "Authorization: Bearer $ADMIN"',
        f'  curl -s "$API/api/v1/admin/units/{leaves[0].id}/entries?year={this_year}" '
        '-H "Authorization: Bearer $ADMIN"',
    ]
