"""Identity helpers and Retry-After parsing."""

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from blip_client import (customer_from_desk_relay, desk_relay_address, mask_identity, mask_text,
                         phone_from_identity, strip_instance)
from blip_client.retry import backoff_delay, parse_retry_after


@pytest.mark.parametrize("identity, masked", [
    ("5511987654321@wa.gw.msging.net", "5511*****4321@wa.gw.msging.net"),
    ("5511987654321%40wa.gw.msging.net@desk.msging.net",
     "5511*****4321%40wa.gw.msging.net@desk.msging.net"),
    ("d2a7c1f0-5b3e-4e8a-9c61-7f0e2b9d4a13@0mn.io", "d2a7…@0mn.io"),
    ("551100001111@0mn.io/4ac58r6e3", "5511****1111@0mn.io/4ac58r6e3"),
    ("+5511987654321", "+5511*****4321"),
    ("postmaster@desk.msging.net", "postmaster@desk.msging.net"),
    ("", ""),
])
def test_mask_identity(identity, masked):
    assert mask_identity(identity) == masked


def test_mask_text_masks_identities_and_phone_numbers_in_uris():
    assert mask_text("lime://wa.gw.msging.net/accounts/+5511987654321") == \
        "lime://wa.gw.msging.net/accounts/+5511*****4321"
    assert mask_text("get /contacts/5511987654321@wa.gw.msging.net") == \
        "get /contacts/5511*****4321@wa.gw.msging.net"


def test_phone_and_relay_helpers():
    assert phone_from_identity("5511987654321@wa.gw.msging.net/x") == "5511987654321"
    assert phone_from_identity("abc@0mn.io") is None
    assert customer_from_desk_relay("5511987654321%40wa.gw.msging.net@desk.msging.net") == \
        "5511987654321@wa.gw.msging.net"
    assert customer_from_desk_relay("8a9d4c22@desk.msging.net/Webhook") is None
    assert customer_from_desk_relay("5511987654321@wa.gw.msging.net") is None
    assert desk_relay_address("5511987654321@wa.gw.msging.net") == \
        "5511987654321%40wa.gw.msging.net@desk.msging.net"
    assert strip_instance("bot@msging.net/default") == "bot@msging.net"
    assert strip_instance("bot@msging.net") == "bot@msging.net"


def test_parse_retry_after():
    now = datetime(2024, 5, 14, 13, 0, tzinfo=timezone.utc)
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30
    assert parse_retry_after("yesterday") is None and parse_retry_after(None) is None


def test_backoff_grows_and_is_capped():
    assert 0.5 <= backoff_delay(1, base=0.5, maximum=8) <= 0.55
    assert 2.0 <= backoff_delay(3, base=0.5, maximum=8) <= 2.2
    assert backoff_delay(10, base=0.5, maximum=8) == 8
