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

Where Redis is configured (`REDIS_URL`, as in production), the workers also share their answers
there (`SharedAnswers`): an answer one worker computed is served by every other for the rest of
its time to live, so the hit rate is that of the whole service rather than of one worker's
share of the traffic. A worker still looks in its own memory first. A change clears Redis's
answers too. Redis being slow or down costs a miss, never an error: after a failure the shared
layer is skipped for a few seconds. `CATALOG_SHARED_CACHE=0` keeps each worker to itself.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, request

MAX_ENTRIES = 4096
JSON = "application/json"
SHARED_PREFIX = "miniapp:answers:"
# after Redis failed, answers are computed without it for this long
SHARED_PAUSE_SECONDS = 5.0
SHARED_TIMEOUT_SECONDS = 0.1
log = logging.getLogger("miniapp.cache")


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


class SharedAnswers:
    """JSON answers shared by every worker through Redis, each kept for its time to live.
    Keys are a digest of the cache key under `prefix`; every failure counts as a miss."""

    def __init__(self, client: Any, prefix: str = SHARED_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._paused_until = 0.0

    @classmethod
    def from_url(cls, url: str, prefix: str = SHARED_PREFIX) -> SharedAnswers:
        import redis

        client = redis.Redis.from_url(
            url,
            socket_timeout=SHARED_TIMEOUT_SECONDS,
            socket_connect_timeout=SHARED_TIMEOUT_SECONDS,
        )
        return cls(client, prefix)

    def _key(self, key: str) -> str:
        return self.prefix + hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    def get(self, key: str) -> tuple[bytes, float] | None:
        """The answer and the seconds it has left, or None."""
        if self._paused():
            return None
        try:
            pipe = self.client.pipeline(transaction=False)
            pipe.get(self._key(key))
            pipe.pttl(self._key(key))
            body, left_ms = pipe.execute()
        except Exception as exc:  # noqa: BLE001 (any failure of the cache is a miss)
            self._pause(exc)
            return None
        if body is None or left_ms is None or left_ms <= 0:
            return None
        return body, left_ms / 1000

    def put(self, key: str, body: bytes, ttl: float) -> None:
        if self._paused():
            return
        try:
            self.client.set(self._key(key), body, px=max(1, int(ttl * 1000)))
        except Exception as exc:  # noqa: BLE001
            self._pause(exc)

    def clear(self) -> None:
        """Delete every shared answer (a catalogue change); tried even while paused."""
        try:
            keys = list(self.client.scan_iter(match=self.prefix + "*", count=1000))
            for start in range(0, len(keys), 1000):
                self.client.unlink(*keys[start : start + 1000])
        except Exception as exc:  # noqa: BLE001
            self._pause(exc)

    def _paused(self) -> bool:
        return time.monotonic() < self._paused_until

    def _pause(self, exc: Exception) -> None:
        self._paused_until = time.monotonic() + SHARED_PAUSE_SECONDS
        log.warning(
            "shared answer cache unavailable (%s); each worker keeps to its own for %.0f s",
            type(exc).__name__,
            SHARED_PAUSE_SECONDS,
        )


def init_response_cache(app: Any) -> None:
    """This worker's cache, and the shared one where Redis is configured and allowed."""
    app.extensions["response_cache"] = ResponseCache()
    url = app.config.get("REDIS_URL")
    if url and app.config.get("CATALOG_SHARED_CACHE", True):
        prefix = app.config.get("CATALOG_SHARED_CACHE_PREFIX", SHARED_PREFIX)
        app.extensions["shared_answers"] = SharedAnswers.from_url(url, prefix)


def _cache() -> ResponseCache:
    return current_app.extensions.setdefault("response_cache", ResponseCache())


def _shared() -> SharedAnswers | None:
    return current_app.extensions.get("shared_answers")


def clear_response_cache() -> None:
    """Forget every cached answer of this worker and the shared ones (after the catalogue
    changed); other workers' own memories keep theirs for at most the time to live."""
    if current_app:
        _cache().clear()
        shared = _shared()
        if shared is not None:
            shared.clear()


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
        local = _cache()
        hit = local.get(key)
        if hit is not None:
            body, mimetype = hit
            return Response(body, 200, mimetype=mimetype, headers={"X-Cache": "hit"})
        shared = _shared()
        shared_hit = shared.get(key) if shared is not None else None
        if shared_hit is not None:
            body, left = shared_hit
            local.put(key, body, JSON, left)
            return Response(body, 200, mimetype=JSON, headers={"X-Cache": "hit"})
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == JSON:
            body = response.get_data()
            local.put(key, body, JSON, ttl)
            if shared is not None:
                shared.put(key, body, ttl)
            response.headers["X-Cache"] = "miss"
        return response

    return wrapper
