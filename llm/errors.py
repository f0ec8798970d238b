"""Exceptions raised by the intent assistant.

    LLMError                  status (HTTP status or None); also raised as is for other
    │                         unexpected statuses (400 bad request, 404 unknown model …)
    ├── LLMTimeout            connect or read timeout (no retry: the caller has a time budget)
    ├── LLMUnavailable        no response (connection refused/reset, DNS), HTTP 429 or 5xx
    ├── LLMAuthError          HTTP 401/403: the API key is missing, wrong or not allowed
    └── LLMMalformedAnswer    HTTP 200 but no usable answer: refusal, no content, invalid JSON,
                              a label outside the enum

``str(error)`` never contains the API key, the customer text or the model's content: errors are
built from fixed phrases, the HTTP status and the API's short snake_case error code
(``invalid_api_key``), never from the API's error message.
"""

import re

_CODE = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # snake_case, like "rate_limit_exceeded"


class LLMError(Exception):
    """Base class: the classification call failed; carries context, never secrets."""

    def __init__(self, detail: str, *, status: int | None = None, code: str | None = None):
        self.detail = detail
        self.status = status
        # only identifier-like codes pass: API error *messages* may echo (part of) the key
        self.code = code if isinstance(code, str) and _CODE.match(code) else None
        super().__init__(str(self))

    def __str__(self):
        text = self.detail
        if self.status is not None:
            text += f" (HTTP {self.status})"
        if self.code is not None:
            text += f" [{self.code}]"
        return text


class LLMTimeout(LLMError):
    """No response within the timeout."""


class LLMUnavailable(LLMError):
    """The API could not be reached, is overloaded (5xx) or rate limited us (429)."""


class LLMAuthError(LLMError):
    """HTTP 401/403: the API key was refused."""


class LLMMalformedAnswer(LLMError):
    """The API answered 200 but without a valid label (refusal, bad JSON, unknown label)."""


def error_for_status(status: int, *, code: str | None = None) -> LLMError:
    """Map a non-2xx HTTP status to the matching LLMError subclass."""
    if status in (401, 403):
        return LLMAuthError("the API key was refused", status=status, code=code)
    if status == 429:
        return LLMUnavailable("rate limited", status=status, code=code)
    if 500 <= status <= 599:
        return LLMUnavailable("server error", status=status, code=code)
    return LLMError("unexpected HTTP status", status=status, code=code)
