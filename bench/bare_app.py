"""Baseline for bench/webhook_bench.py: the least a Flask app can do for a Blip webhook.

One route, ``POST /blip/messages``: read the body, parse the JSON and answer 202 with a small JSON
body (the same shape of answer the real service gives). No authentication, validation, database or
queue. Served by gunicorn with exactly the service's settings, it measures what gunicorn + Flask +
the machine cost, so the service's figures can be read as a ratio of it.

    gunicorn --chdir bench bare_app:app --worker-class gthread --workers 2 --threads 8
"""
from __future__ import annotations

import json

from flask import Flask, jsonify, request

app = Flask(__name__)


@app.post("/blip/messages")
def blip_messages():
    """Parse the envelope, answer 202."""
    try:
        envelope = json.loads(request.get_data(cache=False))
    except ValueError:
        return jsonify(error="malformed_json"), 400
    return jsonify(status="accepted", id=envelope.get("id") if isinstance(envelope, dict) else None), 202


@app.get("/healthz")
def healthz():
    """Readiness probe used by the benchmark before it starts sending."""
    return jsonify(status="ok")
