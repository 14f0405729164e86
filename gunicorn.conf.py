"""gunicorn settings for the web process: the Procfile's `web` line runs `gunicorn -c` this file.

2 workers x 4 threads, and no keep-alive: a gthread worker keeps every connection it accepted,
so long-lived connections stay where they first landed and one worker can end up with all of
them (README, "Benchmark"). The HTTPS proxy in front keeps the phones' connections open; only
its hop to gunicorn opens a connection per request.

Metrics: every worker is its own process, so prometheus_client keeps its values in files in
PROMETHEUS_MULTIPROC_DIR, set here before the app (and prometheus_client) is imported in the
workers; `GET /metrics` adds up the files. Give `miniapp jobs run` the same directory to see
its job runs there too.
"""

import os
import tempfile
from pathlib import Path

bind = f"0.0.0.0:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = 4
worker_class = "gthread"
timeout = 30
keepalive = 0
# the largest request line gunicorn allows: a search or cursor typed in Chinese is
# percent-encoded to 9 bytes a character, and the app (not gunicorn's HTML page) answers a
# bad one in the error envelope
limit_request_line = 8190

# one directory per port, so that a restart finds (and clears) what the last run left
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR",
    os.path.join(tempfile.gettempdir(), f"miniapp-metrics-{bind.rpartition(':')[2]}"),
)


def on_starting(server) -> None:
    """Start from the counts of live processes only: files left by processes that are gone
    (an earlier run of this server) are removed; a running jobs runner's files stay."""
    directory = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    for file in directory.glob("*.db"):
        pid = file.stem.rpartition("_")[2]
        if pid.isdigit() and not _alive(int(pid)):
            file.unlink(missing_ok=True)


def child_exit(server, worker) -> None:
    """A worker ended: its gauges of the live-sum kind stop counting (counters are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
