"""A Desk agent wrote to the customer: record it in the customer's open conversation.

Blip Desk forwards agent messages to the customer itself on current platforms (blip-api.md §4.5
is silent on whether a bot must relay), so we record and never echo them back to Desk.
"""
from __future__ import annotations

from handlers import conversations
from handlers.events import AgentMessage


def handle(event: AgentMessage, ctx) -> None:
    """Store the agent's message in the customer's conversation, if one is open."""
    conversation = conversations.find_open(ctx.session, event.customer_identity)
    if conversation is None:
        return
    conversations.record_incoming(ctx.session, conversation, blip_id=event.id, sender="agent",
                                  content_type="text/plain", text=event.text, at=ctx.inbox_event.received_at)
