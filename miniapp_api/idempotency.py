"""`@idempotent`: the Idempotency-Key header on an unsafe endpoint (API.md, Conventions).

Place it under the auth decorator (the key belongs to the caller) and above `@blp.arguments`:

    @blp.route("", methods=["POST"])
    @employee_required
    @idempotent
    @blp.arguments(PlaceOrderSchema)
    @blp.response(201, OrderPlacedSchema)
    def place_order(body): ...

The rules live in services/idempotency.py; this is their HTTP side. `run_once` is the same
machinery for a caller whose key does not travel in the header (the console's forms carry theirs
in a hidden field, see console/union.py).
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request

from miniapp_api.errors import InvalidRequest
from miniapp_api.extensions import db
from miniapp_api.services.idempotency import claim_key, finish_key, release_key
from miniapp_api.transaction import commit_early

HEADER = "Idempotency-Key"
_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "pattern": _KEY.pattern, "maxLength": 128},
    "description": "the same key with the same body answers the first answer again and does "
    "nothing twice (422 idempotency_key_reused with another body; 409 request_in_progress "
    "while the first runs); kept per caller for 24 hours",
}


def _caller() -> str:
    """Whose keys: the account's id and part of its token key (miniapp_api.auth), so that a
    row that later gets the same id (after a restore) never sees the answers kept for another;
    at most 37 characters."""
    if g.get("employee") is not None:
        return f"employee:{g.employee.id}:{g.employee.token_key[:16]}"
    if g.get("admin") is not None:
        return f"admin:{g.admin.id}:{g.admin.token_key[:16]}"
    raise RuntimeError("@idempotent must sit under an auth decorator")


def request_hash(body: bytes) -> str:
    """What a key is bound to: the method, the path and the body as given."""
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(body)
    return digest.hexdigest()


def _request_hash() -> str:
    raw = request.get_data(cache=True)
    try:
        body = json.dumps(json.loads(raw), sort_keys=True, ensure_ascii=False).encode()
    except ValueError:
        body = raw
    return request_hash(body)


def is_valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


def _kept_body(response: Response) -> str:
    return response.get_data(as_text=True)


def run_once(
    key: str,
    fingerprint: str,
    work: Callable[[], Any],
    *,
    replay: Callable[[int, str], Any],
    kept: Callable[[Response], str] = _kept_body,
) -> Any:
    """Run `work` once for the caller's `key`: the key is claimed and committed first; a
    request already answered with this key and `fingerprint` gets `replay(status, kept)`
    instead; work that fails (an exception or an answer of 400 or more) releases the key.
    Raises IdempotencyKeyReused (another fingerprint) or RequestInProgress. The API's
    `@idempotent` keeps the JSON answer; the console keeps where its form led."""
    session = db.session
    claim = claim_key(session, _caller(), key, fingerprint)
    if claim.is_replay:
        return replay(claim.replay_status, claim.replay_body)  # type: ignore[arg-type]
    commit_early(session, "an Idempotency-Key is committed before the work it guards")
    try:
        response = current_app.make_response(work())
    except BaseException:
        _release(claim.key_id)
        raise
    if response.status_code >= 400:
        _release(claim.key_id)
    else:
        finish_key(session, claim.key_id, response.status_code, kept(response))  # type: ignore[arg-type]
    return response


def _json_replay(status: int, body: str) -> Response:
    return Response(body, status=status, mimetype="application/json")


def idempotent(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not is_valid_key(key):
            raise InvalidRequest(details={HEADER: ["幂等键须为1到128个字母、数字或 . _ : - 字符"]})
        return run_once(key, _request_hash(), lambda: view(*args, **kwargs), replay=_json_replay)

    apidoc = copy.deepcopy(getattr(wrapper, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {}).setdefault("parameters", []).append(HEADER_DOC)
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return wrapper


def _release(key_id: int | None) -> None:
    session = db.session
    session.rollback()
    release_key(session, key_id)  # type: ignore[arg-type]
    commit_early(session, "failed work releases its Idempotency-Key")
