"""Configuration from the environment, read once per process."""

from __future__ import annotations

import math
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite://./var/consult.sqlite3"


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


def _positive(name: str, default: float) -> float:
    value = _float(name, default)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number of seconds, not {os.environ.get(name)!r}")
    return value


def _anchor_file(database_url: str) -> str:
    from consult.anchors import default_file

    chosen = os.environ.get("CONSULT_ANCHOR_FILE", "").strip()
    if chosen.lower() == "off":
        return ""
    return chosen or str(default_file(database_url))


def _anchor_url() -> str:
    url = os.environ.get("CONSULT_ANCHOR_URL", "").strip()
    if url and not url.lower().startswith(("http://", "https://")):
        raise ValueError(f"CONSULT_ANCHOR_URL must be an http:// or https:// address, not {url!r}")
    return url


def anchor_destinations(database_url: str) -> tuple[str, str, str]:
    """Where anchors go (file, outbound URL, its token), from the environment: what a CLI command
    needs to anchor its writes, without the rest of the settings (the server key above all)."""
    return _anchor_file(database_url), _anchor_url(), os.environ.get("CONSULT_ANCHOR_TOKEN", "").strip()


def default_photo_dir(database_url: str) -> str:
    """Beside an embedded SQLite database; for PostgreSQL, under ./var, named after the database."""
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        return str(Path(database_url.removeprefix("sqlite://")).parent / "photos")
    name = database_url.rsplit("/", 1)[-1].split("?", 1)[0] or "consult"
    return str(Path("var") / f"photos-{name}")


def _switch(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "on", "true", "yes"):
        return True
    if raw in ("0", "off", "false", "no"):
        return False
    raise ValueError(f"{name} must be on or off, not {os.environ.get(name)!r}")


def _list(name: str) -> list[str]:
    raw = os.environ.get(name, "")
    return [item.strip() for item in raw.split(",") if item.strip()]


def _choice(name: str, allowed: tuple[str, ...]) -> str:
    """One of `allowed` (the first when unset)."""
    raw = os.environ.get(name, "").strip().lower() or allowed[0]
    if raw not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {os.environ.get(name)!r}")
    return raw


def _metrics_mode() -> str:
    mode = _choice("CONSULT_METRICS", ("local", "token", "off"))
    if mode == "token" and len(os.environ.get("CONSULT_METRICS_TOKEN", "").strip()) < 16:
        raise ValueError("CONSULT_METRICS=token needs CONSULT_METRICS_TOKEN, at least 16 characters long")
    return mode


def _secret_key(database_url: str) -> str:
    """The server key for keyed hashes (invitation codes, later ballots).

    Production sets CONSULT_SECRET_KEY. An embedded SQLite install keeps a generated key
    in a file beside its database so that restarts keep codes valid.
    """
    key = os.environ.get("CONSULT_SECRET_KEY")
    if key:
        return key
    if database_url.startswith("sqlite://") and ":memory:" not in database_url:
        db_path = Path(database_url.removeprefix("sqlite://"))
        key_path = db_path.parent / "secret.key"
        if key_path.exists():
            return key_path.read_text().strip()
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(key + "\n")
        return key
    raise RuntimeError("CONSULT_SECRET_KEY must be set when the database is not a local SQLite file")


@dataclass(frozen=True)
class ReminderSettings:
    """The reminder scheduler and its outbound channels (consult.services.reminders). Email goes
    out when `smtp_host` is set, the webhook when `webhook_url` is."""

    # Seconds between sweeps; 0 turns the scheduler off in this process.
    every_seconds: float = 60.0
    # Days after a proposal is adopted that an unconfirmed cost share is reminded of.
    share_days: int = 3
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = ""
    # STARTTLS after connecting (port 587); "tls" for implicit TLS (port 465), "off" for neither.
    smtp_tls: str = "starttls"
    # An enterprise-chat group robot's address: a JSON POST {"msgtype": "text", "text": {"content": …}}.
    webhook_url: str = ""
    # A failed delivery is tried again after 30 s, 60 s, 120 s… at most `retry_cap_seconds` apart,
    # and given up (FAILED) after `max_attempts`.
    retry_base_seconds: float = 30.0
    retry_cap_seconds: float = 3600.0
    max_attempts: int = 12

    @classmethod
    def from_env(cls) -> ReminderSettings:
        webhook = os.environ.get("CONSULT_WEBHOOK_URL", "").strip()
        if webhook and not webhook.lower().startswith(("http://", "https://")):
            # not repeated back: the value carries the robot's key
            raise ValueError("CONSULT_WEBHOOK_URL must be an http:// or https:// address")
        every = _float("CONSULT_REMINDER_SECONDS", 60.0)
        if not math.isfinite(every) or every < 0:
            raise ValueError("CONSULT_REMINDER_SECONDS must be 0 (off) or a positive number of seconds")
        return cls(
            every_seconds=every,
            share_days=_int("CONSULT_REMINDER_SHARE_DAYS", 3),
            smtp_host=os.environ.get("CONSULT_SMTP_HOST", "").strip(),
            smtp_port=_int("CONSULT_SMTP_PORT", 587),
            smtp_user=os.environ.get("CONSULT_SMTP_USER", "").strip(),
            smtp_password=os.environ.get("CONSULT_SMTP_PASSWORD", ""),
            smtp_from=os.environ.get("CONSULT_SMTP_FROM", "").strip(),
            smtp_tls=_choice("CONSULT_SMTP_TLS", ("starttls", "tls", "off")),
            webhook_url=webhook,
            retry_base_seconds=_positive("CONSULT_DELIVERY_RETRY_SECONDS", 30.0),
            retry_cap_seconds=_positive("CONSULT_DELIVERY_RETRY_CAP_SECONDS", 3600.0),
            max_attempts=_int("CONSULT_DELIVERY_MAX_ATTEMPTS", 12),
        )


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    secret_key: str = "development-only"
    # Staff sessions are short; residents keep theirs long so that a 91-year-old
    # does not have to find the slip again before the vote.
    staff_session_hours: int = 12
    resident_session_days: int = 60
    cookie_secure: bool = False
    allowed_origins: list[str] = field(default_factory=list)
    # Failed logins/redemptions per client within the window: slowed from `auth_slow_after`,
    # refused with RATE_LIMITED from `auth_refuse_after`.
    auth_window_seconds: int = 900
    auth_slow_after: int = 3
    auth_refuse_after: int = 10
    auth_delay_seconds: float = 0.5
    # Failed sign-ins and redemptions across the installation, within the window, that log an alert.
    auth_alert_after: int = 300
    # Trust X-Forwarded-For from a reverse proxy on these addresses.
    trusted_proxies: list[str] = field(default_factory=list)
    # A 100,000-household roll is about 6 MB of JSON.
    max_body_bytes: int = 16 * 1024 * 1024
    debug: bool = False
    # The address printed on invitation slips' QR codes, e.g. https://xieshang.example.cn;
    # empty means the address the organizer's browser used.
    public_url: str = ""
    # A live stream re-checks its viewer's session at most this often while changes come
    # (and on its idle wake-up): a signed-out phone stops receiving within this time.
    session_recheck_seconds: float = 10.0
    # GraphiQL at GET /graphql, and schema introspection: on for development and for API
    # clients that read the schema; a public deployment may turn them off.
    graphiql: bool = True
    introspection: bool = True
    # Live subscriptions one worker holds open at once: per signed-in session, and per address
    # for the signed-out (one page holds two).
    # A GraphQL request over HTTP answers within this many seconds, or gets 503 TIMEOUT.
    request_seconds: float = 30.0
    # A client's time to send a request's head, and again its body (consult.serving).
    client_seconds: float = 10.0
    subscriptions_per_session: int = 10
    subscriptions_per_address: int = 50
    # Where every audit event's hash is appended, outside the database (consult.anchors); empty: nowhere.
    anchor_file: str = ""
    # Where the same anchors are POSTed as they commit (consult.anchors.Channel); empty: nowhere.
    anchor_url: str = ""
    anchor_token: str = ""
    # Where photos (随手拍) are kept, by content hash (consult.blobs); every worker must see the same directory.
    photo_dir: str = "var/photos"
    # Who may read GET /metrics: "local" (this machine, not through a proxy), "token" (a bearer
    # token, from anywhere) or "off" (no /metrics at all).
    metrics: str = "local"
    metrics_token: str = ""
    # "text" (uvicorn's lines) or "json" (one JSON object per line), for `consult serve`.
    log_format: str = "text"
    # The reminder scheduler and its email and webhook channels.
    reminders: ReminderSettings = field(default_factory=ReminderSettings)

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        url = normalize_database_url(database_url or os.environ.get("CONSULT_DATABASE_URL") or DEFAULT_DATABASE_URL)
        anchor_file, anchor_url, anchor_token = anchor_destinations(url)
        return cls(
            database_url=url,
            secret_key=_secret_key(url),
            staff_session_hours=_int("CONSULT_STAFF_SESSION_HOURS", 12),
            resident_session_days=_int("CONSULT_RESIDENT_SESSION_DAYS", 60),
            cookie_secure=os.environ.get("CONSULT_COOKIE_SECURE", "") in ("1", "true", "yes"),
            allowed_origins=_list("CONSULT_ALLOWED_ORIGINS"),
            auth_window_seconds=_int("CONSULT_AUTH_WINDOW_SECONDS", 900),
            auth_slow_after=_int("CONSULT_AUTH_SLOW_AFTER", 3),
            auth_refuse_after=_int("CONSULT_AUTH_REFUSE_AFTER", 10),
            auth_delay_seconds=_float("CONSULT_AUTH_DELAY_SECONDS", 0.5),
            auth_alert_after=_int("CONSULT_AUTH_ALERT_AFTER", 300),
            trusted_proxies=_list("CONSULT_TRUSTED_PROXIES"),
            max_body_bytes=_int("CONSULT_MAX_BODY_BYTES", 16 * 1024 * 1024),
            debug=os.environ.get("CONSULT_DEBUG", "") in ("1", "true", "yes"),
            public_url=os.environ.get("CONSULT_PUBLIC_URL", "").strip(),
            session_recheck_seconds=_positive("CONSULT_SESSION_RECHECK_SECONDS", 10.0),
            graphiql=_switch("CONSULT_GRAPHIQL", True),
            introspection=_switch("CONSULT_INTROSPECTION", True),
            anchor_file=anchor_file,
            anchor_url=anchor_url,
            anchor_token=anchor_token,
            photo_dir=os.environ.get("CONSULT_PHOTO_DIR", "").strip() or default_photo_dir(url),
            request_seconds=_positive("CONSULT_REQUEST_SECONDS", 30.0),
            client_seconds=_positive("CONSULT_CLIENT_SECONDS", 10.0),
            subscriptions_per_session=_int("CONSULT_SUBSCRIPTIONS_PER_SESSION", 10),
            subscriptions_per_address=_int("CONSULT_SUBSCRIPTIONS_PER_ADDRESS", 50),
            metrics=_metrics_mode(),
            metrics_token=os.environ.get("CONSULT_METRICS_TOKEN", "").strip(),
            log_format=_choice("CONSULT_LOG_FORMAT", ("text", "json")),
            reminders=ReminderSettings.from_env(),
        )


def normalize_database_url(url: str) -> str:
    """Accept the usual PostgreSQL spellings; Tortoise wants postgres://."""
    for prefix in ("postgresql://", "postgresql+asyncpg://", "asyncpg://"):
        if url.startswith(prefix):
            return "postgres://" + url[len(prefix) :]
    return url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
