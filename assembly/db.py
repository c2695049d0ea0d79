"""Engine, per-request session and the ``flask db`` migration commands."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from alembic import command as alembic_command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app, g
from flask.cli import with_appcontext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool
from sqlmodel import Session

from .settings import settings

ROOT_DIR = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = ROOT_DIR / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 15000
# Connections each process keeps open to a SQLite file (a web worker needs one or two).
SQLITE_POOL_SIZE = 4


def build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)

    database = parsed.database
    if database and database != ":memory:":
        try:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        except OSError:
            pass  # reported by /healthz and on first use, not at start-up
    engine = create_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
        # Keeping a few connections open spares every request opening the file, setting
        # it up and closing it again (closing the last one may checkpoint the WAL).
        poolclass=QueuePool,
        pool_size=SQLITE_POOL_SIZE,
        max_overflow=SQLITE_POOL_SIZE,
    )
    _configure_sqlite(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling starts transactions late and never as IMMEDIATE,
    # so two writers can deadlock on lock upgrade. We switch it off and begin ourselves
    # (the recipe from SQLAlchemy's pysqlite documentation).
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # In WAL mode NORMAL never corrupts the database; a power cut may lose the last
        # commits, while every commit saves an fsync (several milliseconds each).
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Every transaction takes the write lock up front: a request that only reads pays
        # little for it, and one that writes never fails half-way with SQLITE_BUSY.
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def init_app(app: Flask) -> None:
    engine = build_engine(settings(app).database_url)
    app.extensions["burgerberaad.engine"] = engine
    app.teardown_appcontext(_close_session)
    app.cli.add_command(db_cli)


def get_engine(app: Flask | None = None) -> Engine:
    engine: Engine = (app or current_app).extensions["burgerberaad.engine"]
    return engine


def new_session(app: Flask | None = None) -> Session:
    return Session(get_engine(app), expire_on_commit=False)


def get_session() -> Session:
    """The session of the current request (or CLI command), closed at teardown."""
    if "db_session" not in g:
        g.db_session = new_session()
    session: Session = g.db_session
    return session


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A short-lived session for background jobs; commits on success."""
    session = new_session(app)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


# --- migrations -------------------------------------------------------------------------


def alembic_config(connection: Any = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        alembic_command.upgrade(alembic_config(connection), revision)


@click.group("db", help="Database migrations (Alembic).")
def db_cli() -> None:
    pass


@db_cli.command("upgrade", help="Bring the database up to the newest schema.")
@click.argument("revision", default="head")
@with_appcontext
def upgrade_command(revision: str) -> None:
    upgrade(get_engine(), revision)
    click.echo(f"Database upgraded to {revision}.")


@db_cli.command("downgrade", help="Go back to an older schema (may lose data).")
@click.argument("revision")
@with_appcontext
def downgrade_command(revision: str) -> None:
    with get_engine().begin() as connection:
        alembic_command.downgrade(alembic_config(connection), revision)


@db_cli.command("current", help="Show the schema revision of the database.")
@with_appcontext
def current_command() -> None:
    with get_engine().begin() as connection:
        alembic_command.current(alembic_config(connection), verbose=True)


@db_cli.command("revision", help="Write a new migration from the difference with the models.")
@click.option("-m", "--message", required=True)
@with_appcontext
def revision_command(message: str) -> None:
    with get_engine().begin() as connection:
        alembic_command.revision(alembic_config(connection), message=message, autogenerate=True)
