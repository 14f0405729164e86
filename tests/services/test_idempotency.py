"""Idempotency-Key rules, without a request (API.md, Conventions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from miniapp_api.services.idempotency import (
    IdempotencyKeyReused,
    RequestInProgress,
    claim_key,
    finish_key,
    release_key,
)
from miniapp_api.transaction import unit_of_work
from models import db
from models.base import utcnow


def claim(key="k-1", request_hash="a" * 64, caller="employee:1", now=None):
    with unit_of_work(db.session):
        return claim_key(db.session, caller, key, request_hash, now)


def test_a_fresh_key_is_claimed_and_its_answer_given_again_once_done():
    first = claim()
    with unit_of_work(db.session):
        finish_key(db.session, first.key_id, 201, '{"order_no": "XD1"}')

    again = claim()

    assert first.key_id is not None and not first.is_replay
    assert (again.replay_status, again.replay_body) == (201, '{"order_no": "XD1"}')


def test_the_same_key_with_another_body_is_refused():
    claim(request_hash="a" * 64)

    with pytest.raises(IdempotencyKeyReused):
        claim(request_hash="b" * 64)


def test_a_key_whose_work_still_runs_is_in_progress():
    claim()

    with pytest.raises(RequestInProgress):
        claim()


def test_keys_belong_to_their_caller():
    claim(caller="employee:1")

    other = claim(caller="employee:2")

    assert other.key_id is not None


def test_a_released_key_can_be_claimed_again():
    first = claim()
    with unit_of_work(db.session):
        release_key(db.session, first.key_id)

    assert claim().key_id is not None


def test_a_key_older_than_a_day_is_forgotten():
    first = claim(now=utcnow() - timedelta(hours=25))
    with unit_of_work(db.session):
        finish_key(db.session, first.key_id, 201, "{}")

    fresh = claim(request_hash="c" * 64)

    assert fresh.key_id is not None and not fresh.is_replay


def test_a_claim_abandoned_by_a_dead_worker_is_taken_over():
    claim(now=utcnow() - timedelta(minutes=6))

    assert claim().key_id is not None
