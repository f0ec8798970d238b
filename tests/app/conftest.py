"""The service running over real HTTP (werkzeug threaded server) next to the fake Blip server."""
from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml
from sqlmodel import select
from werkzeug.serving import make_server

from app import create_app
from app.config import load_settings
from app.models import BlipCall, InboxEvent
from app.store import session_scope
from blip_client.fake import FakeBlip
from tests.conftest import API_KEY, SECRET, wait_until

BOT = "radiomemory@msging.net"


@dataclass
class Service:
    """A running service: its URL, runtime, the fake Blip it talks to, and helpers for tests."""

    url: str
    app: object
    rt: object
    fake: FakeBlip

    def post(self, path: str, body, *, secret: str | None = SECRET, raw: bytes | None = None, headers=None):
        """POST to the service like Blip does (secret header unless told otherwise)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if secret is not None:
            sent["X-Webhook-Secret"] = secret
        if raw is not None:
            return requests.post(self.url + path, data=raw, headers=sent, timeout=10)
        return requests.post(self.url + path, json=body, headers=sent, timeout=10)

    def events(self) -> list[InboxEvent]:
        """Every stored inbox event, oldest first."""
        with session_scope(self.rt.engine) as session:
            return session.exec(select(InboxEvent).order_by(InboxEvent.id)).all()

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until no stored event is pending or processing."""
        wait_until(lambda: all(e.status not in ("pending", "processing") for e in self.events()),
                   timeout=timeout, message="every event processed")

    def sent(self, purpose: str) -> list:
        """Messages the fake Blip received for outbox calls of `purpose` (greeting, handoff, relay…)."""
        ids = {c.params["id"] for c in self.query(select(BlipCall).where(BlipCall.purpose == purpose))
               if "id" in c.params}
        return [m for m in self.fake.messages() if m.json.get("id") in ids and m.status == 202]

    def query(self, statement):
        """Run a select against the store and return all rows."""
        with session_scope(self.rt.engine) as session:
            return session.exec(statement).all()


ROOT = Path(__file__).resolve().parents[2]


def copy_playbooks(target: Path, *, quiet: float = 0.3, max_wait: float = 1.5, target_seconds: int = 60,
                   always_open: bool = True) -> Path:
    """The shipped playbooks, adjusted for tests: a short burst wait and, unless told otherwise,
    a team that never closes, so results do not depend on the hour or the day the tests run."""
    target.mkdir(parents=True, exist_ok=True)
    for path in (ROOT / "playbooks").glob("*.yaml"):
        shutil.copy(path, target / path.name)
    _edit_yaml(target / "geral.yaml", lambda data: data["burst"].update(quiet_seconds=quiet, max_wait_seconds=max_wait))

    def tpr(data):
        data["target_seconds"] = target_seconds
        if always_open:
            data["business_hours"]["week"] = {day: ["00:00-24:00"] for day in data["business_hours"]["week"]}
            data["holidays"] = {"national": False, "pontos_facultativos": {"carnaval": False, "corpus_christi": False},
                                "extra": []}
    _edit_yaml(target / "tpr.yaml", tpr)
    return target


def _edit_yaml(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def make_settings(database_url: str, blip_url: str, **overrides):
    """Test settings: development mode, fast backoffs, no .env influence."""
    values = dict(app_env="development", blip_api_url=blip_url, blip_api_key=API_KEY, webhook_secrets=SECRET,
                  database_url=database_url, redis_url="", blip_backoff_seconds=0.01, blip_timeout_seconds=2.0,
                  sweep_interval_seconds=0.2, sweep_grace_seconds=1.0, job_lease_seconds=5, log_level="WARNING")
    values.update(overrides)
    return load_settings(_env_file=None, **values)


@pytest.fixture
def fake_blip():
    """The fake Blip server on a free port; every request it receives is recorded."""
    fake = FakeBlip(api_key=API_KEY, bot_identity=BOT, bot_headers={"X-Webhook-Secret": SECRET})
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def service_factory(database_url, fake_blip, tmp_path):
    """Start services with optional settings overrides; all are stopped at the end of the test."""
    started = []
    books = copy_playbooks(tmp_path / "test-playbooks")

    def start(**overrides) -> Service:
        overrides.setdefault("playbooks_dir", str(books))
        app = create_app(make_settings(database_url, fake_blip.base_url, **overrides))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_port}"
        fake_blip.bot_messages_url = f"{url}/blip/messages"
        fake_blip.bot_notifications_url = f"{url}/blip/notifications"
        service = Service(url=url, app=app, rt=app.extensions["runtime"], fake=fake_blip)
        started.append((server, service))
        return service

    yield start
    for server, service in started:
        server.shutdown()
        for thread in service.rt.threads:
            thread.stop.set()
        service.rt.queue.shutdown()
        service.rt.engine.dispose()


@pytest.fixture
def service(service_factory) -> Service:
    """The service with default test settings."""
    return service_factory()
