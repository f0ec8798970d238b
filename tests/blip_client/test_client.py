"""BlipClient at the wire: exact URL, Authorization header and envelope, via `responses`."""

import pytest
from responses import matchers

from blip_client import BlipClient
from tests.blip_client.conftest import BASE, CUSTOMER, expect, load


def success(request_body, **extra):
    return {"id": request_body["id"], "method": request_body["method"], "status": "success",
            "from": f"{request_body['to']}/#az-iris1", "to": "ondasoftsuporte@msging.net", **extra}


# --- messages and notifications ------------------------------------------------------------

def test_send_message_posts_the_exact_envelope(rsps, client):
    body = load("outgoing_text_message.json")
    expect(rsps, "/messages", body, status=202)
    sent_id = client.send_message(id=body["id"], to=body["to"], content=body["content"])
    assert sent_id == body["id"]


def test_send_message_generates_an_id_and_adds_key_prefix(rsps):
    call = rsps.post(f"{BASE}/messages", status=202,
                     match=[matchers.header_matcher({"Authorization": "Key abc123"})])
    client = BlipClient(f"{BASE}/", "abc123")
    sent_id = client.send_message(to=CUSTOMER, content="Olá", metadata={"k": "v"})
    assert len(sent_id) == 36 and call.call_count == 1
    assert rsps.calls[0].request.url == f"{BASE}/messages"


def test_send_notification_puts_recipient_in_to(rsps, client):
    body = load("outgoing_notification_consumed.json")
    expect(rsps, "/notifications", body, status=202)
    client.send_notification(id=body["id"], to=body["to"], event="consumed")


def test_send_template(rsps, client):
    body = load("whatsapp_template_message.json")
    template = body["content"]["template"]
    expect(rsps, "/messages", body, status=202)
    sent_id = client.send_template(id=body["id"], to=body["to"], namespace=template["namespace"],
                                   name=template["name"], parameters=["Marcos", "1288"])
    assert sent_id == body["id"]


# --- desk ----------------------------------------------------------------------------------

def test_create_ticket(rsps, client):
    body, response = load("command_create_ticket.json"), load("command_response_create_ticket.json")
    expect(rsps, "/commands", body, response=response)
    ticket = client.create_ticket(id=body["id"], customer_identity=CUSTOMER, text=body["resource"])
    assert ticket == response["resource"]


def test_transfer_ticket_returns_the_new_ticket(rsps, client):
    body = load("command_transfer_ticket.json")
    response = load("command_response_transfer_ticket.json")
    expect(rsps, "/commands", body, response=response)
    new = client.transfer_ticket(id=body["id"], ticket_id="3f6b2a10-7c4d-4e2b-9a8f-0190a1b2c3d4",
                                 team="Suporte Playout")
    assert new["id"] == "8a9d4c22-1e5f-4b7a-b3c6-0190a1b9e7f0" and new["parentSequentialId"] == 1287


def test_change_tags(rsps, client):
    body = load("command_change_tags.json")
    expect(rsps, "/commands", body, response=success(body))
    client.change_tags(id=body["id"], ticket_id=body["resource"]["id"],
                       tags=["Playout", "Cliente RVS-004512"])


def test_change_ticket_status_to_closed_attendant(rsps, client):
    body = load("command_close_ticket_attendant.json")
    expect(rsps, "/commands", body, response=success(body))
    client.change_ticket_status(id=body["id"], ticket_id=body["resource"]["id"],
                                status="ClosedAttendant")


def test_close_ticket_finalizes(rsps, client):
    body = {"id": "c1", "to": "postmaster@desk.msging.net", "method": "set",
            "uri": "/tickets/t-1/close", "type": "application/vnd.iris.ticket+json",
            "resource": {"closedBy": "agente%40rm.com.br@blip.ai", "tags": ["Resolvido"]}}
    expect(rsps, "/commands", body, response=success(body))
    client.close_ticket(id="c1", ticket_id="t-1", closed_by="agente%40rm.com.br@blip.ai",
                        tags=["Resolvido"])


def test_get_ticket_uses_singular_uri(rsps, client):
    body = {"id": "g1", "to": "postmaster@desk.msging.net", "method": "get", "uri": "/ticket/t-1"}
    ticket = load("ticket_document.json")
    expect(rsps, "/commands", body, response=success(
        body, type="application/vnd.iris.ticket+json", resource=ticket))
    assert client.get_ticket(id="g1", ticket_id="t-1") == ticket


def test_list_open_tickets_sends_the_encoded_filter_and_tolerates_missing_total(rsps, client):
    uri = ("/tickets?$filter=(status%20eq%20'open'%20or%20status%20eq%20'waiting')%20and%20"
           f"(CustomerIdentity%20eq%20'{CUSTOMER}')&$skip=0&$take=100")
    body = {"id": "l1", "to": "postmaster@desk.msging.net", "method": "get", "uri": uri}
    ticket = load("ticket_status_open.json")["content"]
    expect(rsps, "/commands", body, response=success(
        body, type="application/vnd.lime.collection+json",
        resource={"itemType": "application/vnd.iris.ticket+json", "items": [ticket]}))
    assert client.list_open_tickets(id="l1", customer_identity=CUSTOMER) == [ticket]


def test_list_teams(rsps, client):
    body = {"id": "t1", "to": "postmaster@desk.msging.net", "method": "get", "uri": "/teams"}
    teams = [{"name": "Default", "agentsOnline": 2}]
    expect(rsps, "/commands", body, response=success(body, resource={"total": 1, "items": teams}))
    assert client.list_teams(id="t1") == teams


# --- contacts, WhatsApp, analytics -----------------------------------------------------------

def test_merge_contact(rsps, client):
    body = load("command_merge_contact.json")
    expect(rsps, "/commands", body, response=load("command_response_success.json"))
    client.merge_contact(id=body["id"], identity=CUSTOMER, name="Marcos Tavares",
                         extras=body["resource"]["extras"])


def test_merge_contact_rejects_non_string_extras(client):
    with pytest.raises(ValueError):
        client.merge_contact(identity=CUSTOMER, extras={"codigoCliente": 4512})


def test_get_contact(rsps, client):
    body = {"id": "gc", "to": "postmaster@crm.msging.net", "method": "get",
            "uri": f"/contacts/{CUSTOMER}"}
    contact = load("contact_document.json")
    expect(rsps, "/commands", body, response=success(body, resource=contact))
    assert client.get_contact(id="gc", identity=CUSTOMER) == contact


def test_add_and_list_comments(rsps, client):
    body, response = load("command_add_comment.json"), load("command_response_add_comment.json")
    expect(rsps, "/commands", body, response=response)
    assert client.add_comment(id=body["id"], identity=CUSTOMER,
                              content=body["resource"]["content"]) == response["resource"]
    listing = {"id": "lc", "to": "postmaster@crm.msging.net", "method": "get",
               "uri": f"/contacts/{CUSTOMER}/comments?$take=20"}
    expect(rsps, "/commands", listing,
           response=success(listing, resource={"items": [response["resource"]]}))
    assert client.list_comments(id="lc", identity=CUSTOMER, take=20) == [response["resource"]]


@pytest.mark.parametrize("phone", ["+5511987654321", "5511987654321"])
def test_lookup_whatsapp_account_always_sends_plus(rsps, client, phone):
    body = load("command_whatsapp_account_lookup.json")
    response = load("command_response_whatsapp_account.json")
    expect(rsps, "/commands", body, response=response)
    account = client.lookup_whatsapp_account(id=body["id"], phone=phone)
    assert account["alternativeAccount"] == CUSTOMER


def test_lookup_whatsapp_account_rejects_formatted_numbers(client):
    with pytest.raises(ValueError):
        client.lookup_whatsapp_account(phone="+55 (11) 98765-4321")


def test_track_event(rsps, client):
    body = load("command_event_track.json")
    expect(rsps, "/commands", body, response=success(body))
    client.track_event(id=body["id"], category="decisao-bot",
                       action="transferido-suporte-playout", identity=CUSTOMER,
                       extras=body["resource"]["extras"])
