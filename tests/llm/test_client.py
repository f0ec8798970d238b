"""IntentAssistant at the wire (`responses`): the exact request, parsing and error mapping."""

import json

import pytest
import requests
from responses import matchers

from llm import (IntentAssistant, LLMAuthError, LLMError, LLMMalformedAnswer, LLMTimeout,
                 LLMUnavailable, Verdict)
from llm.prompt import system_message
from tests.llm.conftest import BASE, KEY, LABELS, TEXT, URL

SCHEMA_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "intent",
        "strict": True,
        "schema": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "enum": [*LABELS, "unsure"]},
                "reason": {"type": "string"},
            },
            "required": ["label", "reason"],
            "additionalProperties": False,
        },
    },
}


def completion(content, *, refusal=None, usage=True, model="gpt-4o-mini-2024-07-18"):
    body = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1767225600, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content, "refusal": refusal}}]}
    if usage:
        body["usage"] = {"prompt_tokens": 212, "completion_tokens": 19, "total_tokens": 231}
    return body


def good(label="financeiro", reason="Pede a segunda via do boleto."):
    return completion(json.dumps({"label": label, "reason": reason}, ensure_ascii=False))


def sent(rsps, index=0):
    return json.loads(rsps.calls[index].request.body)


def test_sends_exactly_the_expected_request(rsps, assistant):
    expected = {"model": "gpt-4o-mini", "temperature": 0, "max_tokens": 100,
                "response_format": SCHEMA_FORMAT,
                "messages": [{"role": "system", "content": system_message(LABELS, None)},
                             {"role": "user", "content": TEXT}]}
    rsps.post(URL, json=good(), match=[
        matchers.header_matcher({"Authorization": f"Bearer {KEY}",
                                 "Content-Type": "application/json"}),
        matchers.json_params_matcher(expected, strict_match=True),
    ])
    assistant.classify(text=TEXT, labels=LABELS)
    assert len(rsps.calls) == 1 and rsps.calls[0].request.url == URL


def test_system_message_lists_labels_descriptions_and_unsure(rsps, assistant):
    rsps.post(URL, json=good())
    assistant.classify(text=TEXT, labels=LABELS, descriptions={"suporte": "coisas do Studio X9"})
    system = sent(rsps)["messages"][0]["content"]
    for label in [*LABELS, "unsure"]:
        assert f"- {label}:" in system
    assert "coisas do Studio X9" in system and "Gestão Empresarial" in system
    assert TEXT not in system


def test_custom_labels_set_the_enum(rsps, assistant):
    rsps.post(URL, json=good(label="a"), match=[matchers.json_params_matcher(
        {"response_format": {**SCHEMA_FORMAT, "json_schema": {**SCHEMA_FORMAT["json_schema"],
         "schema": {**SCHEMA_FORMAT["json_schema"]["schema"], "properties": {
             "label": {"type": "string", "enum": ["a", "b", "unsure"]},
             "reason": {"type": "string"}}}}}}, strict_match=False)])
    assert assistant.classify(text=TEXT, labels=["a", "b"]).label == "a"


def test_user_message_is_cut_to_max_input_chars(rsps):
    assistant = IntentAssistant(base_url=BASE, api_key=KEY, max_input_chars=10)
    rsps.post(URL, json=good())
    assistant.classify(text=f"  {TEXT}  ", labels=LABELS)
    messages = sent(rsps)["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    assert messages[1]["content"] == TEXT[:10]


def test_parses_a_good_answer_with_usage(rsps, assistant):
    rsps.post(URL, json=good())
    verdict = assistant.classify(text=TEXT, labels=LABELS)
    assert isinstance(verdict, Verdict)
    assert (verdict.label, verdict.reason) == ("financeiro", "Pede a segunda via do boleto.")
    assert verdict.model == "gpt-4o-mini-2024-07-18"
    assert (verdict.prompt_tokens, verdict.completion_tokens) == (212, 19)
    assert verdict.latency_ms >= 0
    with pytest.raises(AttributeError):
        verdict.label = "comercial"  # frozen


def test_unsure_is_a_valid_answer_and_usage_is_optional(rsps, assistant):
    rsps.post(URL, json=completion('{"label": "unsure", "reason": "Só um cumprimento."}',
                                   usage=False, model=None))
    verdict = assistant.classify(text="oi", labels=LABELS)
    assert verdict.label == "unsure"
    assert (verdict.prompt_tokens, verdict.completion_tokens) == (None, None)
    assert verdict.model == "gpt-4o-mini"  # the configured model when the API does not say


def test_reason_is_one_line_and_short(rsps, assistant):
    rsps.post(URL, json=good(reason="Linha um.\nLinha   dois. " + "x" * 500))
    reason = assistant.classify(text=TEXT, labels=LABELS).reason
    assert "\n" not in reason and reason.startswith("Linha um. Linha dois. x")
    assert len(reason) <= 200 and reason.endswith("…")


@pytest.mark.parametrize("response", [
    completion("not json at all"),
    completion('{"label": "financeiro"}'),
    completion('{"label": "vendas", "reason": "fora da lista"}'),
    completion('{"label": "financeiro", "reason": "corta'),
    completion(None, refusal="I'm sorry, I can't help with that."),
    completion(None),
    completion(""),
    {"id": "x", "object": "chat.completion", "choices": []},
], ids=["not-json", "missing-reason", "label-outside-enum", "truncated", "refusal",
        "null-content", "empty-content", "no-choices"])
def test_malformed_answers(rsps, assistant, response):
    rsps.post(URL, json=response)
    with pytest.raises(LLMMalformedAnswer):
        assistant.classify(text=TEXT, labels=LABELS)


def test_non_json_body_is_malformed(rsps, assistant):
    rsps.post(URL, body="<html>proxy</html>", status=200)
    with pytest.raises(LLMMalformedAnswer):
        assistant.classify(text=TEXT, labels=LABELS)


@pytest.mark.parametrize("status", [429, 500, 502, 503])
def test_rate_limit_and_server_errors_are_unavailable(rsps, assistant, status):
    rsps.post(URL, status=status, json={"error": {"message": f"Rate limit for {KEY}",
                                                  "type": "requests",
                                                  "code": "rate_limit_exceeded"}})
    with pytest.raises(LLMUnavailable) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status == status
    assert caught.value.code == "rate_limit_exceeded"
    assert len(rsps.calls) == 1  # no retry


@pytest.mark.parametrize("status", [401, 403])
def test_auth_errors(rsps, assistant, status):
    rsps.post(URL, status=status, json={"error": {
        "message": f"Incorrect API key provided: {KEY}.", "type": "invalid_request_error",
        "code": "invalid_api_key"}})
    with pytest.raises(LLMAuthError) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status == status
    assert str(caught.value) == f"the API key was refused (HTTP {status}) [invalid_api_key]"


def test_other_statuses_are_plain_llm_errors(rsps, assistant):
    rsps.post(URL, status=404, body="not found")
    with pytest.raises(LLMError) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert type(caught.value) is LLMError and caught.value.status == 404


def test_read_timeout(rsps, assistant):
    rsps.post(URL, body=requests.exceptions.ReadTimeout(f"read timed out for {TEXT}"))
    with pytest.raises(LLMTimeout) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status is None


def test_connection_error_is_unavailable(rsps, assistant):
    rsps.post(URL, body=requests.exceptions.ConnectionError("refused"))
    with pytest.raises(LLMUnavailable) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.status is None


@pytest.mark.parametrize("kwargs", [
    {"status": 401, "json": {"error": {"message": f"bad key {KEY} for {TEXT}", "code": KEY}}},
    {"status": 500, "json": {"error": {"message": TEXT, "type": TEXT}}},
    {"status": 429, "body": f"{KEY} {TEXT}"},
    {"body": requests.exceptions.ReadTimeout(f"{KEY} {TEXT}")},
    {"body": requests.exceptions.ConnectionError(f"{KEY} {TEXT}")},
    {"json": completion(json.dumps({"label": TEXT, "reason": KEY}))},
    {"json": completion(TEXT)},
    {"json": completion(json.dumps({"label": "financeiro", "reason": ["x"]}) + TEXT)},
    {"json": completion(None, refusal=TEXT)},
])
def test_errors_never_show_the_key_or_the_text(rsps, assistant, kwargs):
    rsps.post(URL, **kwargs)
    with pytest.raises(LLMError) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    error = caught.value
    shown = " ".join([str(error), repr(error), *map(str, error.args)])
    for secret in (KEY, TEXT, TEXT[:30], "SECRET"):
        assert secret not in shown
    # no chained exception may carry the request (headers) or the content along
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


def test_a_code_echoing_a_snake_case_key_is_dropped(rsps):
    key = "gsk_lowercase_key_0123"
    assistant = IntentAssistant(base_url=BASE, api_key=key)
    rsps.post(URL, status=401, json={"error": {"message": "no", "code": key}})
    with pytest.raises(LLMAuthError) as caught:
        assistant.classify(text=TEXT, labels=LABELS)
    assert caught.value.code is None and key not in str(caught.value)


def test_arguments_are_checked_before_any_call(rsps, assistant):
    rsps.assert_all_requests_are_fired = False
    with pytest.raises(ValueError):
        assistant.classify(text="   ", labels=LABELS)
    with pytest.raises(ValueError):
        assistant.classify(text=TEXT, labels=[*LABELS, "unsure"])
    with pytest.raises(ValueError):
        assistant.classify(text=TEXT, labels=[])
    with pytest.raises(ValueError):
        IntentAssistant(api_key=" ")
    assert KEY not in repr(assistant)
    assert not rsps.calls
