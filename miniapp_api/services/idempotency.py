"""Idempotency-Key (API.md, Conventions): the same key with the same request answers the first
answer again and does nothing twice; with another request it is 422 `idempotency_key_reused`;
while the first is still running, 409 `request_in_progress`. Keys are per caller, for 24 hours.

A key is claimed in a transaction of its own, committed before the work it guards (so that a
second request with the key sees it at once), and finished with the work's answer in the work's
own transaction (so that the answer is kept exactly when the work landed). Work that fails
releases its key: nothing happened, so the caller may try again with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from miniapp_api.errors import Conflict, DomainError
from miniapp_api.services.dialect import dialect_insert
from models.base import utcnow
from models.idempotency import DONE, IN_PROGRESS, IdempotencyKey

KEPT_FOR = timedelta(hours=24)
# a claim older than this whose work never finished was abandoned (its worker died)
ABANDONED_AFTER = timedelta(minutes=5)


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    message = "该幂等键已用于另一个请求"


class RequestInProgress(Conflict):
    code = "request_in_progress"
    message = "相同的请求正在处理中，请稍后再试"


@dataclass(frozen=True)
class Claim:
    """Either a fresh claim (`key_id`, run the work) or the answer to give again (`replay`)."""

    key_id: int | None = None
    replay_status: int | None = None
    replay_body: str | None = None

    @property
    def is_replay(self) -> bool:
        return self.replay_status is not None


def claim_key(
    session: Session, caller: str, key: str, request_hash: str, now: datetime | None = None
) -> Claim:
    """Claim `key` for `caller`'s request, or say what the first request with it gave.
    The caller commits a fresh claim before doing the work (commit_early)."""
    now = now or utcnow()
    insert = dialect_insert(session)
    for _ in range(2):
        key_id = session.scalar(
            insert(IdempotencyKey)
            .values(
                caller=caller,
                key=key,
                request_hash=request_hash,
                state=IN_PROGRESS,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["caller", "key"])
            .returning(IdempotencyKey.id)
        )
        if key_id is not None:
            return Claim(key_id=key_id)
        existing = session.scalars(
            select(IdempotencyKey)
            .where(IdempotencyKey.caller == caller, IdempotencyKey.key == key)
            .execution_options(populate_existing=True)
        ).one_or_none()
        if existing is None:
            continue  # released meanwhile: try the insert again
        if existing.created_at <= now - KEPT_FOR:
            session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == existing.id))
            continue
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused(details={"idempotency_key": key})
        if existing.state == DONE:
            return Claim(replay_status=existing.response_status, replay_body=existing.response_body)
        if existing.created_at <= now - ABANDONED_AFTER:
            taken = session.execute(
                update(IdempotencyKey)
                .where(
                    IdempotencyKey.id == existing.id,
                    IdempotencyKey.state == IN_PROGRESS,
                    IdempotencyKey.created_at == existing.created_at,
                )
                .values(created_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount == 1:
                return Claim(key_id=existing.id)
        raise RequestInProgress(details={"idempotency_key": key})
    raise RequestInProgress(details={"idempotency_key": key})


def finish_key(session: Session, key_id: int, status: int, body: str) -> None:
    """Keep the work's answer with the key, in the work's transaction."""
    session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == key_id)
        .values(state=DONE, response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


def release_key(session: Session, key_id: int) -> None:
    """The work failed and wrote nothing: the key is free again."""
    session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == key_id))


def forget_old_keys(session: Session, now: datetime) -> int:
    """Drop keys older than a day (a job)."""
    return session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - KEPT_FOR)
    ).rowcount
