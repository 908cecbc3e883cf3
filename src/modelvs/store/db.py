"""Engine creation and schema migrations.

``MODELVS_DATABASE_URL`` selects the database; the default is an embedded SQLite file in WAL
mode, which survives a killed process without losing committed rows. PostgreSQL
(``postgresql+psycopg://...``) is for deployments with several web workers or machines.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import DeclarativeBase

from modelvs.errors import ModelvsError

log = logging.getLogger(__name__)

DEFAULT_SQLITE_PATH = Path("var") / "modelvs.sqlite3"
URL_EXAMPLES = (
    "postgresql+psycopg://USER:PASSWORD@HOST:5432/DATABASE or sqlite:///path/to/modelvs.sqlite3"
)
# A password in the query string, such as ?password=... (psycopg accepts it there too).
QUERY_PASSWORD = re.compile(r"([?&][^=&]*password[^=&]*=)[^&]*", re.IGNORECASE)


class DatabaseOpenError(ModelvsError):
    """An invalid database URL, a missing database driver or an unreachable database."""


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


def make_engine(url: str | None = None, sqlite_busy_timeout_s: float = 30.0) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys.

    The busy timeout is how long a SQLite write waits for another writer's lock. Raises
    DatabaseOpenError, with any password masked, when the URL cannot be parsed, names an
    unknown dialect or a driver that is not installed, or is a SQLite file in a folder that
    does not exist. Connecting happens later, in ``upgrade`` or the first query.
    """
    url = url or database_url()
    parsed = _parse_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            _check_sqlite_folder(parsed)
            connect_args = {"timeout": sqlite_busy_timeout_s, "check_same_thread": False}
            engine = create_engine(parsed, connect_args=connect_args)
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin_immediate)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError:
        raise DatabaseOpenError(
            f"invalid database URL {mask_password(url)!r}: SQLAlchemy has no dialect or driver"
            f" {parsed.drivername!r}; set MODELVS_DATABASE_URL to a URL such as {URL_EXAMPLES}"
        ) from None
    except ImportError as exc:
        raise DatabaseOpenError(
            f"the database driver of {mask_password(url)!r} is not installed ({exc}); use"
            " postgresql+psycopg:// or sqlite:/// in MODELVS_DATABASE_URL"
        ) from None


def mask_password(url: str) -> str:
    """Return ``url`` with its password, in the user part or the query string, as ***."""
    try:
        shown = make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        # Unparsable: mask everything between the user name and the last @.
        shown = re.sub(r"(://[^/?#@:]*:).*@", r"\1***@", url)
    return QUERY_PASSWORD.sub(r"\1***", shown)


def _parse_url(url: str) -> URL:
    try:
        return make_url(url)
    except (ArgumentError, ValueError) as exc:
        # make_url raises ValueError for a port that is not a number.
        reason = "it is not a URL of the form DIALECT+DRIVER://USER:PASSWORD@HOST:PORT/DATABASE"
        if isinstance(exc, ValueError):
            reason = "its port is not a number"
        raise DatabaseOpenError(
            f"invalid database URL {mask_password(url)!r}: {reason}; set MODELVS_DATABASE_URL"
            f" to a URL such as {URL_EXAMPLES}, or unset it to use {DEFAULT_SQLITE_PATH}"
        ) from None


def _check_sqlite_folder(url: URL) -> None:
    """Reject a SQLite file whose folder does not exist; sqlite3 reports only "unable to open"."""
    database = url.database or ""
    in_memory = database in ("", ":memory:")
    uri = database.startswith("file:") or url.query.get("uri") == "true"
    if in_memory or uri:
        return
    folder = Path(database).parent
    if not folder.is_dir():
        raise DatabaseOpenError(
            f"cannot open the SQLite database {url.render_as_string(hide_password=False)!r}:"
            f" the folder {folder} does not exist; create it, or point MODELVS_DATABASE_URL at"
            " a file in an existing folder"
        )


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
    """Bring the schema to the newest revision of every migration branch.

    Connects first, so an unreachable database raises DatabaseOpenError instead of failing
    inside a migration.
    """
    check_connection(engine)
    try:
        command.upgrade(alembic_config(engine), "heads")
    except OperationalError as exc:
        # Typically SQLite's "database is locked": another process held the write lock for
        # the whole busy timeout.
        reason = (str(exc.orig).strip().splitlines() or ["no reason given"])[0]
        url = mask_password(engine.url.render_as_string(False))
        raise DatabaseOpenError(
            f"cannot update the schema of the database {url!r}: {reason}; if another process"
            " is writing to it, wait for it to finish and try again"
        ) from None
    log.info("database schema at the newest revision: %s", engine.url.render_as_string())


def check_connection(engine: Engine) -> None:
    """Open and close one connection, raising DatabaseOpenError (password masked) on failure."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        url = engine.url
        # The driver's message can span lines, and its first line names the failure.
        reason = (str(exc.orig).strip().splitlines() or ["no reason given"])[0]
        if url.password:
            reason = reason.replace(str(url.password), "***")
        fix = (
            "check that the file that MODELVS_DATABASE_URL names can be read and written"
            if url.get_backend_name() == "sqlite"
            else "check that the server runs and that MODELVS_DATABASE_URL has the right host,"
            " port, database, user and password"
        )
        raise DatabaseOpenError(
            f"cannot connect to the database {mask_password(url.render_as_string(False))!r}:"
            f" {reason}; {fix}"
        ) from None


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes must upgrade its lock, and two of them
    # can block each other until the busy timeout. BEGIN IMMEDIATE takes the write lock first,
    # so concurrent writers queue instead (readers still run beside them in WAL mode).
    connection.exec_driver_sql("BEGIN IMMEDIATE")
