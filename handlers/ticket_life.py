"""Keep each ticket the bot opened up to date, whatever told us: a ticket message, the close
redirect, an agent's message, or a poll. Events may repeat or arrive out of order, so every
update only moves a ticket forward: a closed or transferred ticket never reopens, a later
`statusDate` wins, and first-seen times keep their earliest value.
"""
from __future__ import annotations

from datetime import datetime, timezone

import playbooks
from sqlmodel import Session, select

from app.models import Conversation, Ticket

RANK = {"None": 0, "Waiting": 1, "Assigned": 2, "Open": 3, "Transferred": 4, "ClosedAttendant": 4,
        "ClosedClient": 4}
FINAL = {"Transferred", "ClosedAttendant", "ClosedClient"}
ACTIVE = ["Waiting", "Assigned", "Open"]  # in attendance: waiting for or with an agent


def parse_time(value) -> datetime | None:
    """Blip's ISO-8601 timestamps ("2024-05-14T13:07:03.318Z") as aware UTC datetimes."""
    if not value or not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def apply(ctx, document: dict) -> Ticket | None:
    """Merge a ticket document from Blip into our record; None for tickets the bot never had."""
    session = ctx.session
    ticket = session.get(Ticket, document.get("id"))
    if ticket is None:
        ticket = _child_of_known_ticket(ctx, document)
        if ticket is None:
            return None
    status, status_date = document.get("status"), parse_time(document.get("statusDate"))
    if _moves_forward(ticket, status, status_date):
        ticket.status, ticket.status_at = status, ctx.now()
        ticket.status_date = status_date or ticket.status_date
    if document.get("team") and ticket.status not in FINAL:
        ticket.team = document["team"]
    ticket.agent_identity = document.get("agentIdentity") or ticket.agent_identity
    if status in ("Open", "Assigned") or document.get("openDate"):
        ticket.assigned_at = _earliest(ticket.assigned_at, parse_time(document.get("openDate")) or ctx.now())
    if document.get("firstResponseDate"):
        record_first_response(ctx, ticket, parse_time(document["firstResponseDate"]))
    if status in ("ClosedAttendant", "ClosedClient") and ticket.closed_at is None:
        ticket.closed_at = parse_time(document.get("closeDate")) or ctx.now()
        ticket.closed_by = "agent" if status == "ClosedAttendant" else "client"
    if document.get("tags"):
        ticket.tags = list(dict.fromkeys([*ticket.tags, *document["tags"]]))
    return ticket


def record_first_response(ctx, ticket: Ticket, at: datetime | None) -> None:
    """The first agent reply (the earliest one we hear of) stops the human clock."""
    if at is None:
        return
    ticket.first_response_at = _earliest(ticket.first_response_at, at)
    start = ticket.clock_started_at or ticket.created_at
    policy = ctx.playbooks.tpr  # nights, weekends and holidays do not count
    seconds = playbooks.business_seconds(policy, start, ticket.first_response_at)
    ticket.wait_class = playbooks.wait_class(policy, seconds)
    ticket.first_response_seconds = round(max(seconds, 0.0), 3)


def start_clock(ctx, ticket: Ticket, waiting_since: datetime) -> None:
    """The human clock starts when the ticket waits, or when the team's business day begins."""
    ticket.clock_started_at = playbooks.clock_start(ctx.playbooks.tpr, waiting_since)


def open_ticket_for(session: Session, customer_identity: str) -> Ticket | None:
    """The customer's ticket still in attendance, newest first."""
    query = (select(Ticket).where(Ticket.customer_identity == customer_identity, Ticket.closed_at.is_(None),
                                  Ticket.status.in_(ACTIVE))
             .order_by(Ticket.created_at.desc()))
    return session.exec(query).first()


def _moves_forward(ticket: Ticket, status: str | None, status_date: datetime | None) -> bool:
    if status not in RANK or ticket.status in FINAL:
        return False
    if status_date and ticket.status_date and status_date < ticket.status_date:
        return False  # a late event about an earlier moment
    return RANK[status] >= RANK.get(ticket.status, 0) or bool(status_date and ticket.status_date)


def _child_of_known_ticket(ctx, document: dict) -> Ticket | None:
    """A ticket born from a transfer of one of ours (an agent moved it): track it, flag an override."""
    parent_sequence = document.get("parentSequentialId")
    customer = document.get("customerIdentity")
    if not parent_sequence or not customer:
        return None
    parent = ctx.session.exec(select(Ticket).where(Ticket.customer_identity == customer,
                                                   Ticket.sequential_id == parent_sequence)).first()
    if parent is None:
        return None
    child = Ticket(id=document["id"], conversation_id=parent.conversation_id, customer_identity=customer,
                   sequential_id=document.get("sequentialId"), parent_id=parent.id, team=document.get("team"),
                   bot_team=parent.bot_team, status="Waiting", bot_clock_ms=parent.bot_clock_ms,
                   created_at=parse_time(document.get("storageDate")) or ctx.now())
    start_clock(ctx, child, child.created_at)
    mark_transferred(parent, to_team=child.team, by_agent=True)
    ctx.session.add(child)
    return child


def mark_transferred(parent: Ticket, *, to_team: str | None, by_agent: bool) -> None:
    """Close the parent as Transferred; an agent's move away from the bot's team is an override."""
    parent.status = "Transferred"
    parent.transferred_to = to_team
    if by_agent and parent.bot_team and to_team and to_team != parent.bot_team:
        parent.override = True


def conversation_of(session: Session, ticket: Ticket) -> Conversation | None:
    """The conversation a ticket belongs to."""
    return session.get(Conversation, ticket.conversation_id) if ticket.conversation_id else None


def _earliest(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if current is None:
        return candidate
    if candidate is None:
        return current
    return min(current, candidate)
