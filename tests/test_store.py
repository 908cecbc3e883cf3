"""The database layer on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import inspect

from modelvs.store.db import make_engine, upgrade


def test_migrations_create_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    assert "alembic_version" in inspect(engine).get_table_names()
    engine.dispose()


def test_sqlite_uses_wal(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/wal.sqlite3")
    with engine.connect() as connection:
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    engine.dispose()
