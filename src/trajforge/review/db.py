"""The review database: an engine for a URL (SQLite by default, PostgreSQL by URL), migrated
to the current schema by Alembic when the workspace starts, and sessions over it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from trajforge.errors import ConfigError

#: How long an SQLite writer waits for another one before giving up.
SQLITE_BUSY_MS = 30_000


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def normalize_url(url: str) -> str:
    """The SQLAlchemy URL of ``url``: a bare path is an SQLite file, ``postgresql://`` uses
    psycopg 3."""
    if "://" not in url:
        return f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str) -> Engine:
    """An engine for the database at ``url`` (see :func:`normalize_url`); a ConfigError for a
    URL that is not one, or names a database kind SQLAlchemy has no driver for."""
    try:
        return _engine(make_url(normalize_url(url)))
    except ArgumentError as exc:  # NoSuchModuleError (no such dialect) is one too
        raise ConfigError(f"not a database URL: {url!r} ({exc})", path="--db") from None


def _engine(parsed: URL) -> Engine:
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_size=20, max_overflow=20, pool_pre_ping=True)


def migrate(engine: Engine) -> None:
    """Bring the database to the current schema (Alembic ``upgrade head``)."""
    config = Config()
    config.set_main_option("script_location", "trajforge.review:migrations")
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except OperationalError as exc:
        raise ConfigError(
            f"cannot reach the review database: {exc.orig}",
            path="--db",
            hint="check the URL, and that the server runs and accepts this user",
        ) from None


class Database:
    """An engine and its session factory."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session (the caller closes it)."""
        return self._sessions()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session that commits at the end of the block (rolls back on an error)."""
        with self._sessions.begin() as session:
            yield session


def open_database(url: str) -> Database:
    """The database at ``url``, migrated to the current schema."""
    database = Database(url)
    migrate(database.engine)
    return database
