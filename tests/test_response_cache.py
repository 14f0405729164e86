"""The short-lived answer cache for catalogue reads."""

from __future__ import annotations

import time

import pytest
from flask import Flask, jsonify, request

from miniapp_api.response_cache import ResponseCache, cached_answer, clear_response_cache


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
