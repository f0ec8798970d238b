"""Contacts, conversations and their messages in the store."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from app.models import Contact, Conversation, Message


def touch_contact(session: Session, identity: str, now: datetime) -> Contact:
    """The contact for `identity`, created on first sight."""
    contact = session.get(Contact, identity)
    if contact is None:
        contact = Contact(identity=identity, first_seen_at=now, last_seen_at=now)
        session.add(contact)
        try:
            session.commit()
        except IntegrityError:  # created concurrently by another job
            session.rollback()
            contact = session.get(Contact, identity)
    contact.last_seen_at = now
    return contact


def open_conversation(session: Session, contact: Contact, *, now: datetime, received_at: datetime,
                      idle_after: timedelta) -> Conversation:
    """The contact's open conversation; a new one if none is open or the open one went idle."""
    current = find_open(session, contact.identity)
    if current and received_at - current.last_message_at > idle_after:
        close(current, at=now, reason="idle")
        session.commit()
        current = None
    if current:
        current.last_message_at = max(current.last_message_at, received_at)
        return current
    conversation = Conversation(contact_identity=contact.identity, adm=contact.adm, started_at=now,
                                last_message_at=received_at, first_message_received_at=received_at)
    session.add(conversation)
    try:
        session.commit()
    except IntegrityError:  # another job opened it first (unique open conversation per contact)
        session.rollback()
        conversation = find_open(session, contact.identity)
    return conversation


def find_open(session: Session, identity: str) -> Conversation | None:
    """The open conversation of a contact, if any."""
    query = select(Conversation).where(Conversation.contact_identity == identity, Conversation.status == "open")
    return session.exec(query).first()


def close(conversation: Conversation, *, at: datetime, reason: str) -> None:
    """Mark a conversation closed (idempotent)."""
    if conversation.status != "closed":
        conversation.status, conversation.closed_at, conversation.close_reason = "closed", at, reason


def record_incoming(session: Session, conversation: Conversation, *, blip_id: str | None, sender: str,
                    content_type: str, text: str | None, at: datetime) -> Message:
    """Store a received message once (a retried job finds the existing row)."""
    if blip_id:
        existing = session.exec(select(Message).where(Message.direction == "in",
                                                      Message.blip_id == blip_id)).first()
        if existing:
            return existing
    message = Message(conversation_id=conversation.id, blip_id=blip_id, direction="in", sender=sender,
                      content_type=content_type, text=text, created_at=at)
    session.add(message)
    return message
