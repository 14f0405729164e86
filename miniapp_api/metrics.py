"""Prometheus metrics: what the service counts, and the one place that counts it.

Services import the counters from here (this module imports no Flask). Under gunicorn each
worker is its own process, so `gunicorn.conf.py` sets `PROMETHEUS_MULTIPROC_DIR` before the
app is imported: prometheus_client then keeps every value in a small file per process in that
directory, `GET /metrics` adds up the files of every worker (and of `miniapp jobs run`, when it
is given the same directory), and the `child_exit` hook marks a dead worker's files. Without
that variable (the demo, the tests) the values live in the process, as usual.

Counts that belong to a transaction (bookings) are added only when it commits, so a request
that rolls back counts nothing.
"""

from __future__ import annotations

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from sqlalchemy import event
from sqlalchemy.orm import Session

REQUESTS = Counter(
    "miniapp_http_requests_total",
    "HTTP requests answered, by endpoint, method and status",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "miniapp_http_request_duration_seconds",
    "Time from the request's start to its answer, by endpoint",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
BOOKINGS = Counter(
    "miniapp_ledger_bookings_total",
    "Ledger entries booked (committed), by source; reversals included",
    ["source"],
)
# Outcomes: verified (a payment counted once, its duplicates and late copies), result_fail (a
# signed notice of a failed payment), rejected (signature, merchant, order or amount wrong),
# unavailable (the database could not be reached: answered FAIL, WeChat sends it again).
# The payment notification handler increments it.
PAYMENT_NOTIFICATIONS = Counter(
    "miniapp_payment_notifications_total",
    "WeChat Pay notifications received, by outcome",
    ["outcome"],
)
JOB_RUNS = Counter(
    "miniapp_job_runs_total",
    "Background job runs, by job and outcome (ok, failed)",
    ["job", "outcome"],
)
CONTENT_TYPE = CONTENT_TYPE_LATEST
_PENDING = "miniapp_metrics_pending"


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(endpoint, method, str(status)).inc()
    REQUEST_SECONDS.labels(endpoint).observe(seconds)


def count_on_commit(session: Session, counter: Counter, labels: tuple[str, ...], amount: int = 1):
    """Add `amount` to `counter` once `session`'s transaction commits (nothing on rollback)."""
    session.info.setdefault(_PENDING, []).append((counter, labels, amount))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels, amount in session.info.pop(_PENDING, ()):
        counter.labels(*labels).inc(amount)


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)


def exposition() -> bytes:
    """Every metric in Prometheus's text format: summed over the worker processes when
    PROMETHEUS_MULTIPROC_DIR is set, else this process's own."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry: Any = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return generate_latest(registry)
