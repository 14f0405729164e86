"""The short-lived answer cache for catalogue reads."""

from __future__ import annotations

import os
import time
import uuid

import pytest
import redis
from flask import Flask, jsonify, request

from miniapp_api.response_cache import (
    ResponseCache,
    cached_answer,
    clear_response_cache,
    init_response_cache,
)


@pytest.fixture
def counting_app():
    app = Flask("cache-test")
    app.config["CATALOG_CACHE_SECONDS"] = 60
    calls = {"n": 0}

    @app.get("/things")
    @cached_answer
    def things():
        calls["n"] += 1
        if request.args.get("bad"):
            return jsonify({"error": "bad"}), 422
        return jsonify({"calls": calls["n"], "q": request.args.get("q")})

    @app.post("/change")
    def change():
        clear_response_cache()
        return "", 204

    return app, calls


def test_the_same_query_in_any_parameter_order_is_answered_once(counting_app):
    app, calls = counting_app
    client = app.test_client()

    first = client.get("/things?q=米&limit=2").get_json()
    second = client.get("/things?limit=2&q=米").get_json()
    other = client.get("/things?q=面&limit=2").get_json()

    assert first == second == {"calls": 1, "q": "米"}
    assert other == {"calls": 2, "q": "面"}


def test_errors_are_not_kept(counting_app):
    app, calls = counting_app
    client = app.test_client()

    statuses = [client.get("/things?bad=1").status_code for _ in range(2)]

    assert statuses == [422, 422] and calls["n"] == 2


def test_a_change_through_this_worker_clears_it_and_zero_seconds_turns_it_off(counting_app):
    app, calls = counting_app
    client = app.test_client()

    client.get("/things")
    client.post("/change")
    after_change = client.get("/things").get_json()["calls"]
    app.config["CATALOG_CACHE_SECONDS"] = 0
    uncached = [client.get("/things").get_json()["calls"] for _ in range(2)]

    assert after_change == 2
    assert uncached == [3, 4]


def test_entries_expire_and_the_least_recently_used_goes_first():
    cache = ResponseCache(max_entries=2)
    cache.put("a", b"A", "application/json", ttl=60)
    cache.put("b", b"B", "application/json", ttl=0.01)
    time.sleep(0.02)

    assert cache.get("b") is None
    cache.put("b", b"B", "application/json", ttl=60)
    cache.get("a")
    cache.put("c", b"C", "application/json", ttl=60)
    assert cache.get("b") is None and cache.get("a") == (b"A", "application/json")


# --- the answers shared by every worker through Redis ---------------------------------------


@pytest.fixture
def shared_workers():
    """Two apps built as two gunicorn workers would build them, sharing one Redis under a
    prefix of this test's own (removed afterwards). Skipped when no Redis answers."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        pytest.skip(f"no Redis at {url}")
    prefix = f"miniapp-test-answers-{uuid.uuid4().hex}:"
    calls = {"n": 0}

    def worker(name: str) -> Flask:
        app = Flask(name)
        app.config.update(
            CATALOG_CACHE_SECONDS=60,
            REDIS_URL=url,
            CATALOG_SHARED_CACHE=True,
            CATALOG_SHARED_CACHE_PREFIX=prefix,
        )
        init_response_cache(app)

        @app.get("/things")
        @cached_answer
        def things():
            calls["n"] += 1
            return jsonify({"calls": calls["n"], "q": request.args.get("q")})

        @app.post("/change")
        def change():
            clear_response_cache()
            return "", 204

        return app

    yield worker, calls
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)


def test_an_answer_one_worker_computed_is_served_by_the_other(shared_workers):
    worker, calls = shared_workers
    first, second = worker("w1").test_client(), worker("w2").test_client()

    computed = first.get("/things?q=米")
    shared = second.get("/things?q=米")
    other = second.get("/things?q=面")

    assert computed.headers["X-Cache"] == "miss" and shared.headers["X-Cache"] == "hit"
    assert shared.get_json() == computed.get_json() == {"calls": 1, "q": "米"}
    assert other.get_json() == {"calls": 2, "q": "面"}


def test_a_change_clears_the_shared_answers(shared_workers):
    worker, calls = shared_workers
    first, second = worker("w1").test_client(), worker("w2").test_client()

    first.get("/things")
    first.post("/change")
    after_change = second.get("/things")

    assert after_change.headers["X-Cache"] == "miss"
    assert after_change.get_json()["calls"] == 2


def test_a_shared_answer_keeps_only_the_time_it_had_left(shared_workers):
    worker, calls = shared_workers
    first, second = worker("w1"), worker("w2")
    first.config["CATALOG_CACHE_SECONDS"] = 0.3
    first.test_client().get("/things")
    second.test_client().get("/things")  # copied into w2's memory with what it had left
    time.sleep(0.35)

    again = second.test_client().get("/things")

    assert again.headers["X-Cache"] == "miss" and again.get_json()["calls"] == 2


def test_redis_down_costs_a_miss_not_an_error(caplog):
    app = Flask("down")
    app.config.update(
        CATALOG_CACHE_SECONDS=60, REDIS_URL="redis://127.0.0.1:1/0", CATALOG_SHARED_CACHE=True
    )
    init_response_cache(app)
    calls = {"n": 0}

    @app.get("/things")
    @cached_answer
    def things():
        calls["n"] += 1
        return jsonify({"calls": calls["n"]})

    other_worker = Flask("down-2")
    other_worker.config.update(app.config)
    init_response_cache(other_worker)
    other_worker.add_url_rule("/things", view_func=app.view_functions["things"])

    answers = [app.test_client().get("/things"), other_worker.test_client().get("/things")]

    assert [a.status_code for a in answers] == [200, 200]
    assert calls["n"] == 2  # each computed its own
    assert "shared answer cache unavailable" in caplog.text


def test_by_default_or_without_redis_each_worker_keeps_to_itself():
    by_default, no_redis, on = Flask("default"), Flask("no-redis"), Flask("on")
    by_default.config.update(REDIS_URL="redis://127.0.0.1:6379/0")
    no_redis.config.update(CATALOG_SHARED_CACHE=True)
    on.config.update(REDIS_URL="redis://127.0.0.1:6379/0", CATALOG_SHARED_CACHE=True)
    for app in (by_default, no_redis, on):
        init_response_cache(app)

    assert "shared_answers" not in by_default.extensions
    assert "shared_answers" not in no_redis.extensions
    assert "shared_answers" in on.extensions


def test_a_value_holding_an_ampersand_cannot_pass_for_another_query(counting_app):
    app, calls = counting_app
    client = app.test_client()

    crafted = client.get("/things?q=%E7%B1%B3%26limit%3D2").get_json()
    honest = client.get("/things?q=米&limit=2").get_json()

    assert crafted == {"calls": 1, "q": "米&limit=2"}
    assert honest == {"calls": 2, "q": "米"}


def test_an_answer_computed_before_a_change_is_never_served_after_it(shared_workers):
    worker, calls = shared_workers
    app = worker("w1")
    shared = app.extensions["shared_answers"]
    with app.test_request_context("/things"):
        before = shared.get("/things?")  # a reader misses and starts reading the old rows
        shared.clear()  # the change commits meanwhile
        shared.put("/things?", before.generation, b'{"old": true}', 60)  # the reader stores

        after = shared.get("/things?")

    assert before.body is None
    assert after is not None and after.body is None


def test_a_change_clears_the_shared_answers_again_after_its_commit(shared_workers):
    """A reader that saw the old rows before the change committed, and stored its answer
    after the change cleared the cache inside its request, is forgotten after the commit."""
    worker, calls = shared_workers
    app = worker("w1")
    shared = app.extensions["shared_answers"]

    @app.post("/slow-change")
    def slow_change():
        clear_response_cache()
        racing = shared.get("/things?")  # another worker, before this commit
        shared.put("/things?", racing.generation, b'{"calls": -1, "q": null}', 60)
        return "", 204

    app.test_client().post("/slow-change")
    answer = worker("w2").test_client().get("/things")

    assert answer.headers["X-Cache"] == "miss"
    assert answer.get_json()["calls"] == 1
