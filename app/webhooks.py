"""The webhook edge: verify, parse, validate, persist, enqueue, answer 202. Nothing slow happens here."""
from __future__ import annotations

import hmac
import json
import logging
from datetime import timedelta

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from app.errors import ApiError
from app.models import InboxEvent, utcnow
from app.store import retrying
from handlers import events

log = logging.getLogger(__name__)
bp = Blueprint("webhooks", __name__)
INSERT = insert(InboxEvent).returning(InboxEvent.id)  # built once; each request only binds its values


@bp.post("/blip/messages")
def blip_messages():
    """Blip's "URL to receive messages"."""
    return _accept("message")


@bp.post("/blip/notifications")
def blip_notifications():
    """Blip's "URL to receive notifications"."""
    return _accept("notification")


@bp.after_request
def _count_request(response):
    """Count every webhook answer by route and status, rejections (400/401/413) included (per process)."""
    counter = current_app.extensions.get("webhook_requests")
    if counter is not None and request.url_rule is not None:
        counter.count(request.url_rule.rule, response.status_code)
    return response


def _accept(kind: str):
    runtime = current_app.extensions["runtime"]
    _authenticate(runtime.settings)
    envelope = events.validate(kind, _json_body())
    key = events.dedup_key(kind, envelope)
    supported = not isinstance(events.classify(kind, envelope), events.Unsupported)
    now = utcnow()
    # due_at: when the sweeper may hand the event to the queue again if it is still pending.
    due_at = now + timedelta(seconds=runtime.settings.sweep_grace_seconds)
    row = dict(dedup_key=key, kind=kind, event_type=events.event_type(kind, envelope)[:120],
               envelope=envelope, received_at=now, due_at=due_at, attempts=0,
               status="pending" if supported else "ignored")

    def store() -> int:
        # One statement, autocommitted: a single round trip, durable before we answer.
        with runtime.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            return conn.execute(INSERT, row).scalar_one()

    try:
        event_id = retrying(store)
    except IntegrityError:
        log.info("duplicate %s delivery ignored", kind)
        return jsonify(status="duplicate"), 200
    if supported:
        # Never raises or waits on Redis: the sweeper retries whatever could not be queued.
        runtime.queue.enqueue(event_id, urgent=kind == "message")
    else:
        log.warning("unsupported %s stored as event %s (%s)", kind, event_id, row["event_type"])
    return jsonify(status="accepted" if supported else "ignored", event=event_id), 202


def _authenticate(settings) -> None:
    """Constant-time compare against every accepted secret (rotation without downtime)."""
    if not settings.webhook_secrets:
        return  # development without secrets: allowed, and warned about at startup
    presented = request.headers.get(settings.webhook_secret_header, "").encode()
    matched = False
    for secret in settings.webhook_secrets:
        matched |= hmac.compare_digest(presented, secret.encode())
    if not matched:
        raise ApiError(401, "unauthorized", f"missing or wrong {settings.webhook_secret_header} header")


def _json_body():
    raw = request.get_data(cache=False)  # larger than MAX_CONTENT_LENGTH → 413 before we get here
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        where = f" at line {exc.lineno} column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise ApiError(400, "malformed_json", f"request body is not valid JSON{where}") from None
