"""BlipClient failures at the wire: error mapping, retries, backoff, and what errors may show."""

import json
import logging

import pytest
import requests

from blip_client import (BlipAuthError, BlipBadRequest, BlipCommandFailure, BlipError,
                         BlipHTTPError, BlipNotFound, BlipRateLimited, BlipServerError,
                         BlipTimeout, BlipTransportError)
from blip_client import BlipClient
from tests.blip_client.conftest import BASE, CUSTOMER, KEY, PHONE, expect, load


def sent_ids(rsps):
    return [json.loads(call.request.body)["id"] for call in rsps.calls]


def test_command_failure_carries_the_reason(rsps, client):
    body = load("command_merge_contact.json")
    failure = {"id": body["id"], "method": "merge", "status": "failure",
               "reason": {"code": 64, "description": "Invalid argument"}}
    expect(rsps, "/commands", body, response=failure)
    with pytest.raises(BlipCommandFailure) as caught:
        client.merge_contact(id=body["id"], identity=CUSTOMER, name="Marcos Tavares",
                             extras=body["resource"]["extras"])
    error = caught.value
    assert not isinstance(error, BlipNotFound)
    assert (error.status, error.reason_code, error.reason_description) == (200, 64, "Invalid argument")
    assert error.operation == "merge /contacts" and not error.retryable
    assert len(rsps.calls) == 1


def test_reason_67_is_not_found(rsps, client):
    response = load("command_response_failure.json")
    rsps.post(f"{BASE}/commands", json=response)
    with pytest.raises(BlipNotFound) as caught:
        client.get_ticket(id=response["id"], ticket_id="3f6b2a10")
    assert caught.value.reason_code == 67
    assert caught.value.operation == "get /ticket/{id}"


def test_retries_a_500_with_the_same_envelope_id(rsps, client, sleeps):
    body = load("outgoing_text_message.json")
    expect(rsps, "/messages", body, status=500)
    expect(rsps, "/messages", body, status=202)
    client.send_message(id=body["id"], to=body["to"], content=body["content"])
    assert sent_ids(rsps) == [body["id"], body["id"]]
    assert len(sleeps) == 1 and 0.01 <= sleeps[0] <= 0.011


def test_retries_commands_with_the_same_id(rsps, client):
    rsps.post(f"{BASE}/commands", status=503)
    rsps.post(f"{BASE}/commands", json={"id": "x", "method": "get", "status": "success"})
    client.list_teams()
    first, second = sent_ids(rsps)
    assert first == second


def test_429_respects_retry_after_seconds(rsps, client, sleeps):
    rsps.post(f"{BASE}/messages", status=429, headers={"Retry-After": "2"})
    rsps.post(f"{BASE}/messages", status=202)
    client.send_message(to=CUSTOMER, content="Olá")
    assert sleeps == [2.0]


def test_retry_after_is_capped(rsps, sleeps):
    client = BlipClient(BASE, KEY, backoff_max=1.0, sleep=sleeps.append)
    rsps.post(f"{BASE}/messages", status=429, headers={"Retry-After": "3600"})
    rsps.post(f"{BASE}/messages", status=202)
    client.send_message(to=CUSTOMER, content="Olá")
    assert sleeps == [4.0]


def test_retries_exhausted_raise_server_error(rsps, sleeps):
    client = BlipClient(BASE, KEY, max_attempts=3, backoff_base=0.01, sleep=sleeps.append)
    rsps.post(f"{BASE}/commands", status=503)
    with pytest.raises(BlipServerError) as caught:
        client.get_contact(identity=CUSTOMER)
    assert caught.value.status == 503 and caught.value.attempts == 3
    assert len(rsps.calls) == 3 and len(sleeps) == 2
    assert sleeps[1] > sleeps[0]  # exponential backoff


def test_rate_limited_after_all_attempts(rsps, sleeps):
    client = BlipClient(BASE, KEY, max_attempts=2, sleep=sleeps.append)
    rsps.post(f"{BASE}/messages", status=429, headers={"Retry-After": "1"})
    with pytest.raises(BlipRateLimited) as caught:
        client.send_message(to=CUSTOMER, content="Olá")
    assert caught.value.retry_after == 1.0 and caught.value.status == 429


def test_timeout_raises_blip_timeout(rsps, client, sleeps):
    rsps.post(f"{BASE}/commands", body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(BlipTimeout) as caught:
        client.list_teams()
    assert caught.value.status is None and caught.value.retryable
    assert len(rsps.calls) == 4 and len(sleeps) == 3


def test_connection_error_raises_transport_error(rsps, client):
    rsps.post(f"{BASE}/messages", body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(BlipTransportError) as caught:
        client.send_message(to=CUSTOMER, content="Olá")
    assert not isinstance(caught.value, BlipTimeout)


@pytest.mark.parametrize("status, error_class", [
    (400, BlipBadRequest), (401, BlipAuthError), (403, BlipAuthError), (404, BlipHTTPError)])
def test_client_errors_are_not_retried(rsps, client, sleeps, status, error_class):
    rsps.post(f"{BASE}/messages", status=status)
    with pytest.raises(error_class) as caught:
        client.send_message(to=CUSTOMER, content="Olá")
    assert caught.value.status == status and not caught.value.retryable
    assert len(rsps.calls) == 1 and sleeps == []


def test_non_json_command_response(rsps, client):
    rsps.post(f"{BASE}/commands", body="<html>gateway</html>", status=200)
    with pytest.raises(BlipHTTPError):
        client.list_teams()


def test_errors_and_retry_logs_hide_key_content_and_phone(rsps, client, caplog):
    caplog.set_level(logging.WARNING, logger="blip_client")
    secret_text = "Segredo do cliente"
    rsps.post(f"{BASE}/messages", status=500)
    rsps.post(f"{BASE}/commands", json={"id": "x", "method": "get", "status": "failure", "reason": {
        "code": 67, "description": f"Contact {CUSTOMER} (+{PHONE}) not found"}})
    rsps.post(f"{BASE}/commands", status=401)
    errors = []
    for call in (lambda: client.send_message(to=CUSTOMER, content=secret_text),
                 lambda: client.command(method="get", uri=f"/contacts/{CUSTOMER}",
                                        to="postmaster@crm.msging.net"),
                 lambda: client.lookup_whatsapp_account(phone=PHONE)):
        with pytest.raises(BlipError) as caught:
            call()
        errors.append(caught.value)
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [caplog.text, repr(client)]
    for text in texts:
        assert PHONE not in text and KEY.split()[1] not in text and secret_text not in text
    assert "5511*****4321@wa.gw.msging.net" in str(errors[1])
    assert "Blip POST /messages failed (attempt 1/4, status 500" in caplog.text


def test_rejects_non_string_template_parameters_and_extras(client):
    with pytest.raises(ValueError):
        client.send_template(to=CUSTOMER, namespace="n", name="t", parameters=["a", 1])
    with pytest.raises(ValueError):
        client.track_event(category="c", action="a", extras={"n": 1})



def test_per_call_max_attempts_disables_retry_for_ticket_creation(rsps, client, sleeps):
    rsps.post(f"{BASE}/commands", status=503)
    with pytest.raises(BlipServerError) as caught:
        client.create_ticket(customer_identity=CUSTOMER, text="Quero um atendente", max_attempts=1)
    assert caught.value.attempts == 1 and len(rsps.calls) == 1 and sleeps == []
