"""Loading the configuration: defaults, then ``BURGERBERAAD_*`` environment variables,
then the overrides given to ``create_app``; refusing to start when it is unsafe.

Flask's ``from_prefixed_env`` reads every ``BURGERBERAAD_NAME`` variable into ``NAME``
(values that parse as JSON become numbers or booleans). Every key is declared, with its
type, default and meaning, in :mod:`assembly.settings`.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from . import settings

ENV_PREFIX = "BURGERBERAAD"
DEFAULT_SECRET_KEY = settings.DEFAULT_SECRET_KEY


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete; the application refuses to start."""


def defaults(instance_path: str) -> dict[str, Any]:
    """Every key's default (declared with its type and meaning in :mod:`assembly.settings`)."""
    return settings.defaults(instance_path)


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
    return settings.settings(app).is_production
