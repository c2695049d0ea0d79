from __future__ import annotations

import pytest
from flask import Flask

from assembly import create_app
from assembly.config import ConfigError, normalise_database_url


def test_factory_builds_an_app_per_call(make_app) -> None:
    first, second = make_app(), make_app()
    assert isinstance(first, Flask) and first is not second
    assert first.config["TESTING"] is True


def test_production_refuses_the_default_secret_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BURGERBERAAD_SECRET_KEY", raising=False)
    monkeypatch.setenv("BURGERBERAAD_ENV", "production")
    with pytest.raises(ConfigError, match="secret key"):
        create_app({"DATABASE_URL": "sqlite://"})


def test_production_with_a_key_uses_secure_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURGERBERAAD_ENV", "production")
    monkeypatch.setenv("BURGERBERAAD_SECRET_KEY", "a-long-random-production-key")
    app = create_app({"DATABASE_URL": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_configuration_comes_from_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BURGERBERAAD_ENV", "development")
    monkeypatch.setenv("BURGERBERAAD_BASE_URL", "https://beraad.example.nl/")
    monkeypatch.setenv("BURGERBERAAD_MAIL_PORT", "587")
    monkeypatch.setenv("DATABASE_URL", "postgres://u@db/beraad")
    app = create_app()
    assert app.config["BASE_URL"] == "https://beraad.example.nl"
    assert app.config["MAIL_PORT"] == 587
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://u@db/beraad"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u@h/d", "postgresql+psycopg://u@h/d"),
        ("postgresql+psycopg://u@h/d", "postgresql+psycopg://u@h/d"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_urls_use_psycopg_3(given: str, expected: str) -> None:
    assert normalise_database_url(given) == expected
