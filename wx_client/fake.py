"""The fake WeChat (API.md, "The fake WeChat"): WeChat's own paths, answered the way WeChat
answers them, over real HTTP, for the demo and the tests. Nothing here reaches the internet.

    python -m wx_client.fake --port 5001 --notify-url URL [--pay-after SECONDS]

It reads the same WECHAT_* settings as the service, so wechatpy talks to it exactly as to
WeChat. Control paths under ``/__fake__/`` hand out codes, switch faults on and off and send
payment notifications; with `--pay-after` the fake pays every order it opens by itself, that
many seconds after its unified order, as WeChat notifies once the payer has paid. Each
part of WeChat is a blueprint over one shared `FakeState`; WeChat Pay's is in fake_pay.py.
It serves HTTP/1.1 with keep-alive, as WeChat does (fake_server.py).
"""

from __future__ import annotations

import argparse
import base64
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request

from wx_client.fake_server import KeepAliveServer, make_keep_alive_server

FAULTS = ("busy", "timeout", "rate_limited", "fail")
# How long a "timeout" fault keeps the caller waiting: longer than any client timeout.
TIMEOUT_FAULT_SECONDS = 8.0


@dataclass
class FakeState:
    appid: str
    secret: str
    mch_id: str = ""
    pay_key: str = ""
    notify_url: str = ""
    login_codes: dict[str, dict[str, str | None]] = field(default_factory=dict)
    used_login_codes: set[str] = field(default_factory=set)
    phone_codes: dict[str, str] = field(default_factory=dict)
    access_tokens: set[str] = field(default_factory=set)
    stable_token: str | None = None
    faults: dict[str, str | None] = field(default_factory=dict)
    # WeChat Pay (wx_client/fake_pay.py): prepaid orders by out_trade_no, refunds by out_refund_no
    pay_orders: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    # WeChat after the payer pays: None (the default), only the control path sends
    # notifications; a number of seconds, every order the unified order opens is paid by
    # itself that long after (fake_pay.Payer, `pay_senders` threads sending, started when
    # first needed)
    pay_after: float | None = None
    pay_senders: int = 4
    payer: Any = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def new_token(self) -> str:
        token = "fake-token-" + secrets.token_hex(16)
        self.access_tokens.add(token)
        return token

    def count(self, endpoint: str) -> None:
        with self.lock:
            self.calls[endpoint] = self.calls.get(endpoint, 0) + 1


def state() -> FakeState:
    return current_app.extensions["fake_wechat"]


def wx_error(errcode: int, errmsg: str):
    return jsonify({"errcode": errcode, "errmsg": errmsg})


def injected_fault(endpoint: str):
    """The answer WeChat gives when it misbehaves, if a fault is set for this endpoint."""
    fault = state().faults.get(endpoint)
    if fault == "busy":
        return wx_error(-1, "system error")
    if fault == "rate_limited":
        return wx_error(45011, "api minute-quota reach limit  mustslower  retry next minute")
    if fault == "timeout":
        time.sleep(TIMEOUT_FAULT_SECONDS)
        return wx_error(-1, "system error")
    return None


login = Blueprint("fake_login", __name__)


@login.get("/sns/jscode2session")
def jscode2session():
    fake = state()
    fake.count("jscode2session")
    if fault := injected_fault("jscode2session"):
        return fault
    args = request.args
    if args.get("appid") != fake.appid:
        return wx_error(40013, "invalid appid")
    if args.get("secret") != fake.secret:
        return wx_error(40125, "invalid appsecret")
    if args.get("grant_type") != "authorization_code":
        return wx_error(40002, "invalid grant_type")
    code = args.get("js_code", "")
    with fake.lock:
        if code in fake.used_login_codes:
            return wx_error(40163, "code been used")
        identity = fake.login_codes.pop(code, None)
        if identity is None:
            return wx_error(40029, "invalid code")
        fake.used_login_codes.add(code)
    answer: dict[str, Any] = {
        "openid": identity["openid"],
        "session_key": base64.b64encode(os.urandom(16)).decode(),
    }
    if identity.get("unionid"):
        answer["unionid"] = identity["unionid"]
    return jsonify(answer)


@login.post("/cgi-bin/stable_token")
def stable_token():
    fake = state()
    fake.count("stable_token")
    if fault := injected_fault("stable_token"):
        return fault
    body = request.get_json(force=True, silent=True) or {}
    if body.get("appid") != fake.appid:
        return wx_error(40013, "invalid appid")
    if body.get("secret") != fake.secret:
        return wx_error(40125, "invalid appsecret")
    with fake.lock:
        # The stable token stays the same until it is force-refreshed: workers share it.
        if body.get("force_refresh") or fake.stable_token not in fake.access_tokens:
            fake.stable_token = fake.new_token()
        token = fake.stable_token
    return jsonify({"access_token": token, "expires_in": 7200})


@login.get("/cgi-bin/token")
def plain_token():
    fake = state()
    fake.count("token")
    if request.args.get("appid") != fake.appid or request.args.get("secret") != fake.secret:
        return wx_error(40013, "invalid appid")
    with fake.lock:
        # Like WeChat's plain endpoint: a new token invalidates every other one.
        fake.access_tokens = set()
        token = fake.new_token()
    return jsonify({"access_token": token, "expires_in": 7200})


@login.post("/wxa/business/getuserphonenumber")
def get_user_phone_number():
    fake = state()
    fake.count("getuserphonenumber")
    if fault := injected_fault("getuserphonenumber"):
        return fault
    if request.args.get("access_token") not in fake.access_tokens:
        return wx_error(40001, "invalid credential, access_token is invalid or not latest")
    code = (request.get_json(force=True, silent=True) or {}).get("code", "")
    with fake.lock:
        phone = fake.phone_codes.pop(code, None)
    if phone is None:
        return wx_error(40029, "invalid code")
    return jsonify(
        {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(time.time()), "appid": fake.appid},
            },
        }
    )


control = Blueprint("fake_control", __name__, url_prefix="/__fake__")


@control.post("/login-code")
def make_login_code():
    body = request.get_json(force=True, silent=True) or {}
    openid = body.get("openid")
    if not isinstance(openid, str) or not openid:
        return jsonify({"error": "openid is required"}), 400
    code = secrets.token_urlsafe(16)
    with state().lock:
        state().login_codes[code] = {"openid": openid, "unionid": body.get("unionid")}
    return jsonify({"code": code})


@control.post("/phone-code")
def make_phone_code():
    body = request.get_json(force=True, silent=True) or {}
    phone = body.get("phone")
    if not isinstance(phone, str) or not phone:
        return jsonify({"error": "phone is required"}), 400
    code = secrets.token_urlsafe(16)
    with state().lock:
        state().phone_codes[code] = phone
    return jsonify({"code": code})


@control.post("/faults")
def set_faults():
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": "a JSON object of endpoint: fault"}), 400
    for fault in body.values():
        if fault is not None and fault not in FAULTS:
            return jsonify({"error": f"unknown fault {fault!r}", "faults": list(FAULTS)}), 400
    with state().lock:
        for endpoint, fault in body.items():
            if fault is None:
                state().faults.pop(endpoint, None)
            else:
                state().faults[endpoint] = fault
    return jsonify({"faults": dict(state().faults)})


@control.get("/calls")
def call_counts():
    return jsonify({"calls": dict(state().calls)})


def create_fake_app(fake: FakeState) -> Flask:
    app = Flask("wx_client.fake")
    app.extensions["fake_wechat"] = fake
    app.register_blueprint(login)
    app.register_blueprint(control)
    from wx_client.fake_pay import pay, pay_control

    app.register_blueprint(pay)
    app.register_blueprint(pay_control)
    return app


class FakeWeChat:
    """A fake WeChat serving on a port of its own, in a background thread."""

    def __init__(self, state: FakeState) -> None:
        self.state = state
        self.app = create_fake_app(state)
        self._server: KeepAliveServer | None = None

    @classmethod
    def from_environment(
        cls, notify_url: str = "", pay_after: float | None = None, pay_senders: int = 4
    ) -> FakeWeChat:
        env = os.environ.get
        return cls(
            FakeState(
                appid=env("WECHAT_APPID", "wx-demo-appid"),
                secret=env("WECHAT_SECRET", "demo-app-secret"),
                mch_id=env("WECHAT_MCH_ID", "1900000109"),
                pay_key=env("WECHAT_PAY_API_KEY", "demo-pay-key-0123456789abcdefghi"),
                notify_url=notify_url or env("WECHAT_PAY_NOTIFY_URL", ""),
                pay_after=pay_after,
                pay_senders=pay_senders,
            )
        )

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving; returns the base URL (with a trailing slash)."""
        self._server = make_keep_alive_server(host, port, self.app)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        return f"http://{host}:{self._server.server_port}/"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self.state.lock:
            payer, self.state.payer = self.state.payer, None
        if payer is not None:
            payer.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="The fake WeChat, for demo and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--notify-url", default="", help="where payment notifications go")
    parser.add_argument(
        "--pay-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="pay every order the unified order opens by itself, this long after it: the "
        "signed SUCCESS notification goes to the notify URL as from the control path "
        "(default: never; only POST /__fake__/pay/{out_trade_no}/notify sends one)",
    )
    parser.add_argument(
        "--pay-senders",
        type=int,
        default=4,
        metavar="N",
        help="threads sending those notifications (default 4)",
    )
    args = parser.parse_args(argv)
    if args.pay_after is not None and args.pay_after < 0:
        parser.error("--pay-after is a number of seconds, 0 or more")
    if args.pay_senders < 1:
        parser.error("--pay-senders is at least 1")
    fake = FakeWeChat.from_environment(args.notify_url, args.pay_after, args.pay_senders)
    server = make_keep_alive_server(args.host, args.port, fake.app)
    paying = f", paying every order {args.pay_after} s after it opens" if args.pay_after else ""
    if args.pay_after == 0:
        paying = ", paying every order as soon as it opens"
    print(f"fake WeChat on http://{args.host}:{args.port}/ (appid {fake.state.appid}{paying})")
    server.serve_forever()


if __name__ == "__main__":
    main()
