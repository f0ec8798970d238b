"""A daemon thread: re-enqueues due events (app/inbox.py), polls open tickets and checks TPR breaches."""
from __future__ import annotations

import logging
import threading

from app import jobs

log = logging.getLogger(__name__)


def start(rt) -> threading.Thread:
    """Run `jobs.maintain(rt)` every SWEEP_INTERVAL_SECONDS until the process exits."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(rt.settings.sweep_interval_seconds):
            try:
                jobs.maintain(rt)
            except Exception as exc:  # database or Blip briefly away: try again next tick
                log.warning("sweeper tick failed: %s", type(exc).__name__)

    thread = threading.Thread(target=loop, name="sweeper", daemon=True)
    thread.stop = stop  # type: ignore[attr-defined]
    thread.start()
    rt.threads.append(thread)
    return thread
