"""What every handler receives besides its event: `handle(event, ctx)`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from sqlmodel import Session

from app.models import InboxEvent


class Reschedule(Exception):
    """Raised by a handler that is not due yet: the job runner puts the event back until `at`."""

    def __init__(self, at: datetime):
        super().__init__(f"not due before {at.isoformat()}")
        self.at = at


@dataclass
class Context:
    """One job's world: its DB session, the Blip client, the playbooks snapshot, settings and clock."""

    session: Session
    blip: object  # blip_client.BlipClient (duck-typed so tests can point it at the fake server)
    playbooks: object  # playbooks.Playbooks, the snapshot this job decides with
    settings: object  # app.config.Settings
    clock: Callable[[], datetime]
    inbox_event: InboxEvent | None
    playbooks_version: str = ""
    llm: object = None  # llm.IntentAssistant, or None when the LLM assist is off
    enqueue: Callable[..., bool] = lambda event_id, urgent=False: False  # hand a committed event to the queue
    heartbeat: Callable[[], None] = lambda: None  # renews the job's lease during long work

    def now(self) -> datetime:
        """The current time (injectable in tests)."""
        return self.clock()
