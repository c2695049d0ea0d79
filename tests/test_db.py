from __future__ import annotations

import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, text
from sqlmodel import SQLModel

from assembly import audit
from assembly.db import new_session

from .conftest import TEST_DATABASE_URL


def test_migrations_build_exactly_the_models(migrated_engine: Engine) -> None:
    with migrated_engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []


def test_sqlite_connections_are_configured(app) -> None:
    if TEST_DATABASE_URL:
        pytest.skip("SQLite-specific: this run uses TEST_DATABASE_URL")
    with app.app_context():
        session = new_session(app)
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert session.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
        session.close()


@pytest.mark.postgres
def test_postgres_concurrent_audit_writers_keep_one_chain(app) -> None:
    if not TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip(
            "PostgreSQL-specific: no PostgreSQL server configured "
            "(set TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/burgerberaad_test)"
        )
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                with app.app_context():
                    session = new_session(app)
                    audit.record(session, f"writer-{n}", "test.write", ("test", i))
                    session.commit()
                    session.close()
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        session = new_session(app)
        result = audit.verify(session)
        session.close()
    assert result.ok and result.entries == 40
