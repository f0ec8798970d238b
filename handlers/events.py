"""Blip envelopes → typed events. The only module that knows Blip's inbound shapes (blip-api.md §1, §2.5, §4.6).

`validate()` checks an envelope at the webhook edge (pydantic, unknown fields tolerated);
`classify()` turns a stored envelope into one of the event dataclasses below.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from blip_client import customer_from_desk_relay, strip_instance

TEXT = "text/plain"
MEDIA_LINK = "application/vnd.lime.media-link+json"
REDIRECT = "application/vnd.lime.redirect+json"
TICKET = "application/vnd.iris.ticket+json"
NOTIFICATION_EVENTS = {"accepted", "dispatched", "received", "consumed", "failed"}


class EnvelopeError(ValueError):
    """A JSON body that is not a valid Blip envelope; `field` names the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class MessageEnvelope(_Envelope):
    """Blip → bot message (§1.1); `from` is required to know who wrote."""

    id: str | None = Field(default=None, min_length=1, max_length=200)
    from_: str = Field(alias="from", min_length=3, max_length=300)
    to: str | None = Field(default=None, max_length=300)
    type: str = Field(min_length=1, max_length=120)
    content: Any
    metadata: dict[str, Any] | None = None


class Reason(_Envelope):
    code: int
    description: str | None = None


class NotificationEnvelope(_Envelope):
    """Blip → bot notification (§1.2); keyed by (`id`, `event`)."""

    id: str = Field(min_length=1, max_length=200)
    from_: str | None = Field(default=None, alias="from", max_length=300)
    to: str | None = Field(default=None, max_length=300)
    event: str = Field(min_length=1, max_length=40)
    reason: Reason | None = None


ENVELOPES = {"message": MessageEnvelope, "notification": NotificationEnvelope}


def validate(kind: str, payload: Any) -> dict:
    """Check `payload` is a Blip envelope of `kind`; return it as a plain dict or raise EnvelopeError."""
    if not isinstance(payload, dict):
        raise EnvelopeError("(body)", "expected a JSON object (one Blip envelope)")
    try:
        ENVELOPES[kind].model_validate(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "(body)"
        raise EnvelopeError(field.replace("from_", "from"), first["msg"]) from None
    if kind == "message" and payload.get("content") is None:
        raise EnvelopeError("content", "Field required")
    return payload


def dedup_key(kind: str, envelope: dict) -> str:
    """The key that makes redeliveries of one envelope harmless."""
    if kind == "notification":
        return f"n:{envelope['id']}:{envelope['event']}"
    if envelope.get("id"):
        return f"m:{envelope['id']}"
    # Blip may omit `id` (no notifications wanted); an identical redelivery still hashes the same.
    digest = hashlib.sha256(json.dumps(envelope, sort_keys=True).encode()).hexdigest()
    return f"m:sha256:{digest}"


def event_type(kind: str, envelope: dict) -> str:
    """The envelope's `type` (messages) or `event` (notifications)."""
    return envelope["event"] if kind == "notification" else envelope["type"]


@dataclass(frozen=True)
class CustomerMessage:
    """A customer wrote something (text, or media with an optional caption)."""

    id: str | None
    node: str  # `from` exactly as received: replies and notifications go back to it
    identity: str
    content_type: str
    text: str | None
    content: Any = None  # as received, to relay it to the Desk agent unchanged


@dataclass(frozen=True)
class AgentMessage:
    """A Desk agent's message relayed to the bot through `<customer>@desk.msging.net` (§4.5)."""

    id: str | None
    customer_identity: str
    text: str | None


@dataclass(frozen=True)
class TicketUpdate:
    """A ticket changed (ticket message, or the redirect sent when an attendance ends, §4.6)."""

    ticket: dict
    source: str  # ticket_message | redirect


@dataclass(frozen=True)
class DeliveryNotification:
    """What happened to a message we sent (§1.2)."""

    message_id: str
    event: str
    reason: dict | None


@dataclass(frozen=True)
class MessageFollowUp:
    """Internal: the slower half of a customer message's processing (identify, route, acknowledge)."""

    event_id: int


@dataclass(frozen=True)
class RouteDue:
    """Internal: a conversation's burst may be over; time to decide where it goes."""

    conversation_id: int


@dataclass(frozen=True)
class Unsupported:
    """Stored and counted, never processed."""

    reason: str


Event = (CustomerMessage | AgentMessage | TicketUpdate | DeliveryNotification | MessageFollowUp | RouteDue
         | Unsupported)


def classify(kind: str, envelope: dict) -> Event:
    """Turn a validated envelope into a typed event."""
    if kind == "notification":
        return _classify_notification(envelope)
    if kind == "internal":
        if "followup_of" in envelope:
            return MessageFollowUp(event_id=envelope["followup_of"])
        return RouteDue(conversation_id=envelope["conversation_id"])
    content_type, content = envelope["type"], envelope["content"]
    if content_type == TICKET and isinstance(content, dict) and content.get("id"):
        return TicketUpdate(ticket=content, source="ticket_message")
    if content_type == REDIRECT:
        context = content.get("context") if isinstance(content, dict) else None
        value = context.get("value") if isinstance(context, dict) else None
        if isinstance(value, dict) and context.get("type") == TICKET and value.get("id"):
            return TicketUpdate(ticket=value, source="redirect")
        return Unsupported("redirect without a ticket context")
    text = _text_of(content_type, content)
    if text is _UNSUPPORTED:
        return Unsupported(f"message type {content_type!r}")
    sender = envelope["from"]
    relayed_for = customer_from_desk_relay(strip_instance(sender))
    if relayed_for:
        return AgentMessage(id=envelope.get("id"), customer_identity=relayed_for, text=text)
    return CustomerMessage(id=envelope.get("id"), node=sender, identity=strip_instance(sender),
                           content_type=content_type, text=text, content=content)


_UNSUPPORTED = object()


def _text_of(content_type: str, content: Any):
    if content_type == TEXT and isinstance(content, str):
        return content
    if content_type == MEDIA_LINK and isinstance(content, dict):
        return content.get("text") or None
    return _UNSUPPORTED


def _classify_notification(envelope: dict) -> Event:
    if envelope["event"] not in NOTIFICATION_EVENTS:
        return Unsupported(f"notification event {envelope['event']!r}")
    return DeliveryNotification(message_id=envelope["id"], event=envelope["event"],
                                reason=envelope.get("reason"))
