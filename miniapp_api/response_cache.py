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

With `CATALOG_SHARED_CACHE=1` and Redis configured (`REDIS_URL`), the workers also share
their answers there (`SharedAnswers`): an answer one worker computed is served by every other
for the rest of its time to live, so the hit rate is that of the whole service rather than of
one worker's share of the traffic. A worker still looks in its own memory first. A change bumps the
catalogue's generation in Redis once its transaction committed, so no shared answer from before
it is served again. Redis being slow or down costs a miss, never an error: after a failure the
shared layer is skipped for a few seconds. It is off by default: on one 2-core host the round
trips to Redis cost more than the extra hits save (docs/performance.md, bench/mix.py); it is
meant for many workers on many hosts, where each one alone sees little of the traffic.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from flask import Response, after_this_request, current_app, has_request_context, request

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


# One round trip: the catalogue's generation, and the answer stored under it with its time left.
_LOOKUP = """
local generation = redis.call('GET', KEYS[1]) or '0'
local key = ARGV[1] .. generation .. ':' .. ARGV[2]
local body = redis.call('GET', key)
if body then
  return {generation, body, redis.call('PTTL', key)}
end
return {generation}
"""


@dataclass(frozen=True)
class SharedLookup:
    """What Redis holds for a key: the catalogue's generation when asked, and the answer with
    the seconds it has left, if one is stored under that generation."""

    generation: bytes
    body: bytes | None = None
    left: float = 0.0


class SharedAnswers:
    """JSON answers shared by every worker through Redis, each kept for its time to live.

    Answers are stored under the catalogue's current generation (a counter in Redis); a change
    bumps the counter, after its transaction committed, so that every answer computed before
    it is never read again, including one still being computed while the change committed
    (it is stored under the old generation). Keys are a digest of the cache key; every
    failure of Redis counts as a miss."""

    def __init__(self, client: Any, prefix: str = SHARED_PREFIX) -> None:
        self.client = client
        self.prefix = prefix
        self._generation_key = prefix + "generation"
        self._lookup = client.register_script(_LOOKUP)
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

    @staticmethod
    def _digest(key: str) -> str:
        return hashlib.blake2b(key.encode(), digest_size=16).hexdigest()

    def get(self, key: str) -> SharedLookup | None:
        """The generation and, if stored, the answer; None when Redis did not answer."""
        if self._paused():
            return None
        try:
            found = self._lookup(keys=[self._generation_key], args=[self.prefix, self._digest(key)])
        except Exception as exc:  # noqa: BLE001 (any failure of the cache is a miss)
            self._pause(exc)
            return None
        if len(found) == 3 and found[2] > 0:
            return SharedLookup(found[0], found[1], found[2] / 1000)
        return SharedLookup(found[0])

    def put(self, key: str, generation: bytes, body: bytes, ttl: float) -> None:
        """Keep `body` under the generation read before it was computed."""
        if self._paused():
            return
        stored = f"{self.prefix}{generation.decode()}:{self._digest(key)}"
        try:
            self.client.set(stored, body, px=max(1, int(ttl * 1000)))
        except Exception as exc:  # noqa: BLE001
            self._pause(exc)

    def clear(self) -> None:
        """A catalogue change: no answer stored before it is read again (they expire by their
        time to live). Tried even while paused."""
        try:
            self.client.incr(self._generation_key)
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
    if url and app.config.get("CATALOG_SHARED_CACHE", False):
        prefix = app.config.get("CATALOG_SHARED_CACHE_PREFIX", SHARED_PREFIX)
        app.extensions["shared_answers"] = SharedAnswers.from_url(url, prefix)


def _cache() -> ResponseCache:
    return current_app.extensions.setdefault("response_cache", ResponseCache())


def _shared() -> SharedAnswers | None:
    return current_app.extensions.get("shared_answers")


def clear_response_cache() -> None:
    """Forget every cached answer of this worker and the shared ones (the catalogue changed);
    other workers' own memories keep theirs for at most the time to live. In a request this
    happens after its transaction committed (Flask runs `after_this_request` after
    ServiceFlask committed): cleared any earlier, a request reading the old rows before the
    commit would keep them for another time to live."""
    if not current_app:
        return
    if not has_request_context():
        _forget_answers()
        return

    @after_this_request
    def _after_commit(response: Response) -> Response:
        _forget_answers()
        return response


def _forget_answers() -> None:
    _cache().clear()
    shared = _shared()
    if shared is not None:
        shared.clear()


def cache_key() -> str:
    """The path and the query parameters, sorted and encoded, so that ?a=1&b=2 and ?b=2&a=1
    share one while a value holding `&` or `=` (`?province=广东%26q%3D米`) cannot pass for
    another query."""
    return request.path + "?" + urlencode(sorted(request.args.items(multi=True)))


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
        found = shared.get(key) if shared is not None else None
        if found is not None and found.body is not None:
            local.put(key, found.body, JSON, found.left)
            return Response(found.body, 200, mimetype=JSON, headers={"X-Cache": "hit"})
        response = current_app.make_response(view(*args, **kwargs))
        if response.status_code == 200 and response.mimetype == JSON:
            body = response.get_data()
            local.put(key, body, JSON, ttl)
            if shared is not None and found is not None:
                shared.put(key, found.generation, body, ttl)
            response.headers["X-Cache"] = "miss"
        return response

    return wrapper
