"""The fake server's Flask app: POST /messages, /notifications, /commands as in blip-api.md §9.

Each endpoint runs the same gate (auth → rate limit → JSON object), then field checks (400),
then any scripted fault, then the normal behaviour. Every request except the ``/_fake`` control
routes is recorded before it is handled, so faulted and refused requests are recorded too.
"""

import hmac
import logging
import time

from flask import Flask, Response, g, jsonify, request

from blip_client.fake_commands import METHODS, execute, failure_response
from blip_client.fake_control import control_blueprint
from blip_client.fake_recorder import RecordedRequest

log = logging.getLogger("blip_client.fake")

EVENTS = {"accepted", "dispatched", "received", "consumed", "failed"}


def build_app(fake) -> Flask:
    """Build the WSGI app serving ``fake`` (a FakeBlip)."""
    app = Flask("blip_client.fake")
    app.before_request(lambda: _record(fake))
    app.after_request(_finish)
    app.add_url_rule("/messages", "messages", lambda: _messages(fake), methods=["POST"])
    app.add_url_rule("/notifications", "notifications", lambda: _notifications(fake),
                     methods=["POST"])
    app.add_url_rule("/commands", "commands", lambda: _commands(fake), methods=["POST"])
    app.register_blueprint(control_blueprint(fake))
    return app


def _record(fake):
    g.record = None
    if not request.path.startswith("/_fake"):
        g.record = fake.recorder.add(RecordedRequest(
            method=request.method, path=request.path, headers=dict(request.headers),
            json=request.get_json(silent=True, force=True), received_at=time.time()))


def _finish(response):
    if g.get("record") is not None:
        g.record.status = response.status_code
    log.info("%s %s %s", request.method, request.path, response.status_code)
    return response


def _messages(fake):
    body, refusal = _gate(fake, "/messages")
    if refusal is None:
        refusal = _require(body, "to", "type", "content")
    if refusal is not None:
        return refusal
    fault = fake.faults.take("/messages", body)
    refusal = _apply_fault(fake, fault, body)
    if refusal is not None:
        return refusal
    fake.notify_delivery(body, failure=fault.notify_failed if fault else None)
    return Response(status=202)


def _notifications(fake):
    body, refusal = _gate(fake, "/notifications")
    if refusal is None:
        refusal = _require(body, "id", "event")
    if refusal is not None:
        return refusal
    if not (body.get("to") or body.get("from")):
        return _bad_request("a notification needs its recipient in 'to' (or 'from')")
    if body["event"] not in EVENTS:
        return _bad_request("unknown event")
    if body["event"] == "failed" and not isinstance((body.get("reason") or {}).get("code"), int):
        return _bad_request("a failed notification needs reason.code")
    refusal = _apply_fault(fake, fake.faults.take("/notifications", body), body)
    return refusal if refusal is not None else Response(status=202)


def _commands(fake):
    body, refusal = _gate(fake, "/commands")
    if refusal is None:
        refusal = _require(body, "id", "method", "uri")
    if refusal is not None:
        return refusal
    if str(body["method"]).lower() not in METHODS:
        return _bad_request("unknown command method")
    refusal = _apply_fault(fake, fake.faults.take("/commands", body), body)
    if refusal is not None:
        return refusal
    return jsonify(execute(fake.state, body))


def _gate(fake, path):
    """Auth (401), optional rate limit (429), JSON object body (400)."""
    sent = request.headers.get("Authorization", "").encode()
    if not hmac.compare_digest(sent, fake.api_key.encode()):
        return None, Response(status=401)
    if not fake.limiter.allow(path):
        return None, Response(status=429, headers={"Retry-After": "1"})
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        return None, _bad_request("body must be a JSON object")
    return body, None


def _require(body, *fields):
    missing = [name for name in fields if body.get(name) in (None, "")]
    return _bad_request(f"missing field(s): {', '.join(missing)}") if missing else None


def _apply_fault(fake, fault, body):
    """Delay, then answer with the scripted status or command failure; None to go on normally."""
    if fault is None:
        return None
    if fault.delay:
        time.sleep(fault.delay)
    if fault.status is not None:
        headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
        return Response(status=fault.status, headers=headers)
    if fault.command_failure is not None:
        code, description = fault.command_failure
        return jsonify(failure_response(fake.bot_identity, body, code, description))
    return None


def _bad_request(description):
    return jsonify({"reason": {"code": 21, "description": description}}), 400
