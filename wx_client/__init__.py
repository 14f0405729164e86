"""Our WeChat client: everything this service asks of WeChat, over wechatpy.

WeChat's failures become our errors (each with an HTTP status, a stable code and a Chinese
message), so the API answers them in its usual envelope:

- a bad or already used login code: 401 ``wechat_code_invalid``
- WeChat's rate limit (45011): 429 ``wechat_rate_limited``
- busy (-1), a timeout or a refused connection: 503 ``wechat_unavailable``

Two wechatpy 1.8 pitfalls are designed around here:

- ``wxa.code_to_session`` fetches an access token first, although ``jscode2session`` needs
  none: a token outage would break login. We call ``sns/jscode2session`` through the client's
  request helper with the parameters as a list, which keeps the helper from adding a token.
- ``cgi-bin/token`` hands out a new token and invalidates the one other workers hold. We ask
  ``cgi-bin/stable_token`` instead and share the token through Redis when REDIS_URL is set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session.memorystorage import MemoryStorage

log = logging.getLogger("miniapp.wx_client")

# errcodes of WeChat's API that this client reacts to
BUSY = -1
INVALID_CODE = 40029
CODE_USED = 40163
HIGH_RISK_USER = 40226
RATE_LIMITED = 45011
API_FREQ_LIMIT = 45009
TOKEN_ERRORS = (40001, 40014, 42001)


class WxError(Exception):
    """A WeChat call failed; the API answers it with this status, code and message."""

    status = 502
    code = "wechat_error"
    message = "微信服务返回错误，请稍后再试"

    def __init__(self, detail: str = "", errcode: int | None = None) -> None:
        self.detail = detail
        self.errcode = errcode
        super().__init__(f"{self.code}: {detail} (errcode={errcode})")

    @property
    def details(self) -> dict[str, Any]:
        return {"errcode": self.errcode} if self.errcode is not None else {}


class WxCodeInvalid(WxError):
    status = 401
    code = "wechat_code_invalid"
    message = "微信登录凭证无效或已使用，请重新登录"


class WxPhoneCodeInvalid(WxError):
    status = 422
    code = "phone_code_invalid"
    message = "手机号授权凭证无效或已使用，请重新授权"


class WxRateLimited(WxError):
    status = 429
    code = "wechat_rate_limited"
    message = "微信接口调用过于频繁，请稍后再试"


class WxUnavailable(WxError):
    status = 503
    code = "wechat_unavailable"
    message = "微信服务暂时不可用，请稍后再试"


@dataclass(frozen=True)
class WxSession:
    openid: str
    session_key: str
    unionid: str | None = None


class _StableTokenClient(WeChatClient):
    """wechatpy's client, pointed at our API base, fetching the stable access token."""

    def __init__(self, appid: str, secret: str, api_base: str, **kwargs: Any) -> None:
        super().__init__(appid, secret, **kwargs)
        self.api_base = api_base
        self.API_BASE_URL = api_base + "cgi-bin/"

    def fetch_access_token(self, force_refresh: bool = False) -> dict:
        response = self._http.post(
            self.api_base + "cgi-bin/stable_token",
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self.secret,
                "force_refresh": force_refresh,
            },
            timeout=self.timeout,
        )
        result = self._handle_result(response)
        self.session.set(self.access_token_key, result["access_token"], result["expires_in"])
        # expires_at stays None: the token may have been fetched by another worker, and the
        # shared storage's own expiry says when it is gone.
        return result

    @property
    def access_token(self) -> str:
        token = self.session.get(self.access_token_key)
        if not token:
            self.fetch_access_token()
            token = self.session.get(self.access_token_key)
        return token


class WxClient:
    """The one door to WeChat. Build it with `from_config`; every call has a timeout."""

    def __init__(
        self,
        appid: str,
        secret: str,
        *,
        api_base: str = "https://api.weixin.qq.com/",
        timeout: float = 4.0,
        redis_url: str | None = None,
    ) -> None:
        if not api_base.endswith("/"):
            api_base += "/"
        self.appid = appid
        self.api_base = api_base
        self.timeout = timeout
        if redis_url:
            import redis
            from wechatpy.session.redisstorage import RedisStorage

            storage = RedisStorage(redis.Redis.from_url(redis_url), prefix="miniapp:wechat")
        else:
            storage = MemoryStorage()
        self._client = _StableTokenClient(
            appid, secret, api_base, session=storage, timeout=timeout, auto_retry=False
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> WxClient:
        return cls(
            config["WECHAT_APPID"],
            config["WECHAT_SECRET"],
            api_base=config["WECHAT_API_BASE"],
            timeout=float(config.get("WECHAT_TIMEOUT_SECONDS", 4.0)),
            redis_url=config.get("REDIS_URL"),
        )

    def code_to_session(self, code: str) -> WxSession:
        """`wx.login()`'s code → openid, session key and (when WeChat gives one) unionid."""
        params = [
            ("appid", self.appid),
            ("secret", self._client.secret),
            ("js_code", code),
            ("grant_type", "authorization_code"),
        ]
        result = self._call(
            lambda: self._client.get(self.api_base + "sns/jscode2session", params=params),
            invalid_code=WxCodeInvalid,
        )
        if (
            not isinstance(result, dict)
            or not result.get("openid")
            or not result.get("session_key")
        ):
            raise WxError("jscode2session answered without openid")
        return WxSession(result["openid"], result["session_key"], result.get("unionid") or None)

    def phone_number(self, code: str) -> str:
        """The phone-number button's code → the verified number (without country code)."""
        url = self.api_base + "wxa/business/getuserphonenumber"
        result = self._with_token(
            lambda: self._client.post(url, data={"code": code}), invalid_code=WxPhoneCodeInvalid
        )
        info = (result.get("phone_info") if isinstance(result, dict) else None) or {}
        phone = info.get("purePhoneNumber") or info.get("phoneNumber")
        if not phone:
            raise WxError("getuserphonenumber answered without a number")
        return phone

    def access_token(self) -> str:
        return self._call(lambda: self._client.access_token, invalid_code=WxError)

    def _with_token(self, call, *, invalid_code: type[WxError]) -> dict:
        """Call with the shared token; if WeChat says it is stale, refresh it once and retry."""
        try:
            return self._call(call, invalid_code=invalid_code, raise_token_errors=True)
        except _StaleToken:
            self._call(
                lambda: self._client.fetch_access_token(force_refresh=True), invalid_code=WxError
            )
            return self._call(call, invalid_code=invalid_code)

    def _call(self, call, *, invalid_code: type[WxError], raise_token_errors: bool = False):
        try:
            return call()
        except requests.Timeout as exc:
            log.warning("wechat timeout: %s", type(exc).__name__)
            raise WxUnavailable("timeout") from exc
        except requests.RequestException as exc:
            log.warning("wechat unreachable: %s", type(exc).__name__)
            raise WxUnavailable("unreachable") from exc
        except WeChatClientException as exc:
            errcode = exc.errcode
            log.warning("wechat error errcode=%s", errcode)
            if errcode is None or errcode == BUSY:
                raise WxUnavailable("busy", errcode) from exc
            if errcode in (RATE_LIMITED, API_FREQ_LIMIT):
                raise WxRateLimited("rate limited", errcode) from exc
            if errcode in (INVALID_CODE, CODE_USED, HIGH_RISK_USER):
                raise invalid_code("code rejected", errcode) from exc
            if errcode in TOKEN_ERRORS and raise_token_errors:
                raise _StaleToken() from exc
            raise WxError("rejected", errcode) from exc
        except ValueError as exc:  # a body that is not JSON
            raise WxUnavailable("garbled answer") from exc
        except Exception as exc:
            # the shared token store (Redis) is down: WeChat cannot be asked safely now
            if type(exc).__module__.startswith("redis"):
                log.warning("token storage unavailable: %s", type(exc).__name__)
                raise WxUnavailable("token storage unavailable") from exc
            raise


class _StaleToken(Exception):
    pass
