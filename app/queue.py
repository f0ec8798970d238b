"""Hand event ids to workers: RQ on Redis in production, a thread pool in the embedded default.

Enqueueing never raises: the event is already persisted, and the sweeper (app/sweeper.py)
re-enqueues whatever was not processed, so a Redis outage delays work but loses nothing.
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

log = logging.getLogger(__name__)

QUEUE_NAME = "events"
JOB = "app.jobs.process_event"


class InProcessQueue:
    """Runs jobs on a small thread pool inside this process (no Redis needed)."""

    def __init__(self, run: Callable[[int], object], workers: int = 4):
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="job")

    def enqueue(self, event_id: int) -> bool:
        """Schedule the event; True when handed over."""
        self._pool.submit(self._safe_run, event_id)
        return True

    def _safe_run(self, event_id: int) -> None:
        try:
            self._run(event_id)
        except Exception:
            log.exception("job for event %s crashed", event_id)

    def problem(self) -> str | None:
        """None: a thread pool is always usable."""
        return None

    def shutdown(self) -> None:
        """Wait for running jobs to finish."""
        self._pool.shutdown(wait=True)


class RedisQueue:
    """RQ queue on Redis; short socket timeouts keep the webhook fast when Redis is down."""

    def __init__(self, redis_url: str, *, job_timeout: int = 600, backoff_seconds: float = 2.0):
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=0.3)
        self.queue = Queue(QUEUE_NAME, connection=self.connection)
        self._job_timeout = job_timeout
        self._backoff = backoff_seconds
        self._down_until = 0.0
        self._lock = threading.Lock()

    def enqueue(self, event_id: int) -> bool:
        """Push a job carrying only the event id; False (logged) when Redis is unreachable."""
        if time.monotonic() < self._down_until:
            return False  # recently failed: do not make every webhook wait for a timeout
        try:
            self.queue.enqueue(JOB, event_id, job_timeout=self._job_timeout,
                               result_ttl=0, failure_ttl=7 * 24 * 3600)
            return True
        except Exception as exc:  # redis.exceptions.* and socket errors
            with self._lock:
                self._down_until = time.monotonic() + self._backoff
            log.warning("could not enqueue event %s (%s); the sweeper will retry", event_id,
                        type(exc).__name__)
            return False

    def problem(self) -> str | None:
        """None when Redis answers a PING."""
        try:
            self.connection.ping()
            return None
        except Exception as exc:
            return f"redis unreachable: {type(exc).__name__}"

    def shutdown(self) -> None:
        """Close the Redis connections."""
        self.connection.close()
