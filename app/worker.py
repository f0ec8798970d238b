"""The `worker` process: RQ jobs from Redis, plus the sweeper thread.

SimpleWorker runs jobs in this process (no fork per job), so the engine's connection pool and the
playbooks stay warm and a greeting is not delayed by process start-up. A worker killed mid-job
loses nothing: its event stays `processing` until the lease expires, then the sweeper re-enqueues it.
"""
from __future__ import annotations

import logging

from app import runtime as runtime_module, sweeper
from app.queue import QUEUE_NAME, URGENT_QUEUE

log = logging.getLogger(__name__)


def run(rt, *, burst: bool = False) -> None:
    """Work the events queue until stopped (or until empty with `burst`)."""
    from rq import Queue, SimpleWorker

    if not rt.settings.uses_redis:
        raise SystemExit("REDIS_URL is not set: without Redis, jobs run inside the web process")
    runtime_module.install(rt)
    connection = rt.queue.connection
    sweeper.start(rt)
    # Listed in priority order: a worker always takes customer messages (greetings) first.
    queues = [Queue(name, connection=connection) for name in (URGENT_QUEUE, QUEUE_NAME)]
    worker = SimpleWorker(queues, connection=connection)
    log.info("worker listening on queues %r, %r", URGENT_QUEUE, QUEUE_NAME)
    worker.work(burst=burst, logging_level=rt.settings.log_level)
