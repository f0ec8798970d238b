"""FakeBlip over real HTTP, driven by the real BlipClient: contract checks, state, faults, control."""

import re
import time

import pytest
import requests

from blip_client import (BlipAuthError, BlipBadRequest, BlipClient, BlipCommandFailure,
                         BlipNotFound, BlipRateLimited, BlipServerError, BlipTimeout)
from blip_client.fake import FakeBlip
from tests.blip_client.conftest import CUSTOMER, load

FAKE_KEY = "Key fake-key"
AUTH = {"Authorization": FAKE_KEY}
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture
def blip(fake, sleeps):
    return BlipClient(fake.base_url, FAKE_KEY, backoff_base=0.01, timeout=(1, 2),
                      sleep=sleeps.append)


def open_ids(blip):
    return [t["id"] for t in blip.list_open_tickets(customer_identity=CUSTOMER)]


def test_ticket_lifecycle(fake, blip):
    ticket = blip.create_ticket(customer_identity=CUSTOMER, text="Quero falar com um atendente")
    assert (ticket["status"], ticket["team"], ticket["sequentialId"]) == ("Waiting", "Default", 1000)
    assert ticket["customerInput"] == {"type": "text/plain", "value": "Quero falar com um atendente"}
    assert ISO_MS.match(ticket["storageDate"])
    assert blip.get_ticket(ticket_id=ticket["id"]) == ticket
    assert open_ids(blip) == [ticket["id"]]

    new = blip.transfer_ticket(ticket_id=ticket["id"], team="Suporte Playout")
    assert (new["status"], new["team"], new["parentSequentialId"]) == ("Waiting", "Suporte Playout", 1000)
    assert fake.tickets[ticket["id"]]["status"] == "Transferred"
    assert open_ids(blip) == [new["id"]]

    blip.change_tags(ticket_id=new["id"], tags=["Playout"])
    assert fake.tickets[new["id"]]["tags"] == ["Playout"]
    blip.close_ticket(ticket_id=new["id"], tags=["Playout", "Resolvido"])
    closed = blip.get_ticket(ticket_id=new["id"])
    assert (closed["status"], closed["closed"], closed["tags"]) == (
        "ClosedAttendant", True, ["Playout", "Resolvido"])
    assert open_ids(blip) == []
    assert fake.commands(uri_contains="/transfer")[0].headers["Authorization"] == FAKE_KEY


def test_ticket_errors_and_status_changes(fake, blip):
    ticket = blip.create_ticket(customer_identity=CUSTOMER, text="Ajuda")
    blip.change_ticket_status(ticket_id=ticket["id"], status="Open",
                              agent_identity="ana%40radiomemory.com.br@blip.ai")
    assert fake.tickets[ticket["id"]]["agentIdentity"] == "ana%40radiomemory.com.br@blip.ai"
    blip.change_ticket_status(ticket_id=ticket["id"], status="ClosedClient")
    assert fake.tickets[ticket["id"]]["closedBy"] == CUSTOMER
    with pytest.raises(BlipCommandFailure):
        blip.transfer_ticket(ticket_id=ticket["id"], team="Suporte")
    with pytest.raises(BlipNotFound):
        blip.get_ticket(ticket_id="00000000-0000-0000-0000-000000000000")
    assert [t["name"] for t in blip.list_teams()] == ["Default"]


def test_command_response_envelope(fake, blip):
    response = blip.command(method="get", uri="/monitoring/tickets?version=2", id="cmd-1",
                            to="postmaster@desk.msging.net")
    assert response["id"] == "cmd-1" and response["method"] == "get"
    assert response["from"] == "postmaster@desk.msging.net/#fake"
    assert response["to"] == fake.bot_identity and response["resource"]["waiting"] == 0
    with pytest.raises(BlipNotFound):
        blip.command(method="get", uri="/no-such-thing", to="postmaster@desk.msging.net")


def test_contacts_comments_whatsapp_and_events(fake, blip):
    with pytest.raises(BlipNotFound):
        blip.get_contact(identity=CUSTOMER)
    blip.merge_contact(identity=CUSTOMER, name="Marcos", extras={"codigoCliente": "RVS-004512"})
    blip.merge_contact(identity=CUSTOMER, extras={"emissora": "Rádio Vale do Sol"})
    contact = blip.get_contact(identity=CUSTOMER)
    assert contact["name"] == "Marcos"
    assert contact["extras"] == {"codigoCliente": "RVS-004512", "emissora": "Rádio Vale do Sol"}

    comment = blip.add_comment(identity=CUSTOMER, content="Cliente relata silêncio")
    assert blip.list_comments(identity=CUSTOMER) == [comment]
    assert blip.lookup_whatsapp_account(phone="5511987654321")["fullName"] == "Marcos"
    blip.track_event(category="decisao-bot", action="saudacao", identity=CUSTOMER)
    assert fake.events[0]["contact"] == {"identity": CUSTOMER}


def test_wrong_key_is_401(fake):
    with pytest.raises(BlipAuthError) as caught:
        BlipClient(fake.base_url, "Key wrong").send_message(to=CUSTOMER, content="Olá")
    assert caught.value.status == 401
    assert fake.requests[-1].status == 401 and fake.requests[-1].headers["Authorization"] == "Key wrong"


def test_field_checks_answer_400(fake, blip):
    body = load("outgoing_text_message.json")
    del body["to"]
    assert requests.post(f"{fake.base_url}/messages", json=body, headers=AUTH).status_code == 400
    with pytest.raises(BlipBadRequest):
        blip.send_message(to=None, content="Olá")
    command = {"id": "1", "method": "get", "to": "postmaster@desk.msging.net"}
    assert requests.post(f"{fake.base_url}/commands", json=command, headers=AUTH).status_code == 400


def test_notification_recipient_in_to_or_from(fake):
    body = load("outgoing_notification_consumed.json")
    url = f"{fake.base_url}/notifications"
    assert requests.post(url, json=body, headers=AUTH).status_code == 202
    body["from"] = body.pop("to")
    assert requests.post(url, json=body, headers=AUTH).status_code == 202
    del body["from"]
    assert requests.post(url, json=body, headers=AUTH).status_code == 400
    assert [r.status for r in fake.notifications()] == [202, 202, 400]


def test_500_once_then_ok_with_client_retry(fake, blip, sleeps):
    fake.fail("/messages", status=500)
    sent_id = blip.send_message(to=CUSTOMER, content="Olá")
    assert [(r.status, r.json["id"]) for r in fake.messages()] == [(500, sent_id), (202, sent_id)]
    assert len(sleeps) == 1


def test_scripted_command_failure_only_hits_matching_uri(fake, blip):
    fake.fail("/commands", command_failure=(61, "Erro simulado"), uri_contains="/transfer")
    ticket = blip.create_ticket(customer_identity=CUSTOMER, text="Ajuda")
    with pytest.raises(BlipCommandFailure) as caught:
        blip.transfer_ticket(ticket_id=ticket["id"], team="Suporte")
    assert (caught.value.reason_code, caught.value.reason_description) == (61, "Erro simulado")
    assert blip.transfer_ticket(ticket_id=ticket["id"], team="Suporte")["status"] == "Waiting"


def test_429_with_retry_after(fake, blip, sleeps):
    fake.fail("/commands", status=429, retry_after=1)
    blip.list_teams()
    assert sleeps == [1.0]
    assert fake.requests[0].status == 429


def test_delay_then_504(fake):
    fake.fail("/commands", status=504, delay=0.2)
    started = time.monotonic()
    with pytest.raises(BlipServerError) as caught:
        BlipClient(fake.base_url, FAKE_KEY, max_attempts=1).list_teams()
    assert caught.value.status == 504 and time.monotonic() - started >= 0.2


def test_slow_answer_times_out(fake):
    fake.fail("/messages", delay=0.5)
    with pytest.raises(BlipTimeout):
        BlipClient(fake.base_url, FAKE_KEY, max_attempts=1, timeout=(1, 0.1)).send_message(
            to=CUSTOMER, content="Olá")


def test_rate_limit():
    with FakeBlip(rate_limits={"/messages": 2}) as fake:
        client = BlipClient(fake.base_url, FAKE_KEY, max_attempts=1)
        client.send_message(to=CUSTOMER, content="1")
        client.send_message(to=CUSTOMER, content="2")
        with pytest.raises(BlipRateLimited) as caught:
            client.send_message(to=CUSTOMER, content="3")
    assert caught.value.retry_after == 1.0


def test_fail_rejects_inconsistent_options(fake):
    with pytest.raises(ValueError):
        fake.fail("/messages", command_failure=(61, "x"))
    with pytest.raises(ValueError):
        fake.fail("/nowhere", status=500)


def test_http_control_routes(fake, blip):
    base = f"{fake.base_url}/_fake"
    seeded = requests.post(f"{base}/contacts", json={"identity": CUSTOMER, "name": "Marcos"})
    assert seeded.status_code == 201 and blip.get_contact(identity=CUSTOMER)["name"] == "Marcos"
    assert requests.post(f"{base}/faults", json={"path": "/messages", "status": 503}).status_code == 201
    assert requests.post(f"{base}/faults", json={"path": "/x", "status": 503}).status_code == 400
    blip.send_message(to=CUSTOMER, content="Olá")
    logged = requests.get(f"{base}/requests").json()
    assert [(r["path"], r["status"]) for r in logged] == [
        ("/commands", 200), ("/messages", 503), ("/messages", 202)]
    ticket = blip.create_ticket(customer_identity=CUSTOMER, text="Ajuda")
    assert [t["id"] for t in requests.get(f"{base}/tickets").json()] == [ticket["id"]]
    taken = requests.post(f"{base}/agent/take", json={
        "ticket_id": ticket["id"], "agent_identity": "ana%40rm.com.br@blip.ai"}).json()
    assert taken["status"] == "Open"
    assert requests.post(f"{base}/reset").status_code == 204
    assert requests.get(f"{base}/requests").json() == [] and fake.tickets == {}


def test_wait_for_times_out_with_a_useful_message(fake):
    with pytest.raises(TimeoutError, match="0 requests received"):
        fake.wait_for(lambda f: f.messages(), timeout=0.05)
