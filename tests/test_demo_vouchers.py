"""The demo's voucher codes, as printed in the walkthrough, redeem."""

import re

from miniapp_api.demo import load_demo_data
from models import Entry, db
from tests.factories import employee_headers, make_employee

PRINTED = re.compile(r"\b[2-9A-Z]{4}(?:-[2-9A-Z]{4}){4}\b")


def test_the_printed_demo_codes_redeem_and_the_batch_counted_as_union(client):
    lines = load_demo_data(db.session)

    codes = sorted({code for line in lines for code in PRINTED.findall(line)})
    response = client.post(
        "/api/v1/vouchers/redeem",
        json={"code": codes[0]},
        headers=employee_headers(make_employee()),
    )

    assert len(codes) == 3
    assert response.status_code == 200, response.get_json()
    assert db.session.query(Entry).filter_by(source="union", amount=600_000).count() == 1
