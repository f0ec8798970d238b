"""A Desk agent wrote to the customer: record it, and stop the ticket's human clock on the first reply.

Blip Desk forwards agent messages to the customer itself on current platforms (blip-api.md §4.5
is silent on whether a bot must relay), so we record and never echo them back to Desk.
"""
from __future__ import annotations

from handlers import conversations, ticket_life
from handlers.events import AgentMessage


def handle(event: AgentMessage, ctx) -> None:
    """Store the agent's message in the customer's conversation; the first one is the first response."""
    at = ctx.inbox_event.received_at
    ticket = ticket_life.open_ticket_for(ctx.session, event.customer_identity)
    if ticket is not None:
        ticket_life.record_first_response(ctx, ticket, at)
    conversation = conversations.find_open(ctx.session, event.customer_identity)
    if conversation is not None:
        conversations.record_incoming(ctx.session, conversation, blip_id=event.id, sender="agent",
                                      content_type="text/plain", text=event.text, at=at)
