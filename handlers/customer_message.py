"""A customer wrote. Two jobs, so the greeting never waits for anything slower than the store:

handle     (urgent queue) record the message and, for a new conversation, greet at once;
           then hand the rest to a follow-up event
follow_up  (normal queue) identify the customer, arm the routing (or relay to the agent when a
           ticket is open), and tell Blip the message was `consumed`

Each step is safe to run again: a retried job finds what the previous attempt already did.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import select

import playbooks
from app.models import Contact, Conversation, Customer, InboxEvent, Message
from blip_client import desk_relay_address
from handlers import conversations, events, outbox, routing, ticket_life
from handlers.events import CustomerMessage, MessageFollowUp
from handlers.identify import identify, known_customer


def handle(event: CustomerMessage, ctx) -> None:
    """Record the message, greet a new conversation, and queue the follow-up."""
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
    _queue_follow_up(ctx)


def follow_up(task: MessageFollowUp, ctx) -> None:
    """Identify, route or relay, acknowledge: everything that may wait a moment."""
    session = ctx.session
    original = session.get(InboxEvent, task.event_id)
    event = events.classify(original.kind, original.envelope)
    message = session.exec(select(Message).where(Message.direction == "in", Message.blip_id == event.id)).first() \
        if event.id else None
    conversation = session.get(Conversation, message.conversation_id) if message else \
        conversations.find_open(session, event.identity)
    if conversation is not None:
        if conversation.identification is None:
            customer, how = identify(ctx, session.get(Contact, event.identity))
            conversation.adm = customer.adm if customer else None
            conversation.identification = how
            session.commit()
        if routing.decision_of(session, conversation.id) is None:
            routing.schedule(ctx, conversation, original.received_at)  # decide when the burst is over
        else:
            relay_to_desk(ctx, conversation, event)
    acknowledge(ctx, event, original)


def _queue_follow_up(ctx) -> None:
    key = f"followup:{ctx.inbox_event.id}"
    row = ctx.session.exec(select(InboxEvent).where(InboxEvent.dedup_key == key)).first()
    if row is None:
        now = ctx.now()
        row = InboxEvent(dedup_key=key, kind="internal", event_type="message_followup",
                         envelope={"followup_of": ctx.inbox_event.id}, received_at=now,
                         due_at=now + timedelta(seconds=ctx.settings.sweep_grace_seconds))
        ctx.session.add(row)
        try:
            ctx.session.commit()
        except IntegrityError:  # a retried job already queued it
            ctx.session.rollback()
            return
    if row.status == "pending":
        ctx.enqueue(row.id)


def greet(ctx, conversation: Conversation, event: CustomerMessage, *, customer: Customer | None) -> None:
    """Send the playbook greeting, once per conversation, with the customer's name when known."""
    # Outside business hours the greeting also says when the team is back (tpr.yaml).
    text = playbooks.greeting(ctx.playbooks, customer.name if customer else None, at=ctx.inbox_event.received_at)
    outbox.perform(ctx, key=f"greeting:{conversation.id}", purpose="greeting", operation="send_message",
                   conversation_id=conversation.id,
                   params={"id": outbox.new_message_id(), "to": event.node, "type": "text/plain", "content": text})


def relay_to_desk(ctx, conversation: Conversation, event: CustomerMessage) -> None:
    """While a ticket is in attendance, forward the customer's later messages to the agent (§4.5)."""
    if not ctx.settings.desk_relay or ticket_life.open_ticket_for(ctx.session, event.identity) is None:
        return
    outbox.perform(ctx, key=f"relay:{ctx.inbox_event.id}", purpose="relay", operation="send_message",
                   conversation_id=conversation.id,
                   params={"id": outbox.new_message_id(), "to": desk_relay_address(event.identity),
                           "type": event.content_type, "content": event.content})


def acknowledge(ctx, event: CustomerMessage, original: InboxEvent) -> None:
    """Tell Blip the message was processed (`consumed`, blip-api.md §2.6)."""
    if not event.id:
        return  # a message without id asked for no notifications
    outbox.perform(ctx, key=f"consumed:{original.id}", purpose="consumed", operation="send_notification",
                   params={"id": event.id, "to": event.node, "event": "consumed"})


def _idle_after(ctx) -> timedelta:
    return timedelta(hours=ctx.playbooks.settings.conversation_idle_hours)
