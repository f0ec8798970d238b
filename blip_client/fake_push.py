"""Blip → bot side of the fake: envelopes the platform pushes to the bot's webhook URLs (§2, §4.6).

Builders are pure functions; ``post_envelope`` and ``push_in_background`` do the HTTP.
"""

import copy
import logging
import threading
import uuid

import requests

from blip_client.identity import desk_relay_address
from blip_client.lime import REDIRECT, TICKET

log = logging.getLogger("blip_client.fake")

PLATFORM_NODE = "postmaster@msging.net/#fake"
PUSH_TIMEOUT = 10.0


def delivery_notifications(message: dict, bot_identity: str, failure=None) -> list[dict]:
    """Notifications Blip sends for a message the bot sent (§3.3): the happy path or ``failed``."""
    message_id = message["id"]
    if failure is not None:
        code, description = failure
        return [{"id": message_id, "from": PLATFORM_NODE, "to": bot_identity, "event": "failed",
                 "reason": {"code": code, "description": description}}]
    platform = [{"id": message_id, "from": PLATFORM_NODE, "to": bot_identity, "event": event}
                for event in ("accepted", "dispatched")]
    recipient = [{"id": message_id, "from": message["to"], "to": bot_identity, "event": event}
                 for event in ("received", "consumed")]
    return platform + recipient


def ticket_message(ticket: dict, bot_identity: str) -> dict:
    """A ticket status message as in ``ticket_status_*.json`` ([EXT], §4.6)."""
    return {"id": f"Ticket:{ticket['id']}:{ticket['status']}",
            "from": f"{ticket['id']}@desk.msging.net", "to": bot_identity,
            "type": TICKET, "content": copy.deepcopy(ticket)}


def close_redirect(ticket: dict, bot_identity: str) -> dict:
    """The documented end-of-attendance redirect (§4.6, ``ticket_closed_redirect.json``)."""
    return {"id": str(uuid.uuid4()), "from": desk_relay_address(ticket["customerIdentity"]),
            "to": bot_identity, "type": REDIRECT,
            "content": {"context": {"type": TICKET, "value": copy.deepcopy(ticket)}}}


def agent_text(ticket: dict, text: str, bot_identity: str) -> dict:
    """An agent's reply relayed to the bot from the customer's Desk relay address (§4.5)."""
    return {"id": str(uuid.uuid4()), "from": desk_relay_address(ticket["customerIdentity"]),
            "to": bot_identity, "type": "text/plain", "content": text,
            "metadata": {"#messageEmitter": "Human"}}


def post_envelope(url: str, envelope: dict, headers: dict | None) -> requests.Response:
    """POST one envelope to a bot webhook URL with the given headers (JSON content type added)."""
    sent_headers = {"Content-Type": "application/json", **(headers or {})}
    return requests.post(url, json=envelope, headers=sent_headers, timeout=PUSH_TIMEOUT)


def push_in_background(url: str, headers: dict | None, envelopes: list[dict]) -> threading.Thread:
    """POST envelopes in order from a daemon thread; failures are logged, never raised."""
    thread = threading.Thread(target=_push_all, args=(url, dict(headers or {}), envelopes),
                              name="fake-blip-notify", daemon=True)
    thread.start()
    return thread


def _push_all(url, headers, envelopes):
    for envelope in envelopes:
        try:
            response = post_envelope(url, envelope, headers)
            if response.status_code >= 300:
                log.warning("bot answered %s to pushed %s", response.status_code,
                            envelope.get("event") or envelope.get("type"))
        except requests.RequestException as exc:
            log.warning("push to bot failed: %s", type(exc).__name__)
            return
