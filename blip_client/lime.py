"""Blip/LIME vocabulary shared by the client and the fake: addresses, MIME types, small helpers."""

# Extension addresses (blip-api.md §1.4).
SERVER = "postmaster@msging.net"
DESK = "postmaster@desk.msging.net"
CRM = "postmaster@crm.msging.net"
WHATSAPP = "postmaster@wa.gw.msging.net"
ANALYTICS = "postmaster@analytics.msging.net"
SCHEDULER = "postmaster@scheduler.msging.net"

# Document types.
TICKET = "application/vnd.iris.ticket+json"
CONTACT = "application/vnd.lime.contact+json"
COMMENT = "application/vnd.iris.crm.comment+json"
EVENT_TRACK = "application/vnd.iris.eventTrack+json"
COLLECTION = "application/vnd.lime.collection+json"
REDIRECT = "application/vnd.lime.redirect+json"

# TicketStatusEnum (§4.2), serialized as these exact strings.
TICKET_STATUSES = frozenset({"None", "Waiting", "Open", "ClosedAttendant", "ClosedClient",
                             "Transferred", "Assigned"})
CLOSED_STATUSES = frozenset({"ClosedAttendant", "ClosedClient"})

# One customer's open or waiting tickets (§4.3, [EXT] help.blip.ai); {identity} URL-encoded.
OPEN_TICKETS_URI = ("/tickets?$filter=(status%20eq%20'open'%20or%20status%20eq%20'waiting')"
                    "%20and%20(CustomerIdentity%20eq%20'{identity}')&$skip=0&$take=100")


def collection_items(response: dict) -> list[dict]:
    """Items of a collection command response; tolerates a missing ``total`` or ``resource``."""
    resource = response.get("resource") or {}
    return list(resource.get("items") or []) if isinstance(resource, dict) else []


def is_string_map(values) -> bool:
    """True for a dict mapping strings to strings (contact and event ``extras``, §5, §7)."""
    return isinstance(values, dict) and all(
        isinstance(key, str) and isinstance(value, str) for key, value in values.items())
