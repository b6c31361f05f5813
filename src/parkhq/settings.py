"""ParkHQ settings: one object, read from ``PARKHQ_*`` variables by :func:`get_settings`.

Nothing else in ParkHQ reads the environment. Build a :class:`Settings` explicitly in tests
(``Settings(database_url=...)``) and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from parkhq.errors import ConfigurationError

__all__ = ["DEFAULT_SECRET", "Settings", "get_settings"]

DEFAULT_SECRET = "parkhq-development-secret-change-me"


class Settings(BaseSettings):
    """Every setting ParkHQ has. Each is documented in docs/development.md (a test checks it)."""

    model_config = SettingsConfigDict(env_prefix="PARKHQ_", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    """运行环境。production 拒绝默认密钥。"""

    database_url: str = "sqlite:///./var/parkhq.db"
    """SQLAlchemy URL: SQLite (default, WAL) or ``postgresql+psycopg://…``."""

    secret_key: str = DEFAULT_SECRET
    """Signs session cookies and CSRF tokens."""

    session_max_age_s: int = Field(default=8 * 3600, gt=0)
    """A login lasts this many seconds."""

    login_max_failures: int = Field(default=5, gt=0)
    """Failed logins allowed per user name and client within ``login_window_s``."""

    login_window_s: int = Field(default=300, gt=0)
    """The login-throttling window in seconds."""

    cookie_secure: bool = False
    """Mark the session cookie Secure (set to true behind HTTPS)."""

    data_dir: Path = Path("./var")
    """Where uploads, import files and generated reports are kept."""

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    """Logging level for the ``parkhq`` loggers."""

    host: str = "127.0.0.1"
    """Address ``parkhq serve`` binds to."""

    port: int = Field(default=8000, gt=0, lt=65536)
    """Port ``parkhq serve`` listens on."""

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEFAULT_SECRET:
            raise ValueError("生产环境必须设置 PARKHQ_SECRET_KEY，不能使用默认密钥")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings(**overrides: object) -> Settings:
    """Build the settings from the environment (``PARKHQ_*``), with explicit overrides on top."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise ConfigurationError(f"设置有误：{exc}") from exc
