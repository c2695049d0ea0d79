"""Configuration: defaults, overridden by ``BURGERBERAAD_*`` environment variables.

Flask's ``from_prefixed_env`` reads every ``BURGERBERAAD_NAME`` variable into ``NAME``
(values that parse as JSON become numbers or booleans), so any key below can be set from
the environment without code here.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ENV_PREFIX = "BURGERBERAAD"
DEFAULT_SECRET_KEY = "dev-only-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the application refuses to start."""


def defaults(instance_path: str) -> dict[str, Any]:
    instance = Path(instance_path)
    return {
        # "production" unless told otherwise: an installation that forgets to configure
        # itself must fail loudly rather than run with a public secret key.
        "ENV": "production",
        "SECRET_KEY": DEFAULT_SECRET_KEY,
        "DATABASE_URL": f"sqlite:///{instance / 'burgerberaad.db'}",
        "BASE_URL": "http://127.0.0.1:5000",
        "MAIL_SERVER": "",
        "MAIL_PORT": 25,
        "MAIL_USERNAME": "",
        "MAIL_PASSWORD": "",
        "MAIL_USE_TLS": False,
        "MAIL_USE_SSL": False,
        "MAIL_FROM": "Burgerberaad <noreply@example.org>",
        "MAIL_TIMEOUT": 10,
        "MAIL_MAX_ATTEMPTS": 8,
        "DEV_OUTBOX": False,
        "REDIS_URL": "",
        "HUEY_PATH": str(instance / "jobs.db"),
        "JOBS_IMMEDIATE": False,
        "PASSWORD_HASH_METHOD": "scrypt",
        "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
        "LOGIN_MAX_FAILURES_PER_IP": 20,
        "LOGIN_FAILURE_WINDOW_MINUTES": 15,
        "PASSWORD_RESET_HOURS": 2,
        "TRUSTED_PROXIES": 0,
        "BABEL_DEFAULT_LOCALE": "nl",
        "LANGUAGES": ["nl", "en"],
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
    }


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def load(app: Flask, overrides: dict[str, Any] | None) -> None:
    app.config.update(defaults(app.instance_path))
    # The conventional name used by hosting platforms, below our own prefix in priority.
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    app.config.from_prefixed_env(ENV_PREFIX)
    if overrides:
        app.config.update(overrides)
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])
    app.config["BASE_URL"] = app.config["BASE_URL"].rstrip("/")

    if is_production(app):
        if app.config["SECRET_KEY"] in ("", DEFAULT_SECRET_KEY):
            raise ConfigError(
                f"Refusing to start in production with the default secret key: set "
                f"{ENV_PREFIX}_SECRET_KEY to a long random value (or "
                f"{ENV_PREFIX}_ENV=development on a developer's machine)."
            )
        app.config.update(
            SESSION_COOKIE_SECURE=True,
            REMEMBER_COOKIE_SECURE=True,
            PREFERRED_URL_SCHEME="https",
        )


def is_production(app: Flask) -> bool:
    return app.config.get("ENV") == "production" and not app.config.get("TESTING")
