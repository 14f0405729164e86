"""WeChat Pay behind one interface (`PaymentGateway`), with its v2 JSAPI implementation over
`wechatpy.pay`. Orders only ever talk to the interface, so WeChat Pay APIv3 can sit beside
`WeChatPayV2` later without touching them.

wechatpy checks nothing in WeChat's answers: every answer we act on (an order query, a refund
query, a notification) has its signature, app id and merchant id checked here. wechatpy also
logs the string it signs, pay key included, at DEBUG: `quiet_wechatpy_pay_logs` keeps its
loggers above DEBUG whatever the root level is.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.parsers.expat import ExpatError

import requests
import xmltodict
from wechatpy.exceptions import InvalidSignatureException, WeChatPayException
from wechatpy.pay import WeChatPay
from wechatpy.pay.utils import calculate_signature, dict_to_xml

from models.calendar import CHINA
from wx_client import WxError, WxUnavailable
from wx_client.transport import KeptAliveTransport, environment_settings

log = logging.getLogger("miniapp.wx_pay")
# The largest notification we read: WeChat's are about 1 KB.
MAX_NOTIFICATION_BYTES = 16 * 1024


# wechatpy's modules that log what they sign (the string with the pay key) or send, at DEBUG
_WECHATPY_PAY_LOGGERS = ("wechatpy.pay", "wechatpy.pay.utils", "wechatpy.pay.api.jsapi")


def quiet_wechatpy_pay_logs() -> None:
    """wechatpy.pay logs the signed string (pay key included) at DEBUG: never let it out.
    Checked before every call, since logging set-ups (fileConfig, dictConfig) reset the levels
    of loggers they find."""
    for name in _WECHATPY_PAY_LOGGERS:
        logger = logging.getLogger(name)
        if logger.level < logging.INFO:
            logger.setLevel(logging.INFO)


def read_environment_once(session: requests.Session, base_url: str) -> None:
    """requests reads the proxy and CA-bundle settings of the environment on every call of a
    session that trusts it (every environment variable decoded and scanned, about 0.2 ms of CPU
    a call). WeChat Pay is one host, whose settings are read here once, as requests would read
    them (HTTP(S)_PROXY unless NO_PROXY names the host; REQUESTS_CA_BUNDLE, else
    CURL_CA_BUNDLE), and the session stops reading them: a change to the environment takes
    effect at the next start, as every other setting. For the proxies `KeptAliveTransport`
    does not speak, where wechatpy's session stays."""
    session.proxies, bundle = environment_settings(base_url)
    if bundle:
        session.verify = bundle
    session.trust_env = False


def lean_transport(pay: WeChatPay, base_url: str) -> None:
    """wechatpy's pay client sends through `KeptAliveTransport` (wx_client/transport.py: the
    same call, answers and exceptions as its requests session, without the session's per-call
    machinery), with the environment's settings read once; under a proxy that transport does
    not speak, through its session as before."""
    transport = KeptAliveTransport.for_environment(base_url)
    if transport is None:
        read_environment_once(pay._http, base_url)
        return
    pay._http.close()
    pay._http = transport


def _no_pytz_lookups() -> None:
    """wechatpy's unified order finds China's time zone with `import pytz` on every call, and
    falls back to dateutil when that fails. Without pytz installed, the failed import searched
    every folder of sys.path each time; marking pytz absent in sys.modules makes it fail at
    once (what an installed pytz would be unaffected by: nothing is marked then)."""
    if "pytz" not in sys.modules and importlib.util.find_spec("pytz") is None:
        sys.modules["pytz"] = None  # type: ignore[assignment]


class PayRejected(WxError):
    """WeChat Pay refused the request (a business error, not an outage)."""

    status = 502
    code = "wechat_pay_rejected"
    message = "微信支付拒绝了该请求，请稍后再试"


class PayAnswerInvalid(WxUnavailable):
    """WeChat Pay answered with a bad signature or someone else's ids: not to be trusted."""


@dataclass(frozen=True)
class PaymentState:
    """What WeChat says about one order: `paid` only once the answer was verified."""

    paid: bool
    trade_state: str  # SUCCESS, NOTPAY, CLOSED, REFUND, USERPAYING, PAYERROR, NOTEXIST
    total_fee: int | None = None
    transaction_id: str | None = None
    paid_at: datetime | None = None


@dataclass(frozen=True)
class PaymentNotice:
    """A verified payment notification (signature, app id and merchant id checked)."""

    success: bool
    out_trade_no: str
    total_fee: int | None
    transaction_id: str | None
    paid_at: datetime | None


class NoticeRejected(Exception):
    """A notification that is not WeChat's or not ours; answered FAIL, nothing changes."""


class PaymentGateway(ABC):
    """Everything orders ask of a payment provider."""

    @abstractmethod
    def open_payment(
        self,
        *,
        order_no: str,
        amount: int,
        description: str,
        openid: str,
        client_ip: str,
        expires_at: datetime,
    ) -> str:
        """Place the provider's order; returns its prepay id."""

    @abstractmethod
    def payment_params(self, prepay_id: str, order_no: str) -> dict[str, str]:
        """The signed parameters the mini-program passes to `wx.requestPayment`."""

    @abstractmethod
    def query_payment(self, order_no: str) -> PaymentState:
        """Ask the provider whether the order was paid (answer verified)."""

    @abstractmethod
    def close_payment(self, order_no: str) -> PaymentState | None:
        """Close an unpaid order so that it can no longer be paid; when the provider says it
        was paid after all, the verified payment state."""

    @abstractmethod
    def refund(self, *, order_no: str, refund_no: str, total: int, amount: int) -> None:
        """Ask for a refund (idempotent per refund_no); raises when it was not accepted."""

    @abstractmethod
    def refund_succeeded(self, refund_no: str) -> bool:
        """Whether the provider has paid the refund back (answer verified)."""

    @abstractmethod
    def parse_notice(self, body: bytes) -> PaymentNotice:
        """Verify a payment notification; raises NoticeRejected."""

    @abstractmethod
    def notice_answer(self, ok: bool, message: str = "OK") -> tuple[str, str]:
        """The body and content type to answer a notification with."""


class WeChatPayV2(PaymentGateway):
    """WeChat Pay v2 (XML, MD5 signatures) for JSAPI payments from the mini-program."""

    def __init__(
        self,
        *,
        appid: str,
        mch_id: str,
        api_key: str,
        notify_url: str,
        api_base: str = "https://api.mch.weixin.qq.com/",
        cert_file: str | None = None,
        key_file: str | None = None,
        timeout: float = 5.0,
    ) -> None:
        quiet_wechatpy_pay_logs()
        if not api_base.endswith("/"):
            api_base += "/"
        self.appid = appid
        self.mch_id = mch_id
        self.notify_url = notify_url
        self._key = api_key
        self._pay = WeChatPay(
            appid, api_key, mch_id, mch_cert=cert_file, mch_key=key_file, timeout=timeout
        )
        self._pay.API_BASE_URL = api_base
        lean_transport(self._pay, api_base)
        _no_pytz_lookups()

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WeChatPayV2:
        return cls(
            appid=config["WECHAT_APPID"],
            mch_id=config["WECHAT_MCH_ID"],
            api_key=config["WECHAT_PAY_API_KEY"],
            notify_url=config["WECHAT_PAY_NOTIFY_URL"],
            api_base=config["WECHAT_PAY_API_BASE"],
            cert_file=config.get("WECHAT_PAY_CERT_FILE") or None,
            key_file=config.get("WECHAT_PAY_KEY_FILE") or None,
            timeout=float(config.get("WECHAT_PAY_TIMEOUT_SECONDS", 5.0)),
        )

    def open_payment(
        self,
        *,
        order_no: str,
        amount: int,
        description: str,
        openid: str,
        client_ip: str,
        expires_at: datetime,
    ) -> str:
        answer = self._call(
            "unifiedorder",
            lambda: self._pay.order.create(
                trade_type="JSAPI",
                body=description[:40],
                total_fee=amount,
                notify_url=self.notify_url,
                client_ip=client_ip,
                user_id=openid,
                out_trade_no=order_no,
                time_expire=expires_at.astimezone(CHINA),
            ),
        )
        prepay_id = answer.get("prepay_id")
        if not prepay_id:
            raise PayAnswerInvalid("unifiedorder answered without prepay_id")
        return prepay_id

    def payment_params(self, prepay_id: str, order_no: str) -> dict[str, str]:
        quiet_wechatpy_pay_logs()
        params = dict(self._pay.jsapi.get_jsapi_params(prepay_id))
        params["out_trade_no"] = order_no
        return params

    def query_payment(self, order_no: str) -> PaymentState:
        try:
            answer = self._call("orderquery", lambda: self._pay.order.query(out_trade_no=order_no))
        except PayRejected as exc:
            if exc.detail == "ORDERNOTEXIST":
                return PaymentState(paid=False, trade_state="NOTEXIST")
            raise
        return self._payment_state(answer)

    def close_payment(self, order_no: str) -> PaymentState | None:
        try:
            self._call("closeorder", lambda: self._pay.order.close(order_no))
        except PayRejected as exc:
            if exc.detail == "ORDERPAID":
                return self.query_payment(order_no)
            if exc.detail in ("ORDERCLOSED", "ORDERNOTEXIST"):
                return None
            raise
        return None

    def refund(self, *, order_no: str, refund_no: str, total: int, amount: int) -> None:
        self._call(
            "refund",
            lambda: self._pay.refund.apply(
                total_fee=total, refund_fee=amount, out_refund_no=refund_no, out_trade_no=order_no
            ),
        )

    def refund_succeeded(self, refund_no: str) -> bool:
        try:
            answer = self._call(
                "refundquery", lambda: self._pay.refund.query(out_refund_no=refund_no)
            )
        except PayRejected as exc:
            if exc.detail == "REFUNDNOTEXIST":
                return False
            raise
        return answer.get("refund_status_0") == "SUCCESS"

    def parse_notice(self, body: bytes) -> PaymentNotice:
        if len(body) > MAX_NOTIFICATION_BYTES:
            raise NoticeRejected("too large")
        quiet_wechatpy_pay_logs()
        try:
            data = self._pay.parse_payment_result(body)
        except (InvalidSignatureException, ExpatError, ValueError) as exc:
            raise NoticeRejected("bad signature") from exc
        if not isinstance(data, dict):
            raise NoticeRejected("not a notification")
        self._check_ours(data, NoticeRejected)
        if data.get("return_code") != "SUCCESS" or not data.get("out_trade_no"):
            raise NoticeRejected("not a payment result")
        success = data.get("result_code") == "SUCCESS"
        return PaymentNotice(
            success=success,
            out_trade_no=str(data["out_trade_no"]),
            total_fee=_int_or_none(data.get("total_fee")),
            transaction_id=data.get("transaction_id") or None,
            paid_at=_wechat_time(data.get("time_end")),
        )

    def notice_answer(self, ok: bool, message: str = "OK") -> tuple[str, str]:
        code = "SUCCESS" if ok else "FAIL"
        return dict_to_xml({"return_code": code, "return_msg": message}), "application/xml"

    def sign(self, data: dict[str, Any]) -> str:
        """A v2 MD5 signature with our pay key (tests and the fake use it)."""
        return calculate_signature(data, self._key)

    def signed_xml(self, data: dict[str, Any]) -> str:
        return dict_to_xml(data, self.sign(data))

    def _payment_state(self, answer: dict[str, Any]) -> PaymentState:
        self._verify(answer)
        trade_state = answer.get("trade_state") or "NOTEXIST"
        total_fee = _int_or_none(answer.get("total_fee"))
        paid = trade_state in ("SUCCESS", "REFUND") and bool(answer.get("transaction_id"))
        return PaymentState(
            paid=paid,
            trade_state=trade_state,
            total_fee=total_fee,
            transaction_id=answer.get("transaction_id") or None,
            paid_at=_wechat_time(answer.get("time_end")),
        )

    def _verify(self, answer: dict[str, Any]) -> None:
        if not self._pay.check_signature(dict(answer)):
            raise PayAnswerInvalid("answer signature does not verify")
        self._check_ours(answer, PayAnswerInvalid)

    def _check_ours(self, data: dict[str, Any], error: type[Exception]) -> None:
        if data.get("appid") != self.appid:
            raise error("appid is not ours")
        if data.get("mch_id") != self.mch_id:
            raise error("mch_id is not ours")

    def _call(self, endpoint: str, call) -> dict[str, Any]:
        quiet_wechatpy_pay_logs()
        try:
            answer = call()
        except requests.Timeout as exc:
            log.warning("wechat pay %s timeout", endpoint)
            raise WxUnavailable("timeout") from exc
        except requests.RequestException as exc:
            log.warning("wechat pay %s unreachable: %s", endpoint, type(exc).__name__)
            raise WxUnavailable("unreachable") from exc
        except WeChatPayException as exc:
            errcode = exc.errcode
            log.warning(
                "wechat pay %s refused: return_code=%s err_code=%s",
                endpoint,
                exc.return_code,
                errcode,
            )
            if exc.return_code is None or errcode in ("SYSTEMERROR", "BIZERR_NEED_RETRY"):
                raise WxUnavailable(str(errcode or "http error")) from exc
            raise PayRejected(str(errcode or exc.return_msg or "FAIL")) from exc
        if not isinstance(answer, dict):
            raise PayAnswerInvalid("answer is not XML")
        return answer


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _wechat_time(value: Any) -> datetime | None:
    """WeChat's yyyyMMddHHmmss, in China time."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y%m%d%H%M%S").replace(tzinfo=CHINA)
    except ValueError:
        return None


def parse_xml(body: bytes | str) -> dict[str, Any] | None:
    """A flat v2 XML message as a dict, or None when it is not one."""
    try:
        data = xmltodict.parse(body)
    except (ExpatError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("xml"), dict):
        return None
    return dict(data["xml"])
