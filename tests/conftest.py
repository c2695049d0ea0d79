"""Fixtures for the application tests.

The schema is built once per session from the migrations; each test gets fresh apps on
that database and the tables are emptied afterwards. ``TEST_DATABASE_URL`` runs every app
test on that database (PostgreSQL in CI); without it they run on a SQLite file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from assembly import create_app
from assembly.config import normalise_database_url
from assembly.db import build_engine, get_engine, get_session, upgrade
from assembly.models import Role

TEST_DATABASE_URL = normalise_database_url(os.environ.get("TEST_DATABASE_URL", ""))
PASSWORD = "correct horse battery"


def pytest_report_header() -> str:
    if TEST_DATABASE_URL:
        return f"app tests database: {TEST_DATABASE_URL.split('@')[-1]}"
    return (
        "app tests database: SQLite; PostgreSQL-specific tests are skipped "
        "(set TEST_DATABASE_URL to run them, as .ci/run does)"
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> str:
    if TEST_DATABASE_URL:
        return _database_of_worker(TEST_DATABASE_URL, worker_id)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def _database_of_worker(url: str, worker_id: str) -> str:
    """With pytest-xdist each worker gets a database of its own beside the given one."""
    if worker_id == "master":
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker_id}"
    admin = create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if exists is None:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def migrated_engine(database_url: str) -> Iterator[Engine]:
    engine = build_engine(database_url)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{name}"' for name in tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                connection.execute(text(f'DELETE FROM "{name}"'))


def test_config(database_url: str, **overrides: Any) -> dict[str, Any]:
    config: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        # A deliberately cheap hash: the KDF's cost is not what these tests are about.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "JOBS_IMMEDIATE": True,
        "DEV_OUTBOX": True,
        "BASE_URL": "http://burgerberaad.test",
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # type: ignore[attr-defined]


class SharedBytecode(BytecodeCache):
    """Compiled templates shared by the fresh apps the tests create: compiling the
    templates again for every app would cost more than most tests themselves."""

    store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


class AppCache:
    """Applications shared between tests, one per configuration (and per call within a
    test, so a test that asks twice still gets two apps).

    Building an app compiles every URL rule (werkzeug turns each into Python code), which
    costs more than most tests; a test gets an app in the state the factory left it, with
    its configuration restored after the test and the database emptied.
    """

    def __init__(self) -> None:
        self.apps: dict[tuple[str, int], tuple[Flask, dict[str, Any]]] = {}

    def get(self, key: str, ordinal: int, build: Callable[[], Flask]) -> Flask:
        found = self.apps.get((key, ordinal))
        if found is None:
            app = build()
            found = self.apps[(key, ordinal)] = (app, dict(app.config))
        return found[0]

    def restore(self, app: Flask) -> None:
        for cached, config in self.apps.values():
            if cached is app:
                cached.config.clear()
                cached.config.update(config)
                # The next test's database starts again at the same ids and versions.
                pages = cached.extensions.get("burgerberaad.page_cache")
                if pages is not None:
                    pages.clear()

    def close(self) -> None:
        for app, _config in self.apps.values():
            get_engine(app).dispose()


@pytest.fixture(scope="session")
def app_cache() -> Iterator[AppCache]:
    cache = AppCache()
    yield cache
    cache.close()


@pytest.fixture
def make_app(
    database_url: str, migrated_engine: Engine, app_cache: AppCache
) -> Iterator[Callable[..., Flask]]:
    used: list[Flask] = []
    calls: dict[str, int] = {}

    def build(overrides: dict[str, Any]) -> Flask:
        app = create_app(test_config(database_url, **overrides))
        app.jinja_env.bytecode_cache = SharedBytecode()
        return app

    def factory(**overrides: Any) -> Flask:
        key = repr(sorted(overrides.items()))
        calls[key] = calls.get(key, 0) + 1
        app = app_cache.get(key, calls[key], lambda: build(overrides))
        used.append(app)
        return app

    yield factory
    for app in used:
        app_cache.restore(app)
    empty_tables(migrated_engine)


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class World:
    """Two assemblies and a user of every kind."""

    slug_a: str
    slug_b: str
    emails: dict[str, str]


@pytest.fixture
def world(app: Flask) -> World:
    from assembly.auth.service import create_user
    from assembly.dashboard.service import AssemblyData, add_member, create_assembly

    people = {
        "admin": ("admin@example.org", Role.ADMIN, None),
        "organiser": ("org-a@example.org", Role.ORGANISER, "a"),
        "observer": ("obs-a@example.org", Role.OBSERVER, "a"),
        "other_organiser": ("org-b@example.org", Role.ORGANISER, "b"),
        "other_observer": ("obs-b@example.org", Role.OBSERVER, "b"),
    }
    with app.app_context():
        session = get_session()
        assemblies = {
            "a": create_assembly(
                session, None, AssemblyData(name="Beraad A", slug="beraad-a", panel_size=50)
            ),
            "b": create_assembly(
                session, None, AssemblyData(name="Beraad B", slug="beraad-b", panel_size=60)
            ),
        }
        for email, role, key in people.values():
            user = create_user(session, email, PASSWORD, role)
            if key:
                add_member(session, "test", user, assemblies[key])
        session.commit()
    return World("beraad-a", "beraad-b", {k: v[0] for k, v in people.items()})


def login(client: FlaskClient, email: str, password: str = PASSWORD, **kwargs: Any) -> Any:
    return client.post("/inloggen", data={"email": email, "password": password}, **kwargs)
