"""Settings from the environment and `.env` (every one is listed, with a comment, in .env.example).

`.env` is read from the current folder; paths in the settings (DATA_DIR, RECERTBOT_KB_DIR) are made absolute
at once, so what the bot uses does not depend on where it later runs from, and the start-up line names them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from faq.kb import DATA_DIR as KB_DIR

# BotFather tokens look like 123456789:AA...; checked so a typo fails at start-up with a clear line.
TOKEN_RE = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")
# Telegram's rule for a webhook's secret_token: 1-256 characters, A-Z a-z 0-9 _ -
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
OFFICIAL_API = "https://api.telegram.org/"
ENV_FILE = ".env"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    data_dir: Path = Field(default=Path("data"), validate_default=True)
    kb_dir: Path = Field(default=KB_DIR, validation_alias="RECERTBOT_KB_DIR", validate_default=True)
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"  # json: one JSON object a line, for a log collector
    log_update_bodies: bool = False  # at DEBUG, let python-telegram-bot log each update's and answer's content
    admin_chat_ids: str = ""  # comma-separated Telegram chat ids allowed /stats and /misses
    # the store: unset or sqlite:///path → SQLite (default: a file in DATA_DIR); postgresql://... → PostgreSQL
    database_url: SecretStr | None = None
    replica_id: str | None = None  # this replica's stable name for its inbox rows (default: one per process)
    inbox_lease_seconds: float = Field(default=60.0, ge=1)  # until a dead replica's unfinished updates go to others
    store_hash_key: SecretStr | None = None  # key for hashing chat ids; unset: a key file in DATA_DIR (SQLite)
    # or one kept in the database (PostgreSQL)
    retention_days: int = Field(default=180, ge=1, le=3650)
    kb_reload_seconds: float = Field(default=2.0, gt=0)
    rate_limit: bool = True  # python-telegram-bot's AIORateLimiter: stay within Telegram's flood limits
    http_timeout: float = Field(default=10.0, gt=0)  # seconds to wait for the Bot API on one request
    flood_burst: int = Field(default=8, ge=1)  # messages one user may send at once...
    flood_per_seconds: float = Field(default=10.0, gt=0)  # ...and again after this many seconds
    reminder_key: SecretStr | None = None  # Fernet key(s) encrypting the chat ids reminders go to; unset: no reminders
    reminder_rate: float = Field(default=20.0, gt=0, le=20.0)  # reminders a replica starts a second; 20/N for N replicas

    @property
    def admins(self) -> frozenset[int]:
        return frozenset(int(x) for x in re.findall(r"-?\d+", self.admin_chat_ids))

    def open_store(self):
        from bot.store import open_store

        key = self.store_hash_key.get_secret_value() if self.store_hash_key else None
        url = self.database_url.get_secret_value() if self.database_url else None
        return open_store(url, self.data_dir, key, self.retention_days, self.replica_id, self.inbox_lease_seconds)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith(("sqlite:///", "postgresql://", "postgres://")):
            raise ValueError("DATABASE_URL must start with sqlite:/// or postgresql://")
        return v

    @field_validator("data_dir", "kb_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @property
    def env_file_used(self) -> Path | None:
        """The `.env` that was read, if there was one (None when built with `_env_file=None`, as tests do)."""
        path = Path(ENV_FILE).resolve()
        return path if path.is_file() else None

    def webhook_problem(self) -> str | None:
        """Why the webhook settings cannot work, checked at start rather than found out from Telegram."""
        if not self.webhook_url:
            return None
        if self.webhook_secret is None:
            return "WEBHOOK_URL is set but WEBHOOK_SECRET is not: without it anyone could post updates"
        if not SECRET_RE.match(self.webhook_secret.get_secret_value()):
            return "WEBHOOK_SECRET may only use A-Z, a-z, 0-9, _ and - (1 to 256 of them), as Telegram requires"
        url = urlparse(self.webhook_url)
        # Telegram calls only https webhooks; a local Bot API server (TELEGRAM_BASE_URL) may call http ones.
        local_api = not self.telegram_base_url.startswith(OFFICIAL_API)
        if url.scheme != "https" and not (url.scheme == "http" and local_api):
            return f"WEBHOOK_URL must be an https:// address Telegram can reach (got {url.scheme or 'no'} scheme)"
        if not url.hostname:
            return "WEBHOOK_URL has no host name"
        return None

    @field_validator("telegram_bot_token", "webhook_secret", "webhook_url", "store_hash_key", "reminder_key",
                     "database_url", "replica_id", mode="before")
    @classmethod
    def _blank_is_none(cls, v):
        return None if isinstance(v, str) and not v.strip() else v

    def token_problem(self) -> str | None:
        """Why the token cannot be used, in words that never repeat the token itself."""
        if self.telegram_bot_token is None:
            return "TELEGRAM_BOT_TOKEN is not set"
        if not TOKEN_RE.match(self.telegram_bot_token.get_secret_value().strip()):
            return "TELEGRAM_BOT_TOKEN does not look like a bot token from BotFather (digits, a colon, then letters)"
        return None
