"""Helpers for LIME nodes and identities (blip-api.md §1.4).

A node is ``name@domain/instance``; an identity is the same without ``/instance``.
The masking helpers exist so that logs and error messages never carry a full
customer phone number or identity.
"""

import re
from urllib.parse import quote, unquote

WHATSAPP_DOMAIN = "wa.gw.msging.net"
DESK_DOMAIN = "desk.msging.net"

# An identity inside free text: a name (possibly URL-encoded) followed by "@domain".
_IDENTITY_IN_TEXT = re.compile(r"[A-Za-z0-9._~+%-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
# Long digit runs (phone numbers, numeric identities) that survived identity masking.
_LONG_DIGITS = re.compile(r"\d{8,}")


def strip_instance(node: str) -> str:
    """Return the identity part (``name@domain``) of a node, dropping any ``/instance``."""
    at = node.find("@")
    slash = node.find("/", at if at >= 0 else 0)
    return node[:slash] if slash >= 0 else node


def mask_identity(identity: str) -> str:
    """Mask the name part of a node for logs: ``5511*****4321@wa.gw.msging.net``."""
    if not identity:
        return identity or ""
    name, sep, rest = identity.partition("@")
    if not sep:
        return _mask_name(identity)
    domain, slash, instance = rest.partition("/")
    masked = f"{_mask_name(name)}@{domain}"
    return f"{masked}/{_mask_digits(instance)}" if slash else masked


def mask_text(text: str) -> str:
    """Mask every identity and long digit run found in free text (URIs, descriptions)."""
    if not text:
        return text or ""
    masked = _IDENTITY_IN_TEXT.sub(lambda m: mask_identity(m.group(0)), text)
    return _mask_digits(masked)


def phone_from_identity(identity: str) -> str | None:
    """Return the digits of a WhatsApp identity (``…@wa.gw.msging.net``), else None."""
    if not identity:
        return None
    name, _, domain = strip_instance(identity).partition("@")
    if domain.lower() != WHATSAPP_DOMAIN:
        return None
    digits = name[1:] if name.startswith("+") else name
    return digits if digits.isdigit() else None


def customer_from_desk_relay(identity: str) -> str | None:
    """Decode a Desk relay address (``<encoded customer>@desk.msging.net``) to the customer node."""
    if not identity:
        return None
    name, sep, domain = strip_instance(identity).rpartition("@")
    if not sep or domain.lower() != DESK_DOMAIN:
        return None
    customer = unquote(name)
    # Ticket senders (``{ticketId}@desk.msging.net``) and postmaster have no encoded "@".
    return customer if "@" in customer else None


def desk_relay_address(customer_identity: str) -> str:
    """Build the Desk relay address of a customer (blip-api.md §4.5)."""
    return f"{quote(customer_identity, safe='')}@{DESK_DOMAIN}"


def _mask_name(name: str) -> str:
    decoded = unquote(name)
    if "@" in decoded:
        # Relay or agent address: mask the encoded identity, then re-encode its "@".
        return mask_identity(decoded).replace("@", "%40", 1)
    if name.lower() == "postmaster":
        return name  # Blip's own service name, not a customer
    plus = "+" if name.startswith("+") else ""
    digits = name[len(plus):]
    if digits.isdigit():
        return plus + _keep_ends(digits)
    return name if len(name) <= 4 else f"{name[:4]}…"


def _keep_ends(digits: str) -> str:
    if len(digits) <= 8:
        return "*" * len(digits)
    return f"{digits[:4]}{'*' * (len(digits) - 8)}{digits[-4:]}"


def _mask_digits(text: str) -> str:
    return _LONG_DIGITS.sub(lambda m: _keep_ends(m.group(0)), text)
