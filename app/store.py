"""The dashboard store: engine, explicit session scopes, schema migrations."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

from app.config import ROOT


def make_engine(database_url: str) -> Engine:
    """Build the engine; SQLite gets WAL and a busy timeout so threads can share the file."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: customer data in SQL parameters never reaches logs or stored errors.
    # No pre-ping (a round trip on every checkout, a third of the webhook's cost): a connection
    # that died with a PostgreSQL restart invalidates the pool, and callers retry once (see `retrying`).
    return create_engine(url, pool_size=10, max_overflow=10, pool_recycle=1800, hide_parameters=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def retrying(operation):
    """Run `operation()`, once more if the first try hit a connection the database had dropped."""
    try:
        return operation()
    except DBAPIError as exc:
        if not exc.connection_invalidated:
            raise
        return operation()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(database_url: str) -> Config:
    """Alembic configuration pointing at our migrations and the given database."""
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["skip_logging_config"] = True
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (idempotent)."""
    command.upgrade(alembic_config(database_url), revision)


def schema_problem(engine: Engine, database_url: str) -> str | None:
    """None when the database answers and is at the latest migration, else the reason."""
    head = ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            current = MigrationContext.configure(conn).get_current_revision()
    except Exception as exc:  # any driver error means "not usable"
        return f"database unreachable: {type(exc).__name__}"
    if current != head:
        return f"database schema at {current or 'nothing'}, expected {head}: run `flask --app wsgi db upgrade`"
    return None
