"""WeChat Pay v2 through wechatpy against the fake: what is sent, and what is believed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from miniapp_api.wechat import wx_pay
from models.base import utcnow
from models.calendar import CHINA
from tests.conftest import TEST_APPID, TEST_MCH_ID
from wx_client import WxUnavailable
from wx_client.pay import PayAnswerInvalid, PayRejected, parse_xml


def _open(order_no: str, amount: int = 12_50, expires_at=None) -> str:
    return wx_pay().open_payment(
        order_no=order_no,
        amount=amount,
        description="环江香粳米",
        openid="openid-buyer",
        client_ip="203.0.113.7",
        expires_at=expires_at or utcnow() + timedelta(minutes=30),
    )


def test_the_unified_order_carries_the_order_number_expiry_and_client_address(fake):
    expires_at = utcnow() + timedelta(minutes=30)
    _open("XD2026120100000001", expires_at=expires_at)
    sent = fake.state.pay_orders["XD2026120100000001"]
    assert sent["time_expire"] == expires_at.astimezone(CHINA).strftime("%Y%m%d%H%M%S")
    assert sent["spbill_create_ip"] == "203.0.113.7"
    assert sent["total_fee"] == 12_50


def test_opening_the_same_order_twice_gives_the_same_prepay_id(fake):
    assert _open("XD2026120100000002") == _open("XD2026120100000002")


def test_the_payment_parameters_are_signed_with_the_pay_key(fake):
    params = wx_pay().payment_params("wx123", "XD2026120100000003")
    signed = {k: params[k] for k in ("appId", "timeStamp", "nonceStr", "package", "signType")}
    assert params["paySign"] == calculate_signature(signed, fake.state.pay_key)
    assert params["package"] == "prepay_id=wx123" and params["appId"] == TEST_APPID


def test_the_fake_refuses_a_request_signed_with_another_key(fake):
    data = {"appid": TEST_APPID, "mch_id": TEST_MCH_ID, "out_trade_no": "X", "nonce_str": "n"}
    body = dict_to_xml(data, calculate_signature(data, "another-key"))
    answer = parse_xml(requests.post(fake.base_url + "pay/orderquery", data=body.encode()).text)
    assert answer["return_code"] == "FAIL"


def test_an_order_query_answer_with_a_bad_signature_is_not_believed(fake):
    gateway = wx_pay()
    answer = {
        "appid": TEST_APPID,
        "mch_id": TEST_MCH_ID,
        "trade_state": "SUCCESS",
        "transaction_id": "4200",
        "total_fee": "1250",
        "sign": "0" * 32,
    }
    with pytest.raises(PayAnswerInvalid):
        gateway._payment_state(answer)


def test_an_unknown_order_is_not_paid(fake):
    state = wx_pay().query_payment("XD2026120100000404")
    assert not state.paid and state.trade_state == "NOTEXIST"


def test_a_busy_wechat_is_unavailable_and_a_refused_refund_is_rejected(fake):
    fake.fault("unifiedorder", "busy")
    with pytest.raises(WxUnavailable):
        _open("XD2026120100000005")
    fake.fault("unifiedorder", None)
    _open("XD2026120100000005")
    with pytest.raises(PayRejected):  # never paid: nothing to refund
        wx_pay().refund(
            order_no="XD2026120100000005", refund_no="XD2026120100000005R", total=1250, amount=1250
        )


def test_the_pay_client_reads_proxy_settings_once_as_requests_would(monkeypatch):
    from wx_client.pay import WeChatPayV2
    from wx_client.transport import KeptAliveTransport

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/company-ca.pem")
    gateway = WeChatPayV2(appid="wx1", mch_id="1900000109", api_key="k" * 32, notify_url="x")
    transport = gateway._pay._http
    assert isinstance(transport, KeptAliveTransport)
    assert transport.proxies["https"] == "http://proxy.example:3128"
    assert transport.verify == "/etc/ssl/certs/company-ca.pem"

    monkeypatch.setenv("NO_PROXY", "api.mch.weixin.qq.com")
    bypassing = WeChatPayV2(appid="wx1", mch_id="1900000109", api_key="k" * 32, notify_url="x")
    assert bypassing._pay._http.proxies == {}


def test_a_proxy_the_transport_does_not_speak_keeps_wechatpys_session(monkeypatch):
    from wx_client.pay import WeChatPayV2

    monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy.example:1080")
    monkeypatch.setenv("NO_PROXY", "")
    gateway = WeChatPayV2(appid="wx1", mch_id="1900000109", api_key="k" * 32, notify_url="x")
    session = gateway._pay._http
    assert isinstance(session, requests.Session)
    assert session.proxies["https"] == "socks5://proxy.example:1080"
    assert session.trust_env is False


def test_calls_to_the_fake_share_one_kept_alive_connection(fake):
    import http.client
    from urllib.parse import urlsplit

    base = urlsplit(fake.base_url)
    connection = http.client.HTTPConnection(base.hostname, base.port, timeout=5)
    answers = []
    for _ in range(3):
        connection.request("GET", "/__fake__/calls")
        response = connection.getresponse()
        answers.append((response.status, response.getheader("Connection"), response.read()))
        socket_used = connection.sock
        assert socket_used is not None  # still open: the next call reuses it
    connection.close()
    assert [status for status, _, _ in answers] == [200, 200, 200]
    assert all(header != "close" for _, header, _ in answers)
