"""Blip tells us what happened to a message we sent: keep the furthest delivery status."""
from __future__ import annotations

import logging

from sqlalchemy import update

from app.models import Message
from handlers.events import DeliveryNotification

log = logging.getLogger(__name__)

# Notifications arrive out of order and are processed concurrently: a stage only ever moves
# forward, and the check happens inside the UPDATE so two workers cannot overwrite each other.
ORDER = ["sending", "sent", "accepted", "dispatched", "received", "consumed", "failed"]


def handle(event: DeliveryNotification, ctx) -> None:
    """Record the delivery outcome on the outgoing message it refers to."""
    earlier = ORDER[:ORDER.index(event.event)]
    error = None
    if event.reason:
        error = f"{event.reason.get('code')}: {event.reason.get('description', '')}"[:300]
    result = ctx.session.execute(
        update(Message)
        .where(Message.direction == "out", Message.blip_id == event.message_id,
               Message.delivery_status.in_(earlier))
        .values(delivery_status=event.event, delivery_updated_at=ctx.now(), delivery_error=error))
    if result.rowcount == 0:
        log.debug("notification %s changed nothing (unknown message or a later stage already recorded)",
                  event.event)
