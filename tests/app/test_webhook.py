"""The webhook edge: authentication, bad input, unknown types, duplicates. Nothing half-written on rejection."""
from __future__ import annotations

import json
import logging
import threading

import requests
from sqlmodel import select

from app.models import Conversation, Message
from tests.conftest import SECRET, blip_fixture

CUSTOMER = "5511987654321@wa.gw.msging.net"


def _text(id_="msg-1", content="Oi, bom dia", sender=CUSTOMER):
    return {"id": id_, "from": sender, "to": "radiomemory@msging.net", "type": "text/plain", "content": content}


def test_a_valid_message_is_acknowledged_202_and_stored_before_processing(service):
    response = service.post("/blip/messages", _text())
    assert response.status_code == 202
    assert response.json()["status"] == "accepted"
    events = service.events()
    assert [(e.kind, e.event_type, e.dedup_key) for e in events] == [("message", "text/plain", "m:msg-1")]


def test_malformed_json_is_400_with_a_clear_message_and_nothing_stored(service):
    response = service.post("/blip/messages", None, raw=b'{"id": "x", "from": ')
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "malformed_json"
    assert "not valid JSON at line 1 column" in error["message"]
    assert service.events() == []


def test_json_that_is_not_an_envelope_is_400_naming_the_field(service):
    missing_from = {"id": "1", "type": "text/plain", "content": "oi"}
    response = service.post("/blip/messages", missing_from)
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "from"
    assert "from: Field required" in response.json()["error"]["message"]

    wrong_type = {"id": "2", "from": CUSTOMER, "type": 12, "content": "oi"}
    assert service.post("/blip/messages", wrong_type).json()["error"]["field"] == "type"

    not_an_object = service.post("/blip/messages", ["a", "list"])
    assert not_an_object.status_code == 400
    assert "expected a JSON object" in not_an_object.json()["error"]["message"]

    notification_without_event = {"id": "3", "from": CUSTOMER}
    response = service.post("/blip/notifications", notification_without_event)
    assert (response.status_code, response.json()["error"]["field"]) == (400, "event")
    assert service.events() == []


def test_a_body_over_256_kib_is_413_and_nothing_stored(service):
    huge = _text(content="a" * (256 * 1024 + 1))
    response = service.post("/blip/messages", huge)
    assert response.status_code == 413
    assert response.json()["error"]["message"] == "request body larger than 262144 bytes"
    assert service.events() == []


def test_wrong_or_missing_secret_is_401_and_the_secret_is_never_logged(service, caplog):
    caplog.set_level(logging.DEBUG)
    wrong = service.post("/blip/messages", _text(), secret="not-the-secret-but-long-enough")
    missing = service.post("/blip/messages", _text(), secret=None)
    assert (wrong.status_code, missing.status_code) == (401, 401)
    assert wrong.json()["error"]["message"] == "missing or wrong X-Webhook-Secret header"
    assert service.events() == []
    assert SECRET not in caplog.text and "not-the-secret-but-long-enough" not in caplog.text


def test_any_of_the_configured_secrets_is_accepted_so_secrets_rotate_without_downtime(service_factory):
    service = service_factory(webhook_secrets=f"old-secret-0123456789,{SECRET}")
    assert service.post("/blip/messages", _text("a"), secret="old-secret-0123456789").status_code == 202
    assert service.post("/blip/messages", _text("b"), secret=SECRET).status_code == 202
    assert service.post("/blip/messages", _text("c"), secret="old-secret-01234567890").status_code == 401


def test_an_unknown_type_is_acknowledged_stored_counted_and_not_processed(service):
    unknown = {"id": "loc-1", "from": CUSTOMER, "type": "application/vnd.lime.location+json",
               "content": {"latitude": -22.9, "longitude": -47.06}}
    response = service.post("/blip/messages", unknown)
    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert [e.status for e in service.events()] == ["ignored"]
    metrics = requests.get(service.url + "/metrics", timeout=5).text
    assert ('blip_webhook_events_total{kind="message",type="application/vnd.lime.location+json",'
            'status="ignored"} 1') in metrics
    assert service.fake.messages() == []  # no greeting, nothing processed
    assert service.query(select(Conversation)) == []


def test_the_same_envelope_delivered_in_sequence_is_processed_once(service):
    first = service.post("/blip/messages", _text("dup-1"))
    again = service.post("/blip/messages", _text("dup-1"))
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    service.settle()
    assert len(service.sent("greeting")) == 1
    assert len(service.query(select(Message).where(Message.direction == "in"))) == 1


def test_the_same_envelope_delivered_concurrently_is_processed_once(service):
    barrier = threading.Barrier(8)
    codes = []

    def deliver():
        barrier.wait()
        codes.append(service.post("/blip/messages", _text("race-1")).status_code)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes) == [200] * 7 + [202]
    service.settle()
    assert len([e for e in service.events() if e.kind == "message"]) == 1
    assert len(service.sent("greeting")) == 1
    assert len(service.query(select(Conversation))) == 1


def test_notifications_are_keyed_by_id_and_event_together(service):
    received = blip_fixture("notification_received")
    consumed = {**received, "event": "consumed"}
    assert service.post("/blip/notifications", received).status_code == 202
    assert service.post("/blip/notifications", consumed).status_code == 202
    assert service.post("/blip/notifications", received).status_code == 200
    assert sorted(e.dedup_key for e in service.events() if e.envelope["id"] == received["id"]) == [
        f"n:{received['id']}:consumed", f"n:{received['id']}:received"]


def test_every_inbound_contract_fixture_replays_through_the_webhook(service):
    # In the order a real attendance produces them; settle between steps so the order holds.
    steps = [
        ("/blip/messages", ["incoming_text_message", "incoming_whatsapp_text"]),
        ("/blip/messages", ["incoming_whatsapp_media", "desk_message_from_agent"]),
        ("/blip/messages", ["ticket_status_waiting", "ticket_transferred", "ticket_status_open"]),
        ("/blip/notifications", ["notification_received", "notification_failed"]),
        ("/blip/messages", ["ticket_status_closed_by_agent", "ticket_closed_redirect",
                            "ticket_status_closed_by_client"]),
    ]
    for path, names in steps:
        for name in names:
            response = service.post(path, blip_fixture(name))
            assert response.status_code == 202, (name, response.text)
            assert response.json()["status"] == "accepted", name
        service.settle()
    assert {e.status for e in service.events()} == {"done"}
    inbound_texts = [m.text for m in service.query(select(Message).where(Message.direction == "in"))]
    assert blip_fixture("incoming_whatsapp_text")["content"] in inbound_texts
    assert "Segue o print da tela de erro do playout" in inbound_texts  # media caption kept
    assert blip_fixture("desk_message_from_agent")["content"] in inbound_texts  # recorded as the agent's
    # Blip Chat and WhatsApp customers were greeted once each; the agent's message was not echoed.
    greeted = sorted(m.json["to"] for m in service.sent("greeting"))
    assert greeted == sorted([blip_fixture("incoming_text_message")["from"], CUSTOMER])
    # The closed ticket ended the WhatsApp conversation: the next message greets anew.
    closed = service.query(select(Conversation).where(Conversation.contact_identity == CUSTOMER))
    assert [(c.status, c.close_reason) for c in closed] == [("closed", "ticket_closed")]


def test_unknown_fields_and_metadata_are_tolerated(service):
    with_metadata = {**blip_fixture("incoming_whatsapp_text"), "id": "meta-1",
                     "metadata": {"#wa.timestamp": "1715692931", "unknown.key": "x"}, "extraField": True}
    assert service.post("/blip/messages", with_metadata).status_code == 202
    service.settle()
    assert [e.status for e in service.events() if e.kind == "message"] == ["done"]


def test_non_utf8_body_is_400(service):
    response = service.post("/blip/messages", None, raw="{\"id\": \"é\"}".encode("latin-1"))
    assert response.status_code == 400
    assert json.loads(response.text)["error"]["code"] == "malformed_json"
