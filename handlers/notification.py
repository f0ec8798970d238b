"""Blip tells us what happened to a message we sent: keep the furthest delivery status."""
from __future__ import annotations

import logging

from sqlmodel import select

from app.models import Message
from handlers.events import DeliveryNotification

log = logging.getLogger(__name__)

# Notifications may arrive out of order: a later stage never goes back to an earlier one.
RANK = {"sending": -1, "sent": 0, "accepted": 1, "dispatched": 2, "received": 3, "consumed": 4, "failed": 5}


def handle(event: DeliveryNotification, ctx) -> None:
    """Record the delivery outcome on the outgoing message it refers to."""
    message = ctx.session.exec(select(Message).where(Message.direction == "out",
                                                     Message.blip_id == event.message_id)).first()
    if message is None:
        log.info("notification %s for a message we do not know", event.event)
        return
    if RANK.get(event.event, -1) > RANK.get(message.delivery_status or "sent", 0):
        message.delivery_status = event.event
        message.delivery_updated_at = ctx.now()
        if event.reason:
            message.delivery_error = f"{event.reason.get('code')}: {event.reason.get('description', '')}"[:300]
