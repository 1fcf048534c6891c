"""Application settings, validated once from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent.parent
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
# Europe/Amsterdam, e.g. "21:00-07:00" (bot/services/schedule.py: parse_quiet_hours).
COORDINATOR_SPEC = re.compile(r"^\s*(\d{1,19})\s*:\s*([a-z0-9]+(?:-[a-z0-9]+)*)\s*$")
QUIET_HOURS = re.compile(r"^\s*([01]?\d|2[0-3]):([0-5]\d)\s*-\s*([01]?\d|2[0-3]):([0-5]\d)\s*$")


def parse_coordinator_ids(spec: str) -> list[tuple[int, str]]:
    """``COORDINATOR_IDS``: "TELEGRAM_USER_ID:SLUG" pairs separated by commas or spaces."""
    pairs = []
    for part in re.split(r"[,\s]+", spec.strip()):
        if not part:
            continue
        found = COORDINATOR_SPEC.match(part)
        if found is None:
            raise ValueError(f"‘{part}’ is geen TELEGRAM_USER_ID:partnerschap, bijv. 123456789:poo-marnix")
        pairs.append((int(found.group(1)), found.group(2)))
    return pairs


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str | None = Field(
        default=None, description="Bot API server, e.g. http://127.0.0.1:8081/bot (default: Telegram's)"
    )
    webhook_url: str | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8443, ge=1, le=65535)
    # Telegram sends it with every webhook call; only A-Z, a-z, 0-9, _ and - (Bot API setWebhook).
    webhook_secret_token: SecretStr | None = None
    database_url: str | None = None
    data_dir: Path = PROJECT_DIR / "data"
    knowledge_dir: Path = PROJECT_DIR / "knowledge" / "data"
    match_threshold: float = Field(default=0.6, gt=0, le=1)
    # How long a chat's previous question is kept for a follow-up ("en in Groningen?"); 0 = never.
    follow_up_minutes: float = Field(default=10.0, ge=0, le=120)
    default_partnership: str | None = None
    question_retention_days: int = Field(default=180, ge=1)
    # Agenda and delivery (bot/services/agenda.py, bot/delivery.py).
    agenda_horizon_days: int = Field(default=400, ge=1, le=3650)
    quiet_hours: str = "21:00-07:00"
    delivery_poll_seconds: float = Field(default=5.0, gt=0, le=60)
    delivery_batch_size: int = Field(default=5, ge=1, le=30)
    # The lease of a claimed delivery: renewed while its send is under way; another instance takes
    # the row over only once it ran out (its owner died or hangs).
    delivery_claim_timeout_seconds: float = Field(default=120.0, ge=1, le=3600)
    delivery_retention_days: int = Field(default=180, ge=1)
    # Update inbox rows belong to the instance that received them while it renews this lease; another
    # instance takes them over only once it ran out (bot/inbox.py).
    inbox_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # How often the running bot looks for a changed knowledge overlay (bot/services/knowledge.py).
    knowledge_reload_seconds: float = Field(default=5.0, gt=0, le=10)
    # The largest file a coordinator may send in chat to import (handlers/files.py), checked before it
    # is downloaded; Telegram lets a bot download at most 20 MB. The import's own limits apply as well
    # (5 MB for a CSV or Excel file, 10 MB for an ICS file).
    chat_file_max_bytes: int = Field(default=5_000_000, ge=1_000, le=20_000_000)
    # Broadcasts (bot/services/broadcasts.py): Telegram's paid broadcasts (up to 1000/s, paid in Stars)
    # only when switched on; how long `python -m bot broadcast` waits without any progress before it
    # says that the bot does not seem to run.
    allow_paid_broadcast: bool = False
    broadcast_wait_seconds: float = Field(default=120.0, gt=0)
    # Coordinator rights granted at start: "TELEGRAM_USER_ID:SLUG", separated by commas.
    coordinator_ids: str = ""
    log_level: str = "INFO"
    use_uvloop: bool = False
    # Updates one user may send per window before the bot ignores them for a while.
    # Per private chat: CHAT_BURST updates start at once, then one per interval after the previous one
    # is done (Telegram takes about one message per second per chat; a 429 pauses every chat's replies).
    # 0 switches the pacing off (the tests, except where pacing is tested).
    chat_pacing_seconds: float = Field(default=1.0, ge=0, le=10)
    chat_burst: int = Field(default=1, ge=1, le=30)
    # Telegram takes about 30 messages/s per bot, whatever number of instances sends them: with N
    # instances sending side by side (webhook mode behind a load balancer), give each 29.5 / N.
    messages_per_second: float = Field(default=29.5, gt=0, le=30)
    # A reply that gets a 429 is sent again after Telegram's retry_after, in its chat's turn, until the
    # requests of one update have waited this many seconds together (bot/retries.py); then the user
    # gets "Sorry". 0: no retries.
    reply_retry_seconds: float = Field(default=30, ge=0, le=300)
    # The coordinators' web view (bot/web/): served by the bot's own process. 0 = any free port
    # (tests). WEB_PUBLIC_URL is the address coordinators use (behind the TLS proxy in production);
    # the Mini App button needs https. Without it, the local address is used.
    web_enabled: bool = True
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=0, le=65535)
    web_public_url: str | None = None
    web_link_minutes: float = Field(default=10.0, gt=0, le=60)
    web_session_hours: float = Field(default=12.0, gt=0, le=24 * 7)
    # A Mini App's signed initData is accepted this long after Telegram signed it.
    web_init_data_max_age_seconds: int = Field(default=3600, ge=60, le=86400)
    # When set, /metrics answers only a scraper that sends "Authorization: Bearer <token>".
    metrics_token: SecretStr | None = None
    flood_max_updates: int = Field(default=15, ge=1)
    flood_window_seconds: float = Field(default=30.0, gt=0)

    @field_validator(
        "telegram_bot_token",
        "webhook_url",
        "database_url",
        "telegram_api_base_url",
        "webhook_secret_token",
        "default_partnership",
        "web_public_url",
        "metrics_token",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return value or None

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("alleen A-Z, a-z, 0-9, _ en -, hooguit 256 tekens")
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _quiet_hours_shape(cls, value: str) -> str:
        if value.strip() and not QUIET_HOURS.match(value):
            raise ValueError("gebruik UU:MM-UU:MM, bijvoorbeeld 21:00-07:00, of laat leeg")
        return value

    @field_validator("coordinator_ids")
    @classmethod
    def _coordinator_ids_shape(cls, value: str) -> str:
        parse_coordinator_ids(value)  # raises ValueError with a Dutch message
        return value

    @field_validator("web_public_url")
    @classmethod
    def _web_url_shape(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("een volledig adres, bijvoorbeeld https://bot.example.org/")
        return value.rstrip("/") + "/" if value is not None else None

    @property
    def effective_database_url(self) -> str:
        """DATABASE_URL, or the embedded SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir / 'samen-opleiden.sqlite3'}"
