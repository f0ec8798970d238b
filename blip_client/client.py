"""BlipClient: one method per Blip operation, all funnelled into ``_post`` (blip-api.md §3).

Section numbers in docstrings refer to /work/shared/blip-api.md.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

import requests

from blip_client.errors import (BlipHTTPError, BlipRateLimited, BlipTimeout, BlipTransportError,
                                error_for_failure, error_for_status)
from blip_client.identity import mask_text
from blip_client.lime import (ANALYTICS, COMMENT, CONTACT, CRM, DESK, EVENT_TRACK, OPEN_TICKETS_URI,
                              TICKET, TICKET_STATUSES, WHATSAPP, collection_items, is_string_map)
from blip_client.retry import backoff_delay, parse_retry_after

log = logging.getLogger(__name__)


class BlipClient:
    """HTTP client for Blip messages, notifications and commands (§3)."""

    def __init__(self, base_url: str, api_key: str, *,
                 timeout: float | tuple[float, float] = (3.05, 65.0), max_attempts: int = 4,
                 backoff_base: float = 0.5, backoff_max: float = 8.0,
                 session: requests.Session | None = None,
                 sleep: Callable[[float], None] = time.sleep):
        if not base_url or not api_key or not api_key.strip():
            raise ValueError("base_url and api_key are required")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._base_url = base_url.rstrip("/")
        api_key = api_key.strip()
        authorization = api_key if api_key.startswith("Key ") else f"Key {api_key}"
        self._headers = {"Authorization": authorization, "Content-Type": "application/json"}
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._session = session or requests.Session()
        self._sleep = sleep

    def __repr__(self):
        return f"BlipClient(base_url={self._base_url!r})"

    # --- messages and notifications (§3.3, §3.4, §6.1) ---------------------------------------

    def send_message(self, *, to, content, type="text/plain", id=None, metadata=None,
                     max_attempts=None) -> str:
        """Send a message, POST /messages (§3.3); return its envelope id."""
        envelope = {"id": id or str(uuid.uuid4()), "to": to, "type": type, "content": content}
        if metadata:
            envelope["metadata"] = metadata
        self._post("/messages", envelope, operation="POST /messages", max_attempts=max_attempts)
        return envelope["id"]

    def send_notification(self, *, id, to, event, reason=None) -> None:
        """Send a delivery notification about a received message, POST /notifications (§3.4)."""
        envelope = {"id": id, "to": to, "event": event}
        if reason is not None:
            envelope["reason"] = reason
        self._post("/notifications", envelope, operation="POST /notifications")

    def send_template(self, *, to, namespace, name, parameters: list[str], language="pt_BR",
                      id=None, max_attempts=None) -> str:
        """Send an approved WhatsApp template message (§6.1); return its envelope id."""
        if not all(isinstance(value, str) for value in parameters):
            raise ValueError("template parameters must be strings")
        template = {
            "namespace": namespace, "name": name,
            "language": {"code": language, "policy": "deterministic"},
            "components": [{"type": "body", "parameters": [
                {"type": "text", "text": value} for value in parameters]}],
        }
        return self.send_message(to=to, type="application/json", id=id, max_attempts=max_attempts,
                                 content={"type": "template", "template": template})

    # --- commands (§3.5) ------------------------------------------------------------------------

    def command(self, *, method, uri, to=None, type=None, resource=None, id=None,
                max_attempts=None) -> dict:
        """Send any command, POST /commands (§3.5); return the whole response envelope."""
        return self._command(method=method, uri=uri, to=to, type=type, resource=resource, id=id,
                             operation=f"{method} {uri}", max_attempts=max_attempts)

    # --- Blip Desk (§4.3) ----------------------------------------------------------------------

    def create_ticket(self, *, customer_identity, text, id=None, max_attempts=None) -> dict:
        """Open a Desk ticket with context text, set /tickets/{customerIdentity} (§4.3)."""
        response = self._command(method="set", uri=f"/tickets/{customer_identity}", to=DESK,
                                 type="text/plain", resource=text, id=id,
                                 operation="set /tickets/{customerIdentity}",
                                 max_attempts=max_attempts)
        return response.get("resource") or {}

    def get_ticket(self, *, ticket_id, id=None) -> dict:
        """Get one ticket, get /ticket/{id} (singular, §4.3)."""
        response = self._command(method="get", uri=f"/ticket/{ticket_id}", to=DESK, id=id,
                                 operation="get /ticket/{id}")
        return response.get("resource") or {}

    def list_open_tickets(self, *, customer_identity, id=None) -> list[dict]:
        """List one customer's open or waiting tickets, get /tickets?$filter=… (§4.3)."""
        uri = OPEN_TICKETS_URI.format(identity=quote(customer_identity, safe="@"))
        response = self._command(method="get", uri=uri, to=DESK, id=id,
                                 operation="get /tickets?$filter={open-or-waiting of customer}")
        return collection_items(response)

    def transfer_ticket(self, *, ticket_id, team, id=None, max_attempts=None) -> dict:
        """Transfer a ticket to a team, set /tickets/{id}/transfer (§4.3); return the NEW ticket."""
        response = self._command(method="set", uri=f"/tickets/{ticket_id}/transfer", to=DESK,
                                 type=TICKET, resource={"team": team}, id=id,
                                 operation="set /tickets/{id}/transfer", max_attempts=max_attempts)
        return response.get("resource") or {}

    def change_tags(self, *, ticket_id, tags: list[str], id=None) -> None:
        """Replace a ticket's tags, set /tickets/{id}/change-tags (§4.3)."""
        self._command(method="set", uri=f"/tickets/{ticket_id}/change-tags", to=DESK, type=TICKET,
                      resource={"id": ticket_id, "tags": list(tags)}, id=id,
                      operation="set /tickets/{id}/change-tags")

    def change_ticket_status(self, *, ticket_id, status, agent_identity=None, id=None) -> None:
        """Change a ticket's status (assign/close), set /tickets/change-status (§4.3)."""
        if status not in TICKET_STATUSES:
            raise ValueError(f"unknown ticket status {status!r}")
        resource = {"id": ticket_id, "status": status}
        if agent_identity:
            resource["agentIdentity"] = agent_identity
        self._command(method="set", uri="/tickets/change-status", to=DESK, type=TICKET,
                      resource=resource, id=id, operation="set /tickets/change-status")

    def close_ticket(self, *, ticket_id, closed_by=None, tags=None, id=None) -> None:
        """Finalize a ticket, set /tickets/{id}/close (§4.3); closed_by defaults to the bot."""
        resource = {}
        if closed_by:
            resource["closedBy"] = closed_by
        if tags is not None:
            resource["tags"] = list(tags)
        self._command(method="set", uri=f"/tickets/{ticket_id}/close", to=DESK, type=TICKET,
                      resource=resource, id=id, operation="set /tickets/{id}/close")

    def list_teams(self, *, id=None) -> list[dict]:
        """List Desk teams with agents online, get /teams (§4.3)."""
        return collection_items(self._command(method="get", uri="/teams", to=DESK, id=id,
                                    operation="get /teams"))

    # --- contacts (§5, §4.8) -------------------------------------------------------------------

    def get_contact(self, *, identity, id=None) -> dict:
        """Get a contact, get /contacts/{identity} (§5); unknown contact raises BlipNotFound."""
        response = self._command(method="get", uri=f"/contacts/{identity}", to=CRM, id=id,
                                 operation="get /contacts/{identity}")
        return response.get("resource") or {}

    def merge_contact(self, *, identity, extras: dict[str, str] | None = None, id=None,
                      **fields) -> None:
        """Partially update a contact, merge /contacts (§5); extras values must be strings."""
        resource = {"identity": identity, **fields}
        if extras is not None:
            resource["extras"] = _string_map(extras, "extras")
        self._command(method="merge", uri="/contacts", to=CRM, type=CONTACT, resource=resource,
                      id=id, operation="merge /contacts")

    def add_comment(self, *, identity, content, id=None) -> dict:
        """Add a comment (agent-visible note) to a contact, set /contacts/{id}/comments (§4.8)."""
        response = self._command(method="set", uri=f"/contacts/{identity}/comments", to=CRM,
                                 type=COMMENT, resource={"content": content}, id=id,
                                 operation="set /contacts/{identity}/comments")
        return response.get("resource") or {}

    def list_comments(self, *, identity, take=100, id=None) -> list[dict]:
        """List a contact's comments, get /contacts/{id}/comments?$take=N (§4.8, take ≤ 100)."""
        if not 1 <= take <= 100:
            raise ValueError("take must be between 1 and 100")
        response = self._command(method="get", uri=f"/contacts/{identity}/comments?$take={take}",
                                 to=CRM, id=id, operation="get /contacts/{identity}/comments")
        return collection_items(response)

    # --- WhatsApp (§6.1) and analytics (§7) ----------------------------------------------------

    def lookup_whatsapp_account(self, *, phone, id=None) -> dict:
        """Look up a WhatsApp account by phone, always with '+' (§6.1); return the account."""
        digits = phone.strip().removeprefix("+")
        if not digits.isdigit():
            raise ValueError("phone must be digits, optionally prefixed with '+'")
        response = self._command(method="get", uri=f"lime://wa.gw.msging.net/accounts/+{digits}",
                                 to=WHATSAPP, id=id,
                                 operation="get lime://wa.gw.msging.net/accounts/{phone}")
        return response.get("resource") or {}

    def track_event(self, *, category, action, identity=None, extras=None, id=None) -> None:
        """Record an analytics event, set /event-track (§7)."""
        resource = {"category": category, "action": action}
        if identity:
            resource["contact"] = {"identity": identity}
        if extras:
            resource["extras"] = _string_map(extras, "extras")
        self._command(method="set", uri="/event-track", to=ANALYTICS, type=EVENT_TRACK,
                      resource=resource, id=id, operation="set /event-track")

    # --- the single request path -----------------------------------------------------------------

    def _command(self, *, method, uri, to, operation, type=None, resource=None, id=None,
                 max_attempts=None) -> dict:
        """Build a command envelope, POST it and turn a ``failure`` status into an exception."""
        envelope = {"id": id or str(uuid.uuid4()), "method": method, "uri": uri}
        if to:
            envelope["to"] = to
        if type:
            envelope["type"] = type
        if resource is not None:
            envelope["resource"] = resource
        operation = mask_text(operation)
        response = self._post("/commands", envelope, operation=operation,
                              max_attempts=max_attempts)
        try:
            body = response.json()
        except ValueError:
            raise BlipHTTPError("command response is not JSON", operation=operation,
                                status=response.status_code) from None
        if not isinstance(body, dict) or body.get("status") != "success":
            raise error_for_failure(body if isinstance(body, dict) else {}, operation=operation)
        return body

    def _post(self, path, body, *, operation, max_attempts=None):
        """POST one envelope: auth, timeout, retries with backoff, error mapping.

        ``max_attempts`` overrides the client's default for one call (1 = no retry), for
        operations that are not idempotent, such as creating a ticket (§3.6).
        """
        url = f"{self._base_url}{path}"
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        attempts = max(1, max_attempts or self._max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                response = self._session.post(url, data=data, headers=self._headers,
                                              timeout=self._timeout)
            except requests.Timeout as exc:
                error = BlipTimeout("no response within the timeout", operation=operation)
                error.__cause__ = exc
            except requests.RequestException as exc:
                error = BlipTransportError(f"connection failed ({type(exc).__name__})",
                                           operation=operation)
                error.__cause__ = exc
            else:
                if 200 <= response.status_code < 300:
                    return response
                error = error_for_status(response.status_code, operation=operation,
                                         retry_after=parse_retry_after(
                                             response.headers.get("Retry-After")))
            error.attempts = attempt
            if not error.retryable or attempt >= attempts:
                raise error
            delay = self._retry_delay(error, attempt)
            log.warning("Blip %s failed (attempt %d/%d, status %s, %s); retrying in %.2fs",
                        error.operation, attempt, attempts, error.status,
                        type(error).__name__, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop always returns or raises

    def _retry_delay(self, error, attempt) -> float:
        if isinstance(error, BlipRateLimited) and error.retry_after is not None:
            return min(error.retry_after, self._backoff_max * 4)
        return backoff_delay(attempt, base=self._backoff_base, maximum=self._backoff_max)


def _string_map(values, what: str) -> dict[str, str]:
    """Validate a string→string map; Blip stores only string extras (§5)."""
    if not is_string_map(values):
        raise ValueError(f"{what} must map strings to strings")
    return dict(values)
