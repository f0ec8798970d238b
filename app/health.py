"""Liveness, readiness and Prometheus metrics."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from app.metrics import CONTENT_TYPE, render_metrics
from app.store import schema_problem

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """The process is up."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz():
    """Store, queue and playbooks usable; 503 with the reasons otherwise."""
    rt = current_app.extensions["runtime"]
    rt.playbooks.current()  # picks up edits; a bad edit keeps the last good set and sets .error
    problems = {
        "store": schema_problem(rt.engine, rt.settings.database_url),
        "queue": rt.queue.problem(),
        "playbooks": rt.playbooks.error,
        "blip": None if rt.blip else "BLIP_API_URL is not configured",
    }
    failing = {name: reason for name, reason in problems.items() if reason}
    body = {"status": "ready" if not failing else "not ready", "problems": failing,
            "playbooks_version": rt.playbooks.version}
    return jsonify(body), 200 if not failing else 503


@bp.get("/metrics")
def metrics():
    """Counters and histograms from the store, in Prometheus text format (right across gunicorn workers)."""
    rt = current_app.extensions["runtime"]
    body = render_metrics(rt.engine, current_app.extensions.get("webhook_requests"))
    return Response(body, content_type=CONTENT_TYPE)
