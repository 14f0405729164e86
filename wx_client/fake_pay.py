"""The fake WeChat's pay part (API.md, "The fake WeChat"): WeChat Pay v2's XML paths, signed
MD5 with the pay key as WeChat signs them, and the control path that sends a payment
notification to the service. With `pay_after` set (`--pay-after SECONDS`), the fake also does
what WeChat does once the payer has paid: it sends the SUCCESS notification of every order it
opened by itself, that many seconds after the unified order (`Payer`), and counts the answers
(`GET /__fake__/pay/delivered`).

Faults (`POST /__fake__/faults`): "busy" answers SYSTEMERROR (retry later), "timeout" keeps the
caller waiting past its timeout, "fail" refuses the request with the endpoint's business error
(for a refund: NOTENOUGH, the merchant's balance is too low).
"""

from __future__ import annotations

import heapq
import itertools
import queue
import secrets
import threading
import time
from datetime import datetime
from typing import Any

import requests
from flask import Blueprint, Response, jsonify, request
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from models.calendar import CHINA
from wx_client.fake import TIMEOUT_FAULT_SECONDS, FakeState, state
from wx_client.pay import parse_xml
from wx_client.transport import KeptAliveTransport

pay = Blueprint("fake_pay", __name__)
pay_control = Blueprint("fake_pay_control", __name__, url_prefix="/__fake__/pay")

_FAIL_CODES = {
    "unifiedorder": ("INVALID_REQUEST", "参数错误"),
    "orderquery": ("SYSTEMERROR", "系统错误"),
    "closeorder": ("SYSTEMERROR", "系统错误"),
    "refund": ("NOTENOUGH", "基本账户余额不足"),
    "refundquery": ("SYSTEMERROR", "系统错误"),
}
MAX_TOTAL_FEE = 2**31 - 1
# Notifications go out through the pay client's lean transport (connections kept when the
# service keeps them; no requests session machinery per notification). No proxy: the fake
# calls the service it was started beside.
_notifications = KeptAliveTransport()


def _signed(fake: FakeState, data: dict[str, Any]) -> Response:
    data = {key: value for key, value in data.items() if value not in (None, "")}
    data.setdefault("appid", fake.appid)
    data.setdefault("mch_id", fake.mch_id)
    data["nonce_str"] = secrets.token_hex(16)
    body = dict_to_xml(data, calculate_signature(data, fake.pay_key))
    return Response(body, mimetype="application/xml")


def _return_fail(message: str) -> Response:
    body = dict_to_xml({"return_code": "FAIL", "return_msg": message})
    return Response(body, mimetype="application/xml")


def _business_fail(fake: FakeState, err_code: str, des: str) -> Response:
    return _signed(
        fake,
        {
            "return_code": "SUCCESS",
            "return_msg": "OK",
            "result_code": "FAIL",
            "err_code": err_code,
            "err_code_des": des,
        },
    )


def _ok(fake: FakeState, data: dict[str, Any]) -> Response:
    return _signed(
        fake, {"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS"} | data
    )


def _request_of(endpoint: str) -> tuple[FakeState, dict[str, Any] | None, Response | None]:
    """The checked request: its fields, or the answer WeChat gives to a bad one."""
    fake = state()
    fake.count(endpoint)
    fault = fake.faults.get(endpoint)
    if fault == "timeout":
        time.sleep(TIMEOUT_FAULT_SECONDS)
    if fault in ("busy", "timeout"):
        return fake, None, _business_fail(fake, "SYSTEMERROR", "系统超时")
    data = parse_xml(request.get_data())
    if data is None:
        return fake, None, _return_fail("XML格式错误")
    sign = data.pop("sign", None)
    if sign != calculate_signature(data, fake.pay_key):
        return fake, None, _return_fail("签名错误")
    if data.get("appid") != fake.appid:
        return fake, None, _return_fail("appid不存在")
    if data.get("mch_id") != fake.mch_id:
        return fake, None, _return_fail("商户号mch_id与appid不匹配")
    if fault == "fail":
        return fake, None, _business_fail(fake, *_FAIL_CODES[endpoint])
    return fake, data, None


@pay.post("/pay/unifiedorder")
def unifiedorder():
    fake, data, failure = _request_of("unifiedorder")
    if failure:
        return failure
    for name in ("body", "out_trade_no", "total_fee", "spbill_create_ip", "notify_url", "openid"):
        if not data.get(name):
            return _return_fail(f"缺少参数{name}")
    if data.get("trade_type") != "JSAPI":
        return _business_fail(fake, "PARAM_ERROR", "trade_type 参数错误")
    try:
        total_fee = int(data["total_fee"])
    except ValueError:
        total_fee = 0
    if not 0 < total_fee <= MAX_TOTAL_FEE:
        return _business_fail(fake, "PARAM_ERROR", "total_fee 参数错误")
    out_trade_no = data["out_trade_no"]
    paid_later = False
    with fake.lock:
        order = fake.pay_orders.get(out_trade_no)
        if order is not None:
            if order["state"] == "SUCCESS":
                return _business_fail(fake, "ORDERPAID", "该订单已支付")
            if order["state"] == "CLOSED":
                return _business_fail(fake, "ORDERCLOSED", "该订单已关闭")
            if order["total_fee"] != total_fee:
                return _business_fail(fake, "INVALID_REQUEST", "商户订单号重复")
        else:
            order = {
                "total_fee": total_fee,
                "prepay_id": "wx" + secrets.token_hex(15),
                "openid": data["openid"],
                "notify_url": data["notify_url"],
                "time_expire": data.get("time_expire"),
                "spbill_create_ip": data["spbill_create_ip"],
                "state": "NOTPAY",
                "transaction_id": None,
                "time_end": None,
            }
            fake.pay_orders[out_trade_no] = order
            paid_later = fake.pay_after is not None
    if paid_later:  # once per prepaid order: opened again, it is not paid twice
        payer_of(fake).schedule(out_trade_no, fake.pay_after)  # type: ignore[arg-type]
    return _ok(fake, {"trade_type": "JSAPI", "prepay_id": order["prepay_id"]})


@pay.post("/pay/orderquery")
def orderquery():
    fake, data, failure = _request_of("orderquery")
    if failure:
        return failure
    order = fake.pay_orders.get(data.get("out_trade_no") or "")
    if order is None:
        return _business_fail(fake, "ORDERNOTEXIST", "此交易订单号不存在")
    answer = {
        "out_trade_no": data["out_trade_no"],
        "trade_state": order["state"],
        "openid": order["openid"],
        "trade_type": "JSAPI",
    }
    if order["transaction_id"]:
        answer |= {
            "transaction_id": order["transaction_id"],
            "total_fee": order["total_fee"],
            "cash_fee": order["total_fee"],
            "fee_type": "CNY",
            "bank_type": "OTHERS",
            "time_end": order["time_end"],
        }
    return _ok(fake, answer)


@pay.post("/pay/closeorder")
def closeorder():
    fake, data, failure = _request_of("closeorder")
    if failure:
        return failure
    with fake.lock:
        order = fake.pay_orders.get(data.get("out_trade_no") or "")
        if order is None:
            return _business_fail(fake, "ORDERNOTEXIST", "订单不存在")
        if order["state"] in ("SUCCESS", "REFUND"):
            return _business_fail(fake, "ORDERPAID", "订单已支付，不能发起关单")
        order["state"] = "CLOSED"
    return _ok(fake, {})


@pay.post("/secapi/pay/refund")
def refund():
    fake, data, failure = _request_of("refund")
    if failure:
        return failure
    out_refund_no = data.get("out_refund_no") or ""
    with fake.lock:
        order = fake.pay_orders.get(data.get("out_trade_no") or "")
        if order is None or not order["transaction_id"]:
            return _business_fail(fake, "ORDERNOTEXIST", "订单不存在或未支付")
        try:
            refund_fee, total_fee = int(data["refund_fee"]), int(data["total_fee"])
        except (KeyError, ValueError):
            return _business_fail(fake, "PARAM_ERROR", "退款金额参数错误")
        if total_fee != order["total_fee"] or not 0 < refund_fee <= total_fee or not out_refund_no:
            return _business_fail(fake, "PARAM_ERROR", "退款金额参数错误")
        existing = fake.refunds.get(out_refund_no)
        if existing is None:
            existing = {
                "out_trade_no": data["out_trade_no"],
                "refund_id": "50" + secrets.token_hex(14),
                "refund_fee": refund_fee,
                "status": "SUCCESS",
            }
            fake.refunds[out_refund_no] = existing
            order["state"] = "REFUND"
    return _ok(
        fake,
        {
            "transaction_id": order["transaction_id"],
            "out_trade_no": data["out_trade_no"],
            "out_refund_no": out_refund_no,
            "refund_id": existing["refund_id"],
            "refund_fee": existing["refund_fee"],
            "total_fee": order["total_fee"],
            "cash_fee": order["total_fee"],
        },
    )


@pay.post("/pay/refundquery")
def refundquery():
    fake, data, failure = _request_of("refundquery")
    if failure:
        return failure
    out_refund_no = data.get("out_refund_no") or ""
    existing = fake.refunds.get(out_refund_no)
    if existing is None:
        return _business_fail(fake, "REFUNDNOTEXIST", "退款订单查询失败")
    return _ok(
        fake,
        {
            "out_trade_no": existing["out_trade_no"],
            "refund_count": 1,
            "out_refund_no_0": out_refund_no,
            "refund_id_0": existing["refund_id"],
            "refund_fee_0": existing["refund_fee"],
            "refund_status_0": existing["status"],
        },
    )


@pay_control.post("/<out_trade_no>/notify")
def send_notification(out_trade_no: str):
    """Send a signed payment notification for a prepaid order to the notify URL (the one set
    on the fake, else the unified order's); answers what the service said."""
    body = request.get_json(force=True, silent=True) or {}
    result = body.get("result", "SUCCESS")
    if result not in ("SUCCESS", "FAIL"):
        return jsonify({"error": "result is SUCCESS or FAIL"}), 400
    sent = notify_payment(state(), out_trade_no, result)
    if sent is None:
        return jsonify({"error": f"no prepaid order {out_trade_no}"}), 404
    return jsonify(sent)


@pay_control.get("/delivered")
def delivered():
    """What the payer (`pay_after`) has done so far: notifications scheduled, answered SUCCESS
    by the service, failed (not sent, or answered otherwise), pending (not answered yet), and
    the seconds the senders spent sending them and started late (after their due time), in
    all."""
    fake = state()
    payer = fake.payer
    counts = payer.counts() if payer is not None else Payer.no_counts()
    return jsonify({"pay_after": fake.pay_after, "senders": fake.pay_senders} | counts)


def notify_payment(fake: FakeState, out_trade_no: str, result: str) -> dict[str, Any] | None:
    """Mark the prepaid order paid (SUCCESS: its transaction id drawn the first time, the same
    one every time after) or not (FAIL), send the signed notification to the notify URL (the
    fake's, else the unified order's) and return `{delivered, status, body}`: what the service
    answered. None when there is no such prepaid order. The control path and the payer
    (`pay_after`) both send through here."""
    with fake.lock:
        order = fake.pay_orders.get(out_trade_no)
        if order is None:
            return None
        notice: dict[str, Any] = {
            "appid": fake.appid,
            "mch_id": fake.mch_id,
            "return_code": "SUCCESS",
            "result_code": result,
            "openid": order["openid"],
            "out_trade_no": out_trade_no,
            "total_fee": order["total_fee"],
            "trade_type": "JSAPI",
            "fee_type": "CNY",
        }
        if result == "SUCCESS":
            if not order["transaction_id"]:
                # 28 digits, as WeChat's: one draw (24 draws of a digit cost more than the rest)
                order["transaction_id"] = f"4200{secrets.randbelow(10**24):024d}"
                order["time_end"] = datetime.now(CHINA).strftime("%Y%m%d%H%M%S")
                order["state"] = "SUCCESS" if order["state"] != "REFUND" else "REFUND"
            notice |= {
                "transaction_id": order["transaction_id"],
                "time_end": order["time_end"],
                "cash_fee": order["total_fee"],
                "bank_type": "OTHERS",
                "is_subscribe": "N",
            }
        else:
            notice |= {"err_code": "PAYERROR", "err_code_des": "支付失败"}
        url = fake.notify_url or order["notify_url"]
    notice["nonce_str"] = secrets.token_hex(16)
    xml = dict_to_xml(notice, calculate_signature(notice, fake.pay_key))
    try:
        answer = _notifications.request(
            "POST",
            url,
            data=xml.encode(),
            headers={"Content-Type": "application/xml"},
            timeout=10,
        )
    except requests.RequestException as exc:
        return {"delivered": False, "status": None, "body": type(exc).__name__}
    # the service answers XML in UTF-8 (no charset named: requests would guess it each time)
    body = answer.content.decode("utf-8", "replace")
    return {"delivered": True, "status": answer.status_code, "body": body}


class Payer:
    """WeChat after the payer pays: every order the unified order opens is paid by itself,
    `pay_after` seconds later, by a SUCCESS notification from `notify_payment` (the control
    path's). One timer thread hands the orders out in order of due time to `senders` sender
    threads. A delivery is tried once: one that fails (not sent, or not answered SUCCESS) is
    counted, never sent again. Started by the first order it is given; `stop` ends it."""

    COUNTS = ("scheduled", "delivered", "failed", "pending")

    def __init__(self, fake: FakeState, senders: int) -> None:
        self.fake = fake
        self._due: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._timer = threading.Condition()
        self._ready: queue.SimpleQueue[tuple[float, str] | None] = queue.SimpleQueue()
        self._counts: dict[str, float] = self.no_counts()
        self._stopped = False
        self._threads = [threading.Thread(target=self._hand_out, daemon=True)] + [
            threading.Thread(target=self._send, daemon=True) for _ in range(max(1, senders))
        ]
        for thread in self._threads:
            thread.start()

    def schedule(self, out_trade_no: str, delay: float) -> None:
        with self._timer:
            heapq.heappush(self._due, (time.monotonic() + delay, next(self._order), out_trade_no))
            self._counts["scheduled"] += 1
            self._counts["pending"] += 1
            self._timer.notify()

    @classmethod
    def no_counts(cls) -> dict[str, float]:
        return dict.fromkeys(cls.COUNTS, 0) | {"seconds_sending": 0.0, "seconds_late": 0.0}

    def counts(self) -> dict[str, float]:
        with self._timer:
            return dict(self._counts)

    def stop(self) -> None:
        with self._timer:
            self._stopped = True
            self._timer.notify()
        for _ in self._threads[1:]:
            self._ready.put(None)
        for thread in self._threads:
            thread.join(timeout=15)

    def _hand_out(self) -> None:
        with self._timer:
            while not self._stopped:
                wait = self._due[0][0] - time.monotonic() if self._due else None
                if wait is not None and wait <= 0:
                    due, _, out_trade_no = heapq.heappop(self._due)
                    self._ready.put((due, out_trade_no))
                else:
                    self._timer.wait(wait)

    def _send(self) -> None:
        while (item := self._ready.get()) is not None:
            due, out_trade_no = item
            started = time.monotonic()
            try:
                sent = notify_payment(self.fake, out_trade_no, "SUCCESS")
                answer = parse_xml(sent["body"]) if sent and sent["status"] == 200 else None
            except Exception:  # counted as failed (an answer that is no XML too); go on
                answer = None
            outcome = "delivered" if (answer or {}).get("return_code") == "SUCCESS" else "failed"
            finished = time.monotonic()
            with self._timer:
                self._counts[outcome] += 1
                self._counts["pending"] -= 1
                self._counts["seconds_sending"] += finished - started
                self._counts["seconds_late"] += max(0.0, started - due)


def payer_of(fake: FakeState) -> Payer:
    """The fake's payer, started the first time it is needed."""
    with fake.lock:
        if fake.payer is None:
            fake.payer = Payer(fake, fake.pay_senders)
        return fake.payer
