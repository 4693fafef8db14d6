"""Where the console database is, one Engine per URL, and its schema brought up to date.

The URL comes from ``ENVOY_CONSOLE_DATABASE_URL``, else ``[console] database_url`` in
``.streamlit/secrets.toml``, else a SQLite file ``data/console.db``. The first use of a URL in a
process upgrades its schema with Alembic (and carries over a legacy audit file), under a lock
that also holds between processes: a PostgreSQL advisory lock, or SQLite's write lock.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.util import CommandError
from sqlalchemy.engine import URL, Connection, Engine

from components.settings import secrets_table

from . import legacy
from .errors import StoreError

log = logging.getLogger("envoy_console.store")
URL_ENV = "ENVOY_CONSOLE_DATABASE_URL"
DEFAULT_URL = "sqlite:///data/console.db"
LOCK_WAIT = 30.0  # seconds a SQLite write waits for another writer before it gives up
# Any constant works; all console processes must agree on it (pg_advisory_xact_lock key).
SCHEMA_LOCK_KEY = 0x656E766F79  # "envoy"
MIGRATIONS = Path(__file__).with_name("migrations")

_lock = threading.Lock()
_engines: dict[str, Engine] = {}
_ready: set[str] = set()  # URLs whose schema this process has upgraded


def _short(exc: BaseException) -> str:
    """The driver's own first line (SQLAlchemy's text would add the statement's parameters)."""
    inner = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    first = (str(inner).strip().splitlines() or [""])[0]
    return f"{type(inner).__name__}: {first}"[:200]


@contextmanager
def guard(doing: str) -> Iterator[None]:
    """Turn a database failure into a ``StoreError`` (and a log line naming only its kind)."""
    try:
        yield
    except StoreError:
        raise
    except (sa.exc.SQLAlchemyError, CommandError, sqlite3.Error, OSError) as exc:
        log.warning("console database: could not %s: %s", doing, type(exc).__name__)
        raise StoreError(_short(exc)) from exc


def database_url() -> str:
    """The configured URL (environment first, then secrets, then the local SQLite file)."""
    value = os.environ.get(URL_ENV) or secrets_table("console").get("database_url") or DEFAULT_URL
    return str(value).strip()


def parse(url: str) -> URL:
    """The URL, with PostgreSQL always on psycopg 3; the error never repeats the URL (it may
    hold a password)."""
    try:
        parsed = sa.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise StoreError(f"{URL_ENV} is not a database URL") from exc
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"the console database must be SQLite or PostgreSQL, not {parsed.drivername}"
        )
    return parsed


def describe(url: str | None = None) -> str:
    """Where records are kept, for people: no user name, no password."""
    try:
        parsed = parse(url or database_url())
    except StoreError:
        return "the console database (its URL cannot be read)"
    if parsed.get_backend_name() == "sqlite":
        return f"the console database (SQLite file {parsed.database or 'in memory'})"
    where = f"{parsed.host or 'localhost'}{f':{parsed.port}' if parsed.port else ''}"
    return f"the console database (PostgreSQL at {where}/{parsed.database or ''})"


def _sqlite_engine(parsed: URL) -> Engine:
    path = parsed.database
    if path and path != ":memory:" and not path.startswith("file:"):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    eng = sa.create_engine(parsed, connect_args={"timeout": LOCK_WAIT})

    @sa.event.listens_for(eng, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # sqlite3 would BEGIN lazily and only before DML; we BEGIN ourselves (below) so that a
        # transaction reads and writes under one lock, DDL included.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout={int(LOCK_WAIT * 1000)}")
        _wal(cursor)  # readers do not wait for the writer
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(eng, "begin")
    def _on_begin(conn: Connection) -> None:
        # IMMEDIATE takes the write lock up front (waiting out the busy timeout): a transaction
        # that read first and wrote later could otherwise fail at once with "database is
        # locked" when another writer got in between. Reads ask for a plain BEGIN.
        mode = "BEGIN" if conn.get_execution_options().get("store_read_only") else "BEGIN IMMEDIATE"
        conn.exec_driver_sql(mode)

    return eng


def _wal(cursor: Any) -> None:
    """Put the database in WAL mode. Switching needs the database to itself, and SQLite answers
    "database is locked" at once, without its busy timeout, while another process holds it:
    consoles starting together on a new file then failed to open it. The switch is kept in the
    file, so it is retried until one of them made it or the lock wait is over."""
    deadline = time.monotonic() + LOCK_WAIT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _create(url: str) -> Engine:
    parsed = parse(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(parsed)
    # pre_ping: a server restart must not surface as an error on the next click.
    return sa.create_engine(parsed, pool_pre_ping=True)


def alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.attributes["connection"] = conn
    return config


def _upgrade(eng: Engine) -> None:
    """Bring the schema to head, then carry over the legacy audit file, in one transaction that
    holds the cross-process lock (two consoles starting at once: the second waits, then finds
    nothing to do)."""
    with eng.begin() as conn:  # on SQLite: BEGIN IMMEDIATE, the database's write lock
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
        command.upgrade(alembic_config(conn), "head")
        legacy.carry_over(conn)


def engine(url: str | None = None) -> Engine:
    """The Engine for ``url`` (default: the configured one), its schema upgraded once per
    process. Raises ``StoreError``."""
    url = url or database_url()
    if url in _ready:
        return _engines[url]
    with _lock, guard("open the console database"):
        if url not in _engines:
            _engines[url] = _create(url)
        if url not in _ready:
            _upgrade(_engines[url])
            _ready.add(url)
        return _engines[url]


def reset() -> None:
    """Forget every Engine and upgrade (tests; a process that changes its configuration)."""
    with _lock:
        for eng in _engines.values():
            eng.dispose()
        _engines.clear()
        _ready.clear()


@contextmanager
def write(doing: str) -> Iterator[Connection]:
    """A write transaction, committed on leaving; failures become ``StoreError``."""
    eng = engine()
    with guard(doing), eng.begin() as conn:
        yield conn


@contextmanager
def read(doing: str) -> Iterator[Connection]:
    eng = engine()
    with guard(doing), eng.connect() as conn:
        conn.execution_options(store_read_only=True)
        with conn.begin():
            yield conn
