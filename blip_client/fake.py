"""FakeBlip: a local fake of the Blip HTTP API for tests and the demo (blip-api.md §9).

It never contacts the real Blip. Bot → Blip: it serves POST /messages, /notifications and
/commands with in-memory Desk/CRM state. Blip → bot: it pushes delivery notifications, agent
messages and ticket events to the bot's webhook URLs. Run standalone with
``python -m blip_client.fake --help``.

    with FakeBlip(bot_messages_url=..., bot_notifications_url=...) as fake:
        client = BlipClient(fake.base_url, "Key fake-key")
"""

from __future__ import annotations  # the ``requests`` property below shadows the module name

import sys
import threading
import time

import requests
from werkzeug.serving import WSGIRequestHandler, make_server

from blip_client.fake_agent import AgentDriver
from blip_client.fake_app import build_app
from blip_client.fake_faults import FaultPlan, RateLimiter, make_fault
from blip_client.fake_push import delivery_notifications, post_envelope, push_in_background
from blip_client.fake_recorder import RecordedRequest, Recorder
from blip_client.fake_state import FakeState

SERVE_POLL_INTERVAL = 0.05  # seconds; keeps stop() fast


class _QuietHandler(WSGIRequestHandler):
    """Werkzeug's per-request log is replaced by the fake's own "method path status" line."""

    def log_request(self, *args, **kwargs):
        pass


class FakeBlip(AgentDriver):
    """In-process fake Blip server with inspection, fault injection and a push driver."""

    def __init__(self, *, api_key="Key fake-key", bot_identity="radiomemory@msging.net",
                 bot_messages_url=None, bot_notifications_url=None, bot_headers: dict | None = None,
                 auto_notify=True, emit_ticket_messages=True, emit_close_redirect=True,
                 rate_limits: dict | None = None, teams: list[str] | None = None):
        self.api_key = api_key if api_key.startswith("Key ") else f"Key {api_key}"
        self.bot_identity = bot_identity
        self.bot_messages_url = bot_messages_url
        self.bot_notifications_url = bot_notifications_url
        self.bot_headers = dict(bot_headers or {})
        self.auto_notify = auto_notify
        self.emit_ticket_messages = emit_ticket_messages
        self.emit_close_redirect = emit_close_redirect
        self.state = FakeState(bot_identity=bot_identity, teams=teams)
        self.recorder = Recorder()
        self.faults = FaultPlan()
        self.limiter = RateLimiter(rate_limits)
        self.wsgi_app = build_app(self)
        self.base_url = None
        self._server = None
        self._thread = None
        self._notifiers: list[threading.Thread] = []

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, host="127.0.0.1", port=0) -> str:
        """Serve in a background thread (threaded werkzeug server); return the base URL."""
        if self._server is not None:
            raise RuntimeError("FakeBlip is already running")
        self._server = make_server(host, port, self.wsgi_app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": SERVE_POLL_INTERVAL},
                                        name="fake-blip", daemon=True)
        self._thread.start()
        self.base_url = f"http://{host}:{self._server.server_port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and wait briefly for pending notification pushes."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None
        for thread in self._notifiers:
            thread.join(timeout=2)
        self._notifiers.clear()

    def __enter__(self):
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()

    # --- inspection -----------------------------------------------------------------------------

    @property
    def tickets(self) -> dict:
        """Ticket id → ticket document (live; hold ``state.lock`` while iterating)."""
        return self.state.tickets

    @property
    def contacts(self) -> dict:
        """Contact identity → contact document."""
        return self.state.contacts

    @property
    def comments(self) -> dict:
        """Contact identity → list of comment documents."""
        return self.state.comments

    @property
    def events(self) -> list:
        """Tracked analytics events (§7)."""
        return self.state.events

    @property
    def requests(self) -> list[RecordedRequest]:
        """Snapshot of every Blip API request received (``/_fake`` control calls excluded)."""
        return self.recorder.all()

    def messages(self, *, accepted_only=False) -> list[RecordedRequest]:
        """Records of POST /messages in arrival order (``.json`` is the envelope)."""
        return self.recorder.for_path("/messages", accepted_only=accepted_only)

    def notifications(self, *, accepted_only=False) -> list[RecordedRequest]:
        """Records of POST /notifications in arrival order."""
        return self.recorder.for_path("/notifications", accepted_only=accepted_only)

    def commands(self, uri_contains=None, method=None) -> list[RecordedRequest]:
        """Records of POST /commands, optionally filtered by URI substring and method."""
        return self.recorder.commands(uri_contains=uri_contains, method=method)

    def seed_contact(self, identity: str, **fields) -> dict:
        """Pre-populate a contact (``extras=`` merged as a dict)."""
        return self.state.seed_contact(identity, **fields)

    def clear_requests(self) -> None:
        """Forget recorded requests only (state and faults stay)."""
        self.recorder.clear()

    def reset(self) -> None:
        """Forget recorded requests, pending faults and all tickets/contacts/comments."""
        self.recorder.clear()
        self.faults.clear()
        self.state.reset()

    def wait_for(self, predicate, timeout=5.0):
        """Poll until ``predicate(self)`` is truthy and return it; TimeoutError otherwise."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate(self)
            if result:
                return result
            if time.monotonic() >= deadline:
                seen = [f"{r.method} {r.path} {r.status}" for r in self.requests[-10:]]
                raise TimeoutError(f"condition not met within {timeout}s; "
                                   f"{len(self.requests)} requests received, last: {seen}")
            time.sleep(0.01)

    # --- fault injection ------------------------------------------------------------------------

    def fail(self, path, *, status=None, command_failure=None, delay=None, times=1,
             retry_after=None, uri_contains=None, notify_failed=None) -> None:
        """Script the next ``times`` matching requests to fail, be delayed or notify ``failed``."""
        self.faults.add(make_fault(path, status=status, command_failure=command_failure,
                                   delay=delay, times=times, retry_after=retry_after,
                                   uri_contains=uri_contains, notify_failed=notify_failed))

    # --- Blip → bot -----------------------------------------------------------------------------

    def push_message(self, envelope: dict, *, headers=None) -> requests.Response:
        """POST an envelope to the bot's messages URL (``headers`` replaces ``bot_headers``)."""
        return post_envelope(self._url("bot_messages_url"), envelope,
                             self.bot_headers if headers is None else headers)

    def push_notification(self, envelope: dict, *, headers=None) -> requests.Response:
        """POST an envelope to the bot's notifications URL (``headers`` replaces bot_headers)."""
        return post_envelope(self._url("bot_notifications_url"), envelope,
                             self.bot_headers if headers is None else headers)

    def notify_delivery(self, message: dict, *, failure=None) -> None:
        """Asynchronously push the delivery notifications of an accepted message (§9)."""
        if not (self.auto_notify and self.bot_notifications_url and message.get("id")):
            return
        envelopes = delivery_notifications(message, self.bot_identity, failure)
        thread = push_in_background(self.bot_notifications_url, self.bot_headers, envelopes)
        self._notifiers = [t for t in self._notifiers if t.is_alive()] + [thread]

    def _push_to_bot(self, envelope: dict) -> requests.Response | None:
        """Push an agent-driven envelope, if the bot's messages URL is configured."""
        if not self.bot_messages_url:
            return None
        return post_envelope(self.bot_messages_url, envelope, self.bot_headers)

    def _url(self, attribute: str) -> str:
        url = getattr(self, attribute)
        if not url:
            raise ValueError(f"FakeBlip.{attribute} is not configured")
        return url


if __name__ == "__main__":
    from blip_client.fake_cli import main

    sys.exit(main(factory=FakeBlip))
