"""Event kind → handler. Every handler has the signature `handle(event, ctx)`."""
from __future__ import annotations

import logging

from handlers import agent_message, customer_message, events, notification, routing, ticket_update
from handlers.context import Context

log = logging.getLogger(__name__)

HANDLERS = {
    events.CustomerMessage: customer_message.handle,
    events.AgentMessage: agent_message.handle,
    events.TicketUpdate: ticket_update.handle,
    events.DeliveryNotification: notification.handle,
    events.MessageFollowUp: customer_message.follow_up,
    events.RouteDue: routing.handle_route_due,
}


def dispatch(event: events.Event, ctx: Context) -> bool:
    """Run the handler for `event`; False (logged) for kinds nobody handles."""
    handler = HANDLERS.get(type(event))
    if handler is None:
        log.warning("no handler for %s; event %s left unprocessed", type(event).__name__, ctx.inbox_event.id)
        return False
    handler(event, ctx)
    return True
