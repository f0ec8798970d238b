"""Shared fixtures: a migrated store on SQLite and PostgreSQL, the fake Blip server, the service over HTTP.

PostgreSQL and Redis tests run when those servers answer; otherwise they are skipped with the
reason. CI sets REQUIRE_SERVICES=1, which turns such a skip into a failure.
"""
from __future__ import annotations

import json
import os
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.store import upgrade

FIXTURES = Path(__file__).parent / "fixtures"
SECRET = "test-webhook-secret-0123456789"
API_KEY = "Key dGVzdGJvdDpzZWNyZXQ="
PG_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TABLES = ["llm_calls", "tickets", "routing_decisions", "dead_letters", "blip_calls", "messages", "conversations", "contacts", "customer_phones",
          "customers", "inbox_events"]


def service_unavailable(what: str, reason: str):
    """Skip (or fail under REQUIRE_SERVICES=1) a test that needs a server that is not there."""
    message = f"{what} not reachable ({reason}); start it or set TEST_POSTGRES_URL / TEST_REDIS_URL"
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(message)
    pytest.skip(message)


def blip_fixture(name: str) -> dict:
    """A payload from tests/fixtures/blip (copied from the shared contract fixtures)."""
    return json.loads((FIXTURES / "blip" / f"{name}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh PostgreSQL database for this test session, migrated to head."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        service_unavailable("PostgreSQL", type(exc).__name__)
    name = f"rm_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """The store under test: every test using it runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
        upgrade(url)
        return url
    url = request.getfixturevalue("postgres_url")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.02, message: str = "condition"):
    """Poll `predicate` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
