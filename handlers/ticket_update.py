"""A Desk ticket changed. When the attendance is over, the conversation closes: the next message greets anew."""
from __future__ import annotations

from blip_client import strip_instance
from handlers import conversations
from handlers.events import TicketUpdate

ENDED = {"ClosedAttendant", "ClosedClient"}


def handle(event: TicketUpdate, ctx) -> None:
    """Close the customer's open conversation when its ticket is closed."""
    customer = event.ticket.get("customerIdentity")
    if event.ticket.get("status") not in ENDED or not customer:
        return
    conversation = conversations.find_open(ctx.session, strip_instance(customer))
    if conversation:
        conversations.close(conversation, at=ctx.now(), reason="ticket_closed")
