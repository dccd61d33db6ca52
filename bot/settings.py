"""Settings from the environment and `.env` (every one is listed, with a comment, in .env.example)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from faq.kb import DATA_DIR as KB_DIR

# BotFather tokens look like 123456789:AA...; checked so a typo fails at start-up with a clear line.
TOKEN_RE = re.compile(r"^\d{3,15}:[A-Za-z0-9_-]{30,}$")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    webhook_secret: SecretStr | None = None
    data_dir: Path = Path("data")
    kb_dir: Path = Field(default=KB_DIR, validation_alias="RECERTBOT_KB_DIR")
    log_level: str = "INFO"
    log_update_bodies: bool = False  # at DEBUG, let python-telegram-bot log each update's and answer's content
    admin_chat_ids: str = ""  # comma-separated Telegram chat ids allowed /stats and /misses
    store_hash_key: SecretStr | None = None  # key for hashing chat ids; generated into DATA_DIR when unset
    retention_days: int = Field(default=180, ge=1, le=3650)
    kb_reload_seconds: float = Field(default=2.0, gt=0)
    rate_limit: bool = True  # python-telegram-bot's AIORateLimiter: stay within Telegram's flood limits
    http_timeout: float = Field(default=10.0, gt=0)  # seconds to wait for the Bot API on one request
    flood_burst: int = Field(default=8, ge=1)  # messages one user may send at once...
    flood_per_seconds: float = Field(default=10.0, gt=0)  # ...and again after this many seconds

    @property
    def admins(self) -> frozenset[int]:
        return frozenset(int(x) for x in re.findall(r"-?\d+", self.admin_chat_ids))

    def open_store(self):
        from bot.store import Store

        key = self.store_hash_key.get_secret_value() if self.store_hash_key else None
        return Store.open(self.data_dir, key, self.retention_days)

    @field_validator("telegram_bot_token", "webhook_secret", "webhook_url", "store_hash_key", mode="before")
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
