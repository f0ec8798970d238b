"""Shared fixtures: an IntentAssistant against a `responses` mock, and a started FakeOpenAI."""

import pytest
import responses

from llm import IntentAssistant
from llm.fake import FakeOpenAI

BASE = "https://llm.example.test/v1"
URL = f"{BASE}/chat/completions"
KEY = "sk-test-0123456789abcdefSECRET"
LABELS = ["systemtec", "comercial", "financeiro", "suporte"]
TEXT = "Bom dia, preciso da segunda via do boleto de março, o meu venceu ontem"


@pytest.fixture
def rsps():
    """Every HTTP call goes to `responses`; an unexpected one fails the test."""
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def assistant():
    return IntentAssistant(base_url=BASE, api_key=KEY, timeout=2.0)


@pytest.fixture
def fake():
    with FakeOpenAI(api_key="sk-fake-test") as server:
        yield server


@pytest.fixture
def fake_assistant(fake):
    return IntentAssistant(base_url=fake.base_url, api_key=fake.api_key, timeout=2.0)
