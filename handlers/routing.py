"""Routing a conversation after the greeting: wait for the burst, decide (pure, playbooks), hand off.

Customers write "oi", "bom dia", then the request: each message re-arms an internal `route_due`
event (quiet period, bounded by a maximum wait, both in geral.yaml); when it fires, the whole
burst is classified together. While the text alone says nothing ("oi"), it waits longer.

The decision is recorded before anything is sent, so the dashboard shows it even when Blip is
down. The hand-off is a fixed sequence of outbox calls, each keyed by the conversation, so a
retried job or a replayed dead letter continues where it stopped and never repeats a step:

  notice to the customer (auto mode, another team)  →  open or adopt the ticket
  →  transfer it to the decided team  →  tags  →  comment for the agents
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

import playbooks
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.models import Conversation, Customer, InboxEvent, Message, RoutingDecision, Ticket
from handlers import llm_assist, outbox, ticket_life
from handlers.context import Reschedule
from handlers.events import RouteDue
from playbooks.schema import UNSURE

EARLY = timedelta(milliseconds=50)  # tolerance for a job that wakes up a hair before its time

log = logging.getLogger(__name__)


def schedule(ctx, conversation: Conversation, received_at: datetime) -> None:
    """(Re)arm the routing of a conversation for when the customer's burst of messages ends."""
    burst = ctx.playbooks.settings.burst
    due = min(conversation.first_message_received_at + timedelta(seconds=burst.max_wait_seconds),
              received_at + timedelta(seconds=burst.quiet_seconds))
    if conversation.route_due_at is None or due > conversation.route_due_at:
        conversation.route_due_at = due
    key = f"route:{conversation.id}"
    event = ctx.session.exec(select(InboxEvent).where(InboxEvent.dedup_key == key)).first()
    if event is None:
        ctx.session.add(InboxEvent(dedup_key=key, kind="internal", event_type="route_due",
                                   envelope={"conversation_id": conversation.id}, received_at=ctx.now(),
                                   due_at=conversation.route_due_at))
    elif event.status == "pending":
        event.due_at = conversation.route_due_at
    try:
        ctx.session.commit()
    except IntegrityError:  # another message of the burst armed it at the same moment
        ctx.session.rollback()


def handle_route_due(event: RouteDue, ctx) -> None:
    """The burst may be over: decide with everything the customer wrote, then hand off."""
    conversation = ctx.session.get(Conversation, event.conversation_id)
    if conversation is None or conversation.status != "open":
        return
    decision = decision_of(ctx.session, conversation.id)
    if decision is None:
        now = ctx.now()
        if conversation.route_due_at and conversation.route_due_at > now + EARLY:
            raise Reschedule(conversation.route_due_at)  # more messages came: wait for the quiet again
        text = burst_text(ctx.session, conversation.id)
        burst = ctx.playbooks.settings.burst
        deadline = conversation.first_message_received_at + timedelta(seconds=burst.max_wait_seconds)
        if (burst.wait_when_unsure and deadline > now + EARLY
                and playbooks.classify(ctx.playbooks, text).intent == UNSURE):
            raise Reschedule(min(deadline, now + timedelta(seconds=burst.quiet_seconds)))  # only "oi" so far
        decision = _decide(ctx, conversation, text)
    if decision.handoff_status == "pending" and decision.source_event_id == ctx.inbox_event.id:
        hand_off(ctx, conversation, decision)


def burst_text(session: Session, conversation_id: int) -> str:
    """Everything the customer wrote in the conversation so far, in order."""
    query = (select(Message.text).where(Message.conversation_id == conversation_id, Message.direction == "in",
                                        Message.sender == "customer", Message.text.is_not(None))
             .order_by(Message.created_at, Message.id))
    return "\n".join(session.exec(query).all())


def resume(ctx, conversation_id: int) -> RoutingDecision | None:
    """Continue a hand-off that stopped at a dead-lettered call (after `dead-letters retry`)."""
    decision = decision_of(ctx.session, conversation_id)
    if decision is None or decision.handoff_status == "done":
        return decision
    decision.handoff_status = "pending"
    hand_off(ctx, ctx.session.get(Conversation, conversation_id), decision)
    return decision


def decision_of(session: Session, conversation_id: int) -> RoutingDecision | None:
    """The recorded decision of a conversation, if any."""
    return session.exec(select(RoutingDecision).where(RoutingDecision.conversation_id == conversation_id)).first()


def customer_facts(customer: Customer | None) -> playbooks.CustomerFacts | None:
    """The store's customer as the pure router sees it."""
    if customer is None:
        return None
    return playbooks.CustomerFacts(adm=customer.adm, name=customer.name, contract_active=customer.contract_active,
                                   support_active=customer.support_active,
                                   financial_pending=customer.financial_pending)


def _decide(ctx, conversation: Conversation, text: str) -> RoutingDecision:
    started = time.perf_counter()
    customer = ctx.session.get(Customer, conversation.adm) if conversation.adm else None
    light = playbooks.traffic_light(customer_facts(customer),
                                    lookup_failed=conversation.identification == "lookup_failed")
    classification = playbooks.classify(ctx.playbooks, text)
    classification, llm_evidence = llm_assist.second_opinion(ctx, conversation.id, text, classification)
    data = playbooks.route(ctx.playbooks, light, classification).to_dict()
    if llm_evidence:
        data["evidence"]["llm"] = llm_evidence
        line = ctx.playbooks.settings.agent_note.llm.format(intent=llm_evidence["label"],
                                                             reason=llm_evidence["reason"])
        data["agent_note"] = f"{data['agent_note']}\n{line}"
    row = RoutingDecision(conversation_id=conversation.id, source_event_id=ctx.inbox_event.id,
                          adm=conversation.adm, text=text,
                          playbooks_version=ctx.playbooks_version, decided_at=ctx.now(),
                          decide_ms=round((time.perf_counter() - started) * 1000, 3), **data)
    ctx.session.add(row)
    try:
        ctx.session.commit()
    except IntegrityError:  # another message of this conversation decided first
        ctx.session.rollback()
        return decision_of(ctx.session, conversation.id)
    log.info("conversation %s: semáforo %s, intent %s (%.2f) -> %s [%s]", conversation.id, row.traffic_light,
             row.intent, row.confidence, row.team, row.mode)
    return row


def hand_off(ctx, conversation: Conversation, decision: RoutingDecision) -> None:
    """Run the hand-off steps in order; stop (status `failed`) at the first dead-lettered call."""
    identity = conversation.contact_identity
    key = f"conversation:{conversation.id}"

    def step(name: str, operation: str, params: dict):
        call = outbox.perform(ctx, key=f"{name}:{key}", purpose="handoff", operation=operation,
                              params=params, conversation_id=conversation.id)
        if call.status != "ok":
            decision.handoff_status = "failed"
            ctx.session.commit()
            return None
        return call.result or {}

    if decision.notice and step("notice", "send_message", {"id": outbox.new_message_id(), "to": identity,
                                                           "type": "text/plain", "content": decision.notice}) is None:
        return
    ticket = step("ticket", "open_ticket", {"customer_identity": identity, "text": decision.text or ""})
    if ticket is None:
        return
    _record_ticket(ctx, conversation, ticket, decision)
    if ticket.get("team") != decision.team and ticket.get("status", "Waiting") == "Waiting":
        ticket = step("transfer", "transfer_ticket", {"ticket_id": ticket["id"], "team": decision.team})
        if ticket is None:
            return
        _record_ticket(ctx, conversation, ticket, decision)
    tags = list(dict.fromkeys([*(ticket.get("tags") or []), *decision.tags]))
    if step("tags", "change_tags", {"ticket_id": ticket["id"], "tags": tags}) is None:
        return
    if step("comment", "add_comment", {"identity": identity, "content": decision.agent_note}) is None:
        return
    stored = ctx.session.get(Ticket, ticket["id"])
    stored.tags = tags
    decision.handoff_status, decision.handoff_done_at, decision.ticket_id = "done", ctx.now(), ticket["id"]
    ctx.session.commit()


def _record_ticket(ctx, conversation: Conversation, document: dict, decision: RoutingDecision) -> Ticket:
    """Keep the ticket Blip returned (opened, adopted, or born from our transfer) and start its clocks."""
    session = ctx.session
    row = session.get(Ticket, document["id"])
    if row is None:
        row = Ticket(id=document["id"], conversation_id=conversation.id,
                     customer_identity=conversation.contact_identity, status=document.get("status", "Waiting"),
                     created_at=ticket_life.parse_time(document.get("storageDate")) or ctx.now())
        session.add(row)
    row.sequential_id = document.get("sequentialId")
    row.team, row.bot_team = document.get("team"), decision.team
    row.bot_clock_ms = conversation.greeting_latency_ms
    parent = None
    if document.get("parentSequentialId"):
        parent = session.exec(select(Ticket).where(Ticket.conversation_id == conversation.id,
                                                   Ticket.sequential_id == document["parentSequentialId"])).first()
    if parent is not None and row.parent_id is None:
        row.parent_id = parent.id
        ticket_life.mark_transferred(parent, to_team=row.team, by_agent=False)
    if row.clock_started_at is None:
        # Our own transfer follows the opening at once: the customer has been waiting since the first ticket.
        waiting_since = parent.created_at if parent is not None else row.created_at
        ticket_life.start_clock(ctx, row, waiting_since)
    ticket_life.apply(ctx, document)
    session.commit()
    return row
