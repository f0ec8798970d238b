"""FakeOpenAI: a local fake of the OpenAI Chat Completions API for tests and demos.

It never contacts the real API. It serves ``POST /v1/chat/completions``, checks the Bearer
key, records every request and answers from a script, or by keyword rules when nothing is
scripted. Run standalone with ``python -m llm.fake --port 8765``.

    with FakeOpenAI() as fake:
        fake.answer("financeiro", "Pede a segunda via do boleto.")
        assistant = IntentAssistant(base_url=fake.base_url, api_key=fake.api_key)
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from collections import deque

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from llm.fake_replies import (allowed_labels, answer_content, completion, error_body,
                              keyword_answer, user_text)

ROUTE = "/v1/chat/completions"


class _QuietHandler(WSGIRequestHandler):
    """No per-request log lines, and no traceback when a timed-out client has gone away."""

    def log_request(self, *args, **kwargs):
        pass

    def log_error(self, *args, **kwargs):
        pass


class FakeOpenAI:
    """In-process fake OpenAI-compatible server with a script of answers and a request log."""

    def __init__(self, *, api_key: str = "sk-fake"):
        self.api_key = api_key
        self.requests: list[dict] = []
        self.base_url: str | None = None
        self._script: deque[tuple] = deque()
        self._delays: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = None
        self._thread = None

    # --- script ---------------------------------------------------------------------------------

    def answer(self, label: str, reason: str) -> None:
        """Queue a well-formed answer."""
        self._push(("content", answer_content(label, reason)))

    def answer_raw(self, content: str) -> None:
        """Queue an answer whose ``message.content`` is exactly ``content`` (e.g. broken JSON)."""
        self._push(("content", content))

    def refuse(self, text: str) -> None:
        """Queue a refusal (``content: null``, ``refusal: text``)."""
        self._push(("refusal", text))

    def fail(self, status: int, times: int = 1) -> None:
        """Queue ``times`` error responses with this HTTP status."""
        for _ in range(times):
            self._push(("fail", status))

    def delay(self, seconds: float) -> None:
        """Sleep this long before answering the next request."""
        with self._lock:
            self._delays.append(seconds)

    def _push(self, step: tuple) -> None:
        with self._lock:
            self._script.append(step)

    # --- lifecycle ------------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serve in a background thread (threaded werkzeug server); return the base URL."""
        if self._server is not None:
            raise RuntimeError("FakeOpenAI is already running")
        self._stopping.clear()
        self._server = make_server(host, port, self._wsgi, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name="fake-openai",
                                        daemon=True)
        self._thread.start()
        self.base_url = f"http://{host}:{self._server.server_port}/v1"
        return self.base_url

    def stop(self) -> None:
        """Stop serving; wakes any delayed request so stopping is immediate."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2)
        self._server = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # --- serving --------------------------------------------------------------------------------

    @Request.application
    def _wsgi(self, request: Request) -> Response:
        """The single route: record, delay, authenticate, then answer from the script."""
        if request.method != "POST" or request.path != ROUTE:
            unknown = f"Unknown request URL: {request.method} {request.path}"
            return _json(404, error_body(404, unknown))
        body = request.get_json(silent=True)
        with self._lock:
            self.requests.append({"headers": dict(request.headers), "json": body,
                                  "received_at": time.time()})
            pause = self._delays.popleft() if self._delays else 0.0
        if pause and self._stopping.wait(pause):
            return _json(503, error_body(503, "The server is shutting down."))
        if request.headers.get("Authorization") != f"Bearer {self.api_key}":
            return _json(401, error_body(401, "Incorrect API key provided."))
        if not isinstance(body, dict) or not body.get("messages"):
            return _json(400, error_body(400, "The request body must be JSON with messages."))
        with self._lock:
            step = self._script.popleft() if self._script else None
        return self._reply(step, body)

    def _reply(self, step: tuple | None, body: dict) -> Response:
        """Turn one script step (or the keyword rules when None) into a response."""
        if step is None:
            label, reason = keyword_answer(user_text(body), allowed_labels(body))
            return _json(200, completion(body, content=answer_content(label, reason)))
        kind, value = step
        if kind == "fail":
            return _json(value, error_body(value, "Scripted failure."))
        if kind == "refusal":
            return _json(200, completion(body, content=None, refusal=value))
        return _json(200, completion(body, content=value))


def _json(status: int, payload: dict) -> Response:
    return Response(json.dumps(payload, ensure_ascii=False), status=status,
                    mimetype="application/json")


def main(argv: list[str] | None = None) -> None:
    """Serve the fake until Ctrl-C (for demos)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--api-key", default="sk-fake")
    args = parser.parse_args(argv)
    fake = FakeOpenAI(api_key=args.api_key)
    print(f"FakeOpenAI on {fake.start(host=args.host, port=args.port)} (key {args.api_key})")
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
