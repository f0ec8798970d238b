"""A Desk ticket changed (ticket message, or the redirect sent when an attendance ends, §4.6).

The ticket's record moves forward (handlers/ticket_life.py); when the conversation's ticket is
closed, the conversation closes too, so the customer's next message is greeted anew.
"""
from __future__ import annotations

from blip_client import strip_instance
from handlers import conversations, ticket_life
from handlers.events import TicketUpdate


ENDED = {"ClosedAttendant", "ClosedClient"}


def handle(event: TicketUpdate, ctx) -> None:
    """Apply the ticket's new state; close the conversation when its attendance is over."""
    ticket = ticket_life.apply(ctx, event.ticket)
    if ticket is not None:
        if ticket.closed_at is not None:
            close_conversation(ctx, ticket_life.conversation_of(ctx.session, ticket))
        return
    # A ticket the bot did not open (an agent opened it in Desk): its end still ends the attendance.
    customer = event.ticket.get("customerIdentity")
    if event.ticket.get("status") in ENDED and customer:
        close_conversation(ctx, conversations.find_open(ctx.session, strip_instance(customer)))


def close_conversation(ctx, conversation) -> None:
    """The attendance ended: the conversation it belonged to is over."""
    if conversation is not None:
        conversations.close(conversation, at=ctx.now(), reason="ticket_closed")
