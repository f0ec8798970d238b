"""Ticket lives driven through the fake Blip: both clocks, closes, transfers, polling, disorder, breaches."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlmodel import select

from app.models import BlipCall, Conversation, Ticket, utcnow
from app.store import session_scope
from tests.app.conftest import copy_playbooks
from tests.app.test_routing import GREEN, SYSTEMTEC_TEXT, route_on
from tests.conftest import wait_until

AGENT = "carla.mendes%40radiomemory.com.br@blip.ai"


@pytest.fixture
def handed_off(service_factory, tmp_path):
    """A service (TPR target 60 s unless overridden) and a green SystemTec conversation handed to Desk."""
    def start(**playbook_options):
        books = copy_playbooks(tmp_path / "tpr-books", **playbook_options)
        service = service_factory(playbooks_dir=str(books))
        decision = route_on(service)(GREEN, SYSTEMTEC_TEXT)
        return service, decision.ticket_id
    return start


def _ticket(service, ticket_id) -> Ticket:
    return service.query(select(Ticket).where(Ticket.id == ticket_id))[0]


def test_bot_clock_and_human_clock_through_take_reply_and_close_by_agent(handed_off):
    service, ticket_id = handed_off()
    service.fake.agent_take(ticket_id, AGENT)
    service.fake.agent_reply(ticket_id, "Olá! Aqui é a Carla, vou verificar o Gestão com você.")
    service.settle()
    ticket = _ticket(service, ticket_id)
    assert (ticket.status, ticket.agent_identity) == ("Open", AGENT)
    assert ticket.assigned_at is not None and ticket.first_response_at is not None
    assert 0 <= ticket.first_response_seconds < 30 and ticket.wait_class == "Excelente"
    [conversation] = service.query(select(Conversation))
    assert ticket.bot_clock_ms == conversation.greeting_latency_ms is not None
    assert ticket.first_response_at > conversation.greeting_sent_at  # the greeting never counts as a reply

    service.fake.agent_close(ticket_id)  # documented redirect + ticket message
    service.settle()
    ticket = _ticket(service, ticket_id)
    assert (ticket.status, ticket.closed_by) == ("ClosedAttendant", "agent") and ticket.closed_at
    assert service.query(select(Conversation.status)) == ["closed"]


def test_close_by_agent_learned_from_the_redirect_alone(handed_off):
    service, ticket_id = handed_off()
    service.fake.emit_ticket_messages = False
    service.fake.agent_close(ticket_id)
    service.settle()
    assert (_ticket(service, ticket_id).status, _ticket(service, ticket_id).closed_by) == ("ClosedAttendant", "agent")


def test_close_by_client(handed_off):
    service, ticket_id = handed_off()
    service.fake.client_close(ticket_id)
    service.settle()
    ticket = _ticket(service, ticket_id)
    assert (ticket.status, ticket.closed_by, ticket.first_response_at) == ("ClosedClient", "client", None)


def test_an_agent_transfer_away_from_the_bots_team_is_an_override(handed_off):
    service, ticket_id = handed_off()
    new = service.fake.agent_transfer(ticket_id, "Suporte")
    service.settle()
    old = _ticket(service, ticket_id)
    assert (old.status, old.bot_team, old.transferred_to, old.override) == (
        "Transferred", "Quero falar com a SystemTec", "Suporte", True)
    child = _ticket(service, new["id"])
    assert (child.team, child.parent_id, child.status) == ("Suporte", ticket_id, "Waiting")


def test_a_missed_status_message_is_recovered_by_polling(handed_off):
    service, ticket_id = handed_off()
    service.fake.emit_ticket_messages = False
    service.fake.emit_close_redirect = False
    service.fake.agent_take(ticket_id, AGENT)
    service.fake.agent_close(ticket_id)  # Blip tells the bot nothing
    service.settle()
    assert _ticket(service, ticket_id).status == "Waiting"
    with session_scope(service.rt.engine) as session:  # the poll interval has passed
        session.execute(update(Ticket).values(last_polled_at=utcnow() - timedelta(hours=1)))
    wait_until(lambda: _ticket(service, ticket_id).status == "ClosedAttendant", timeout=10,
               message="the sweeper's poll to learn the close")
    ticket = _ticket(service, ticket_id)
    assert ticket.closed_by == "agent" and ticket.agent_identity == AGENT
    polls = [r for r in service.fake.commands(method="get") if r.json["uri"] == f"/ticket/{ticket_id}"]
    assert polls


def test_duplicate_and_out_of_order_ticket_events_leave_a_consistent_record(handed_off):
    service, ticket_id = handed_off()
    document = dict(service.fake.tickets[ticket_id])

    def push(status, status_date, **extra):
        content = {**document, "status": status, "statusDate": status_date, **extra}
        envelope = {"id": f"Ticket:{ticket_id}:{status}", "from": f"{ticket_id}@desk.msging.net",
                    "type": "application/vnd.iris.ticket+json", "content": content}
        assert service.post("/blip/messages", envelope).status_code in (200, 202)

    closed = dict(closeDate="2026-12-03T15:00:00.000Z", closedBy=AGENT, agentIdentity=AGENT,
                  firstResponseDate="2026-12-03T14:10:30.000Z")
    push("ClosedAttendant", "2026-12-03T15:00:00.000Z", **closed)
    push("Open", "2026-12-03T14:10:00.000Z", agentIdentity=AGENT, openDate="2026-12-03T14:10:00.000Z")
    push("Waiting", "2026-12-03T14:00:00.000Z")
    push("ClosedAttendant", "2026-12-03T15:00:00.000Z", **closed)  # a duplicate
    service.settle()
    ticket = _ticket(service, ticket_id)
    assert (ticket.status, ticket.closed_by, ticket.agent_identity) == ("ClosedAttendant", "agent", AGENT)
    assert ticket.assigned_at.isoformat().startswith("2026-12-03T14:10:00")
    assert ticket.first_response_at.isoformat().startswith("2026-12-03T14:10:30")


def test_a_ticket_left_waiting_gets_exactly_one_breach_action(handed_off):
    service, ticket_id = handed_off(target_seconds=1)
    wait_until(lambda: _ticket(service, ticket_id).breached_at, timeout=10, message="the breach")
    service.settle()
    wait_until(lambda: service.query(select(BlipCall).where(BlipCall.purpose == "tpr", BlipCall.status == "ok")),
               timeout=5, message="the breach actions")
    time.sleep(1.0)  # several more sweeper ticks: still one action each
    calls = service.query(select(BlipCall).where(BlipCall.purpose == "tpr"))
    assert sorted(c.operation for c in calls) == ["change_tags", "send_message"]
    assert "tpr:estourado" in service.fake.tickets[ticket_id]["tags"]
    holding = [m for m in service.fake.messages() if m.json.get("id") in {c.params.get("id") for c in calls}]
    assert len(holding) == 1 and "alta demanda" in holding[0].json["content"]


def test_no_breach_when_an_agent_replied_in_time(handed_off):
    service, ticket_id = handed_off(target_seconds=2)
    service.fake.agent_reply(ticket_id, "Oi! Já estou vendo.")
    service.settle()
    time.sleep(2.5)
    assert _ticket(service, ticket_id).breached_at is None
    assert service.query(select(BlipCall).where(BlipCall.purpose == "tpr")) == []
