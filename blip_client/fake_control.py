"""HTTP control routes of the fake server (``/_fake/...``), for use from another process.

They mirror the Python API of FakeBlip and need no auth: the fake only ever listens locally.
"""

import requests
from flask import Blueprint, Response, abort, jsonify, request

AGENT_ACTIONS = {"take", "reply", "transfer", "close", "client-close"}


def control_blueprint(fake) -> Blueprint:
    """Build the ``/_fake`` blueprint bound to ``fake`` (a FakeBlip)."""
    bp = Blueprint("fake_control", __name__, url_prefix="/_fake")

    @bp.get("/requests")
    def list_requests():
        return jsonify([record.to_dict() for record in fake.requests])

    @bp.post("/reset")
    def reset():
        fake.reset()
        return Response(status=204)

    @bp.get("/faults")
    def list_faults():
        return jsonify([fault.to_dict() for fault in fake.faults.pending()])

    @bp.post("/faults")
    def add_fault():
        body = _json_object()
        try:
            fake.fail(body.pop("path", None), **body)
        except (TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400
        return Response(status=201)

    @bp.post("/contacts")
    def seed_contact():
        body = _json_object()
        identity = body.pop("identity", None)
        if not identity:
            return jsonify({"error": "identity is required"}), 400
        return jsonify(fake.seed_contact(identity, **body)), 201

    @bp.get("/tickets")
    def list_tickets():
        with fake.state.lock:
            return jsonify(sorted(fake.tickets.values(), key=lambda t: t["sequentialId"]))

    @bp.post("/agent/<action>")
    def agent(action):
        if action not in AGENT_ACTIONS:
            return jsonify({"error": f"action must be one of {sorted(AGENT_ACTIONS)}"}), 404
        try:
            return jsonify(_run_agent_action(fake, action, _json_object()))
        except (KeyError, TypeError, ValueError) as exc:
            return jsonify({"error": str(exc)}), 400

    @bp.post("/push/<kind>")
    def push(kind):
        if kind not in ("message", "notification"):
            return jsonify({"error": "kind must be message or notification"}), 404
        pusher = fake.push_message if kind == "message" else fake.push_notification
        try:
            response = pusher(_json_object())
        except (ValueError, requests.RequestException) as exc:
            return jsonify({"error": f"push failed: {type(exc).__name__}: {exc}"}), 502
        return jsonify({"bot_status": response.status_code})

    return bp


def _run_agent_action(fake, action, body):
    ticket_id = body["ticket_id"]
    if action == "take":
        return fake.agent_take(ticket_id, body["agent_identity"])
    if action == "reply":
        return fake.agent_reply(ticket_id, body["text"])
    if action == "transfer":
        return fake.agent_transfer(ticket_id, body["team"])
    if action == "close":
        return fake.agent_close(ticket_id, tags=body.get("tags"))
    return fake.client_close(ticket_id)


def _json_object() -> dict:
    if not request.get_data():
        return {}
    body = request.get_json(silent=True, force=True)
    if not isinstance(body, dict):
        abort(400, "body must be a JSON object")
    return dict(body)
