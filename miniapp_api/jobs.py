"""Background jobs (API.md "Timers"): each is a plain function run as of a given moment.

`miniapp jobs run-once --now ...` runs every job once; `miniapp jobs run` repeats that every
minute. Features add their jobs to JOBS.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from miniapp_api.failures import log_failure
from miniapp_api.metrics import JOB_RUNS
from miniapp_api.transaction import run_retrying_once, unit_of_work

log = logging.getLogger("miniapp.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Session, datetime], int]  # returns how many things it changed


def _expire_vouchers(session: Session, now: datetime) -> int:
    from miniapp_api.services.vouchers import expire_vouchers

    return expire_vouchers(session, now)


def _deliver_sms(session: Session, now: datetime) -> int:
    from miniapp_api.services.sms import deliver_due_sms
    from miniapp_api.sms import sms_sender

    return deliver_due_sms(session, sms_sender(), now)


def _gateway():
    from flask import current_app

    return current_app.extensions["wx_pay"]


def _cancel_unpaid_orders(session: Session, now: datetime) -> int:
    from miniapp_api.services.order_jobs import cancel_unpaid_orders

    return cancel_unpaid_orders(session, _gateway(), now)


def _complete_shipped_orders(session: Session, now: datetime) -> int:
    from flask import current_app

    from miniapp_api.services.order_jobs import complete_shipped_orders

    return complete_shipped_orders(session, now, days=int(current_app.config["AUTO_COMPLETE_DAYS"]))


def _query_pending_payments(session: Session, now: datetime) -> int:
    from miniapp_api.services.order_jobs import query_pending_payments

    return query_pending_payments(session, _gateway(), now)


def _follow_refunds(session: Session, now: datetime) -> int:
    from miniapp_api.services.order_jobs import follow_refunds

    return follow_refunds(session, _gateway(), now)


JOBS: list[Job] = [
    Job("query_pending_payments", _query_pending_payments),
    Job("cancel_unpaid_orders", _cancel_unpaid_orders),
    Job("complete_shipped_orders", _complete_shipped_orders),
    Job("follow_refunds", _follow_refunds),
    Job("expire_vouchers", _expire_vouchers),
    Job("sms.deliver", _deliver_sms),
]


def run_due_jobs(session: Session, now: datetime) -> dict[str, int]:
    """Run every job once as of `now`, each as its own unit of work; a failing job is rolled
    back and logged and does not stop the others. A job that claims rows one by one commits
    each claimed row itself (`commit_early`), so that one bad row never undoes the others.
    A job that loses a deadlock before its first commit is run once more (transaction.py)."""
    results: dict[str, int] = {}
    for job in JOBS:

        def step(job: Job = job) -> int:
            with unit_of_work(session):
                return job.run(session, now)

        try:
            results[job.name] = run_retrying_once(step, session.rollback, f"job {job.name}")
        except Exception as error:
            log_failure(log, "job %s failed", job.name, error=error)
            results[job.name] = -1
            JOB_RUNS.labels(job.name, "failed").inc()
        else:
            log.info("job %s changed %s", job.name, results[job.name])
            JOB_RUNS.labels(job.name, "ok").inc()
    return results
