"""The process's long-lived pieces (engine, Blip client, playbooks, queue), built once from Settings.

The web app builds one in `create_app`; an RQ worker builds one from the environment on its first
job. Nothing here runs at import time.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.engine import Engine

from app.config import Settings, load_settings
from app.models import utcnow
from app.store import make_engine
from blip_client import BlipClient
from playbooks import PlaybookStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    """Everything a request or a job needs that outlives it."""

    settings: Settings
    engine: Engine
    blip: BlipClient | None
    playbooks: PlaybookStore
    queue: object = None  # app.queue.InProcessQueue | app.queue.RedisQueue
    llm: object = None  # llm.IntentAssistant when OPENAI_API_KEY is set
    clock: Callable = utcnow
    threads: list = field(default_factory=list)


def build(settings: Settings, *, queue_factory: Callable[["Runtime"], object] | None = None) -> Runtime:
    """Wire the runtime for `settings`; the queue defaults to RQ when REDIS_URL is set."""
    from app import jobs
    from app.queue import InProcessQueue, RedisQueue

    blip = None
    if settings.blip_api_url:
        blip = BlipClient(settings.blip_api_url, settings.blip_api_key, timeout=settings.blip_timeout_seconds,
                          max_attempts=settings.blip_max_attempts, backoff_base=settings.blip_backoff_seconds)
    runtime = Runtime(settings=settings, engine=make_engine(settings.database_url), blip=blip,
                      playbooks=PlaybookStore(settings.playbooks_dir), llm=_llm(settings))
    if queue_factory:
        runtime.queue = queue_factory(runtime)
    elif settings.uses_redis:
        runtime.queue = RedisQueue(settings.redis_url)
    else:
        runtime.queue = InProcessQueue(lambda event_id: jobs.run_event(runtime, event_id),
                                       workers=settings.inprocess_workers)
    return runtime


def _llm(settings: Settings):
    if not settings.openai_api_key:
        return None
    from llm import IntentAssistant

    return IntentAssistant(base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                           model=settings.openai_model, timeout=settings.openai_timeout_seconds)


_current: Runtime | None = None
_lock = threading.Lock()


def install(runtime: Runtime) -> None:
    """Make `runtime` the one jobs in this process use."""
    global _current
    _current = runtime


def current() -> Runtime:
    """The installed runtime, built from the environment on first use (RQ workers)."""
    global _current
    with _lock:
        if _current is None:
            _current = build(load_settings())
        return _current
