"""Blip Desk in the fake server: ticket transitions and the desk command routes (blip-api.md §4).

Transitions are plain functions on ``FakeState`` so that both the command routes (the bot acting)
and the agent driver of ``FakeBlip`` (an agent acting) share them. Callers hold ``state.lock``.
"""

import re
import uuid

from blip_client.fake_state import INVALID_ARGUMENT, CommandError, FakeState, collection, now_iso
from blip_client.lime import CLOSED_STATUSES as CLOSED
from blip_client.lime import DESK, TICKET
from blip_client.lime import TICKET_STATUSES as STATUSES


def new_ticket(state: FakeState, customer_identity: str, *, team=None, customer_input=None,
               agent_identity=None, parent=None) -> dict:
    """Create and store a ``Waiting`` ticket (a transfer passes the ``parent`` ticket)."""
    ticket_id = str(uuid.uuid4())
    ticket = {
        "id": ticket_id, "sequentialId": state.take_sequential_id(),
        "ownerIdentity": state.bot_identity, "customerIdentity": customer_identity,
        "customerDomain": customer_identity.partition("@")[2].partition("/")[0],
        "provider": "Lime", "status": "Waiting", "storageDate": now_iso(),
        "externalId": ticket_id, "rating": 0, "team": team or "Default", "unreadMessages": 0,
        "closed": False, "priority": 0,
    }
    if customer_input is not None:
        ticket["customerInput"] = customer_input
    if agent_identity:
        ticket["agentIdentity"] = agent_identity
    if parent is not None:
        ticket["parentSequentialId"] = parent["sequentialId"]
    state.tickets[ticket_id] = ticket
    return ticket


def transfer(state: FakeState, ticket_id: str, team: str, agent_identity=None) -> tuple[dict, dict]:
    """Mark a ticket ``Transferred`` and open its successor; return (old, new)."""
    old = state.ticket(ticket_id)
    if old["status"] in CLOSED | {"Transferred"}:
        raise CommandError(INVALID_ARGUMENT, f"Ticket cannot be transferred: {old['status']}")
    old.update(status="Transferred", statusDate=now_iso())
    old.pop("closed", None)  # not documented for Transferred (see ticket_transferred.json)
    new = new_ticket(state, old["customerIdentity"], team=team, agent_identity=agent_identity,
                     customer_input=old.get("customerInput"), parent=old)
    return old, new


def set_status(state: FakeState, ticket_id: str, status: str, *, agent_identity=None,
               closed_by=None) -> dict:
    """Apply a status change (assign, close by agent or by client) and its dates."""
    if status not in STATUSES:
        raise CommandError(INVALID_ARGUMENT, f"Invalid ticket status {status}")
    ticket = state.ticket(ticket_id)
    now = now_iso()
    ticket.update(status=status, statusDate=now)
    if agent_identity:
        ticket["agentIdentity"] = agent_identity
    if status == "Open":
        ticket["openDate"] = now
    if status in CLOSED:
        default = ticket["customerIdentity"] if status == "ClosedClient" else (
            ticket.get("agentIdentity") or state.bot_identity)
        ticket.update(closed=True, closeDate=now, closedBy=closed_by or default)
    return ticket


def close(state: FakeState, ticket_id: str, *, closed_by=None, tags=None) -> dict:
    """Finalize a ticket (``/tickets/{id}/close``); an active ticket becomes ``ClosedAttendant``."""
    ticket = state.ticket(ticket_id)
    if ticket["status"] not in CLOSED | {"Transferred"}:
        set_status(state, ticket_id, "ClosedAttendant", closed_by=closed_by or state.bot_identity)
    ticket["closed"] = True
    if closed_by:
        ticket["closedBy"] = closed_by
    if tags is not None:
        ticket["tags"] = list(tags)
    return ticket


def find_tickets(state: FakeState, query: dict) -> list[dict]:
    """Tickets matching the status/CustomerIdentity parts of an OData ``$filter`` (§4.3)."""
    text = query.get("$filter", "")
    statuses = {s.lower() for s in re.findall(r"status\s+eq\s+'([^']*)'", text, re.I)}
    customers = set(re.findall(r"customeridentity\s+eq\s+'([^']*)'", text, re.I))
    closed_only = query.get("$closed", "").lower() == "true"
    found = [t for t in state.tickets.values()
             if (not statuses or t["status"].lower() in statuses)
             and (not customers or t["customerIdentity"] in customers)
             and (not closed_only or t["status"] in CLOSED)]
    return sorted(found, key=lambda t: t["sequentialId"])


def summary(state: FakeState) -> dict:
    """Today's counters per status (``/monitoring/tickets?version=2``)."""
    counts = {s: 0 for s in STATUSES}
    for ticket in state.tickets.values():
        counts[ticket["status"]] = counts.get(ticket["status"], 0) + 1
    return {"waiting": counts["Waiting"], "open": counts["Open"],
            "closed": counts["ClosedAttendant"] + counts["ClosedClient"],
            "closedAttendant": counts["ClosedAttendant"], "closedClient": counts["ClosedClient"],
            "transferred": counts["Transferred"], "missed": 0}


# --- command routes: handler(state, command, match, query) -> (type, resource) | None ---------

def _create_for_customer(state, command, match, query):
    identity = match.group(1)
    if "@" not in identity:
        raise CommandError(INVALID_ARGUMENT, "Invalid customer identity")
    text = command.get("resource")
    customer_input = {"type": command.get("type") or "text/plain", "value": text} if text else None
    return TICKET, dict(new_ticket(state, identity, customer_input=customer_input))


def _create_from_document(state, command, match, query):
    resource = command.get("resource")
    if not isinstance(resource, dict) or "@" not in str(resource.get("customerIdentity", "")):
        raise CommandError(INVALID_ARGUMENT, "customerIdentity is required")
    ticket = new_ticket(state, resource["customerIdentity"], team=resource.get("team"),
                        agent_identity=resource.get("agentIdentity"),
                        customer_input=resource.get("customerInput"))
    return TICKET, dict(ticket)


def _transfer(state, command, match, query):
    resource = _resource(command)
    if not resource.get("team"):
        raise CommandError(INVALID_ARGUMENT, "team is required")
    _, new = transfer(state, match.group(1), resource["team"], resource.get("agentIdentity"))
    return TICKET, dict(new)


def _change_status(state, command, match, query):
    resource = _resource(command)
    set_status(state, resource.get("id", ""), resource.get("status", ""),
               agent_identity=resource.get("agentIdentity"), closed_by=resource.get("closedBy"))


def _change_tags(state, command, match, query):
    tags = _resource(command).get("tags")
    if not isinstance(tags, list):
        raise CommandError(INVALID_ARGUMENT, "tags must be a list")
    state.ticket(match.group(1))["tags"] = list(tags)


def _close(state, command, match, query):
    resource = _resource(command)
    close(state, match.group(1), closed_by=resource.get("closedBy"), tags=resource.get("tags"))


def _get_ticket(state, command, match, query):
    return TICKET, dict(state.ticket(match.group(1)))


def _list_tickets(state, command, match, query):
    return collection(TICKET, [dict(t) for t in find_tickets(state, query)], query=query)


def _teams(state, command, match, query):
    teams = [{"name": name, "agentsOnline": 1} for name in state.team_names()]
    return collection("application/vnd.iris.desk.team+json", teams, query=query)


def _monitoring(state, command, match, query):
    return "application/vnd.iris.desk.ticketssummary+json", summary(state)


def _resource(command) -> dict:
    resource = command.get("resource")
    if not isinstance(resource, dict):
        raise CommandError(INVALID_ARGUMENT, "resource must be a ticket document")
    return resource


ROUTES = [
    (DESK, "set", r"/tickets/change-status", _change_status),
    (DESK, "set", r"/tickets/([^/]+)/transfer", _transfer),
    (DESK, "set", r"/tickets/([^/]+)/change-tags", _change_tags),
    (DESK, "set", r"/tickets/([^/]+)/close", _close),
    (DESK, "set", r"/tickets", _create_from_document),
    (DESK, "set", r"/tickets/([^/]+)", _create_for_customer),
    (DESK, "get", r"/tickets?/([^/]+)", _get_ticket),
    (DESK, "get", r"/tickets", _list_tickets),
    (DESK, "get", r"/teams", _teams),
    (DESK, "get", r"/monitoring/tickets", _monitoring),
]
