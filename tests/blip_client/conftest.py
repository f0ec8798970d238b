"""Shared fixtures: Blip payload files, a started FakeBlip and a tiny recording bot receiver."""

import json
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import responses
from responses import matchers
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from blip_client import BlipClient
from blip_client.fake import FakeBlip

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "blip"
BOT_SECRET = {"X-Webhook-Secret": "s3cret-for-tests"}
BASE = "https://radiomemory.http.msging.net"
KEY = "Key cmFkaW9tZW1vcnlAbXNnaW5nLm5ldDpzZWdyZWRv"
AUTH = matchers.header_matcher({"Authorization": KEY, "Content-Type": "application/json"})
PHONE = "5511987654321"
CUSTOMER = f"{PHONE}@wa.gw.msging.net"


def load(name: str):
    """Load one JSON fixture from tests/fixtures/blip."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass
class Post:
    path: str
    headers: dict
    json: object


class Receiver:
    """Stand-in for the bot's webhook: records every POST, answers 200."""

    def __init__(self):
        self._lock = threading.Lock()
        self._posts: list[Post] = []
        self.url = None

    def __call__(self, environ, start_response):
        request = Request(environ)
        with self._lock:
            self._posts.append(Post(request.path, dict(request.headers),
                                    request.get_json(silent=True, force=True)))
        return Response(status=200)(environ, start_response)

    def posts(self, path=None) -> list[Post]:
        with self._lock:
            return [p for p in self._posts if path is None or p.path == path]

    def bodies(self, path) -> list:
        return [p.json for p in self.posts(path)]


@pytest.fixture
def receiver():
    bot = Receiver()
    server = make_server("127.0.0.1", 0, bot, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    bot.url = f"http://127.0.0.1:{server.server_port}"
    yield bot
    server.shutdown()
    server.server_close()


@pytest.fixture
def fake(receiver):
    with FakeBlip(bot_messages_url=f"{receiver.url}/blip/messages",
                  bot_notifications_url=f"{receiver.url}/blip/notifications",
                  bot_headers=BOT_SECRET) as server:
        yield server


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def sleeps():
    """Delays the client asked to sleep (the injected ``sleep`` records instead of waiting)."""
    return []


@pytest.fixture
def client(sleeps):
    return BlipClient(BASE, KEY, backoff_base=0.01, sleep=sleeps.append)


def expect(rsps, path, body, *, status=200, response=None, **kwargs):
    """Register one exact request: URL, Authorization/Content-Type headers and JSON body."""
    return rsps.post(f"{BASE}{path}", status=status, json=response,
                     match=[AUTH, matchers.json_params_matcher(body)], **kwargs)
