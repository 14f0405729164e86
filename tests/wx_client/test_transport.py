"""The transport under wechatpy's pay client: the answers and errors of a requests session,
over connections kept alive."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests

from wx_client.transport import KeptAliveTransport


@contextmanager
def raw_server(handle) -> Iterator[tuple[int, list[str]]]:
    """A TCP server on a free port whose connections `handle(conn, seen)` serves, one thread
    each; `seen` collects what the test wants to know (request lines, connection numbers)."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            seen.append("connection")
            threading.Thread(target=handle, args=(conn, seen), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        listener.close()


def _read_request(conn: socket.socket) -> tuple[str, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    length = next(
        (int(line.split(":")[1]) for line in lines if line.lower().startswith("content-length")),
        0,
    )
    while len(body) < length:
        body += conn.recv(4096)
    return lines[0], body


def _answer(conn: socket.socket, body: bytes, *extra: str) -> None:
    head = ["HTTP/1.1 200 OK", "Content-Type: text/xml", f"Content-Length: {len(body)}", *extra]
    conn.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + body)


def echo(conn: socket.socket, seen: list[str]) -> None:
    """Answers every request on the connection with its own body, keeping it open."""
    with conn:
        while (request := _read_request(conn)) is not None:
            seen.append(request[0])
            _answer(conn, b"<xml>" + request[1] + b"</xml>")


def test_calls_share_one_connection_and_answer_as_requests_would():
    transport = KeptAliveTransport()
    with raw_server(echo) as (port, seen):
        answers = [
            transport.request(
                "post", f"http://127.0.0.1:{port}/pay/orderquery", data=body, timeout=5
            )
            for body in (b"a", "b", b"c")
        ]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert [answer.text for answer in answers] == ["<xml>a</xml>", "<xml>b</xml>", "<xml>c</xml>"]
    assert answers[0].headers["content-type"] == "text/xml"
    answers[0].raise_for_status()
    assert seen.count("connection") == 1
    assert "POST /pay/orderquery HTTP/1.1" in seen


def test_a_connection_the_server_closed_meanwhile_is_not_reused():
    def once(conn: socket.socket, seen: list[str]) -> None:
        with conn:
            request = _read_request(conn)
            seen.append(request[0])  # type: ignore[index]
            _answer(conn, b"<xml>ok</xml>")  # no Connection: close, but closed right after

    transport = KeptAliveTransport()
    with raw_server(once) as (port, seen):
        url = f"http://127.0.0.1:{port}/pay/unifiedorder"
        assert transport.request("post", url, data=b"1", timeout=5).text == "<xml>ok</xml>"
        time.sleep(0.1)  # the server's close has arrived
        assert transport.request("post", url, data=b"2", timeout=5).text == "<xml>ok</xml>"
    assert seen.count("connection") == 2
    assert seen.count("POST /pay/unifiedorder HTTP/1.1") == 2  # each request sent once


def test_an_answer_slower_than_the_timeout_is_requests_read_timeout():
    def silent(conn: socket.socket, seen: list[str]) -> None:
        with conn:
            _read_request(conn)
            time.sleep(2)

    transport = KeptAliveTransport()
    with raw_server(silent) as (port, _):
        started = time.monotonic()
        with pytest.raises(requests.Timeout) as raised:
            transport.request("post", f"http://127.0.0.1:{port}/pay", data=b"x", timeout=0.3)
        assert time.monotonic() - started < 1.5
    assert isinstance(raised.value, requests.ReadTimeout)


def test_nothing_listening_is_requests_connection_error():
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
    with pytest.raises(requests.ConnectionError):
        KeptAliveTransport().request("post", f"http://127.0.0.1:{port}/pay", data=b"x", timeout=1)


def test_a_refused_status_is_raised_by_raise_for_status_as_requests_does():
    def refuse(conn: socket.socket, seen: list[str]) -> None:
        with conn:
            _read_request(conn)
            conn.sendall(b"HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    with raw_server(refuse) as (port, _):
        answer = KeptAliveTransport().request("post", f"http://127.0.0.1:{port}/p", timeout=5)
    assert answer.status_code == 503
    with pytest.raises(requests.HTTPError):
        answer.raise_for_status()


def test_an_http_proxy_is_asked_for_the_whole_url_with_its_credentials():
    received: list[bytes] = []

    def proxy(conn: socket.socket, seen: list[str]) -> None:
        with conn:
            data = conn.recv(65536)
            received.append(data)
            _answer(conn, b"<xml>via proxy</xml>")

    with raw_server(proxy) as (port, _):
        transport = KeptAliveTransport(proxies={"http": f"http://user:p%40ss@127.0.0.1:{port}"})
        answer = transport.request(
            "post", "http://pay.example/pay/orderquery", data=b"x", timeout=5
        )
    assert answer.text == "<xml>via proxy</xml>"
    assert received[0].startswith(b"POST http://pay.example/pay/orderquery HTTP/1.1\r\n")
    assert b"Proxy-Authorization: Basic dXNlcjpwQHNz" in received[0]  # user:p@ss


def test_through_an_http_proxy_https_is_tunnelled_with_connect():
    received: list[bytes] = []

    def proxy(conn: socket.socket, seen: list[str]) -> None:
        with conn:
            received.append(conn.recv(65536))
            conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    with raw_server(proxy) as (port, _):
        transport = KeptAliveTransport(proxies={"https": f"http://127.0.0.1:{port}"})
        with pytest.raises(requests.ConnectionError):  # the proxy refused the tunnel
            transport.request("post", "https://pay.example/pay/orderquery", data=b"x", timeout=5)
    assert received[0].startswith(b"CONNECT pay.example:443 HTTP/1.")


def test_the_environment_is_read_once_and_unknown_proxies_are_left_to_requests(monkeypatch):
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/company-ca.pem")
    transport = KeptAliveTransport.for_environment("https://api.mch.weixin.qq.com/")
    assert transport is not None
    assert transport.proxies["https"] == "http://proxy.example:3128"
    assert transport.verify == "/etc/ssl/certs/company-ca.pem"
    monkeypatch.setenv("HTTPS_PROXY", "socks5://proxy.example:1080")
    assert KeptAliveTransport.for_environment("https://api.mch.weixin.qq.com/") is None


def test_a_kept_connection_is_checked_even_on_a_descriptor_above_1024():
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 1200:
        pytest.skip("the descriptor limit is below 1200")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, 1200), hard))
    filler = []
    try:
        transport = KeptAliveTransport()
        with raw_server(echo) as (port, seen):
            url = f"http://127.0.0.1:{port}/pay"
            filler = [socket.socket() for _ in range(1100)]  # the next sockets land above 1024
            assert transport.request("post", url, data=b"1", timeout=5).text == "<xml>1</xml>"
            assert transport.request("post", url, data=b"2", timeout=5).text == "<xml>2</xml>"
        assert seen.count("connection") == 1
    finally:
        for sock in filler:
            sock.close()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_fake_answers_without_waiting_for_the_client_to_acknowledge_its_headers(monkeypatch):
    """The fake's server writes an answer's headers and body apart: the same delay, the other
    way, unless its connections send at once."""
    from wx_client.fake_server import KeepAliveHandler, make_keep_alive_server

    nodelay: list[int] = []
    setup = KeepAliveHandler.setup

    def recording_setup(handler: KeepAliveHandler) -> None:
        setup(handler)
        nodelay.append(handler.connection.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

    monkeypatch.setattr(KeepAliveHandler, "setup", recording_setup)

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [environ["wsgi.input"].read()]

    server = make_keep_alive_server("127.0.0.1", 0, app)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        answer = KeptAliveTransport().request(
            "post", f"http://127.0.0.1:{server.server_port}/x", data=b"hello", timeout=5
        )
    finally:
        server.shutdown()
        server.server_close()
    assert answer.text == "hello"
    assert len(nodelay) == 1 and nodelay[0] != 0
