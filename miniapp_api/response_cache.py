"""A short-lived, per-worker cache of whole JSON answers, for read-mostly data that is the same
for every caller (the catalogue's lists and categories).

The catalogue changes a few times a day (imports, shelf changes) and is read on every scroll of
every employee's mini-program, so the same few pages are computed again and again. An answer is
kept for `CATALOG_CACHE_SECONDS` (default 5; 0 turns the cache off), keyed by the path and the
query parameters in a canonical order; only 200 answers are kept. A change made through this
worker clears it at once (`clear_response_cache`); other workers see it within the TTL.
Authentication still runs on every request: the decorator sits below the auth decorator.
An answer served from the cache carries `X-Cache: hit`, one just computed and kept `X-Cache: miss`
(bench/mix.py reads the hit rate from them).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request

MAX_ENTRIES = 4096


class ResponseCache:
    """Finished answers by key, each until its deadline; least recently used out first."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[str, tuple[float, bytes, str]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bytes, str] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            deadline, body, mimetype = entry
            if deadline < time.monotonic():
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return body, mimetype

    def put(self, key: str, body: bytes, mimetype: str, ttl: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl, body, mimetype)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


def _cache() -> ResponseCache:
    return current_app.extensions.setdefault("response_cache", ResponseCache())


def clear_response_cache() -> None:
    """Forget every cached answer of this worker (after the catalogue changed)."""
    if current_app:
        _cache().clear()


def cache_key() -> str:
    """The path and the query parameters, sorted, so that ?a=1&b=2 and ?b=2&a=1 share one."""
    args = sorted(request.args.items(multi=True))
    return request.path + "?" + "&".join(f"{name}={value}" for name, value in args)


def cached_answer(view: Callable) -> Callable:
    """Serve a 200 JSON answer from the cache while it is fresh; place it below the auth
    decorator and above the schema decorators, so a hit skips parsing, the query and dumping."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        ttl = float(current_app.config.get("CATALOG_CACHE_SECONDS", 0))
        if ttl <= 0:
            return view(*args, **kwargs)
        key = cache_key()
        hit = _cache().get(key)
        if hit is not None:
            body, mimetype = hit
            return Response(body, 200, mimetype=mimetype, headers={"X-Cache": "hit"})
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.is_json:
            _cache().put(key, response.get_data(), response.mimetype, ttl)
            response.headers["X-Cache"] = "miss"
        return response

    return wrapper
