"""Processing a customer message: greet first, identify, record everything, acknowledge."""
from __future__ import annotations

import io

from sqlmodel import select

from app.customers import import_csv
from app.models import BlipCall, Contact, Conversation, Message
from app.store import session_scope
from tests.conftest import API_KEY

GREEN = "5511987654321@wa.gw.msging.net"
UNKNOWN = "5521900001111@wa.gw.msging.net"
CSV = ("adm,name,cnpj,phones,contract_active,support_active,financial_pending\n"
       "1001,Rádio Vale do Sol FM,,5511987654321,true,true,false\n"
       "1006,Rádio Planalto FM,,556133221100,true,true,false\n")


def _customers(service):
    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV))


def _say(service, id_, sender, text):
    response = service.post("/blip/messages", {"id": id_, "from": sender, "to": "radiomemory@msging.net",
                                               "type": "text/plain", "content": text})
    assert response.status_code == 202


def _conversation(service, identity):
    return service.query(select(Conversation).where(Conversation.contact_identity == identity))


def test_first_message_is_greeted_by_name_and_later_ones_are_not(service):
    _customers(service)
    _say(service, "m1", GREEN, "Bom dia")
    service.settle()
    _say(service, "m2", GREEN, "O Studio não abre")
    service.settle()
    greetings = service.sent("greeting")
    assert len(greetings) == 1
    sent = greetings[0]
    assert sent.headers["Authorization"] == API_KEY
    assert sent.json["to"] == GREEN and sent.json["type"] == "text/plain"
    assert sent.json["content"].startswith("Olá, Rádio Vale do Sol FM!")
    [conversation] = _conversation(service, GREEN)
    assert conversation.greeting_sent_at is not None
    assert conversation.greeting_latency_ms is not None and conversation.greeting_latency_ms >= 0
    assert (conversation.adm, conversation.identification) == ("1001", "phone")


def test_a_contact_not_yet_linked_gets_the_greeting_without_a_name(service):
    _customers(service)
    _say(service, "u1", UNKNOWN, "Oi")
    service.settle()
    [greeting] = service.sent("greeting")
    assert greeting.json["content"].startswith("Olá! Aqui é o atendimento da Radio Memory")
    [conversation] = _conversation(service, UNKNOWN)
    assert (conversation.adm, conversation.identification) == (None, "unknown")
    assert service.query(select(Contact.identified_by).where(Contact.identity == UNKNOWN)) == ["unknown"]


def test_greeting_goes_before_the_slower_customer_lookup(service):
    _customers(service)
    service.fake.fail("/commands", delay=0.5, uri_contains="/contacts/")  # a slow CRM
    _say(service, "m1", GREEN, "Oi")
    service.settle()
    paths = [(r.path, (r.json or {}).get("uri", "")) for r in service.fake.requests]
    greeting_at = next(i for i, (path, _) in enumerate(paths) if path == "/messages")
    lookup_at = next(i for i, (_, uri) in enumerate(paths) if uri.startswith("/contacts/"))
    assert greeting_at < lookup_at


def test_each_processed_message_is_acknowledged_consumed_to_its_sender(service):
    _say(service, "m1", GREEN, "Oi")
    _say(service, "m2", GREEN, "Tudo bem?")
    service.settle()
    consumed = [r.json for r in service.fake.notifications() if r.json["event"] == "consumed"]
    assert sorted(n["id"] for n in consumed) == ["m1", "m2"]
    assert {n["to"] for n in consumed} == {GREEN}


def test_phone_identification_writes_the_adm_back_to_the_blip_contact_extras(service):
    _customers(service)
    service.fake.seed_contact(GREEN, name="Marcos", extras={"emissora": "Vale do Sol"})
    _say(service, "m1", GREEN, "Oi")
    service.settle()
    [merge] = service.fake.commands(method="merge")
    assert merge.json["uri"] == "/contacts"
    assert merge.json["resource"] == {"identity": GREEN,
                                      "extras": {"emissora": "Vale do Sol", "codigoCliente": "1001"}}
    assert service.fake.contacts[GREEN]["extras"]["codigoCliente"] == "1001"
    assert service.query(select(Contact.extras_synced).where(Contact.identity == GREEN)) == [True]


def test_a_contact_is_identified_by_the_adm_kept_in_its_blip_extras(service):
    _customers(service)
    other = "5561999990001@wa.gw.msging.net"
    service.fake.seed_contact(other, name="Ana", extras={"codigoCliente": "1006"})
    _say(service, "x1", other, "Preciso da segunda via do boleto")
    service.settle()
    [conversation] = _conversation(service, other)
    assert (conversation.adm, conversation.identification) == ("1006", "extras")
    assert service.fake.commands(method="merge") == []  # nothing new to write back


def test_a_failed_customer_lookup_is_recorded_not_crashed(service):
    service.fake.fail("/commands", status=500, times=10, uri_contains="/contacts/")
    _say(service, "u1", UNKNOWN, "Oi")
    service.settle()
    [conversation] = _conversation(service, UNKNOWN)
    assert conversation.identification == "lookup_failed"
    assert conversation.greeting_sent_at is not None
    assert [e.status for e in service.events() if e.kind == "message"] == ["done"]


def test_every_message_and_blip_call_is_recorded(service):
    _customers(service)
    _say(service, "m1", GREEN, "Bom dia")
    service.settle()
    service.fake.wait_for(lambda f: len([e for e in service.events() if e.kind == "notification"]) >= 4)
    service.settle()
    messages = service.query(select(Message).order_by(Message.id))
    assert [(m.direction, m.sender, m.blip_id) for m in messages][0] == ("in", "customer", "m1")
    greeting = next(m for m in messages if m.direction == "out")
    assert greeting.sender == "bot"
    assert greeting.delivery_status == "consumed"  # from the notifications the fake pushed back
    calls = service.query(select(BlipCall).order_by(BlipCall.id))
    assert {(c.purpose, c.operation, c.status) for c in calls} >= {
        ("greeting", "send_message", "ok"), ("consumed", "send_notification", "ok"),
        ("identify", "merge_contact", "ok")}
    assert all(c.duration_ms is not None and c.finished_at for c in calls)


def test_a_new_conversation_starts_after_the_idle_period(service, monkeypatch):
    _say(service, "m1", GREEN, "Oi")
    service.settle()
    with session_scope(service.rt.engine) as session:
        conversation = session.exec(select(Conversation)).one()
        conversation.last_message_at = conversation.last_message_at.replace(year=2020)
    _say(service, "m2", GREEN, "Oi de novo")
    service.settle()
    conversations = service.query(select(Conversation).order_by(Conversation.id))
    assert [(c.status, c.close_reason) for c in conversations] == [("closed", "idle"), ("open", None)]
    assert len(service.sent("greeting")) == 2
