"""`render_metrics`: Prometheus text computed from rows inserted in the store, checked line by line and parsed."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.metrics import RequestCounter, render_metrics
from app.models import (BlipCall, Contact, Conversation, DeadLetter, InboxEvent, RoutingDecision, Ticket)
from app.store import make_engine, session_scope

NOW = datetime(2026, 12, 2, 15, 0, tzinfo=timezone.utc)
CONTACT = "5511999990000@wa.gw.msging.net"
QUOTED_TEAM = 'Equipe "VIP" \\ Norte'  # a quote and a backslash: both must be escaped
QUOTED_TEAM_ESCAPED = 'Equipe \\"VIP\\" \\\\ Norte'


@pytest.fixture
def engine(database_url):
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


def insert_rows(engine) -> None:
    """Known rows for every family: greetings, tickets, decisions, Blip calls, events, dead letters."""
    with session_scope(engine) as session:
        session.add(Contact(identity=CONTACT))
        session.flush()
        conversations = []
        for latency_ms in (80, 250, 900, 12000, None):  # None: greeting not sent yet, not observed
            conversation = Conversation(contact_identity=CONTACT, status="closed", started_at=NOW, last_message_at=NOW,
                                        first_message_received_at=NOW, greeting_latency_ms=latency_ms)
            session.add(conversation)
            conversations.append(conversation)
        session.flush()
        for conversation, (intent, team, mode) in zip(conversations, [("suporte", "Suporte", "auto")] * 2 + [
                ("comercial", "Transferir para o comercial", "suggest")]):
            session.add(RoutingDecision(conversation_id=conversation.id, playbooks_version="v1", traffic_light="verde",
                                        traffic_light_reason="ok", intent=intent, confidence=0.9, evidence={},
                                        team=team, mode=mode, tags=[], agent_note="", decided_at=NOW, decide_ms=1.0))
        tickets = [  # (team, bot_team, first_response_seconds, breached, override, closed)
            ("Suporte", "Suporte", 30, False, False, True), ("Suporte", "Suporte", 45, False, False, False),
            ("Suporte", "Suporte", 90, True, False, True), ("Suporte", "Suporte", 400, True, False, True),
            ("Suporte", "Suporte", 2000, True, False, True), ("Suporte", "Suporte", None, True, False, False),
            ("Transferir para o comercial", "Suporte", 20, False, True, False),
            (QUOTED_TEAM, "Suporte", 61, True, True, False),
        ]
        for number, (team, bot_team, seconds, breached, override, closed) in enumerate(tickets):
            session.add(Ticket(id=f"t{number}", customer_identity=CONTACT, team=team, bot_team=bot_team, status="Open",
                               first_response_seconds=seconds, override=override,
                               breached_at=NOW if breached else None, closed_at=NOW if closed else None))
        # The bot's hand-over ticket: transferred, never closed (closed_at stays empty), not open.
        session.add(Ticket(id="handed-over", customer_identity=CONTACT, team="Default", bot_team="Suporte",
                           status="Transferred", transferred_to="Suporte"))
        for number, (purpose, status, http_status) in enumerate([
                ("greeting", "ok", 202), ("greeting", "ok", 202), ("handoff", "dead", 500), ("handoff", "dead", 500),
                ("ticket", "dead", None)]):
            session.add(BlipCall(key=f"call-{number}", purpose=purpose, operation="send_message", params={},
                                 status=status, http_status=http_status))
        for number, (kind, event_type, status) in enumerate([
                ("message", "text/plain", "done"), ("message", "text/plain", "done"),
                ("notification", "failed", "dead")]):
            session.add(InboxEvent(dedup_key=f"event-{number}", kind=kind, event_type=event_type, envelope={},
                                   received_at=NOW, status=status, due_at=NOW + timedelta(seconds=1)))
        session.add(DeadLetter(source="event", ref_id=3, summary="failed notification", error="boom"))


def test_counters_histograms_and_gauges_from_the_store(engine):
    insert_rows(engine)
    requests = RequestCounter()
    for status in (202, 202, 401, 413):
        requests.count("/blip/messages", status)
    text = render_metrics(engine, requests)
    lines = set(text.splitlines())

    assert {
        'blip_webhook_events_total{kind="message",type="text/plain",status="done"} 2',
        'blip_webhook_events_total{kind="notification",type="failed",status="dead"} 1',
        'blip_calls_total{purpose="greeting",status="ok"} 2',
        'blip_calls_total{purpose="handoff",status="dead"} 2',
        'dead_letters_total{source="event",status="open"} 1',
        'blip_call_errors_total{purpose="handoff",http_status="500"} 2',
        'blip_call_errors_total{purpose="ticket",http_status=""} 1',
        'routing_decisions_total{intent="suporte",team="Suporte",mode="auto"} 2',
        'routing_decisions_total{intent="comercial",team="Transferir para o comercial",mode="suggest"} 1',
        'tpr_breaches_total{team="Suporte"} 4',
        'ticket_overrides_total{bot_team="Suporte",team="Transferir para o comercial"} 1',
        'tickets_open{team="Suporte"} 2',
        'tickets_open{team="Transferir para o comercial"} 1',
        f'tickets_open{{team="{QUOTED_TEAM_ESCAPED}"}} 1',
        'webhook_requests_total{endpoint="/blip/messages",status="202"} 2',
        'webhook_requests_total{endpoint="/blip/messages",status="413"} 1',
        '# TYPE greeting_latency_seconds histogram',
        '# TYPE tickets_open gauge',
    } <= lines

    # 80, 250, 900, 12000 ms: cumulative, and a bound is inclusive (250 ms counts in le="0.25").
    greeting = [f'greeting_latency_seconds_bucket{{le="{le}"}} {n}' for le, n in [
        ("0.1", "1"), ("0.25", "2"), ("0.5", "2"), ("1.0", "3"), ("2.5", "3"), ("5.0", "3"),
        ("10.0", "3"), ("+Inf", "4")]]
    assert set(greeting) <= lines
    assert {"greeting_latency_seconds_count 4", "greeting_latency_seconds_sum 13.23"} <= lines

    # Suporte answered 30, 45, 90, 400, 2000 s (one still waiting is not observed).
    suporte = [f'human_first_response_seconds_bucket{{team="Suporte",le="{le}"}} {n}' for le, n in [
        ("15.0", "0"), ("30.0", "1"), ("60.0", "2"), ("120.0", "3"), ("300.0", "3"), ("600.0", "4"),
        ("1200.0", "4"), ("1800.0", "4"), ("+Inf", "5")]]
    assert set(suporte) <= lines
    assert {'human_first_response_seconds_count{team="Suporte"} 5',
            'human_first_response_seconds_sum{team="Suporte"} 2565.0'} <= lines


def test_label_values_are_escaped_and_the_text_parses(engine):
    insert_rows(engine)
    requests = RequestCounter()
    requests.count('/odd\n"path"', 404)  # newline and quotes in a label value
    text = render_metrics(engine, requests)
    assert 'webhook_requests_total{endpoint="/odd\\n\\"path\\"",status="404"} 1' in text.splitlines()
    escaped = f'team="{QUOTED_TEAM_ESCAPED}"'
    assert f"tpr_breaches_total{{{escaped}}} 1" in text.splitlines()
    assert f'human_first_response_seconds_bucket{{{escaped},le="120.0"}} 1' in text.splitlines()

    families = {family.name: family for family in text_string_to_metric_families(text)}
    assert {"blip_webhook_events", "blip_calls", "dead_letters", "greeting_latency_seconds",
            "human_first_response_seconds", "tpr_breaches", "routing_decisions", "ticket_overrides",
            "blip_call_errors", "tickets_open", "webhook_requests"} == set(families)
    assert families["greeting_latency_seconds"].type == "histogram"
    assert families["tickets_open"].type == "gauge"
    breaches = {s.labels["team"]: s.value for s in families["tpr_breaches"].samples}
    assert breaches == {"Suporte": 4, QUOTED_TEAM: 1}
    assert families["webhook_requests"].samples[0].labels["endpoint"] == '/odd\n"path"'
    open_tickets = {s.labels["team"]: s.value for s in families["tickets_open"].samples}
    assert open_tickets == {"Suporte": 2, "Transferir para o comercial": 1, QUOTED_TEAM: 1}  # not "Default"


def test_an_empty_store_still_renders_valid_text(engine):
    text = render_metrics(engine)
    assert 'greeting_latency_seconds_bucket{le="+Inf"} 0' in text.splitlines()
    assert "greeting_latency_seconds_sum 0.0" in text.splitlines()
    assert "webhook_requests" not in text  # no counter given: the per-process family is left out
    assert {family.name for family in text_string_to_metric_families(text)} >= {"blip_calls", "tickets_open"}


def test_request_counter_is_thread_safe():
    counter = RequestCounter()
    threads = [threading.Thread(target=lambda: [counter.count("/blip/notifications", 202) for _ in range(2000)])
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert counter.snapshot() == {("/blip/notifications", "202"): 16000}
