"""A customer wrote: record, greet at once (new conversation), identify, arm routing, acknowledge.

Steps run in that order so the greeting never waits for anything slower than the store.
Each step is safe to run again: a retried job finds what the previous attempt already did.
"""
from __future__ import annotations

from datetime import timedelta

import playbooks
from app.models import Conversation, Customer
from blip_client import desk_relay_address
from handlers import conversations, outbox, routing
from handlers.events import CustomerMessage
from handlers.identify import identify, known_customer


def handle(event: CustomerMessage, ctx) -> None:
    """Process one customer message."""
    session = ctx.session
    received_at = ctx.inbox_event.received_at
    contact = conversations.touch_contact(session, event.identity, ctx.now())
    conversation = conversations.open_conversation(
        session, contact, now=ctx.now(), received_at=received_at, idle_after=_idle_after(ctx))
    conversations.record_incoming(session, conversation, blip_id=event.id, sender="customer",
                                  content_type=event.content_type, text=event.text, at=received_at)
    session.commit()

    if conversation.first_message_received_at == received_at:
        greet(ctx, conversation, event, customer=known_customer(session, contact))

    if conversation.identification is None:
        customer, how = identify(ctx, contact)
        conversation.adm = customer.adm if customer else None
        conversation.identification = how
        session.commit()

    if routing.decision_of(session, conversation.id) is None:
        routing.schedule(ctx, conversation, received_at)  # decide when the burst is over
    else:
        relay_to_desk(ctx, conversation, event)
    acknowledge(ctx, event)


def greet(ctx, conversation: Conversation, event: CustomerMessage, *, customer: Customer | None) -> None:
    """Send the playbook greeting, once per conversation, with the customer's name when known."""
    # Outside business hours the greeting also says when the team is back (tpr.yaml).
    text = playbooks.greeting(ctx.playbooks, customer.name if customer else None, at=ctx.inbox_event.received_at)
    outbox.perform(ctx, key=f"greeting:{conversation.id}", purpose="greeting", operation="send_message",
                   conversation_id=conversation.id,
                   params={"id": outbox.new_message_id(), "to": event.node, "type": "text/plain", "content": text})


def relay_to_desk(ctx, conversation: Conversation, event: CustomerMessage) -> None:
    """While a ticket is in attendance, forward the customer's later messages to the agent (§4.5)."""
    if not ctx.settings.desk_relay or routing.open_ticket_of(ctx.session, conversation.id) is None:
        return
    outbox.perform(ctx, key=f"relay:{ctx.inbox_event.id}", purpose="relay", operation="send_message",
                   conversation_id=conversation.id,
                   params={"id": outbox.new_message_id(), "to": desk_relay_address(event.identity),
                           "type": event.content_type, "content": event.content})


def acknowledge(ctx, event: CustomerMessage) -> None:
    """Tell Blip the message was processed (`consumed`, blip-api.md §2.6)."""
    if not event.id:
        return  # a message without id asked for no notifications
    outbox.perform(ctx, key=f"consumed:{ctx.inbox_event.id}", purpose="consumed", operation="send_notification",
                   params={"id": event.id, "to": event.node, "event": "consumed"})


def _idle_after(ctx) -> timedelta:
    return timedelta(hours=ctx.playbooks.settings.conversation_idle_hours)
