"""The Flask application factory: settings → runtime (store, Blip, playbooks, queue) → blueprints → errors → CLI."""
from __future__ import annotations

import logging
import threading

from flask import Flask

from app.config import Settings, load_settings

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None, *, runtime=None) -> Flask:
    """Build the web app. Tests pass `settings` (or a ready `runtime`); production reads the environment."""
    from app import cli, errors, health, runtime as runtime_module, sweeper, webhooks
    from app.metrics import RequestCounter

    settings = settings or (runtime.settings if runtime else load_settings())
    _configure_logging(settings.log_level)
    rt = runtime or runtime_module.build(settings)
    rt.playbooks.current()  # refuse to start with playbooks that never loaded (clear error, file and line)
    runtime_module.install(rt)

    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["runtime"] = rt
    app.extensions["webhook_requests"] = RequestCounter()  # per process: rejected requests are not stored
    app.register_blueprint(webhooks.bp)
    app.register_blueprint(health.bp)
    errors.register_error_handlers(app)
    cli.register(app)
    if not settings.webhook_secrets:
        log.warning("WEBHOOK_SECRETS is empty: webhook requests are NOT authenticated (development only)")
    if not settings.uses_redis:
        _start_sweeper_on_first_request(app, rt, sweeper)
    return app


def _start_sweeper_on_first_request(app: Flask, rt, sweeper) -> None:
    """In-process mode: the web process also re-runs due events (not in CLI commands)."""
    started = threading.Event()

    @app.before_request
    def _start_once():
        if not started.is_set():
            started.set()
            sweeper.start(rt)


def _configure_logging(level: str) -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    root.setLevel(level)
