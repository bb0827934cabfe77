"""Database plumbing: which URL, an engine tuned for it, and migrations to the latest schema.

SQLite (the embedded default, a file under `data_dir`) and PostgreSQL
(`DATABASE_URL`) are both supported. Migrations are Alembic's, applied at
startup; on PostgreSQL an advisory lock lets several replicas start at once.
"""

from __future__ import annotations

import re
import sqlite3
import time
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from service.config import Settings
from service.errors import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATION_LOCK = 74_031_204  # any constant; shared by every replica of this service
_WAL_SWITCH_TRIES = 200  # 10 s


def database_url(settings: Settings) -> str:
    """The configured URL, with bare PostgreSQL schemes pointed at psycopg 3."""
    url = settings.database_url
    if not url:
        return f"sqlite:///{Path(settings.data_dir) / 'jobs.db'}"
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL and a busy timeout so threads can share it."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            "DATABASE_URL is not a database URL",
            hint="use sqlite:///path/jobs.db or postgresql://user@host:5432/db",
        ) from exc
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:  # a traceback had named no setting
                raise ConfigError(
                    f"cannot create the folder of the job database {folder}: {exc.strerror}",
                    hint="set DIGEST_DATA_DIR (or DATABASE_URL) to a folder this process may write",
                ) from exc
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() != "postgresql":
        raise ConfigError(
            f"unsupported database {parsed.get_backend_name()!r}",
            hint="use SQLite (the default) or PostgreSQL",
        )
    try:
        # a server that drops packets: fail in 10 s (a worker hung at start, a request waited)
        # (unless the URL sets its own connect_timeout)
        waits = {} if "connect_timeout" in parsed.query else {"connect_timeout": 10}
        return create_engine(
            url, pool_pre_ping=True, pool_size=10, max_overflow=10, connect_args=waits
        )
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(f"cannot use DATABASE_URL: {exc}") from exc


def _sqlite_pragmas(dbapi_connection: Any, _record: object) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")
    # switching a new file to WAL while another process does the same can answer "locked"
    # at once, without the busy timeout: retry for a while, as the timeout would have
    for attempt in range(_WAL_SWITCH_TRIES):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == _WAL_SWITCH_TRIES - 1:
                raise
            time.sleep(0.05)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def migrate(engine: Engine) -> None:
    """Bring the schema to the latest revision; safe to call from several processes at once
    (PostgreSQL: an advisory lock; SQLite: the database's write lock)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        with engine.connect() as connection:
            is_postgres = connection.dialect.name == "postgresql"
            if is_postgres:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _MIGRATION_LOCK})
                connection.commit()
            elif connection.dialect.name == "sqlite":
                # pysqlite runs DDL outside any transaction, so two processes starting on a
                # new file (uvicorn --workers 2) would both create the tables and one would
                # fail; the write lock, taken before Alembic reads the version, orders them
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                connection.commit()
            finally:
                if is_postgres:
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": _MIGRATION_LOCK}
                    )
                    connection.commit()
    except SQLAlchemyError as exc:
        raise ConfigError(
            f"cannot reach or migrate the job database: {_first_line(exc)}",
            hint=_database_hint(exc),
        ) from exc


def _first_line(exc: SQLAlchemyError) -> str:
    """The driver's own words ('database "digest" does not exist'), not only the class."""
    words = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {words[0][:200]}" if words else exc.__class__.__name__


def _database_hint(exc: SQLAlchemyError) -> str:
    missing = re.search(r'database "([^"]+)" does not exist', str(exc))
    if missing:
        return f"create it first (createdb {missing.group(1)}, or CREATE DATABASE in psql)"
    return "check DATABASE_URL and that the database server is running"
