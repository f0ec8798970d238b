"""Who is writing: link a contact to a customer (ADM code) by phone or by the Blip contact's extras."""
from __future__ import annotations

import logging

from app.customers import find_by_phone
from app.models import Contact, Customer
from blip_client import BlipError, BlipNotFound, mask_identity, phone_from_identity
from handlers import outbox

log = logging.getLogger(__name__)


def known_customer(session, contact: Contact) -> Customer | None:
    """The customer the store already links to this contact, or owns its phone (no Blip call: fast)."""
    if contact.adm:
        customer = session.get(Customer, contact.adm)
        if customer:
            return customer
    phone = phone_from_identity(contact.identity)
    customer = find_by_phone(session, phone) if phone else None
    if customer:
        _link(contact, customer, "phone")
    return customer


def identify(ctx, contact: Contact) -> tuple[Customer | None, str]:
    """The contact's customer and how we know it: phone | extras | unknown | lookup_failed."""
    session = ctx.session
    customer = known_customer(session, contact)
    if customer and contact.extras_synced:
        return customer, contact.identified_by
    try:
        blip_contact = _blip_contact(ctx, contact.identity)
    except BlipError as err:
        if customer is None:
            log.warning("contact lookup failed for %s: %s", mask_identity(contact.identity), err)
            return None, "lookup_failed"
        blip_contact = None  # known by phone; the extras can be written back another time
    key = ctx.settings.adm_extras_key
    extras = (blip_contact or {}).get("extras") or {}
    if customer is None and extras.get(key):
        customer = session.get(Customer, str(extras[key]).strip())
        if customer:
            _link(contact, customer, "extras")
            contact.extras_synced = True
            return customer, "extras"
    if customer is None:
        contact.identified_by = "unknown"
        return None, "unknown"
    _link(contact, customer, "phone")
    if blip_contact is not None and extras.get(key) != customer.adm:
        _write_back(ctx, contact, customer, extras)
    return customer, "phone"


def _blip_contact(ctx, identity: str) -> dict | None:
    try:
        return ctx.blip.get_contact(identity=identity)
    except BlipNotFound:
        return {}  # no contact yet: `merge` will create it


def _link(contact: Contact, customer: Customer, how: str) -> None:
    contact.adm, contact.identified_by = customer.adm, how


def _write_back(ctx, contact: Contact, customer: Customer, extras: dict) -> None:
    """Keep the ADM code in the Blip contact's extras (merge; we resend the extras we saw, §5)."""
    merged = {**{k: str(v) for k, v in extras.items()}, ctx.settings.adm_extras_key: customer.adm}
    call = outbox.perform(ctx, key=f"merge-adm:{contact.identity}:{customer.adm}", purpose="identify",
                          operation="merge_contact",
                          params={"identity": contact.identity, "extras": merged})
    contact.extras_synced = call.status == "ok"
