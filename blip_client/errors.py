"""Exceptions raised by the Blip client.

    BlipError                    operation, status, reason_code, reason_description, retryable
    ├── BlipTransportError       no HTTP response (connection refused/reset, DNS)
    │   └── BlipTimeout          connect or read timeout
    ├── BlipHTTPError            unexpected HTTP status (blip-api.md §3.6)
    │   ├── BlipBadRequest       400: envelope format or fields are wrong
    │   ├── BlipAuthError        401/403: Authorization missing or wrong
    │   ├── BlipRateLimited      429: ``retry_after`` seconds or None (§8.1)
    │   └── BlipServerError      5xx, including Blip's 504 for commands slower than 60 s
    └── BlipCommandFailure       HTTP 200 but ``status: "failure"`` (§3.5), with the Blip reason
        └── BlipNotFound         reason code 67, COMMAND_RESOURCE_NOT_FOUND (§8.2)

``operation`` is a URI template ("set /tickets/{id}/transfer") or a masked URI. ``str(error)``
never contains the API key, message content or a full customer identity: the operation and
the Blip reason description are passed through ``mask_text`` when the error is built.
"""

from blip_client.identity import mask_text

NOT_FOUND_CODE = 67


class BlipError(Exception):
    """Base class: a Blip call failed; carries context, never secrets."""

    retryable = False

    def __init__(self, detail, *, operation, status=None, reason_code=None,
                 reason_description=None, retryable=None):
        self.detail = detail
        self.operation = mask_text(operation)
        self.status = status
        self.reason_code = reason_code
        self.reason_description = mask_text(reason_description) if reason_description else None
        self.attempts = 1
        if retryable is not None:
            self.retryable = retryable
        super().__init__(str(self))

    def __str__(self):
        text = f"{self.operation}: {self.detail}"
        if self.status is not None:
            text += f" (HTTP {self.status})"
        if self.reason_code is not None:
            text += f" [reason {self.reason_code}: {self.reason_description or 'no description'}]"
        return text


class BlipTransportError(BlipError):
    """No HTTP response was received."""

    retryable = True


class BlipTimeout(BlipTransportError):
    """The connection or the response timed out."""


class BlipHTTPError(BlipError):
    """Blip answered with an unexpected HTTP status."""


class BlipBadRequest(BlipHTTPError):
    """HTTP 400: the envelope is malformed."""


class BlipAuthError(BlipHTTPError):
    """HTTP 401/403: the Authorization key is missing or wrong."""


class BlipRateLimited(BlipHTTPError):
    """HTTP 429: too many envelopes per second."""

    retryable = True

    def __init__(self, detail, *, retry_after=None, **context):
        self.retry_after = retry_after
        super().__init__(detail, **context)


class BlipServerError(BlipHTTPError):
    """HTTP 5xx (504 when a command took longer than Blip's 60 s)."""

    retryable = True


class BlipCommandFailure(BlipError):
    """The command reached Blip but its response has ``status: "failure"``."""


class BlipNotFound(BlipCommandFailure):
    """The command failed with reason 67: the resource does not exist."""


def error_for_status(status, *, operation, retry_after=None):
    """Map a non-2xx HTTP status to the matching BlipHTTPError subclass."""
    detail = f"unexpected HTTP status {status}"
    if status == 400:
        return BlipBadRequest("Blip rejected the envelope", operation=operation, status=status)
    if status in (401, 403):
        return BlipAuthError("Blip refused the Authorization key", operation=operation,
                             status=status)
    if status == 429:
        return BlipRateLimited("rate limited by Blip", operation=operation, status=status,
                               retry_after=retry_after)
    if 500 <= status <= 599:
        return BlipServerError("Blip server error", operation=operation, status=status)
    return BlipHTTPError(detail, operation=operation, status=status)


def error_for_failure(response, *, operation):
    """Build BlipCommandFailure (or BlipNotFound for code 67) from a failed command response."""
    reason = response.get("reason") or {}
    code = reason.get("code")
    cls = BlipNotFound if code == NOT_FOUND_CODE else BlipCommandFailure
    return cls("command failed", operation=operation, status=200, reason_code=code,
               reason_description=reason.get("description"))
