"""What each change of issue 17 buys in app CPU per uncached request, measured in one process.

    python bench/cpu_changes.py [--db sqlite|postgres|both] [--rounds 8]

Each change can be undone at run time (the old code path put back by a patch below). For each
one, the current code and the current code without that change take turns in rounds of
`PER_ROUND` requests, and the median difference is printed; "all of them" undoes every change
at once (the rest of the code being today's, so this is close to, not exactly, the code before
issue 17; bench/cpu_per_request.py run on both checkouts gives that). Same catalogue, token and
settings as bench/cpu_per_request.py (cache off, MINIAPP_ENV=production, the request log to
/dev/null).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browse import POSTGRES_URL, SQLITE_URL, prepare, uncached_client  # noqa: E402

PER_ROUND = 100


def changes(app) -> dict[str, Callable[[], Callable[[], None]]]:
    """Name -> a function that undoes the change and returns the function that redoes it."""
    from flask import jsonify
    from flask.sessions import SecureCookieSessionInterface
    from itsdangerous import URLSafeTimedSerializer

    import miniapp_api.auth as auth
    import miniapp_api.mp.catalog as views
    import miniapp_api.services.catalog as catalog
    from miniapp_api.extensions import db, limiter
    from miniapp_api.schemas.catalog import ProductDetailSchema, ProductListArgs

    def swap(owner, name, value):
        def undo():
            old = getattr(owner, name)
            setattr(owner, name, value)
            return lambda: setattr(owner, name, old)

        return undo

    with app.app_context():
        pool = db.engine.pool

    def ping_on_checkout():
        pool._pre_ping = True
        return lambda: setattr(pool, "_pre_ping", False)

    def transactions_for_reads():
        marked = [app.view_functions[e] for e in ("catalog.read_products", "catalog.read_product")]
        for view in marked:
            view.read_only = False

        def redo():
            for view in marked:
                view.read_only = True

        return redo

    def limiter_hook():
        hooks = app.before_request_funcs.setdefault(None, [])
        hooks.insert(0, limiter._check_request_limit)
        return lambda: hooks.remove(limiter._check_request_limit)

    def orm_rows(session, statement, params):
        return list(session.execute(statement, params).all())

    def serializer(kind):
        return URLSafeTimedSerializer(
            auth.current_app.config["SECRET_KEY"], salt=f"miniapp-{kind}-token"
        )

    def old_product_page():
        undo_page = swap(views, "product_page", lambda s, i: [catalog.product_detail(s, i)])()
        undo_body = swap(
            views, "product_page_body", lambda rows: ProductDetailSchema().dump(rows[0])
        )()
        undo_json = swap(views, "_json", jsonify)()

        def redo():
            undo_page(), undo_body(), undo_json()

        return redo

    return {
        "ping on every checkout (pool_pre_ping)": ping_on_checkout,
        "BEGIN/COMMIT around catalogue reads": transactions_for_reads,
        "limiter hook on every request": limiter_hook,
        "cookie session opened per request": swap(
            app, "session_interface", SecureCookieSessionInterface()
        ),
        "token serializer built per request": swap(auth, "_serializer", serializer),
        "stdlib JSON (jsonify)": swap(views, "_json", jsonify),
        "ORM execution of the list query": swap(catalog, "_rows", orm_rows),
        "query arguments through marshmallow": swap(
            ProductListArgs, "fast_load", lambda self, args: None
        ),
        "product page through ORM objects and marshmallow": old_product_page,
    }


def measure(db_name: str, url: str, rounds: int) -> list[str]:
    token, _ = prepare(url, 100_000, regenerate=False)
    client = uncached_client(url)
    app = client.application
    headers = {"Authorization": f"Bearer {token}"}
    paths = {"default listing": "/api/v1/products", "product page": "/api/v1/products/1001"}

    def cost(path: str) -> float:
        start = time.process_time()
        for _ in range(PER_ROUND):
            client.get(path, headers=headers)
        return (time.process_time() - start) / PER_ROUND * 1000

    for path in paths.values():
        for _ in range(50):
            assert client.get(path, headers=headers).status_code == 200
    undoers = changes(app)

    def undo_all():
        redos = [undo() for undo in undoers.values()]
        return lambda: [redo() for redo in reversed(redos)]

    lines = [f"{db_name}: app CPU ms per request, now → without the change (median of {rounds})"]
    for name, undo in [*undoers.items(), ("all of them", undo_all)]:
        for case, path in paths.items():
            if name.startswith("product page") and case != "product page":
                continue
            now, without = [], []
            for _ in range(rounds):
                now.append(cost(path))
                redo = undo()
                without.append(cost(path))
                redo()
            a, b = statistics.median(now), statistics.median(without)
            lines.append(f"  {name}, {case}: {a:.2f} → {b:.2f} ms ({b - a:+.2f} ms without it)")
            print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="app CPU bought by each change")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rounds", type=int, default=8)
    args = parser.parse_args()
    targets = {"sqlite": SQLITE_URL, "postgres": POSTGRES_URL}
    names = list(targets) if args.db == "both" else [args.db]
    lines: list[str] = []
    for name in names:
        lines += measure(name, targets[name], args.rounds)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
