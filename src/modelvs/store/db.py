"""Engine creation and schema migrations.

``MODELVS_DATABASE_URL`` selects the database; the default is an embedded SQLite file in WAL
mode, which survives a killed process without losing committed rows. PostgreSQL
(``postgresql+psycopg://...``) is for deployments with several web workers or machines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase

log = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = Path("var") / "modelvs.sqlite3"


def as_utc(moment: dt.datetime) -> dt.datetime:
    """Attach UTC to a datetime read back from SQLite, which stores no time zone.

    Every stored time is UTC; an aware value is converted to UTC.
    """
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


class Base(DeclarativeBase):
    """Declarative base of every modelvs table."""


def database_url() -> str:
    """``$MODELVS_DATABASE_URL``, else the embedded SQLite file under ./var."""
    url = os.environ.get("MODELVS_DATABASE_URL")
    if url:
        return url
    DEFAULT_SQLITE_PATH.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DEFAULT_SQLITE_PATH}"


def make_engine(url: str | None = None) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    url = url or database_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event issue BEGIN instead of the sqlite3 module.
    connection.isolation_level = None
    cursor = connection.cursor()
    # WAL lets readers run beside one writer; synchronous=NORMAL in WAL mode keeps every
    # committed transaction across a process kill (only an OS crash can lose the last ones).
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@cache
def _migrations_dir() -> str:
    return str(files("modelvs").joinpath("store/migrations"))


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", _migrations_dir())
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest revision of every migration branch."""
    command.upgrade(alembic_config(engine), "heads")
    log.info("database schema at the newest revision: %s", engine.url.render_as_string())


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes must upgrade its lock, and two of them
    # can block each other until the busy timeout. BEGIN IMMEDIATE takes the write lock first,
    # so concurrent writers queue instead (readers still run beside them in WAL mode).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
