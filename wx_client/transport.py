"""A lean HTTP transport under wechatpy's pay client: kept-alive connections over http.client.

wechatpy's `WeChatPay` builds, signs and sends each request itself and sends it with
`self._http.request(method=..., url=..., data=..., timeout=..., cert=...)`, where `_http` is a
`requests.Session`. Per call, the session merges its settings, runs hooks, prepares the
request, builds urllib3's pool key and parses the answer twice over (about 1.3 ms of CPU a
call, on a path that makes one call per order). `KeptAliveTransport` answers the same call
with the same result for WeChat Pay's one host: a `requests.Response` (wechatpy reads its
status, text and encoding) and requests' exceptions (`requests.Timeout`, `ConnectionError`,
`SSLError`), so that wechatpy and our `_call` see nothing new. It keeps what the session
kept: the timeout of each call (for connecting and for every read, as requests applies it),
the proxy and CA-bundle settings read from the environment (`for_environment`), the
merchant certificate when wechatpy passes one, and connections kept alive between calls
(a connection the server has closed meanwhile is noticed before it is reused, as urllib3
does, and nothing is sent twice).

Only direct connections and http:// proxies (CONNECT for https) are spoken here; any other
proxy setting (socks, an https:// proxy) keeps wechatpy's requests session (`for_environment`
answers None).
"""

from __future__ import annotations

import base64
import http.client
import os
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

# connections kept per (scheme, host, port, certificate); more threads than this make new ones
MAX_IDLE_CONNECTIONS = 16
USER_AGENT = "miniapp-wxpay"


class KeptAliveTransport:
    """`request(method, url, data=, timeout=, cert=)` as `requests.Session.request` answers it,
    for the calls wechatpy's pay client makes. Safe to share between threads."""

    def __init__(self, *, proxies: dict[str, str] | None = None, verify: bool | str = True):
        self.proxies = dict(proxies or {})
        self.verify = verify
        self._idle: dict[tuple, list[http.client.HTTPConnection]] = {}
        self._contexts: dict[tuple[str, str] | None, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    @classmethod
    def for_environment(cls, base_url: str) -> KeptAliveTransport | None:
        """The proxy and CA-bundle settings of the environment for `base_url`, read once as
        requests reads them (HTTP(S)_PROXY unless NO_PROXY names the host;
        REQUESTS_CA_BUNDLE, else CURL_CA_BUNDLE); None when the proxy is one this transport
        does not speak."""

        proxies, bundle = environment_settings(base_url)
        proxy = requests.utils.select_proxy(base_url, proxies)
        if proxy and urlsplit(proxy).scheme != "http":
            return None
        return cls(proxies=proxies, verify=bundle or True)

    def request(
        self,
        method: str,
        url: str,
        data: bytes | str | None = None,
        timeout: float | None = None,
        cert: tuple[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        target = urlsplit(url)
        if target.scheme not in ("http", "https") or not target.hostname:
            raise requests.exceptions.InvalidURL(url)
        port = target.port or (443 if target.scheme == "https" else 80)
        proxy = requests.utils.select_proxy(url, self.proxies)
        key = (target.scheme, target.hostname, port, proxy, cert)
        body = data.encode() if isinstance(data, str) else data
        sent = {"Host": target.netloc, "User-Agent": USER_AGENT, "Accept": "*/*"}
        path = target.path or "/"
        if target.query:
            path += "?" + target.query
        if proxy and target.scheme == "http":
            path = url  # an http:// proxy is asked for the whole URL
            sent.update(_proxy_auth(proxy))
        sent.update(headers or {})
        connection = self._take(key)
        fresh = connection is None
        if connection is None:
            connection = self._connect(target.scheme, target.hostname, port, proxy, cert, timeout)
        with _as_requests_errors(connection, target.netloc, connecting=True):
            if fresh:
                connection.connect()
            else:
                connection.sock.settimeout(timeout)  # type: ignore[union-attr]
        with _as_requests_errors(connection, target.netloc, connecting=False):
            connection.request(method.upper(), path, body=body, headers=sent)
            answer = connection.getresponse()
            content = answer.read()
        if answer.will_close:
            connection.close()
        else:
            self._give_back(key, connection)
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = CaseInsensitiveDict(answer.getheaders())
        response._content = content
        response.url = url
        response.encoding = requests.utils.get_encoding_from_headers(response.headers)
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _take(self, key: tuple) -> http.client.HTTPConnection | None:
        """A kept connection the server has not closed meanwhile (a closed one reads as
        readable: its end of file is waiting), else None."""
        while True:
            with self._lock:
                kept = self._idle.get(key)
                connection = kept.pop() if kept else None
            if connection is None:
                return None
            if connection.sock is not None and not _readable(connection.sock):
                return connection
            connection.close()

    def _give_back(self, key: tuple, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            kept = self._idle.setdefault(key, [])
            if len(kept) < MAX_IDLE_CONNECTIONS:
                kept.append(connection)
                return
        connection.close()

    def _connect(
        self,
        scheme: str,
        host: str,
        port: int,
        proxy: str | None,
        cert: tuple[str, str] | None,
        timeout: float | None,
    ) -> http.client.HTTPConnection:
        via = urlsplit(proxy) if proxy else None
        address = (via.hostname, via.port or 80) if via else (host, port)
        if scheme == "http":
            connection = http.client.HTTPConnection(*address, timeout=timeout)
        else:
            context = self._context(cert)
            connection = http.client.HTTPSConnection(*address, timeout=timeout, context=context)
            if via:
                connection.set_tunnel(host, port, headers=_proxy_auth(proxy))  # type: ignore[arg-type]
        return connection

    def _context(self, cert: tuple[str, str] | None) -> ssl.SSLContext:
        with self._lock:
            context = self._contexts.get(cert)
        if context is not None:
            return context
        if self.verify is False:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        else:
            context = ssl.create_default_context(
                cafile=self.verify if isinstance(self.verify, str) else _certifi_bundle()
            )
        if cert:
            context.load_cert_chain(*cert)
        with self._lock:
            return self._contexts.setdefault(cert, context)


def environment_settings(base_url: str) -> tuple[dict[str, str], str | None]:
    """The proxies and the CA bundle the environment names for `base_url`, as requests reads
    them: HTTP(S)_PROXY unless NO_PROXY names the host; REQUESTS_CA_BUNDLE, else
    CURL_CA_BUNDLE (None: the default bundle)."""
    proxies = requests.utils.get_environ_proxies(base_url)
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return proxies, bundle or None


def _readable(sock: socket.socket) -> bool:
    """Whether the socket has something to read now (on an idle kept connection: the server's
    end of file). poll, not select: a busy process's descriptors may pass select's 1024."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _proxy_auth(proxy: str) -> dict[str, str]:
    parts = urlsplit(proxy)
    if not parts.username:
        return {}
    pair = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
    return {"Proxy-Authorization": "Basic " + base64.b64encode(pair).decode()}


def _certifi_bundle() -> str:
    """The CA bundle requests verifies with when told nothing else."""
    return requests.utils.DEFAULT_CA_BUNDLE_PATH


@contextmanager
def _as_requests_errors(
    connection: http.client.HTTPConnection, netloc: str, *, connecting: bool
) -> Iterator[None]:
    """What failed on `connection` (which is then closed) as the exception requests would
    raise: a timeout while connecting or while waiting for the answer, TLS, anything else."""
    try:
        yield
    except TimeoutError as exc:
        connection.close()
        if connecting:
            raise requests.ConnectTimeout(f"connecting to {netloc}: {exc}") from exc
        raise requests.ReadTimeout(f"{netloc} did not answer in time") from exc
    except ssl.SSLError as exc:
        connection.close()
        raise requests.exceptions.SSLError(str(exc)) from exc
    except (OSError, http.client.HTTPException) as exc:
        connection.close()
        where = f"connecting to {netloc}: {exc}" if connecting else f"{netloc}: {exc!r}"
        raise requests.ConnectionError(where) from exc
