"""The fake WeChat's `pay_after` (`--pay-after`): off, nothing but the control path sends a
notification; on, every order the unified order opens is paid by itself, through the same
signed notification the control path sends, once."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests
from werkzeug.serving import make_server

import wx_client.fake as fake_module
from miniapp_api.wechat import wx_pay
from models.base import utcnow
from tests.order_factories import NOTIFY, make_buyer, make_sku, order_row, placed
from wx_client import fake_pay
from wx_client.fake import FakeState, FakeWeChat
from wx_client.fake_pay import Payer


def _counts(fake) -> dict:
    """The payer's counts (without the seconds it took)."""
    answer = requests.get(fake.base_url + "__fake__/pay/delivered", timeout=5).json()
    assert {"seconds_sending", "seconds_late"} <= answer.keys()
    return {k: v for k, v in answer.items() if not k.startswith("seconds_")}


def _drained(fake, scheduled: int) -> dict:
    """The payer's counts once `scheduled` notifications were handed to it and none is left
    pending (the payer sends on its own threads; waiting is all the test can do)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        counts = _counts(fake)
        if counts["scheduled"] >= scheduled and counts["pending"] == 0:
            return counts
        time.sleep(0.02)
    raise AssertionError(f"the payer did not finish: {_counts(fake)}")


@pytest.fixture
def service(app, fake) -> Iterator[dict]:
    """The service on a port of its own, the fake's notifications sent to it, and how many
    notifications reached it."""
    received = {"notifications": 0}

    def counting(environ, start_response):
        if environ["PATH_INFO"] == NOTIFY:
            received["notifications"] += 1
        return app(environ, start_response)

    server = make_server("127.0.0.1", 0, counting, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    received["base"] = f"http://127.0.0.1:{server.server_port}"
    fake.state.notify_url = received["base"] + NOTIFY
    yield received
    fake.state.notify_url = ""
    server.shutdown()
    server.server_close()


@pytest.fixture
def paying(fake) -> Iterator:
    """The session's fake paying every order by itself, as soon as it is opened; a new payer
    (counts from zero) for each test, stopped after it."""
    fake.state.pay_after = 0.0
    yield fake
    fake.state.pay_after = None
    with fake.state.lock:
        payer, fake.state.payer = fake.state.payer, None
    if payer is not None:
        payer.stop()


def test_off_by_default_an_opened_order_stays_unpaid_and_no_payer_runs(client, fake, service):
    assert FakeWeChat.from_environment().state.pay_after is None
    assert fake.state.pay_after is None
    buyer = make_buyer()
    no = placed(client, buyer, make_sku().id)["order"]["order_no"]
    assert no in fake.state.pay_orders  # the unified order reached the fake
    assert fake.state.payer is None
    assert _counts(fake) == {
        "pay_after": None,
        "senders": 4,
        "scheduled": 0,
        "delivered": 0,
        "failed": 0,
        "pending": 0,
    }
    assert fake.state.pay_orders[no]["state"] == "NOTPAY"
    assert service["notifications"] == 0
    assert order_row(no).status == "pending_payment"


def test_on_a_placed_order_is_paid_without_a_control_call_once(client, paying, service):
    buyer = make_buyer()
    answer = placed(client, buyer, make_sku(price=25_00).id)
    no = answer["order"]["order_no"]
    assert answer["payment"]["out_trade_no"] == no

    assert _drained(paying, scheduled=1) == {
        "pay_after": 0.0,
        "senders": 4,
        "scheduled": 1,
        "delivered": 1,
        "failed": 0,
        "pending": 0,
    }
    assert service["notifications"] == 1
    order = order_row(no)
    # paid only if the service verified the signature, app id, merchant id and amount
    assert order.status == "paid"
    assert re.fullmatch(r"4200\d{24}", order.transaction_id or "")
    assert order.transaction_id == paying.state.pay_orders[no]["transaction_id"]
    assert paying.state.pay_orders[no]["state"] == "SUCCESS"
    assert client.get(f"/api/v1/orders/{no}", headers=buyer.headers).get_json()["status"] == "paid"

    # the control path afterwards sends the same transaction again (the payer shares its rules)
    sent = paying.post(f"__fake__/pay/{no}/notify", {"result": "SUCCESS"})
    assert sent["delivered"] and "SUCCESS" in sent["body"]
    assert order_row(no).transaction_id == paying.state.pay_orders[no]["transaction_id"]
    assert _counts(paying)["scheduled"] == 1  # the control call schedules nothing


def test_an_order_opened_twice_is_paid_once(paying):
    def open_payment() -> str:
        return wx_pay().open_payment(
            order_no="XD2026120100000077",
            amount=12_50,
            description="环江香粳米",
            openid="openid-buyer",
            client_ip="203.0.113.7",
            expires_at=utcnow() + timedelta(minutes=30),
        )

    paying.state.pay_after = 5.0  # still pending when it is opened again
    assert open_payment() == open_payment()
    counts = _counts(paying)
    assert counts["scheduled"] == 1 and counts["pending"] == 1


@pytest.mark.parametrize("where", ["closed port", "no such path", "an answer that is no XML"])
def test_a_failed_delivery_is_counted_and_not_sent_again(client, paying, service, where):
    paying.state.notify_url = {
        "closed port": "http://127.0.0.1:9" + NOTIFY,
        "no such path": service["base"] + "/nowhere",
        "an answer that is no XML": service["base"] + "/healthz",
    }[where]
    no = placed(client, make_buyer(), make_sku().id)["order"]["order_no"]
    counts = _drained(paying, scheduled=1)
    assert (counts["delivered"], counts["failed"], counts["pending"]) == (0, 1, 0)
    assert service["notifications"] == 0
    assert order_row(no).status == "pending_payment"


def test_notifications_go_out_in_order_of_due_time(monkeypatch):
    sent: list[str] = []
    done = threading.Event()

    def record(fake, out_trade_no, result):
        sent.append(out_trade_no)
        if len(sent) == 3:
            done.set()
        return {
            "delivered": True,
            "status": 200,
            "body": "<xml><return_code>SUCCESS</return_code></xml>",
        }

    monkeypatch.setattr(fake_pay, "notify_payment", record)
    payer = Payer(FakeState(appid="a", secret="s"), senders=1)
    try:
        payer.schedule("late", 1.0)
        payer.schedule("first", 0.0)
        payer.schedule("middle", 0.5)
        assert done.wait(15)
    finally:
        payer.stop()  # the sender counts what it was sending, then stops
    assert sent == ["first", "middle", "late"]
    counts = payer.counts()
    assert [counts[k] for k in Payer.COUNTS] == [3, 3, 0, 0]


def test_the_command_line_sets_the_payer(monkeypatch):
    started: list = []

    class Server:
        def __init__(self, host, port, app):
            started.append(app.extensions["fake_wechat"])

        def serve_forever(self):
            pass

    monkeypatch.setattr(fake_module, "make_keep_alive_server", Server)
    fake_module.main(["--port", "0", "--pay-after", "0.05", "--pay-senders", "8"])
    fake_module.main(["--port", "0"])
    assert [(s.pay_after, s.pay_senders) for s in started] == [(0.05, 8), (None, 4)]
    with pytest.raises(SystemExit):
        fake_module.main(["--pay-after", "-1"])
