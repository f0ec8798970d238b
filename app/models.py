"""SQLModel tables of the dashboard store.

inbox_events   every envelope Blip delivered, persisted before we answer 202 (the webhook inbox)
customers      Radio Memory customers (ADM code) and their traffic-light facts; customer_phones links phones
contacts       Blip contacts (one per WhatsApp identity), linked to a customer when identified
conversations  one service episode of a contact: greeting, identification, routing, ticket
messages       every message received from or sent to the contact, with its delivery status
blip_calls     every call we made to Blip (the outbox): idempotency key, params, result, attempts
dead_letters   events and Blip calls that failed for good, to list and replay from the CLI
routing_decisions  why each conversation went where it went (traffic light, intent, evidence, team)
tickets        the Blip Desk tickets the bot opened, adopted or got from a transfer
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, Column, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now in UTC; the store keeps and returns aware UTC datetimes."""
    return datetime.now(timezone.utc)


class InboxEvent(SQLModel, table=True):
    """One envelope as Blip delivered it; `dedup_key` makes redeliveries harmless."""

    __tablename__ = "inbox_events"
    __table_args__ = (Index("ix_inbox_status_due", "status", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    dedup_key: str = Field(max_length=400, unique=True)
    kind: str = Field(max_length=20)  # message | notification | internal (scheduled by us)
    event_type: str = Field(max_length=120)  # message `type` or notification `event`
    envelope: dict = Field(sa_column=Column(JSON, nullable=False))
    received_at: datetime
    # pending -> processing -> done; ignored (unsupported type); dead (dead-lettered)
    status: str = Field(default="pending", max_length=20)
    due_at: datetime  # when the sweeper may (re)enqueue a pending event
    claimed_at: datetime | None = None
    attempts: int = 0
    processed_at: datetime | None = None
    last_error: str | None = None


class Customer(SQLModel, table=True):
    """A Radio Memory customer, keyed by its ADM code."""

    __tablename__ = "customers"

    adm: str = Field(primary_key=True, max_length=40)
    name: str = Field(max_length=200)
    cnpj: str | None = Field(default=None, max_length=20)
    contract_active: bool = True
    support_active: bool = True
    financial_pending: bool = False
    updated_at: datetime = Field(default_factory=utcnow)


class CustomerPhone(SQLModel, table=True):
    """A phone number (digits with country code) that belongs to a customer."""

    __tablename__ = "customer_phones"

    phone: str = Field(primary_key=True, max_length=20)
    adm: str = Field(foreign_key="customers.adm", index=True, max_length=40)


class Contact(SQLModel, table=True):
    """A Blip contact; `adm` is set once we know which customer it belongs to."""

    __tablename__ = "contacts"

    identity: str = Field(primary_key=True, max_length=200)
    adm: str | None = Field(default=None, foreign_key="customers.adm", index=True, max_length=40)
    # phone | extras | unknown | lookup_failed
    identified_by: str = Field(default="unknown", max_length=20)
    extras_synced: bool = False
    first_seen_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)


class Conversation(SQLModel, table=True):
    """One episode of service for a contact, from its first message to its close."""

    __tablename__ = "conversations"
    __table_args__ = (
        # At most one open conversation per contact, even with concurrent workers.
        Index("uq_conversation_open_contact", "contact_identity", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_identity: str = Field(foreign_key="contacts.identity", index=True, max_length=200)
    adm: str | None = Field(default=None, max_length=40, index=True)
    status: str = Field(default="open", max_length=20)  # open | closed
    started_at: datetime
    last_message_at: datetime
    first_message_received_at: datetime
    greeting_sent_at: datetime | None = None
    greeting_latency_ms: float | None = None
    identification: str | None = Field(default=None, max_length=20)
    # Routing waits for the customer's burst to end; it runs once this time has passed.
    route_due_at: datetime | None = None
    closed_at: datetime | None = None
    close_reason: str | None = Field(default=None, max_length=40)


class Message(SQLModel, table=True):
    """A message in a conversation, in either direction."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("direction", "blip_id", name="uq_message_direction_blip_id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id", index=True)
    blip_id: str | None = Field(default=None, max_length=200, index=True)
    direction: str = Field(max_length=10)  # in | out
    sender: str = Field(max_length=20)  # customer | bot | agent
    content_type: str = Field(max_length=120)
    text: str | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivery_status: str | None = Field(default=None, max_length=20)
    delivery_updated_at: datetime | None = None
    delivery_error: str | None = None


class BlipCall(SQLModel, table=True):
    """A call to Blip through the outbox: sent at most once per `key` unless replayed."""

    __tablename__ = "blip_calls"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=300, unique=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id", index=True)
    purpose: str = Field(max_length=40)  # greeting | consumed | failed | identify | ticket | ...
    operation: str = Field(max_length=40)  # BlipClient method name
    params: dict = Field(sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=20)  # pending | ok | dead
    attempts: int = 0
    http_status: int | None = None
    reason_code: int | None = None
    reason_description: str | None = None
    error: str | None = None
    result: dict | None = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    duration_ms: float | None = None


class DeadLetter(SQLModel, table=True):
    """Something that failed for good; `dead-letters retry` replays it."""

    __tablename__ = "dead_letters"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=20)  # event | blip_call
    ref_id: int = Field(index=True)
    summary: str = Field(max_length=300)
    error: str
    status: str = Field(default="open", max_length=20)  # open | retried | resolved
    created_at: datetime = Field(default_factory=utcnow)
    retried_at: datetime | None = None


class RoutingDecision(SQLModel, table=True):
    """Why a conversation went where it went: inputs, outcome, timings (one per conversation)."""

    __tablename__ = "routing_decisions"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversations.id", unique=True)
    source_event_id: int | None = None  # the inbox event whose job decides and hands off
    adm: str | None = Field(default=None, max_length=40)
    text: str | None = None  # the customer text that was classified
    playbooks_version: str = Field(max_length=40)
    traffic_light: str = Field(max_length=20)
    traffic_light_code: str | None = Field(default=None, max_length=40)  # e.g. pendencia_financeira
    traffic_light_reason: str
    intent: str = Field(max_length=20)
    confidence: float
    evidence: dict = Field(sa_column=Column(JSON, nullable=False))
    team: str = Field(max_length=120)
    mode: str = Field(max_length=10)
    suggested_team: str | None = Field(default=None, max_length=120)
    tags: list = Field(sa_column=Column(JSON, nullable=False))
    notice: str | None = None
    agent_note: str
    decided_at: datetime
    decide_ms: float
    # Outcome of the hand-off: pending -> done | failed (a Blip call was dead-lettered)
    handoff_status: str = Field(default="pending", max_length=20)
    handoff_done_at: datetime | None = None
    ticket_id: str | None = Field(default=None, max_length=80)


# Optimistic locking: ticket events are processed concurrently, and two jobs merging into the same
# ticket must not overwrite each other; the loser gets StaleDataError and its job is retried.
_ticket_version = Column("version", Integer, nullable=False, server_default="1")


class Ticket(SQLModel, table=True):
    """A Blip Desk ticket the bot opened (or adopted, or that a transfer created), and its life.

    Two clocks: the bot clock (customer's first message → our greeting, copied from the
    conversation) and the human clock (`clock_started_at`, when the ticket started waiting or the
    team's business day began → the first agent reply). The greeting never counts as a reply.
    """

    __tablename__ = "tickets"
    __table_args__ = (Index("ix_tickets_open_polled", "closed_at", "last_polled_at"),)
    __mapper_args__ = {"version_id_col": _ticket_version}

    id: str = Field(primary_key=True, max_length=80)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id", index=True)
    customer_identity: str = Field(max_length=200, index=True)
    sequential_id: int | None = None
    parent_id: str | None = Field(default=None, max_length=80)
    team: str | None = Field(default=None, max_length=120)
    bot_team: str | None = Field(default=None, max_length=120)  # where the bot decided it should go
    status: str = Field(max_length=20)
    status_date: datetime | None = None  # Blip's statusDate of the status we hold (orders late events)
    agent_identity: str | None = Field(default=None, max_length=200)
    tags: list = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    status_at: datetime = Field(default_factory=utcnow)
    bot_clock_ms: float | None = None
    clock_started_at: datetime | None = None
    assigned_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_seconds: float | None = None
    wait_class: str | None = Field(default=None, max_length=20)
    transferred_to: str | None = Field(default=None, max_length=120)
    override: bool = False  # an agent moved it away from the bot's team
    breached_at: datetime | None = None
    closed_at: datetime | None = None
    closed_by: str | None = Field(default=None, max_length=20)  # agent | client
    last_polled_at: datetime | None = None
    version: int = Field(default=1, sa_column=_ticket_version)


class LlmCall(SQLModel, table=True):
    """One question to the optional LLM assistant: the daily budget counts these rows."""

    __tablename__ = "llm_calls"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversations.id", index=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    outcome: str = Field(max_length=20)  # ok | timeout | unavailable | malformed | error | over_budget
    label: str | None = Field(default=None, max_length=20)
    reason: str | None = None
    model: str | None = Field(default=None, max_length=80)
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
