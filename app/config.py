"""Settings: the only module that reads the environment (and an optional `.env`).

Outside development the service refuses to start without the secrets it needs,
so a misconfigured deploy fails at boot instead of at the first customer message.
"""
from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from typing import Annotated

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDERS = {"", "changeme", "change-me", "secret", "xxx"}


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


class Settings(BaseSettings):
    """Everything configurable, with the documented defaults."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    app_env: str = Field("production", description="development | production")
    blip_api_url: str | None = None
    blip_api_key: str | None = None
    webhook_secrets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    webhook_secret_header: str = "X-Webhook-Secret"
    database_url: str = f"sqlite:///{ROOT / 'instance' / 'radiomemory.db'}"
    redis_url: str | None = None
    playbooks_dir: Path = ROOT / "playbooks"
    max_body_bytes: int = 256 * 1024
    blip_timeout_seconds: float = 10.0
    blip_max_attempts: int = 4
    blip_backoff_seconds: float = 0.5
    # An event claimed by a worker that died is picked up again after this lease.
    job_lease_seconds: int = 120
    job_max_attempts: int = 5
    sweep_interval_seconds: float = 1.0
    inprocess_workers: int = 4
    # The Blip contact extra that holds the customer's ADM code (Desk rules can route on it).
    adm_extras_key: str = "codigoCliente"
    # Forward customer messages to the Desk agent while a ticket is open (blip-api.md §4.5).
    desk_relay: bool = True
    # The sweeper re-enqueues a pending event this long after it was last handed to the queue.
    sweep_grace_seconds: float = 30.0
    # Optional LLM second opinion when the offline router is not sure (off without a key).
    openai_api_key: str | None = None
    openai_base_url: str = "https://api.openai.com/v1"
    openai_model: str = "gpt-4o-mini"
    openai_timeout_seconds: float = 8.0
    openai_daily_budget: int = 200  # questions per day, across all workers
    log_level: str = "INFO"

    @field_validator("webhook_secrets", mode="before")
    @classmethod
    def _split_secrets(cls, value):
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _fail_fast(self):
        if self.app_env not in ("development", "production"):
            raise ValueError("APP_ENV must be 'development' or 'production'")
        if self.blip_api_url and not self.blip_api_key:
            raise ValueError("BLIP_API_KEY is required when BLIP_API_URL is set")
        if self.is_production:
            missing = [name for name, ok in (
                ("BLIP_API_URL", bool(self.blip_api_url)),
                ("BLIP_API_KEY", bool(self.blip_api_key)),
                ("WEBHOOK_SECRETS", bool(self.webhook_secrets)),
            ) if not ok]
            if missing:
                raise ValueError(f"missing required settings outside development: {', '.join(missing)}")
            weak = [s for s in self.webhook_secrets if s.lower() in PLACEHOLDERS or len(s) < 16]
            if weak:
                raise ValueError("WEBHOOK_SECRETS contains a placeholder or a secret shorter than 16 characters")
        return self

    @property
    def is_production(self) -> bool:
        """True unless APP_ENV=development."""
        return self.app_env == "production"

    @property
    def uses_redis(self) -> bool:
        """Jobs go to RQ on Redis when REDIS_URL is set, else run in-process."""
        return bool(self.redis_url)


def load_settings(**overrides) -> Settings:
    """Read the environment once; raise ConfigError with a readable message."""
    try:
        return Settings(**overrides)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise ConfigError(str(exc)) from None
