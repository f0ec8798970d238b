"""IntentAssistant against the started FakeOpenAI over real HTTP."""

import time

import pytest
import requests

from llm import IntentAssistant, LLMAuthError, LLMMalformedAnswer, LLMTimeout, LLMUnavailable
from llm.fake import FakeOpenAI
from tests.llm.conftest import LABELS, TEXT


def test_scripted_answer(fake, fake_assistant):
    fake.answer("comercial", "Quer saber o preço do plano.")
    verdict = fake_assistant.classify(text="Quanto custa?", labels=LABELS)
    assert (verdict.label, verdict.reason) == ("comercial", "Quer saber o preço do plano.")
    assert verdict.model == "gpt-4o-mini"
    assert verdict.prompt_tokens > 0 and verdict.completion_tokens > 0
    assert verdict.latency_ms > 0


def test_records_every_request(fake, fake_assistant):
    fake_assistant.classify(text=TEXT, labels=LABELS)
    (recorded,) = fake.requests
    assert recorded["headers"]["Authorization"] == f"Bearer {fake.api_key}"
    assert recorded["json"]["messages"][1] == {"role": "user", "content": TEXT}
    assert recorded["json"]["response_format"]["json_schema"]["strict"] is True
    assert abs(recorded["received_at"] - time.time()) < 5


@pytest.mark.parametrize("text, label", [
    ("O Gestão Empresarial não abre a nota fiscal", "systemtec"),
    ("Preciso da segunda via do boleto", "financeiro"),
    ("Qual o preço do Studio para duas rádios?", "comercial"),
    ("O Studio parou de tocar as vinhetas", "suporte"),
    ("Bom dia", "unsure"),
])
def test_default_keyword_answers(fake_assistant, text, label):
    verdict = fake_assistant.classify(text=text, labels=LABELS)
    assert verdict.label == label and verdict.reason


def test_keyword_answer_respects_the_requested_labels(fake_assistant):
    assert fake_assistant.classify(text="boleto", labels=["suporte"]).label == "unsure"


@pytest.mark.parametrize("script", [
    lambda fake: fake.answer_raw('{"label": "financeiro"'),
    lambda fake: fake.answer("vendas", "não está na lista"),
    lambda fake: fake.refuse("I can't help with that."),
], ids=["broken-json", "unknown-label", "refusal"])
def test_scripted_malformed_answers(fake, fake_assistant, script):
    script(fake)
    with pytest.raises(LLMMalformedAnswer):
        fake_assistant.classify(text=TEXT, labels=LABELS)


def test_slow_answer_times_out(fake):
    assistant = IntentAssistant(base_url=fake.base_url, api_key=fake.api_key, timeout=0.2)
    fake.delay(0.6)
    started = time.perf_counter()
    with pytest.raises(LLMTimeout):
        assistant.classify(text=TEXT, labels=LABELS)
    assert time.perf_counter() - started < 0.5
    assert assistant.classify(text=TEXT, labels=LABELS).label == "financeiro"  # next one is fast


def test_wrong_key_is_refused(fake):
    assistant = IntentAssistant(base_url=fake.base_url, api_key="sk-wrong")
    with pytest.raises(LLMAuthError) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status == 401 and caught.value.code == "invalid_api_key"
    assert "sk-wrong" not in str(caught.value)
    assert len(fake.requests) == 1  # recorded even when refused


def test_scripted_failures_then_recovery(fake, fake_assistant):
    fake.fail(503, times=2)
    for _ in range(2):
        with pytest.raises(LLMUnavailable) as caught:
            fake_assistant.classify(text=TEXT, labels=LABELS)
        assert caught.value.status == 503
    assert fake_assistant.classify(text=TEXT, labels=LABELS).label == "financeiro"


def test_stopped_server_is_unavailable():
    fake = FakeOpenAI()
    base_url = fake.start()
    fake.stop()
    assistant = IntentAssistant(base_url=base_url, api_key=fake.api_key, timeout=0.5)
    with pytest.raises(LLMUnavailable) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status is None


def test_unknown_route_and_bad_body(fake):
    assert requests.get(f"{fake.base_url}/models", timeout=2).status_code == 404
    response = requests.post(f"{fake.base_url}/chat/completions", data="nope", timeout=2,
                             headers={"Authorization": f"Bearer {fake.api_key}"})
    assert response.status_code == 400 and "error" in response.json()


def test_response_shape_is_like_the_real_api(fake):
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "boleto"}]}
    answer = requests.post(f"{fake.base_url}/chat/completions", json=body, timeout=2,
                           headers={"Authorization": f"Bearer {fake.api_key}"}).json()
    assert answer["object"] == "chat.completion" and answer["id"].startswith("chatcmpl-")
    choice = answer["choices"][0]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant" and choice["message"]["refusal"] is None
    usage = answer["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_stop_is_quick_with_a_delayed_request_pending(fake):
    assistant = IntentAssistant(base_url=fake.base_url, api_key=fake.api_key, timeout=0.1)
    fake.delay(30)
    with pytest.raises(LLMTimeout):
        assistant.classify(text=TEXT, labels=LABELS)
    started = time.perf_counter()
    fake.stop()
    assert time.perf_counter() - started < 1
