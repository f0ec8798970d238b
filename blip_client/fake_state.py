"""In-memory state of the fake Blip server (blip-api.md §9): tickets, contacts, comments, events.

All mutation happens under ``FakeState.lock`` because the fake serves requests from a threaded
werkzeug server while the test thread inspects and drives it.
"""

import threading
from datetime import datetime, timezone

from blip_client.lime import COLLECTION

FIRST_SEQUENTIAL_ID = 1000

# LIME reason codes used by the fake (blip-api.md §8.2).
INVALID_ARGUMENT = 64
NOT_FOUND = 67


class CommandError(Exception):
    """A command the fake answers with ``status: "failure"`` and this reason."""

    def __init__(self, code: int, description: str):
        super().__init__(f"{code} {description}")
        self.code = code
        self.description = description


def now_iso() -> str:
    """Current UTC time as Blip writes it: ISO-8601 with milliseconds and ``Z``."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class FakeState:
    """Everything the fake remembers between requests; dicts are cleared in place on reset."""

    def __init__(self, *, bot_identity: str, teams: list[str] | None = None):
        self.lock = threading.RLock()
        self.bot_identity = bot_identity
        self.configured_teams = list(teams or ["Default"])
        self.tickets: dict[str, dict] = {}
        self.contacts: dict[str, dict] = {}
        self.comments: dict[str, list[dict]] = {}
        self.events: list[dict] = []
        self.schedules: dict[str, dict] = {}
        self.next_sequential_id = FIRST_SEQUENTIAL_ID

    def reset(self) -> None:
        """Forget all tickets, contacts, comments, events and schedules."""
        with self.lock:
            for store in (self.tickets, self.contacts, self.comments, self.schedules):
                store.clear()
            self.events.clear()
            self.next_sequential_id = FIRST_SEQUENTIAL_ID

    def take_sequential_id(self) -> int:
        """Return the next running ticket number."""
        with self.lock:
            value = self.next_sequential_id
            self.next_sequential_id += 1
            return value

    def ticket(self, ticket_id: str) -> dict:
        """Return a stored ticket or raise CommandError 67."""
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            raise CommandError(NOT_FOUND, "Ticket not found")
        return ticket

    def seed_contact(self, identity: str, **fields) -> dict:
        """Store (replace) a contact so that ``get /contacts/{identity}`` finds it."""
        extras = fields.pop("extras", None) or {}
        contact = {"identity": identity, **fields, "extras": dict(extras)}
        with self.lock:
            self.contacts[identity] = contact
        return contact

    def team_names(self) -> list[str]:
        """Configured teams plus any team a ticket was routed to."""
        with self.lock:
            names = list(self.configured_teams)
            for ticket in self.tickets.values():
                if ticket.get("team") and ticket["team"] not in names:
                    names.append(ticket["team"])
        return names


def collection(item_type: str, items: list, *, query: dict | None = None) -> tuple[str, dict]:
    """Build a LIME collection resource, applying ``$skip``/``$take`` from the query."""
    query = query or {}
    skip = _int(query.get("$skip"), 0)
    take = _int(query.get("$take"), 100)
    page = items[skip:skip + take]
    return COLLECTION, {
        "total": len(items), "itemType": item_type, "items": page}


def _int(value, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
