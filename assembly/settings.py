"""Every setting of the application, with its type, default and meaning, in one place.

Read a setting as ``settings().draw_time_limit``: typed, with its default, from the
application's configuration (defaults, then ``BURGERBERAAD_*`` environment variables, then
the overrides given to ``create_app``). Code never reads ``app.config`` for a key that is
not declared here; ``tests/test_settings.py`` checks the source and README's table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Generic, TypeVar, overload
from zoneinfo import ZoneInfo

from flask import Flask, current_app

T = TypeVar("T")
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production


@dataclass(frozen=True)
class Key(Generic[T]):
    """One configuration key: its name in ``app.config``, its default and its meaning.

    ``default`` may be a function of the instance folder (for paths inside it).
    ``documented``: listed in README's configuration table (Flask's own keys are not).
    """

    name: str
    default: Any
    convert: Callable[[Any], T]
    meaning: str
    documented: bool = True

    def default_for(self, instance: Path) -> Any:
        return self.default(instance) if callable(self.default) else self.default

    @overload
    def __get__(self, obj: None, owner: type) -> Key[T]: ...
    @overload
    def __get__(self, obj: Settings, owner: type) -> T: ...
    def __get__(self, obj: Settings | None, owner: type) -> Key[T] | T:
        if obj is None:
            return self
        raw = obj.config.get(self.name)
        if raw is None:
            raw = self.default_for(Path("instance"))
        return self.convert(raw)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_float(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def _bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on")
    return bool(value)


def _languages(value: Any) -> list[str]:
    return [part.strip() for part in value.split(",")] if isinstance(value, str) else list(value)


class Settings:
    """A typed view of one application's configuration (read live, never cached)."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self.config = config

    # --- the installation ---------------------------------------------------------------
    env = Key("ENV", "production", str, "`production` refuses to start with the default "
              "secret key and sets secure cookies; use `development` on your own machine")
    secret_key = Key("SECRET_KEY", DEFAULT_SECRET_KEY, str,
                     "long random value; required in production")
    database_url = Key("DATABASE_URL", lambda i: f"sqlite:///{i / 'burgerberaad.db'}", str,
                       "SQLAlchemy URL (also read from `DATABASE_URL`); `postgresql://…` "
                       "uses psycopg 3")
    base_url = Key("BASE_URL", "http://127.0.0.1:5000", str,
                   "public address, used in links in e-mails and letters")
    timezone_name = Key("TIMEZONE", "Europe/Amsterdam", str,
                        "the time zone in which dates are entered and shown")
    trusted_proxies = Key("TRUSTED_PROXIES", 0, int,
                          "number of reverse proxies whose `X-Forwarded-*` headers to trust")
    public_cache_pages = Key("PUBLIC_CACHE_PAGES", 500, int,
                             "published pages each process keeps ready (0: no cache)")
    import_folder = Key("IMPORT_FOLDER", lambda i: str(i / "imports"), str,
                        "where uploaded address lists wait for the background job")

    # --- mail ---------------------------------------------------------------------------
    mail_server = Key("MAIL_SERVER", "", str,
                      "SMTP host; without it messages stay in the outbox")
    mail_port = Key("MAIL_PORT", 25, int, "SMTP port")
    mail_username = Key("MAIL_USERNAME", "", str, "SMTP login")
    mail_password = Key("MAIL_PASSWORD", "", str, "SMTP password")
    mail_use_tls = Key("MAIL_USE_TLS", False, _bool, "STARTTLS")
    mail_use_ssl = Key("MAIL_USE_SSL", False, _bool, "implicit TLS")
    mail_from = Key("MAIL_FROM", "Burgerberaad <noreply@example.org>", str, "sender")
    mail_timeout = Key("MAIL_TIMEOUT", 10, int, "seconds to wait for the SMTP server")
    mail_max_attempts = Key("MAIL_MAX_ATTEMPTS", 8, int,
                            "tries before a message is marked failed")
    dev_outbox = Key("DEV_OUTBOX", False, _bool,
                     "show the outbox at `/dev/outbox` (organisers only)")

    # --- background jobs ------------------------------------------------------------------
    redis_url = Key("REDIS_URL", "", str, "job queue on Redis (needed for workers on "
                    "several machines; install the `redis` extra)")
    huey_path = Key("HUEY_PATH", lambda i: str(i / "jobs.db"), str,
                    "the SQLite job queue when Redis is not used")
    jobs_immediate = Key("JOBS_IMMEDIATE", False, _bool,
                         "run jobs at once, inside the request (tests)")
    jobs_in_process = Key("JOBS_IN_PROCESS", False, _bool,
                          "run jobs in threads of the web process (the demo)")

    # --- staff accounts ---------------------------------------------------------------------
    password_hash_method = Key("PASSWORD_HASH_METHOD", "scrypt", str,
                               "werkzeug's password hash method")
    login_max_failures_per_account = Key("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5, int,
                                         "failed logins allowed per account in the window")
    login_max_failures_per_ip = Key("LOGIN_MAX_FAILURES_PER_IP", 20, int,
                                    "failed logins allowed per address in the window")
    login_failure_window_minutes = Key("LOGIN_FAILURE_WINDOW_MINUTES", 15, int,
                                       "the window of the login limits, in minutes")
    password_reset_hours = Key("PASSWORD_RESET_HOURS", 2, int,
                               "how long a password reset link works")

    # --- registration -------------------------------------------------------------------------
    code_max_failures_per_ip = Key("CODE_MAX_FAILURES_PER_IP", 10, int,
                                   "wrong registration codes allowed per address in the window")
    code_window_minutes = Key("CODE_WINDOW_MINUTES", 15, int,
                              "the window of the code limits, in minutes")
    open_registrations_per_ip = Key("OPEN_REGISTRATIONS_PER_IP", 20, int,
                                    "registrations without a code per address in the window")
    registration_min_fill_seconds = Key("REGISTRATION_MIN_FILL_SECONDS", 3.0, float,
                                        "a form sent back faster than this is a bot's")
    registration_max_form_age = Key("REGISTRATION_MAX_FORM_AGE", 12 * 3600, int,
                                    "seconds a registration form stays valid")

    # --- the panel draw ---------------------------------------------------------------------
    draw_tolerance = Key("DRAW_TOLERANCE", 1e-6, float,
                         "how close to exact LEXIMIN the chances must be (published)")
    draw_time_limit = Key("DRAW_TIME_LIMIT", None, _optional_float,
                          "seconds a lottery may take before it stops (empty: no limit)")
    draw_stale_seconds = Key("DRAW_STALE_SECONDS", 60.0, float,
                             "a lottery whose worker is silent this long can be restarted")
    draw_heartbeat_seconds = Key("DRAW_HEARTBEAT_SECONDS", 5.0, float,
                                 "how often a computing lottery reports that it is alive")
    draw_progress_seconds = Key("DRAW_PROGRESS_SECONDS", 1.0, float,
                                "how often a computing lottery writes its progress")
    import_stale_minutes = Key("IMPORT_STALE_MINUTES", 10.0, float,
                               "an address import silent this long is marked failed")

    # --- Flask and its extensions (not environment settings people usually change) ---------
    testing = Key("TESTING", False, _bool, "tests", documented=False)
    babel_default_locale = Key("BABEL_DEFAULT_LOCALE", "nl", str, "", documented=False)
    languages = Key("LANGUAGES", ["nl", "en"], _languages, "", documented=False)
    wtf_csrf_time_limit = Key("WTF_CSRF_TIME_LIMIT", None, _optional_float, "",
                              documented=False)
    session_cookie_name = Key("SESSION_COOKIE_NAME", "session", str, "", documented=False)
    session_cookie_httponly = Key("SESSION_COOKIE_HTTPONLY", True, _bool, "", documented=False)
    session_cookie_samesite = Key("SESSION_COOKIE_SAMESITE", "Lax", str, "", documented=False)
    session_cookie_secure = Key("SESSION_COOKIE_SECURE", False, _bool, "", documented=False)
    remember_cookie_httponly = Key("REMEMBER_COOKIE_HTTPONLY", True, _bool, "",
                                   documented=False)
    remember_cookie_samesite = Key("REMEMBER_COOKIE_SAMESITE", "Lax", str, "",
                                   documented=False)

    # --- derived values ---------------------------------------------------------------------
    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def is_production(self) -> bool:
        return self.env == "production" and not self.testing

    @property
    def draw_stale_after(self) -> timedelta:
        return timedelta(seconds=self.draw_stale_seconds)

    @property
    def import_stale_after(self) -> timedelta:
        return timedelta(minutes=self.import_stale_minutes)


def keys() -> list[Key[Any]]:
    """Every declared key, in declaration order."""
    return [value for value in vars(Settings).values() if isinstance(value, Key)]


def defaults(instance_path: str | Path) -> dict[str, Any]:
    """The default of every key: the application's configuration starts from these."""
    instance = Path(instance_path)
    return {key.name: key.default_for(instance) for key in keys()}


def settings(app: Flask | None = None) -> Settings:
    """The settings of ``app`` (the current application by default)."""
    return Settings((app or current_app).config)
