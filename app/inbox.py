"""The webhook inbox's state machine: claim, finish, retry later, dead-letter, sweep.

pending ──claim──▶ processing ──▶ done
   ▲                   │ error (attempts left)       error (no attempts left)
   └──── due_at ◀──────┘                    ──▶ dead + dead_letters row
A `processing` event whose lease ran out (its worker died) goes back to `pending`.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.engine import Engine

from app.models import DeadLetter, InboxEvent
from app.store import session_scope


def claim(engine: Engine, event_id: int, *, now: datetime, lease: timedelta) -> bool:
    """Atomically take a pending (or abandoned) event; False if another worker has it or it is done."""
    statement = (
        update(InboxEvent)
        .where(InboxEvent.id == event_id,
               or_(InboxEvent.status == "pending",
                   (InboxEvent.status == "processing") & (InboxEvent.claimed_at < now - lease)))
        .values(status="processing", claimed_at=now, attempts=InboxEvent.attempts + 1)
    )
    with engine.begin() as conn:
        return conn.execute(statement).rowcount == 1


def heartbeat(engine: Engine, event_id: int, now: datetime) -> None:
    """Renew the lease of an event we are still working on."""
    with engine.begin() as conn:
        conn.execute(update(InboxEvent).where(InboxEvent.id == event_id, InboxEvent.status == "processing")
                     .values(claimed_at=now))


def reschedule(engine: Engine, event_id: int, *, at: datetime) -> None:
    """Put an event that ran too early back to `pending` until `at` (not counted as an attempt)."""
    with engine.begin() as conn:
        conn.execute(update(InboxEvent).where(InboxEvent.id == event_id)
                     .values(status="pending", due_at=at, claimed_at=None, attempts=InboxEvent.attempts - 1))


def fail(engine: Engine, event_id: int, *, error: str, now: datetime, max_attempts: int) -> bool:
    """Record a failed attempt: retry later with backoff, or dead-letter. True when dead-lettered."""
    with session_scope(engine) as session:
        event = session.get(InboxEvent, event_id)
        event.last_error = error[:1000]
        event.claimed_at = None
        if event.attempts < max_attempts:
            event.status = "pending"
            event.due_at = now + timedelta(seconds=min(2 ** event.attempts, 300))
            return False
        event.status = "dead"
        session.add(DeadLetter(source="event", ref_id=event.id, error=event.last_error,
                               summary=f"{event.kind} {event.event_type} after {event.attempts} attempts"))
        return True


def due_for_sweep(engine: Engine, *, now: datetime, lease: timedelta, grace: timedelta,
                  limit: int = 500) -> list[tuple[int, str]]:
    """(id, kind) of events to hand to the queue again: pending and due, or abandoned by a dead worker."""
    with engine.begin() as conn:
        conn.execute(update(InboxEvent)
                     .where(InboxEvent.status == "processing", InboxEvent.claimed_at < now - lease)
                     .values(status="pending", due_at=now))
        rows = conn.execute(select(InboxEvent.id, InboxEvent.kind)
                            .where(InboxEvent.status == "pending", InboxEvent.due_at <= now)
                            .order_by(InboxEvent.id).limit(limit)).all()
        if rows:
            # Not again until the grace period passes: the queue may simply be busy.
            conn.execute(update(InboxEvent).where(InboxEvent.id.in_([r.id for r in rows])).values(due_at=now + grace))
    return [(row.id, row.kind) for row in rows]
