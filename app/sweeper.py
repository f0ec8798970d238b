"""A daemon thread that periodically re-enqueues events that are due (see app/inbox.py)."""
from __future__ import annotations

import logging
import threading

from app import jobs

log = logging.getLogger(__name__)


def start(rt) -> threading.Thread:
    """Run `jobs.sweep(rt)` every SWEEP_INTERVAL_SECONDS until the process exits."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(rt.settings.sweep_interval_seconds):
            try:
                jobs.sweep(rt)
            except Exception as exc:  # database briefly away: try again next tick
                log.warning("sweep failed: %s", type(exc).__name__)

    thread = threading.Thread(target=loop, name="sweeper", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    rt.threads.append(thread)
    return thread
