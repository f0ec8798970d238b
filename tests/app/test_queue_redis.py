"""Production shape: a real Redis, real RQ worker processes, gunicorn, PostgreSQL. Nothing acknowledged is lost."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlmodel import select

from app.models import BlipCall, InboxEvent
from tests.app.conftest import copy_playbooks
from tests.conftest import API_KEY, REDIS_URL, SECRET, blip_fixture, service_unavailable, wait_until

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
CUSTOMER = "5511987654321@wa.gw.msging.net"
pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def redis_url():
    """The machine's Redis (database 15, emptied), or a skip saying why."""
    from redis import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.flushdb()
    except Exception as exc:
        service_unavailable("Redis", type(exc).__name__)
    yield REDIS_URL
    client.flushdb()


class PrivateRedis:
    """A redis-server of our own on a free port, so a test can stop and restart it."""

    def __init__(self):
        if not shutil.which("redis-server"):
            service_unavailable("redis-server binary", "not installed")
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                         "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        wait_until(lambda: _can_connect(self.port), timeout=5, message="private redis up")

    def stop(self):
        self.process.terminate()
        self.process.wait(5)


def _can_connect(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _env(database_url: str, redis_url: str, blip_url: str, playbooks_dir) -> dict:
    return {**os.environ, "APP_ENV": "development", "PLAYBOOKS_DIR": str(playbooks_dir), "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "BLIP_API_URL": blip_url, "BLIP_API_KEY": API_KEY, "WEBHOOK_SECRETS": SECRET,
            "BLIP_BACKOFF_SECONDS": "0.01", "BLIP_TIMEOUT_SECONDS": "10", "JOB_LEASE_SECONDS": "3",
            "SWEEP_INTERVAL_SECONDS": "0.3", "SWEEP_GRACE_SECONDS": "1", "LOG_LEVEL": "WARNING"}


def _env_for(service, redis_url: str) -> dict:
    """The environment a subprocess needs to share `service`'s store, playbooks and fake Blip."""
    settings = service.rt.settings
    return _env(settings.database_url, redis_url, service.fake.base_url, settings.playbooks_dir)


@pytest.fixture
def processes():
    """Start subprocesses; all are killed at the end of the test."""
    started = []

    def start(args, env):
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(10)


def _worker(processes, env):
    return processes([str(BIN / "flask"), "--app", "wsgi", "worker"], env)


def _greetings(fake):
    return [m for m in fake.messages() if m.status == 202]


def test_a_real_rq_worker_processes_the_webhook_event(service_factory, redis_url, processes):
    service = service_factory(redis_url=redis_url)
    _worker(processes, _env_for(service, redis_url))
    assert service.post("/blip/messages", blip_fixture("incoming_whatsapp_text")).status_code == 202
    wait_until(lambda: _greetings(service.fake), timeout=20, message="greeting from the worker")
    service.settle(timeout=20)
    assert [e.status for e in service.events() if e.kind == "message"] == ["done"]
    assert len(_greetings(service.fake)) == 1


def test_events_accepted_while_redis_is_down_are_processed_when_it_is_back(service_factory, processes):
    redis = PrivateRedis()
    redis.start()
    service = service_factory(redis_url=redis.url)
    redis.stop()  # the queue goes away
    started = time.monotonic()
    responses = [service.post("/blip/messages", {"id": f"down-{i}", "from": f"55119000000{i:02d}@wa.gw.msging.net",
                                                 "type": "text/plain", "content": "Oi"}) for i in range(3)]
    assert [r.status_code for r in responses] == [202, 202, 202]
    assert time.monotonic() - started < 3  # acknowledged quickly although Redis is unreachable
    assert "redis unreachable" in requests.get(service.url + "/readyz", timeout=5).json()["problems"]["queue"]
    assert [e.status for e in service.events()] == ["pending"] * 3

    redis.start()  # back, empty (it keeps nothing on disk): the sweeper must re-enqueue
    try:
        _worker(processes, _env_for(service, redis.url))
        wait_until(lambda: len(_greetings(service.fake)) == 3, timeout=30, message="3 greetings after recovery")
        service.settle(timeout=20)
        assert {e.status for e in service.events() if e.kind == "message"} == {"done"}
    finally:
        redis.stop()


def test_jobs_queued_before_a_redis_restart_are_not_lost(service_factory, processes):
    redis = PrivateRedis()
    redis.start()
    service = service_factory(redis_url=redis.url)
    assert service.post("/blip/messages", blip_fixture("incoming_whatsapp_text")).status_code == 202
    redis.stop()  # no worker ran yet: the queued job vanishes with the restart
    redis.start()
    try:
        _worker(processes, _env_for(service, redis.url))
        wait_until(lambda: _greetings(service.fake), timeout=30, message="greeting after the restart")
        service.settle(timeout=20)
        assert len(_greetings(service.fake)) == 1
    finally:
        redis.stop()


def test_a_worker_killed_mid_job_does_not_lose_its_event(service_factory, redis_url, processes):
    service = service_factory(redis_url=redis_url)
    env = _env_for(service, redis_url)
    service.fake.fail("/messages", delay=3.0, times=1)  # the greeting hangs...
    doomed = _worker(processes, env)
    assert service.post("/blip/messages", blip_fixture("incoming_whatsapp_text")).status_code == 202
    wait_until(lambda: service.fake.messages(), timeout=20, message="the worker to start sending")
    doomed.send_signal(signal.SIGKILL)  # ...and its worker dies in the middle
    doomed.wait(5)
    [event] = [e for e in service.events() if e.kind == "message"]
    assert event.status == "processing"

    _worker(processes, env)  # a new worker; the sweeper hands the event over once the lease expires
    wait_until(lambda: [e for e in service.events() if e.kind == "message" and e.status == "done"],
               timeout=30, message="the event processed by the new worker")
    sent = [m.json["id"] for m in service.fake.messages()]
    assert len(sent) == 2 and len(set(sent)) == 1  # the same envelope id: Blip sees a repeat, not a new message
    assert len(service.query(select(BlipCall).where(BlipCall.purpose == "greeting"))) == 1
    assert service.query(select(InboxEvent.attempts).where(InboxEvent.kind == "message")) == [2]


def test_end_to_end_gunicorn_and_worker_greet_through_the_fake_blip(database_url, redis_url, fake_blip, processes,
                                                                   tmp_path):
    port = _free_port()
    env = _env(database_url, redis_url, fake_blip.base_url, copy_playbooks(tmp_path / "playbooks"))
    processes([str(BIN / "gunicorn"), "wsgi:app", "--bind", f"127.0.0.1:{port}", "--workers", "2",
               "--worker-class", "gthread", "--threads", "4"], env)
    _worker(processes, env)
    url = f"http://127.0.0.1:{port}"
    wait_until(lambda: _ready(url), timeout=30, message="gunicorn ready")
    fake_blip.bot_messages_url = f"{url}/blip/messages"
    fake_blip.bot_notifications_url = f"{url}/blip/notifications"
    message = blip_fixture("incoming_whatsapp_text")
    assert fake_blip.push_message(message).status_code == 202
    [greeting] = fake_blip.wait_for(lambda f: _greetings(f), timeout=20)
    assert greeting.headers["Authorization"] == API_KEY
    assert greeting.json["to"] == message["from"]
    consumed = fake_blip.wait_for(lambda f: [n for n in f.notifications() if n.json["event"] == "consumed"],
                                  timeout=20)
    assert consumed[0].json["id"] == message["id"]


def _ready(url: str) -> bool:
    try:
        return requests.get(url + "/readyz", timeout=1).status_code == 200
    except requests.RequestException:
        return False
