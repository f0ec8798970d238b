"""First response time (TPR) upkeep, run periodically by the sweeper:

poll     re-read open tickets from Blip (`get /ticket/{id}`), because the docs do not promise a
         status message for every change; at most POLL_BATCH per tick (blip-api.md §8.1 allows
         48 commands/s on the free plan), each ticket at most once per playbook interval.
breach   a ticket waiting longer than the playbook's target without an agent reply is tagged
         (e.g. `tpr:estourado`), recorded, and the customer optionally gets a holding message —
         exactly once per ticket, even with several workers (the claim is an UPDATE).
"""
from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import or_, update
from sqlmodel import select

import playbooks
from app.models import Ticket
from blip_client import BlipError
from handlers import outbox, ticket_life
from handlers.ticket_update import close_conversation

log = logging.getLogger(__name__)

POLL_BATCH = 20


def poll_open_tickets(ctx) -> int:
    """Refresh the open tickets that are due for a poll; returns how many were read."""
    interval = timedelta(seconds=ctx.playbooks.tpr.poll_interval_seconds)
    now = ctx.now()
    due = or_(Ticket.last_polled_at.is_(None), Ticket.last_polled_at < now - interval)
    active = Ticket.status.in_(ticket_life.ACTIVE)
    ids = ctx.session.exec(select(Ticket.id).where(Ticket.closed_at.is_(None), active, due)
                           .order_by(Ticket.last_polled_at).limit(POLL_BATCH)).all()
    polled = 0
    for ticket_id in ids:
        claimed = ctx.session.execute(update(Ticket).where(Ticket.id == ticket_id, due).values(last_polled_at=now))
        ctx.session.commit()
        if claimed.rowcount != 1:
            continue  # another worker polls it
        try:
            document = ctx.blip.get_ticket(ticket_id=ticket_id)
        except BlipError as err:
            log.warning("polling ticket %s failed: %s", ticket_id, err)
            continue
        _refresh(ctx, document)
        polled += 1
    return polled


def _refresh(ctx, document: dict) -> None:
    ticket = ticket_life.apply(ctx, document)
    if ticket is None:
        return
    if ticket.status == "Transferred" and ticket.transferred_to is None:
        _find_child(ctx, ticket)  # transferred by an agent: the new ticket is where the customer is now
    if ticket.closed_at is not None:
        close_conversation(ctx, ticket_life.conversation_of(ctx.session, ticket))
    ctx.session.commit()


def _find_child(ctx, ticket: Ticket) -> None:
    try:
        candidates = ctx.blip.list_open_tickets(customer_identity=ticket.customer_identity)
    except BlipError as err:
        log.warning("listing tickets after a transfer failed: %s", err)
        return
    for candidate in candidates:
        if candidate.get("parentSequentialId") == ticket.sequential_id:
            ticket_life.apply(ctx, candidate)


def check_breaches(ctx) -> int:
    """Act once on every ticket that has waited past the target without a human reply."""
    policy = ctx.playbooks.tpr
    target = policy.target_seconds
    now = ctx.now()
    waiting = ctx.session.exec(select(Ticket).where(
        Ticket.first_response_at.is_(None), Ticket.closed_at.is_(None), Ticket.breached_at.is_(None),
        Ticket.status.in_(ticket_life.ACTIVE), Ticket.clock_started_at <= now - timedelta(seconds=target))).all()
    breached = 0
    for ticket in waiting:
        if _waited(policy, ticket, now) < target:
            continue  # nights and holidays do not count
        claimed = ctx.session.execute(update(Ticket).where(Ticket.id == ticket.id, Ticket.breached_at.is_(None))
                                      .values(breached_at=now))
        ctx.session.commit()
        if claimed.rowcount == 1:
            _act_on_breach(ctx, policy, ticket)
            breached += 1
    return breached


def _waited(policy, ticket: Ticket, now) -> float:
    return playbooks.business_seconds(policy, ticket.clock_started_at, now)


def _act_on_breach(ctx, policy, ticket: Ticket) -> None:
    log.warning("ticket %s missed the first-response target", ticket.id)
    tags = list(dict.fromkeys([*ticket.tags, policy.breach.tag]))
    call = outbox.perform(ctx, key=f"breach-tags:{ticket.id}", purpose="tpr", operation="change_tags",
                          params={"ticket_id": ticket.id, "tags": tags}, conversation_id=ticket.conversation_id)
    if call.status == "ok":
        ticket.tags = tags
        ctx.session.commit()
    if policy.breach.send_holding_message and policy.breach.holding_message:
        outbox.perform(ctx, key=f"holding:{ticket.id}", purpose="tpr", operation="send_message",
                       conversation_id=ticket.conversation_id,
                       params={"id": outbox.new_message_id(), "to": ticket.customer_identity,
                               "type": "text/plain", "content": policy.breach.holding_message})
