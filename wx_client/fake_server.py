"""The HTTP server under the fake WeChat: HTTP/1.1 with keep-alive, as WeChat's own servers.

werkzeug's development server closes every connection after one answer, so a client with a
connection pool (wechatpy keeps a `requests.Session`) opened a new TCP connection, and the
server a new thread, for every call: work WeChat never asks of its callers. This server keeps
a connection open until the client closes it, asks for `Connection: close`, or sends nothing
for `IDLE_SECONDS`. It serves any WSGI app, one thread per connection; request bodies need a
Content-Length (every client of the fake sends one; a chunked body is answered 411).
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

IDLE_SECONDS = 60
# The largest request body read (WeChat's XML messages are a few KB).
MAX_BODY_BYTES = 1024 * 1024


class KeepAliveHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_SECONDS
    # TCP_NODELAY: the answer's headers and body go out in two writes; with Nagle's algorithm
    # the body would wait for the client's delayed ACK of the headers (up to 40 ms) on a
    # kept-alive connection
    disable_nagle_algorithm = True
    server: KeepAliveServer

    def __getattr__(self, name: str) -> Any:
        # every method (do_GET, do_POST, ...) goes to the app
        if name.startswith("do_"):
            return self.run_wsgi
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the bench drives thousands of calls a second through the fake."""

    def run_wsgi(self) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.send_error(411, "a Content-Length is required")
            self.close_connection = True
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self.send_error(400 if length < 0 else 413)
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        path, _, query = self.path.partition("?")
        environ = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, "latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": self.path,
            "RAW_URI": self.path,
            "REMOTE_ADDR": self.client_address[0],
            "REMOTE_PORT": str(self.client_address[1]),
            "SERVER_NAME": self.server.server_address[0],
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "CONTENT_LENGTH": str(length),
        }
        for key, value in self.headers.items():
            if "_" in key:
                continue  # as werkzeug and gunicorn: X_Y would pass for X-Y
            key = key.upper().replace("-", "_")
            if key == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value
            elif key != "CONTENT_LENGTH":
                name = f"HTTP_{key}"
                environ[name] = f"{environ[name]},{value}" if name in environ else value
        answered: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], exc_info=None):
            answered["status"], answered["headers"] = status, headers
            return lambda data: answered.setdefault("written", []).append(data)

        result = self.server.app(environ, start_response)
        try:
            chunks = answered.get("written", []) + [chunk for chunk in result if chunk]
        finally:
            if hasattr(result, "close"):
                result.close()
        payload = b"".join(chunks)
        code, _, reason = answered["status"].partition(" ")
        self.send_response(int(code), reason)
        for name, value in answered["headers"]:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


class KeepAliveServer(ThreadingHTTPServer):
    daemon_threads = True
    # many clients connect at once under load (the benchmarks' 32 connections)
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: Callable) -> None:
        self.app = app
        super().__init__(address, KeepAliveHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away mid-answer (a caller's timeout) is not an error here."""
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)


def make_keep_alive_server(host: str, port: int, app: Callable) -> KeepAliveServer:
    return KeepAliveServer((host, port), app)
