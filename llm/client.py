"""IntentAssistant: ask an OpenAI-compatible Chat Completions API for a customer message's intent.

Privacy contract: the caller passes only the customer's message text. Nothing else about the
customer (phone, name, ADM code, history) is sent, and the text is cut to ``max_input_chars``.
One call per ``classify``, no retries: the caller runs it in a background job with a strict
time budget and falls back to the offline router on any ``LLMError``.
"""

import time
from dataclasses import dataclass

import requests
from pydantic import BaseModel, ValidationError

from llm.errors import LLMMalformedAnswer, LLMTimeout, LLMUnavailable, error_for_status
from llm.prompt import UNSURE, request_body

MAX_TOKENS = 100  # label + a 15-word reason fit easily; a longer answer is cut and fails to parse
MAX_REASON_CHARS = 200


@dataclass(frozen=True)
class Verdict:
    """The model's label (one of the labels asked for, or ``unsure``) with its reason and cost."""

    label: str
    reason: str
    model: str
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float


class _Answer(BaseModel):
    """The JSON the model writes in ``message.content``."""

    label: str
    reason: str


class IntentAssistant:
    """Classify one customer message into one of the given labels or ``unsure``."""

    def __init__(self, *, base_url: str = "https://api.openai.com/v1", api_key: str,
                 model: str = "gpt-4o-mini", timeout: float | tuple[float, float] = 8.0,
                 max_input_chars: int = 2000, session: requests.Session | None = None):
        if not api_key or not api_key.strip():
            raise ValueError("api_key is required")
        if max_input_chars < 1:
            raise ValueError("max_input_chars must be at least 1")
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key.strip()}"}
        self.model = model
        self._timeout = timeout
        self._max_input_chars = max_input_chars
        self._session = session or requests.Session()

    def __repr__(self):
        return f"IntentAssistant(url={self._url!r}, model={self.model!r})"

    def classify(self, *, text: str, labels: list[str],
                 descriptions: dict[str, str] | None = None) -> Verdict:
        """Ask the model for one of ``labels`` or ``unsure``; ``text`` is the customer text only."""
        labels = list(labels)
        if not labels or UNSURE in labels or len(set(labels)) != len(labels):
            raise ValueError("labels must be non-empty, unique and must not contain 'unsure'")
        text = text.strip()[: self._max_input_chars]
        if not text:
            raise ValueError("text is empty")
        body = request_body(model=self.model, text=text, labels=labels,
                            descriptions=descriptions, max_tokens=MAX_TOKENS)
        started = time.perf_counter()
        payload = self._post(body)
        latency_ms = (time.perf_counter() - started) * 1000
        answer = _parse_answer(payload, allowed={*labels, UNSURE})
        usage = payload.get("usage") if isinstance(payload.get("usage"), dict) else {}
        model = payload.get("model")
        return Verdict(label=answer.label, reason=_one_line(answer.reason),
                       model=model if isinstance(model, str) and model else self.model,
                       prompt_tokens=_int_or_none(usage.get("prompt_tokens")),
                       completion_tokens=_int_or_none(usage.get("completion_tokens")),
                       latency_ms=round(latency_ms, 1))

    def close(self) -> None:
        """Close the HTTP session (connection pool)."""
        self._session.close()

    def _post(self, body: dict) -> dict:
        """POST once: auth, timeout and error mapping; return the decoded JSON body."""
        # ``from None`` everywhere: chained exceptions could carry the request (key) or the text.
        try:
            response = self._session.post(self._url, json=body, headers=self._headers,
                                          timeout=self._timeout)
        except requests.ConnectTimeout:
            raise LLMTimeout("connect timeout") from None
        except requests.Timeout:
            raise LLMTimeout("read timeout") from None
        except requests.RequestException as exc:
            raise LLMUnavailable(f"no response ({type(exc).__name__})") from None
        if not 200 <= response.status_code <= 299:
            code = _error_code(response)
            if code and code in self._headers["Authorization"]:
                code = None  # a misbehaving server echoing the key in the code field
            raise error_for_status(response.status_code, code=code) from None
        try:
            payload = response.json()
        except ValueError:
            raise LLMMalformedAnswer("response body is not JSON",
                                     status=response.status_code) from None
        if not isinstance(payload, dict):
            raise LLMMalformedAnswer("response body is not a JSON object",
                                     status=response.status_code)
        return payload


def _parse_answer(payload: dict, *, allowed: set[str]) -> _Answer:
    """Extract and validate ``choices[0].message.content``; raise LLMMalformedAnswer."""
    choices = payload.get("choices")
    message = choices[0].get("message") if choices and isinstance(choices[0], dict) else None
    if not isinstance(message, dict):
        raise LLMMalformedAnswer("no message in the response")
    if message.get("refusal"):
        raise LLMMalformedAnswer("the model refused to answer")
    content = message.get("content")
    if not isinstance(content, str) or not content.strip():
        raise LLMMalformedAnswer("the message has no content")
    try:
        answer = _Answer.model_validate_json(content)
    except ValidationError:
        # the validation error quotes the content, which may echo the customer text
        raise LLMMalformedAnswer("content is not the expected JSON") from None
    if answer.label not in allowed:
        raise LLMMalformedAnswer("label outside the allowed labels")
    return answer


def _error_code(response: requests.Response) -> str | None:
    """The API's short error code (``error.code`` or ``error.type``), if the body has one."""
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    return error.get("code") or error.get("type")


def _one_line(reason: str) -> str:
    """Collapse whitespace and cut to MAX_REASON_CHARS."""
    reason = " ".join(reason.split())
    if len(reason) > MAX_REASON_CHARS:
        reason = reason[: MAX_REASON_CHARS - 1].rstrip() + "…"
    return reason


def _int_or_none(value) -> int | None:
    """Token counts are ints; anything else (missing, null, bool) becomes None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None
