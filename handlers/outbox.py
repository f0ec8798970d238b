"""Every call to Blip goes through here: recorded before it is made, made at most once per key.

`perform()` is what handlers call. The row is committed (status `pending`) before the HTTP call,
so a crash mid-call is visible and a retried job re-sends the same envelope id rather than a new
one. The client retries timeouts, 5xx and 429 with backoff; when it gives up the call becomes a
dead letter, which `dead-letters retry` replays through `execute()`.
"""
from __future__ import annotations

import logging
import time
import uuid

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.models import BlipCall, Conversation, DeadLetter, Message, utcnow
from blip_client import BlipError, mask_identity

log = logging.getLogger(__name__)


def perform(ctx, *, key: str, purpose: str, operation: str, params: dict,
            conversation_id: int | None = None) -> BlipCall:
    """Make the call named by `key` unless it was already made; return its record."""
    call = _get_or_create(ctx.session, key=key, purpose=purpose, operation=operation,
                          params=params, conversation_id=conversation_id)
    if call.status == "pending":
        execute(ctx.session, ctx.blip, call)
        ctx.heartbeat()
    return call


def new_message_id() -> str:
    """A fresh envelope id for a message we send."""
    return str(uuid.uuid4())


def _get_or_create(session: Session, **fields) -> BlipCall:
    existing = session.exec(select(BlipCall).where(BlipCall.key == fields["key"])).first()
    if existing:
        return existing
    call = BlipCall(**fields)
    session.add(call)
    if call.operation == "send_message":
        # Recorded before sending: Blip's notifications about it may arrive before the 202 does.
        params = call.params
        session.add(Message(conversation_id=call.conversation_id, blip_id=params["id"], direction="out",
                            sender="bot", content_type=params.get("type", "text/plain"),
                            text=params["content"] if isinstance(params["content"], str) else None,
                            delivery_status="sending"))
    try:
        session.commit()
    except IntegrityError:  # a concurrent job recorded the same key first
        session.rollback()
        return session.exec(select(BlipCall).where(BlipCall.key == fields["key"])).one()
    return call


def execute(session: Session, blip, call: BlipCall) -> bool:
    """Make the HTTP call for `call` and record the outcome; True on success."""
    started = time.perf_counter()
    call.attempts += 1
    try:
        result = OPERATIONS[call.operation](blip, **call.params)
    except BlipError as err:
        _record_failure(session, call, err, started)
        return False
    call.status, call.error = "ok", None
    call.result = result if isinstance(result, dict) else None
    call.finished_at = utcnow()
    call.duration_ms = round((time.perf_counter() - started) * 1000, 2)
    _after_success(session, call)
    session.commit()
    return True


def _record_failure(session: Session, call: BlipCall, err: BlipError, started: float) -> None:
    call.status = "dead"
    call.http_status = err.status
    call.reason_code, call.reason_description = err.reason_code, err.reason_description
    call.error = str(err)[:500]
    call.finished_at = utcnow()
    call.duration_ms = round((time.perf_counter() - started) * 1000, 2)
    message = _outgoing_message(session, call)
    if message:
        message.delivery_status, message.delivery_error = "failed", call.error[:300]
    session.add(DeadLetter(source="blip_call", ref_id=call.id, error=call.error,
                           summary=f"{call.purpose}: {call.operation} (conversation {call.conversation_id})"))
    session.commit()
    log.error("blip call %s (%s) dead-lettered: %s", call.id, call.purpose, call.error)


def _after_success(session: Session, call: BlipCall) -> None:
    """Side records of a successful call: the message's sent time, the greeting's latency."""
    if call.operation != "send_message":
        return
    message = _outgoing_message(session, call)
    if message:
        message.created_at = call.finished_at  # when Blip accepted it
        if message.delivery_status in ("sending", "failed"):  # "failed": a replayed dead letter
            message.delivery_status, message.delivery_error = "sent", None
    if call.purpose == "greeting" and call.conversation_id:
        conversation = session.get(Conversation, call.conversation_id)
        if conversation and conversation.greeting_sent_at is None:
            conversation.greeting_sent_at = call.finished_at
            latency = call.finished_at - conversation.first_message_received_at
            conversation.greeting_latency_ms = round(latency.total_seconds() * 1000, 2)


TICKET_ATTEMPTS = 3


def _outgoing_message(session: Session, call: BlipCall) -> Message | None:
    if call.operation != "send_message":
        return None
    return session.exec(select(Message).where(Message.direction == "out",
                                              Message.blip_id == call.params["id"])).first()


def _open_ticket(blip, *, customer_identity: str, text: str) -> dict:
    """Adopt the customer's open ticket if one exists, else create one: never two per conversation.

    A create that timed out may still have created the ticket, so the create itself is never
    retried blindly: every retry first looks for the customer's open or waiting ticket.
    """
    for attempt in range(1, TICKET_ATTEMPTS + 1):
        existing = blip.list_open_tickets(customer_identity=customer_identity)
        if existing:
            log.info("adopting open ticket of %s", mask_identity(customer_identity))
            return existing[0]
        try:
            return blip.create_ticket(customer_identity=customer_identity, text=text, max_attempts=1)
        except BlipError as err:
            if not err.retryable or attempt == TICKET_ATTEMPTS:
                raise
            time.sleep(min(0.5 * 2 ** attempt, 5.0))


def _transfer_ticket(blip, *, ticket_id: str, team: str) -> dict:
    """Transfer once: if a lost response already moved the ticket, return the ticket it became."""
    current = blip.get_ticket(ticket_id=ticket_id)
    if current.get("status") == "Transferred":
        for ticket in blip.list_open_tickets(customer_identity=current["customerIdentity"]):
            if ticket.get("team") == team:
                return ticket
    return blip.transfer_ticket(ticket_id=ticket_id, team=team, max_attempts=1)


OPERATIONS = {
    "send_message": lambda blip, **p: {"id": blip.send_message(**p)},
    "send_notification": lambda blip, **p: blip.send_notification(**p),
    "merge_contact": lambda blip, **p: blip.merge_contact(**p),
    "add_comment": lambda blip, **p: blip.add_comment(**p),
    "change_tags": lambda blip, **p: blip.change_tags(**p),
    "transfer_ticket": _transfer_ticket,
    "open_ticket": _open_ticket,
}
