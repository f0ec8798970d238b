"""The optional LLM second opinion, against a local fake OpenAI-compatible server."""
from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import LlmCall, RoutingDecision
from llm.fake import FakeOpenAI
from tests.app.test_routing import GREEN, route_on

VAGUE = "preciso falar com alguém sobre aquele assunto de ontem"  # the offline router cannot tell


@pytest.fixture
def openai():
    fake = FakeOpenAI(api_key="sk-test-key")
    fake.start()
    yield fake
    fake.stop()


def _service(service_factory, openai, **overrides):
    return service_factory(openai_api_key="sk-test-key", openai_base_url=openai.base_url,
                           openai_timeout_seconds=0.5, **overrides)


def test_an_unsure_decision_asks_the_llm_and_follows_a_clear_answer(service_factory, openai):
    openai.answer("comercial", "Cliente quer conversar sobre contratação.")
    service = _service(service_factory, openai)
    decision = route_on(service)(GREEN, VAGUE)
    assert (decision.intent, decision.team) == ("comercial", "Transferir para o comercial")
    assert decision.evidence["llm"]["reason"] == "Cliente quer conversar sobre contratação."
    assert decision.agent_note.endswith("Segunda opinião da IA: comercial — Cliente quer conversar sobre contratação.")
    [request] = openai.requests
    assert request["headers"]["Authorization"] == "Bearer sk-test-key"
    user_messages = [m for m in request["json"]["messages"] if m["role"] == "user"]
    assert [m["content"] for m in user_messages] == [VAGUE]  # only the customer's text, nothing else
    assert "5511987654321" not in str(request["json"]) and "1001" not in str(request["json"])
    assert [(row.outcome, row.label) for row in _llm_rows(service)] == [("ok", "comercial")]


def _llm_rows(service):
    return service.query(select(LlmCall).order_by(LlmCall.id))


def test_a_sure_offline_decision_never_asks_the_llm(service_factory, openai):
    service = _service(service_factory, openai)
    route_on(service)(GREEN, "preciso da segunda via do boleto deste mês")
    assert openai.requests == [] and _llm_rows(service) == []


@pytest.mark.parametrize("script, outcome", [("timeout", "timeout"), ("malformed", "malformed"),
                                             ("error", "unavailable")])
def test_llm_failures_leave_the_offline_decision(service_factory, openai, script, outcome):
    if script == "timeout":
        openai.delay(2.0)
    elif script == "malformed":
        openai.answer_raw("isto não é JSON")
    else:
        openai.fail(503)
    service = _service(service_factory, openai)
    decision = route_on(service)(GREEN, VAGUE)
    assert (decision.intent, decision.team) == ("incerto", "Suporte")
    assert "llm" not in decision.evidence
    assert [(row.outcome, row.label) for row in _llm_rows(service)] == [(outcome, None)]


def test_no_key_means_no_llm(service_factory, openai):
    service = service_factory(openai_base_url=openai.base_url)
    decision = route_on(service)(GREEN, VAGUE)
    assert decision.intent == "incerto" and openai.requests == []
    assert service.rt.llm is None


def test_the_daily_budget_caps_the_questions(service_factory, openai):
    service = _service(service_factory, openai, openai_daily_budget=1)
    send = route_on(service)
    send(GREEN, VAGUE)
    send("5531988887777@wa.gw.msging.net", VAGUE)
    assert len(openai.requests) == 1
    assert [row.outcome for row in _llm_rows(service)] == ["ok", "over_budget"]
    assert len(service.query(select(RoutingDecision))) == 2
