"""The one settings object: every `DSR_` environment variable (and `.env`) lives here."""

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.enums import Regulation

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/dsr.db"
_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class Environment(StrEnum):
    """Where the app runs: `production` refuses development conveniences."""

    DEV = "dev"
    PRODUCTION = "production"


class Security(StrEnum):
    """Transport security of an SMTP or IMAP connection."""

    NONE = "none"
    STARTTLS = "starttls"
    TLS = "tls"


class Settings(BaseSettings):
    """DSR Desk configuration, read from `DSR_*` environment variables and `.env`."""

    model_config = SettingsConfigDict(
        env_prefix="DSR_", env_file=".env", extra="ignore"
    )

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="App database (an async SQLAlchemy URL): `sqlite+aiosqlite:///…` for"
        " one process, `postgresql+asyncpg://…` for production and scale-out.",
    )
    database_pool_timeout: float = Field(
        30,
        gt=0,
        description="Seconds a request waits for a free connection to the app database"
        " before it is answered 503 with Retry-After (busy: retry), never a 500.",
    )
    base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the app, in every emailed link; https:// in"
        " production (http only on loopback behind a TLS proxy).",
    )
    env: Environment = Field(
        Environment.DEV,
        description="`production` refuses a weak or missing secret key, the dev outbox,"
        " an http:// base URL and `dsr demo`; `dev` serves the dev outbox at /dev/outbox.",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs sessions and CSRF tokens and keys the audit trail's hashes of"
        " personal values: 32+ random characters, the same in every process, never"
        " changed. Unset in dev: generated into `DSR_DATA_DIR/secret_key`.",
    )
    data_dir: Path = Field(
        Path("./var"),
        description="Export packages, staging files, the worker heartbeat (and in dev the"
        " generated secret key); one directory shared by every web and worker process.",
    )
    mail_from: str = Field(
        "privacy@localhost",
        description="From and envelope sender of all outbound mail (`Privacy"
        " <privacy@example.com>`): replies and bounces come back to it. Its domain names"
        " the Message-IDs and counts as our own for forwarded mail.",
    )
    smtp_host: str | None = Field(
        None,
        description="Outbound SMTP relay; unset = the dev outbox (refused in production).",
    )
    smtp_port: int = Field(
        587, description="Outbound SMTP port (587 for starttls, 465 for tls)."
    )
    smtp_username: str | None = Field(
        None, description="Outbound SMTP user; unset = no authentication."
    )
    smtp_password: SecretStr | None = Field(None, description="Outbound SMTP password.")
    smtp_security: Security = Field(
        Security.STARTTLS, description="Outbound SMTP security: none, starttls or tls."
    )
    imap_host: str | None = Field(
        None, description="IMAP server of the support@ mailbox; unset = no polling."
    )
    imap_port: int = Field(
        993, description="IMAP port (993 for tls, 143 for starttls)."
    )
    imap_username: str | None = Field(None, description="IMAP user.")
    imap_password: SecretStr | None = Field(None, description="IMAP password.")
    imap_folder: str = Field(
        "INBOX",
        description="IMAP folder to poll; give DSR Desk a folder of its own: the first"
        " poll reads every message in it.",
    )
    imap_security: Security = Field(
        Security.TLS, description="IMAP security: none, starttls or tls."
    )
    imap_poll_seconds: int = Field(
        60, ge=5, description="Seconds between IMAP polls (the `mail-fetch` job)."
    )
    inbound_smtp_port: int = Field(
        0,
        ge=0,
        description="Port of the embedded SMTP receiver that `dsr serve` runs on its"
        " `--host` interface (0 = off).",
    )
    connectors_file: Path = Field(
        Path("./connectors.yaml"),
        description="Connector instances (YAML; secrets as `${ENV_VAR}`); relative to"
        " the working directory.",
    )
    privacy_file: Path = Field(
        Path("./privacy.yaml"),
        description="Controller facts for responses (Art. 15 information, recipients,"
        " authority); relative to the working directory.",
    )
    auto_approve: bool = Field(
        False, description="Verified requests start fan-out without staff review."
    )
    timezone: str = Field(
        "UTC",
        description="Business timezone (IANA name) for due dates, business days and the"
        " times staff see.",
    )
    holidays: str | None = Field(
        None,
        description="Public-holiday calendar for due dates (`IE`, `DE-BY`, `GB-ENG`, …).",
    )
    default_regulation: Regulation = Field(
        Regulation.GDPR,
        description="Regulation when the requester's location does not decide it.",
    )
    verify_days: int = Field(
        7,
        ge=1,
        description="Verification link lifetime in days; an unverified requester is"
        " reminded once after it, and the ticket closed after twice it.",
    )
    at_risk_days: int = Field(
        7, ge=0, description="Days before due when a ticket turns at-risk."
    )
    download_days: int = Field(7, ge=1, description="Export link lifetime in days.")
    token_days: int = Field(
        90, ge=1, le=3650, description="Default lifetime of a new API token in days."
    )
    session_idle_minutes: int = Field(
        30, ge=1, description="A staff UI log-in ends after this many idle minutes."
    )
    session_hours: int = Field(
        12,
        ge=1,
        le=720,
        description="A staff UI log-in ends this many hours after it began.",
    )
    attach_max_bytes: int = Field(
        0,
        ge=0,
        description="Also attach the ZIP to the mail when it is at most this many bytes"
        " (0 = never).",
    )
    review_exports: bool = Field(
        False, description="Staff approve each export before it is sent."
    )
    retention_days: int = Field(
        730,
        ge=1,
        description="Days after closing before a ticket's personal data is erased (the"
        " anonymous facts and the audit chain stay).",
    )
    trusted_proxies: str | None = Field(
        None,
        description="Reverse proxies (IPs or CIDRs, comma-separated, or `*`) whose"
        " X-Forwarded-For/-Proto are believed; unset = none, every visitor is the"
        " connecting address.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _production_guard(self) -> Self:
        if self.env is Environment.PRODUCTION:
            key = self.secret_key.get_secret_value() if self.secret_key else ""
            # A random key of 32+ URL-safe characters has well over 16 distinct ones;
            # "aaaa…" or a repeated word is a placeholder, not a secret.
            if len(key) < 32 or len(set(key)) < 16:
                raise ValueError(
                    "DSR_SECRET_KEY must be a random value of at least 32 characters in"
                    " production (e.g. python -c 'import secrets;"
                    " print(secrets.token_urlsafe(48))')"
                )
            if not self.smtp_host:
                raise ValueError(
                    "DSR_SMTP_HOST must be set in production (no dev outbox)"
                )
            host = urlsplit(self.base_url).hostname or ""
            if not self.base_url.startswith("https://") and host not in _LOOPBACK:
                raise ValueError(
                    "DSR_BASE_URL must be https:// in production: emailed links carry"
                    " secrets (http is accepted only for a proxy on loopback)"
                )
        return self

    @property
    def is_dev(self) -> bool:
        """True outside production: enables the dev outbox and generated secrets."""
        return self.env is Environment.DEV

    @property
    def zone(self) -> ZoneInfo:
        """The business timezone."""
        return ZoneInfo(self.timezone)

    def secret(self) -> str:
        """The secret key; in dev, generated once into the data dir and reused."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def derived_key(settings: Settings, purpose: str) -> bytes:
    """A key for one purpose (audit hashes, rate-limit keys), derived from the secret key."""
    return hmac.new(
        settings.secret().encode(), purpose.encode(), hashlib.sha256
    ).digest()


def load_settings(**overrides: Any) -> Settings:
    """Read settings from the environment, with explicit overrides (CLI flags, tests)."""
    return Settings(**overrides)


def process_environment(env_file: Path = Path(".env")) -> Mapping[str, str]:
    """Where connectors.yaml's `${VAR}` secrets come from: the environment, then `.env`.

    The one read of the environment outside `Settings` (a test enforces it): connector
    secrets are named by the operator, so they cannot be fields of this object. As for the
    settings, a variable set in the environment wins over the same one in `.env`.
    """
    from_file = dotenv_values(env_file) if env_file.is_file() else {}
    return {**{k: v for k, v in from_file.items() if v is not None}, **os.environ}
