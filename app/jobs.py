"""Job entry points. Jobs take ids, never ORM objects or request state (RQ pickles the arguments)."""
from __future__ import annotations

import logging
from datetime import timedelta

from app import inbox, runtime as runtime_module
from app.models import InboxEvent
from app.store import session_scope
from handlers import events, outbox, tpr
from handlers.context import Context, Reschedule
from handlers.registry import dispatch

log = logging.getLogger(__name__)


def process_event(event_id: int) -> str:
    """RQ entry point: process one stored webhook event."""
    return run_event(runtime_module.current(), event_id)


def run_event(rt, event_id: int) -> str:
    """Claim, dispatch to its handler, and mark done; on error retry later or dead-letter."""
    settings = rt.settings
    lease = timedelta(seconds=settings.job_lease_seconds)
    if not inbox.claim(rt.engine, event_id, now=rt.clock(), lease=lease):
        return "skipped"  # done already, or another worker holds it
    try:
        with session_scope(rt.engine) as session:
            row = session.get(InboxEvent, event_id)
            ctx = context_for(rt, session, row)
            dispatch(events.classify(row.kind, row.envelope), ctx)
            row.status, row.processed_at, row.last_error = "done", rt.clock(), None
        return "done"
    except Reschedule as later:
        inbox.reschedule(rt.engine, event_id, at=later.at)
        return "rescheduled"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        log.exception("event %s failed", event_id)
        if inbox.fail(rt.engine, event_id, error=error, now=rt.clock(), max_attempts=settings.job_max_attempts):
            _notify_failed(rt, event_id)
        return "failed"


def context_for(rt, session, row: InboxEvent | None = None) -> Context:
    """A handler context on `session`; with `row`, the job's heartbeat renews that event's lease."""
    if rt.blip is None:
        raise RuntimeError("BLIP_API_URL is not configured: cannot talk to Blip")
    snapshot = rt.playbooks.current()
    heartbeat = (lambda: inbox.heartbeat(rt.engine, row.id, rt.clock())) if row is not None else (lambda: None)
    return Context(session=session, blip=rt.blip, playbooks=snapshot, settings=rt.settings, clock=rt.clock,
                   inbox_event=row, playbooks_version=rt.playbooks.version or "", heartbeat=heartbeat,
                   llm=rt.llm, enqueue=rt.queue.enqueue)


def _notify_failed(rt, event_id: int) -> None:
    """The event is dead-lettered: tell Blip the message failed (`failed`, reason 101, §2.6)."""
    try:
        with session_scope(rt.engine) as session:
            row = session.get(InboxEvent, event_id)
            event = events.classify(row.kind, row.envelope)
            if isinstance(event, events.MessageFollowUp):  # the slower half of a customer message failed
                row = session.get(InboxEvent, event.event_id)
                event = events.classify(row.kind, row.envelope)
            if not isinstance(event, events.CustomerMessage) or not event.id:
                return
            ctx = context_for(rt, session, row)
            reason = {"code": 101, "description": ctx.playbooks.settings.failure_reason}
            outbox.perform(ctx, key=f"failed:{event_id}", purpose="failed", operation="send_notification",
                           params={"id": event.id, "to": event.node, "event": "failed", "reason": reason})
    except Exception:
        log.exception("could not send the failed notification for event %s", event_id)


def maintain(rt) -> None:
    """One sweeper tick: re-enqueue due events, poll open tickets, act on first-response breaches."""
    sweep(rt)
    if rt.blip is None:
        return
    with session_scope(rt.engine) as session:
        ctx = context_for(rt, session)
        tpr.poll_open_tickets(ctx)
        tpr.check_breaches(ctx)


def sweep(rt) -> int:
    """Hand the queue every event that is due again; returns how many."""
    settings = rt.settings
    due = inbox.due_for_sweep(rt.engine, now=rt.clock(), lease=timedelta(seconds=settings.job_lease_seconds),
                              grace=timedelta(seconds=settings.sweep_grace_seconds))
    for event_id, kind in due:
        rt.queue.enqueue(event_id, urgent=kind == "message")
    if due:
        log.info("sweeper handed %d due event(s) to the queue", len(due))
    return len(due)
