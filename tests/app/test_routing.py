"""Routing through Blip Desk against the fake Blip: notice first, one ticket, tags, comment, decision stored."""
from __future__ import annotations

import io
import json
import time
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from app.customers import import_csv
from app.models import Conversation, DeadLetter, RoutingDecision, Ticket
from app.store import session_scope
from tests.app.conftest import copy_playbooks

ROOT = Path(__file__).resolve().parents[2]
CSV = ("adm,name,cnpj,phones,contract_active,support_active,financial_pending\n"
       "1001,Rádio Vale do Sol FM,,5511987654321,true,true,false\n"
       "1003,Rádio Litoral 104,,5548999990000,true,true,true\n"
       "1004,Web Rádio Serra Azul,,5554991112222,false,false,false\n")
GREEN, RED, YELLOW = "5511987654321@wa.gw.msging.net", "5548999990000@wa.gw.msging.net", "5554991112222@wa.gw.msging.net"
UNKNOWN = "5521900001111@wa.gw.msging.net"
SYSTEMTEC_TEXT = "O Gestão Empresarial dá erro quando emito a nota fiscal do anunciante"
STUDIO_TEXT = "O Studio parou de tocar as músicas da playlist, a rádio está muda"


def route_on(service):
    """A function that sends one customer message to `service` and returns its routing decision."""
    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV))

    def send(sender: str, text: str, id_: str | None = None):
        body = {"id": id_ or f"{sender[:13]}-{time.monotonic_ns()}", "from": sender, "type": "text/plain",
                "content": text}
        assert service.post("/blip/messages", body).status_code == 202
        service.settle()
        return service.query(select(RoutingDecision).order_by(RoutingDecision.id.desc()))[0]

    return send


@pytest.fixture
def routed(service):
    """Send one customer message to the default test service and wait until it is fully handled."""
    return route_on(service)


def _order(fake, identity):
    """What the fake received about one customer, in order: notice/greeting, ticket commands, tags, comment."""
    steps = []
    for request in fake.requests:
        body = request.json or {}
        if request.path == "/messages" and body.get("to") == identity:
            steps.append(("message", body["content"]))
        elif request.path == "/commands" and request.status == 200:
            uri = body.get("uri", "")
            if uri.startswith("/tickets/") or uri == "/tickets" or uri.startswith("/contacts/") and "comments" in uri:
                steps.append((body["method"], uri.split("?")[0]))
    return steps


def test_green_systemtec_is_told_then_transferred_with_tags_and_comment(service, routed):
    decision = routed(GREEN, SYSTEMTEC_TEXT)
    assert (decision.traffic_light, decision.intent, decision.mode) == ("verde", "systemtec", "auto")
    assert decision.team == "Quero falar com a SystemTec" and decision.handoff_status == "done"
    assert decision.evidence["keywords"] and decision.confidence >= 0.5
    steps = _order(service.fake, GREEN)
    notice_at = next(i for i, s in enumerate(steps) if s[0] == "message" and "SystemTec" in s[1])
    create_at = steps.index(("set", f"/tickets/{GREEN}"))
    assert notice_at < create_at  # the customer hears it before the transfer
    ticket = service.fake.tickets[decision.ticket_id]
    assert ticket["team"] == "Quero falar com a SystemTec" and ticket["status"] == "Waiting"
    assert {"semaforo:verde", "intencao:systemtec"} <= set(ticket["tags"])
    [comment] = service.fake.comments[GREEN]
    assert "Semáforo verde" in comment["content"] and "systemtec" in comment["content"]
    tickets = service.query(select(Ticket).order_by(Ticket.created_at))
    assert [(t.team, t.status) for t in tickets] == [("Default", "Transferred"),
                                                   ("Quero falar com a SystemTec", "Waiting")]
    assert tickets[1].parent_id == tickets[0].id


def test_red_customer_goes_to_finance_whatever_they_ask(service, routed):
    decision = routed(RED, STUDIO_TEXT)
    assert (decision.traffic_light, decision.intent) == ("vermelho", "suporte")
    assert (decision.team, decision.mode) == ("Transferir para o financeiro", "auto")
    assert decision.notice and "financeiro" in decision.notice
    assert service.sent("handoff")[0].json["content"] == decision.notice
    ticket = service.fake.tickets[decision.ticket_id]
    assert ticket["team"] == "Transferir para o financeiro"
    assert "semaforo:vermelho" in ticket["tags"]


def test_yellow_customer_stays_in_support_with_the_inactive_note_and_no_notice(service, routed):
    decision = routed(YELLOW, STUDIO_TEXT)
    assert (decision.traffic_light, decision.team, decision.notice) == ("amarelo", "Suporte", None)
    assert "confirme no grupo de suporte" in decision.agent_note
    assert service.sent("handoff") == []  # nothing told to the customer: no transfer elsewhere
    ticket = service.fake.tickets[decision.ticket_id]
    assert ticket["team"] == "Suporte" and "cadastro:inativo" in ticket["tags"]
    assert "confirme no grupo de suporte" in service.fake.comments[YELLOW][0]["content"]


def test_suggest_mode_opens_in_support_tags_the_suggestion_and_never_notifies(service, routed):
    decision = routed(UNKNOWN, SYSTEMTEC_TEXT)
    assert (decision.traffic_light, decision.mode) == ("desconhecido", "suggest")
    assert (decision.team, decision.suggested_team) == ("Suporte", "Quero falar com a SystemTec")
    assert service.sent("handoff") == []
    ticket = service.fake.tickets[decision.ticket_id]
    assert ticket["team"] == "Suporte" and "sugestao:systemtec" in ticket["tags"]
    assert "Quero falar com a SystemTec" in service.fake.comments[UNKNOWN][0]["content"]


def test_a_failed_lookup_uses_the_playbook_fallback(service, routed):
    service.fake.fail("/commands", status=500, times=10, uri_contains="/contacts/")
    decision = routed(UNKNOWN, "Quero contratar o site para a rádio, qual o preço?")
    assert decision.traffic_light == "falha_consulta"
    assert decision.handoff_status in ("done", "failed")  # the comment (CRM) may be down too
    assert decision.intent == "comercial" and decision.team == "Transferir para o comercial"


def test_a_lost_transfer_response_never_creates_a_second_ticket(service_factory):
    service = service_factory(blip_timeout_seconds=0.5)
    service.fake.fail("/commands", delay=1.0, times=1, uri_contains="/transfer")  # done by Blip, answer lost
    decision = route_on(service)(GREEN, SYSTEMTEC_TEXT)
    assert decision.handoff_status == "failed"
    [letter] = service.query(select(DeadLetter))
    result = service.app.test_cli_runner().invoke(args=["dead-letters", "retry", str(letter.id)])
    assert result.exit_code == 0, result.output
    customer_tickets = [t for t in service.fake.tickets.values() if t["customerIdentity"] == GREEN]
    assert sorted(t["status"] for t in customer_tickets) == ["Transferred", "Waiting"]  # one transfer only
    [final] = service.query(select(RoutingDecision))
    assert final.handoff_status == "done"
    assert service.fake.tickets[final.ticket_id]["team"] == "Quero falar com a SystemTec"
    assert "intencao:systemtec" in service.fake.tickets[final.ticket_id]["tags"]


def test_later_messages_go_to_the_agent_not_to_a_new_ticket(service, routed):
    first = routed(GREEN, SYSTEMTEC_TEXT)
    routed(GREEN, "Segue o print do erro", id_="later-1")
    relayed = service.sent("relay")
    assert [m.json["to"] for m in relayed] == ["5511987654321%40wa.gw.msging.net@desk.msging.net"]
    assert relayed[0].json["content"] == "Segue o print do erro"
    assert len(service.query(select(RoutingDecision))) == 1
    assert len([t for t in service.fake.tickets.values() if t["customerIdentity"] == GREEN]) == 2  # 1 + transfer
    assert first.ticket_id


def _copy_playbooks(tmp_path) -> Path:
    return copy_playbooks(tmp_path / "edited-playbooks")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    time.sleep(1.1)  # the store re-checks the files at most once a second


def test_a_broken_edit_keeps_the_last_good_playbooks_and_a_fix_is_picked_up_live(service_factory, tmp_path):
    books = _copy_playbooks(tmp_path)
    service = service_factory(playbooks_dir=str(books))
    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV))
    _edit(books / "systemtec.yaml", "mode: auto", "mode: automatico")

    ready = requests.get(service.url + "/readyz", timeout=5)
    assert ready.status_code == 503
    problem = ready.json()["problems"]["playbooks"]
    assert "systemtec.yaml:" in problem and "mode" in problem
    body = {"id": "b1", "from": GREEN, "type": "text/plain", "content": SYSTEMTEC_TEXT}
    assert service.post("/blip/messages", body).status_code == 202
    service.settle()
    [decision] = service.query(select(RoutingDecision))
    assert decision.team == "Quero falar com a SystemTec"  # still routed, with the last good set

    _edit(books / "systemtec.yaml", "mode: automatico", "mode: suggest")
    assert requests.get(service.url + "/readyz", timeout=5).status_code == 200
    other = {"id": "b2", "from": UNKNOWN.replace("1111", "2222"), "type": "text/plain", "content": SYSTEMTEC_TEXT}
    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV + "1009,Rádio Nove,,5521900002222,true,true,false\n"))
    assert service.post("/blip/messages", other).status_code == 202
    service.settle()
    newest = service.query(select(RoutingDecision).order_by(RoutingDecision.id.desc()))[0]
    assert (newest.mode, newest.team, newest.suggested_team) == ("suggest", "Suporte", "Quero falar com a SystemTec")
    assert newest.playbooks_version != decision.playbooks_version


def test_playbooks_check_and_route_commands(service_factory, tmp_path):
    books = _copy_playbooks(tmp_path)
    service = service_factory(playbooks_dir=str(books))
    runner = service.app.test_cli_runner()
    ok = runner.invoke(args=["playbooks", "check"])
    assert ok.exit_code == 0 and ok.output.startswith("ok: ")

    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV))
    result = runner.invoke(args=["route", "o studio travou", "--adm", "1003"])
    assert result.exit_code == 0, result.output
    decision = json.loads(result.output[result.output.index("{"):])
    assert {"traffic_light", "intent", "confidence", "evidence", "team", "mode", "tags", "notice"} <= set(decision)
    assert (decision["traffic_light"], decision["team"]) == ("vermelho", "Transferir para o financeiro")
    missing = runner.invoke(args=["route", "oi", "--adm", "9999"])
    assert missing.exit_code != 0 and "no customer with ADM 9999" in missing.output

    evaluated = runner.invoke(args=["route", "--eval", str(ROOT / "tests/fixtures/intents-dev.jsonl"), "--json"])
    report = json.loads(evaluated.output[evaluated.output.index("{"):])
    assert {"accuracy", "abstain_rate", "per_label", "confusion", "predictions"} <= set(report)
    assert len(report["predictions"]) == 120 and report["accuracy"] >= 0.8

    _edit(books / "comercial.yaml", "team:", "teem:")
    broken = runner.invoke(args=["playbooks", "check"])
    assert broken.exit_code == 1
    assert "comercial.yaml:" in broken.output and "teem" in broken.output


def _burst(service, sender, texts, gap):
    started = time.monotonic()
    for number, text in enumerate(texts):
        body = {"id": f"burst-{number}-{time.monotonic_ns()}", "from": sender, "type": "text/plain", "content": text}
        assert service.post("/blip/messages", body).status_code == 202
        time.sleep(gap)
    return started


def test_a_whatsapp_burst_is_greeted_at_once_and_routed_as_a_whole(service_factory, tmp_path):
    service = service_factory(playbooks_dir=str(copy_playbooks(tmp_path / "burst", quiet=0.6, max_wait=5)))
    with session_scope(service.rt.engine) as session:
        import_csv(session, io.StringIO(CSV))
    _burst(service, GREEN, ["oi", "bom dia", SYSTEMTEC_TEXT], gap=0.25)
    greeting = service.fake.wait_for(lambda f: service.sent("greeting"), timeout=5)[0]
    assert service.query(select(RoutingDecision)) == []  # greeted, but still listening
    service.settle()
    [decision] = service.query(select(RoutingDecision))
    assert decision.text == "oi\nbom dia\n" + SYSTEMTEC_TEXT
    assert (decision.intent, decision.team) == ("systemtec", "Quero falar com a SystemTec")
    [conversation] = service.query(select(Conversation))
    assert (decision.decided_at - conversation.last_message_at).total_seconds() >= 0.55  # the quiet period
    assert greeting.received_at < service.fake.commands(uri_contains=f"/tickets/{GREEN}")[0].received_at
    assert len(service.sent("greeting")) == 1


def test_a_bare_hello_waits_for_the_request_up_to_the_maximum(service_factory, tmp_path):
    service = service_factory(playbooks_dir=str(copy_playbooks(tmp_path / "hello", quiet=0.3, max_wait=2.0)))
    _burst(service, UNKNOWN, ["oi"], gap=0)
    time.sleep(1.0)  # well past the quiet period: "oi" alone says nothing, so no decision yet
    assert service.query(select(RoutingDecision)) == []
    _burst(service, UNKNOWN, ["vocês vendem automação para rádio? quanto custa?"], gap=0)
    service.settle()
    [decision] = service.query(select(RoutingDecision))
    assert decision.intent == "comercial"


def test_a_customer_who_keeps_writing_is_routed_at_the_maximum_wait(service_factory, tmp_path):
    service = service_factory(playbooks_dir=str(copy_playbooks(tmp_path / "long", quiet=0.5, max_wait=1.5)))
    _burst(service, UNKNOWN, ["o studio travou"] + ["e agora não abre mais"] * 7, gap=0.3)
    service.settle()
    [decision] = service.query(select(RoutingDecision))
    [conversation] = service.query(select(Conversation))
    waited = (decision.decided_at - conversation.first_message_received_at).total_seconds()
    assert 1.5 <= waited < 2.5  # bounded by max_wait; the quiet after the last message would be >= 2.6 s
    assert decision.text.startswith("o studio travou")
