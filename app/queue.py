"""Hand event ids to workers: RQ on Redis in production, a thread pool in the embedded default.

Two priorities: customer messages are `urgent` (their job sends the greeting), everything else
(notifications, follow-ups, routing) waits behind them. Enqueueing never raises and never makes
the webhook wait for Redis: the event is already persisted, and the sweeper (app/sweeper.py)
re-enqueues whatever was not processed, so a Redis outage delays work but loses nothing.
"""
from __future__ import annotations

import itertools
import logging
import queue as stdlib_queue
import threading
import time
from typing import Callable

log = logging.getLogger(__name__)

URGENT_QUEUE, QUEUE_NAME = "events-urgent", "events"
JOB = "app.jobs.process_event"
BATCH = 200


class InProcessQueue:
    """Runs jobs on a few threads inside this process (no Redis needed), urgent ones first."""

    def __init__(self, run: Callable[[int], object], workers: int = 4):
        self._run = run
        self._items: stdlib_queue.PriorityQueue = stdlib_queue.PriorityQueue()
        self._order = itertools.count()
        self._threads = [threading.Thread(target=self._work, name=f"job-{n}", daemon=True) for n in range(workers)]
        self._started = threading.Lock()

    def enqueue(self, event_id: int, *, urgent: bool = False) -> bool:
        """Schedule the event; True when handed over."""
        if not self._threads[0].is_alive() and self._started.acquire(blocking=False):
            for thread in self._threads:
                thread.start()
        self._items.put((0 if urgent else 1, next(self._order), event_id))
        return True

    def _work(self) -> None:
        while True:
            _, _, event_id = self._items.get()
            if event_id is None:
                return
            try:
                self._run(event_id)
            except Exception:
                log.exception("job for event %s crashed", event_id)
            finally:
                self._items.task_done()

    def problem(self) -> str | None:
        """None: a thread pool is always usable."""
        return None

    def shutdown(self) -> None:
        """Let queued jobs finish, then stop the threads."""
        if self._threads[0].is_alive():
            self._items.join()
            for _ in self._threads:
                self._items.put((2, next(self._order), None))


class RedisQueue:
    """RQ queues on Redis. A background thread pushes ids in batches, so the webhook only touches memory."""

    def __init__(self, redis_url: str, *, job_timeout: int = 600, backoff_seconds: float = 2.0):
        from redis import Redis
        from rq import Queue

        self.connection = Redis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=0.3)
        self.queues = {True: Queue(URGENT_QUEUE, connection=self.connection),
                       False: Queue(QUEUE_NAME, connection=self.connection)}
        self._job_timeout = job_timeout
        self._backoff = backoff_seconds
        self._down_until = 0.0
        self._pending: stdlib_queue.SimpleQueue = stdlib_queue.SimpleQueue()
        self._pusher: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, event_id: int, *, urgent: bool = False) -> bool:
        """Queue the job carrying only the event id; False when Redis is known to be down."""
        if time.monotonic() < self._down_until:
            return False  # recently failed: the sweeper will hand it over once Redis is back
        self._pending.put((event_id, urgent))
        if self._pusher is None or not self._pusher.is_alive():
            with self._lock:
                if self._pusher is None or not self._pusher.is_alive():
                    self._pusher = threading.Thread(target=self._push_forever, name="rq-pusher", daemon=True)
                    self._pusher.start()
        return True

    def _push_forever(self) -> None:
        while True:
            batch = [self._pending.get()]
            while len(batch) < BATCH:
                try:
                    batch.append(self._pending.get_nowait())
                except stdlib_queue.Empty:
                    break
            self._push(batch)

    def _push(self, batch: list[tuple[int, bool]]) -> None:
        from rq import Queue

        try:
            with self.connection.pipeline() as pipe:
                for urgent in (True, False):
                    datas = [Queue.prepare_data(JOB, (event_id,), timeout=self._job_timeout, result_ttl=0,
                                                failure_ttl=7 * 24 * 3600)
                             for event_id, flag in batch if flag is urgent]
                    if datas:
                        self.queues[urgent].enqueue_many(datas, pipeline=pipe)
                pipe.execute()
        except Exception as exc:  # redis.exceptions.* and socket errors
            self._down_until = time.monotonic() + self._backoff
            log.warning("could not enqueue %d event(s) (%s); the sweeper will retry", len(batch), type(exc).__name__)

    def problem(self) -> str | None:
        """None when Redis answers a PING."""
        try:
            self.connection.ping()
            return None
        except Exception as exc:
            return f"redis unreachable: {type(exc).__name__}"

    def shutdown(self) -> None:
        """Close the Redis connections (ids not yet pushed are re-enqueued by a sweeper)."""
        self.connection.close()
