"""FakeBlip pushing to the bot: delivery notifications, agent actions, ticket events, custom headers."""

import time

import pytest

from blip_client import BlipClient
from blip_client.fake import FakeBlip
from tests.blip_client.conftest import BOT_SECRET, CUSTOMER, load

RELAY = "5511987654321%40wa.gw.msging.net@desk.msging.net"
AGENT = "carla.mendes%40radiomemory.com.br@blip.ai"
SECRET_HEADER = next(iter(BOT_SECRET))


@pytest.fixture
def blip(fake):
    return BlipClient(fake.base_url, "Key fake-key", backoff_base=0.01)


@pytest.fixture
def ticket(blip):
    return blip.create_ticket(customer_identity=CUSTOMER, text="Quero um atendente")


def pushed(receiver, path="/blip/messages"):
    return receiver.bodies(path)


def test_delivery_notifications_in_order(fake, blip, receiver):
    sent_id = blip.send_message(to=CUSTOMER, content="Olá")
    fake.wait_for(lambda f: len(pushed(receiver, "/blip/notifications")) >= 4, timeout=2)
    notes = pushed(receiver, "/blip/notifications")
    assert [(n["event"], n["from"]) for n in notes] == [
        ("accepted", "postmaster@msging.net/#fake"), ("dispatched", "postmaster@msging.net/#fake"),
        ("received", CUSTOMER), ("consumed", CUSTOMER)]
    assert {n["id"] for n in notes} == {sent_id} and {n["to"] for n in notes} == {fake.bot_identity}
    posts = receiver.posts("/blip/notifications")
    assert all(p.headers[SECRET_HEADER] == BOT_SECRET[SECRET_HEADER] for p in posts)


def test_scripted_failed_notification(fake, blip, receiver):
    fake.fail("/messages", notify_failed=(42, "Destination not found"))
    sent_id = blip.send_message(to=CUSTOMER, content="Olá")
    notes = fake.wait_for(lambda f: pushed(receiver, "/blip/notifications"), timeout=2)
    assert notes == [{"id": sent_id, "from": "postmaster@msging.net/#fake", "to": fake.bot_identity,
                      "event": "failed", "reason": {"code": 42, "description": "Destination not found"}}]


def test_no_notifications_when_auto_notify_is_off(receiver):
    with FakeBlip(bot_notifications_url=f"{receiver.url}/blip/notifications",
                  auto_notify=False) as fake:
        BlipClient(fake.base_url, "Key fake-key").send_message(to=CUSTOMER, content="Olá")
        time.sleep(0.1)
    assert receiver.posts() == []


def test_agent_take_reply_and_close(fake, ticket, receiver):
    fake.agent_take(ticket["id"], AGENT)
    reply = fake.agent_reply(ticket["id"], "Oi Marcos, aqui é a Carla.")
    closed = fake.agent_close(ticket["id"])
    opened_msg, reply_msg, redirect, closed_msg = pushed(receiver)
    assert opened_msg["id"] == f"Ticket:{ticket['id']}:Open"
    assert opened_msg["from"] == f"{ticket['id']}@desk.msging.net"
    assert opened_msg["content"]["agentIdentity"] == AGENT and opened_msg["content"]["openDate"]
    assert reply_msg == reply and reply["from"] == RELAY
    assert reply["metadata"] == {"#messageEmitter": "Human"}
    assert redirect["type"] == "application/vnd.lime.redirect+json" and redirect["from"] == RELAY
    assert redirect["content"]["context"]["value"]["status"] == "ClosedAttendant"
    assert closed_msg["type"] == "application/vnd.iris.ticket+json"
    assert closed_msg["content"]["closedBy"] == AGENT and closed_msg["content"]["closed"] is True
    assert closed["firstResponseDate"] and fake.tickets[ticket["id"]]["status"] == "ClosedAttendant"
    assert set(load("ticket_status_closed_by_agent.json")) == set(closed_msg)


def test_agent_close_pushes_nothing_when_both_flags_are_off(fake, ticket, receiver):
    fake.emit_ticket_messages = False
    fake.emit_close_redirect = False
    fake.agent_close(ticket["id"])
    assert pushed(receiver) == [] and fake.tickets[ticket["id"]]["status"] == "ClosedAttendant"


def test_agent_close_with_only_the_redirect(fake, ticket, receiver):
    fake.emit_ticket_messages = False
    fake.agent_close(ticket["id"])
    assert [m["type"] for m in pushed(receiver)] == ["application/vnd.lime.redirect+json"]


def test_agent_transfer_and_client_close(fake, ticket, receiver):
    new = fake.agent_transfer(ticket["id"], "Suporte Playout")
    fake.client_close(new["id"])
    assert [m["id"] for m in pushed(receiver)] == [
        f"Ticket:{ticket['id']}:Transferred", f"Ticket:{new['id']}:Waiting",
        f"Ticket:{new['id']}:ClosedClient"]
    assert pushed(receiver)[2]["content"]["closedBy"] == CUSTOMER
    with pytest.raises(ValueError):
        fake.agent_take("unknown-ticket", AGENT)


def test_push_message_with_default_and_overridden_headers(fake, receiver):
    inbound = load("incoming_whatsapp_text.json")
    assert fake.push_message(inbound).status_code == 200
    fake.push_message(inbound, headers={})
    fake.push_notification(load("notification_received.json"))
    with_secret, without_secret = receiver.posts("/blip/messages")
    assert with_secret.headers[SECRET_HEADER] == BOT_SECRET[SECRET_HEADER]
    assert SECRET_HEADER not in without_secret.headers and without_secret.json == inbound
    assert receiver.bodies("/blip/notifications") == [load("notification_received.json")]
