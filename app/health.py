"""Liveness, readiness and a small Prometheus view of the inbox."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import func, select

from app.models import BlipCall, DeadLetter, InboxEvent
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
    """Counters from the store, in Prometheus text format (correct across gunicorn workers)."""
    rt = current_app.extensions["runtime"]
    lines = []
    with rt.engine.connect() as conn:
        lines += _family(conn, "blip_webhook_events", "Webhook events by kind, type and status.",
                         select(InboxEvent.kind, InboxEvent.event_type, InboxEvent.status, func.count())
                         .group_by(InboxEvent.kind, InboxEvent.event_type, InboxEvent.status),
                         ("kind", "type", "status"))
        lines += _family(conn, "blip_calls", "Calls to Blip by purpose and status.",
                         select(BlipCall.purpose, BlipCall.status, func.count())
                         .group_by(BlipCall.purpose, BlipCall.status), ("purpose", "status"))
        lines += _family(conn, "dead_letters", "Dead letters by source and status.",
                         select(DeadLetter.source, DeadLetter.status, func.count())
                         .group_by(DeadLetter.source, DeadLetter.status), ("source", "status"))
    return Response("\n".join(lines) + "\n", mimetype="text/plain; version=0.0.4")


def _family(conn, name: str, help_text: str, query, labels: tuple[str, ...]) -> list[str]:
    lines = [f"# HELP {name}_total {help_text}", f"# TYPE {name}_total counter"]
    for *values, count in conn.execute(query):
        pairs = ",".join(f'{label}="{_escape(value)}"' for label, value in zip(labels, values))
        lines.append(f"{name}_total{{{pairs}}} {count}")
    return lines


def _escape(value) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ")
