"""Non-desk extensions in the fake server: contacts and comments (§5, §4.8), WhatsApp account
lookup (§6.1), event tracking (§7) and the scheduler (§6.3).

Handlers have the signature ``handler(state, command, match, query) -> (type, resource) | None``
and run with ``state.lock`` held.
"""

import uuid

from blip_client.fake_state import (INVALID_ARGUMENT, NOT_FOUND, CommandError, collection,
                                    now_iso)
from blip_client.lime import ANALYTICS, COMMENT, CONTACT, CRM, SCHEDULER, WHATSAPP, is_string_map

SCHEDULE = "application/vnd.iris.schedule+json"


def _get_contact(state, command, match, query):
    contact = state.contacts.get(match.group(1))
    if contact is None:
        raise CommandError(NOT_FOUND, "Contact not found")
    return CONTACT, _copy_contact(contact)


def _list_contacts(state, command, match, query):
    contacts = [_copy_contact(c) for c in state.contacts.values()]
    return collection(CONTACT, contacts, query=query)


def _set_contact(state, command, match, query):
    resource = _contact_resource(command)
    # "set" replaces: properties left out are deleted (§5).
    state.contacts[resource["identity"]] = _copy_contact(resource)


def _merge_contact(state, command, match, query):
    resource = _contact_resource(command)
    contact = state.contacts.setdefault(resource["identity"], {"identity": resource["identity"]})
    for key, value in resource.items():
        if key == "extras":
            # Per-key merge: our guess for the [SILENT] point in §5; send all extras to be safe.
            contact.setdefault("extras", {}).update(value)
        else:
            contact[key] = value


def _add_comment(state, command, match, query):
    resource = command.get("resource")
    if not isinstance(resource, dict) or not resource.get("content"):
        raise CommandError(INVALID_ARGUMENT, "content is required")
    comment = {"id": str(uuid.uuid4()), "storageDate": now_iso(), "content": resource["content"]}
    state.comments.setdefault(match.group(1), []).append(comment)
    return COMMENT, dict(comment)


def _list_comments(state, command, match, query):
    comments = [dict(c) for c in state.comments.get(match.group(1), [])]
    return collection(COMMENT, comments, query=query)


def _delete_comment(state, command, match, query):
    comments = state.comments.get(match.group(1), [])
    kept = [c for c in comments if c["id"] != match.group(2)]
    if len(kept) == len(comments):
        raise CommandError(NOT_FOUND, "Comment not found")
    state.comments[match.group(1)] = kept


def _whatsapp_account(state, command, match, query):
    digits = match.group(1)
    identity = f"{digits}@wa.gw.msging.net"
    name = state.contacts.get(identity, {}).get("name") or f"Cliente {digits[-4:]}"
    return "application/vnd.lime.account+json", {
        "fullName": name, "alternativeAccount": identity, "identity": identity,
        "phoneNumber": f"+{digits}", "source": "WhatsApp"}


def _track_event(state, command, match, query):
    resource = command.get("resource")
    if not isinstance(resource, dict) or not resource.get("category") or not resource.get("action"):
        raise CommandError(INVALID_ARGUMENT, "category and action are required")
    _check_extras(resource.get("extras"))
    state.events.append({**resource, "storageDate": now_iso()})


def _set_schedule(state, command, match, query):
    resource = command.get("resource")
    message = resource.get("message") if isinstance(resource, dict) else None
    if not isinstance(message, dict) or not message.get("id") or not resource.get("when"):
        raise CommandError(INVALID_ARGUMENT, "message.id and when are required")
    state.schedules[message["id"]] = {**resource, "status": "scheduled"}


def _get_schedule(state, command, match, query):
    schedule = state.schedules.get(match.group(1))
    if schedule is None:
        raise CommandError(NOT_FOUND, "Schedule not found")
    return SCHEDULE, dict(schedule)


def _list_schedules(state, command, match, query):
    return collection(SCHEDULE, [dict(s) for s in state.schedules.values()], query=query)


def _delete_schedule(state, command, match, query):
    schedule = state.schedules.get(match.group(1))
    if schedule is None:
        raise CommandError(NOT_FOUND, "Schedule not found")
    schedule["status"] = "canceled"


def _contact_resource(command) -> dict:
    resource = command.get("resource")
    if not isinstance(resource, dict) or "@" not in str(resource.get("identity", "")):
        raise CommandError(INVALID_ARGUMENT, "contact identity is required")
    _check_extras(resource.get("extras"))
    return resource


def _check_extras(extras) -> None:
    """Blip keeps only string values in ``extras`` (§5, §7)."""
    if extras is not None and not is_string_map(extras):
        raise CommandError(INVALID_ARGUMENT, "extras must map strings to strings")


def _copy_contact(contact: dict) -> dict:
    copied = dict(contact)
    copied["extras"] = dict(contact.get("extras") or {})
    return copied


ROUTES = [
    (CRM, "get", r"/contacts", _list_contacts),
    (CRM, "set", r"/contacts", _set_contact),
    (CRM, "merge", r"/contacts", _merge_contact),
    (CRM, "set", r"/contacts/([^/]+)/comments", _add_comment),
    (CRM, "get", r"/contacts/([^/]+)/comments", _list_comments),
    (CRM, "delete", r"/contacts/([^/]+)/comments/([^/]+)", _delete_comment),
    (CRM, "get", r"/contacts/([^/]+)", _get_contact),
    (WHATSAPP, "get", r"lime://wa\.gw\.msging\.net/accounts/\+?(\d+)", _whatsapp_account),
    (ANALYTICS, "set", r"/event-track", _track_event),
    (SCHEDULER, "set", r"/schedules", _set_schedule),
    (SCHEDULER, "get", r"/schedules", _list_schedules),
    (SCHEDULER, "get", r"/schedules/([^/]+)", _get_schedule),
    (SCHEDULER, "delete", r"/schedules/([^/]+)", _delete_schedule),
]
