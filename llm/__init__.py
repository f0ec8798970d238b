"""Ask an OpenAI-compatible API for a customer message's intent (the fake server is llm.fake)."""

from llm.client import IntentAssistant, Verdict
from llm.errors import LLMAuthError, LLMError, LLMMalformedAnswer, LLMTimeout, LLMUnavailable

__all__ = ["IntentAssistant", "Verdict", "LLMError", "LLMTimeout", "LLMUnavailable",
           "LLMAuthError", "LLMMalformedAnswer"]
