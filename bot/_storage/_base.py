"""The base of the SQL store: the engine, its SQLite settings, this
process's write lock, the read/write helpers every domain shares, and
migration; plus the text cleaning both databases need.

The domains (``_sources``, ``_items``, ``_outbox``) are mixins over
:class:`StoreBase`, composed into :class:`bot._storage.SQLStore`, as
lemon24/reader composes its storage.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from ..exceptions import InvalidValueError, NaiveDatetimeError, StorageError
from ..types import Item

__all__ = [
    "CHUNK",
    "MAX_ERROR_CHARS",
    "MIGRATIONS_DIR",
    "StoreBase",
    "aware",
    "chunks",
    "clean",
    "clean_item",
    "clean_opt",
    "database_url",
    "utcnow",
]

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

#: Serialises concurrent ``migrate()`` calls on one PostgreSQL server.
PG_MIGRATE_LOCK: Final = 0x76696769  # "vigi"
#: Rows per multi-row INSERT / IN list: far below both drivers' parameter limits.
CHUNK: Final = 200
#: Stored error messages are cut to this many characters.
MAX_ERROR_CHARS: Final = 2000
_T = TypeVar("_T")
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


# -- the database URL ------------------------------------------------------------


def database_url(url: str, *, schema: str | None = None) -> tuple[URL, str | None]:
    """The URL (with its async driver) and schema of a store: see
    :func:`bot._storage.make_store`, whose errors it raises."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The message of ArgumentError quotes the URL, password included.
        raise InvalidValueError(
            "not a database URL (expected sqlite:///… or postgresql://…)") from None
    backend, _, driver = parsed.drivername.partition("+")
    url_schema = parsed.query.get("vigie_schema")
    if isinstance(url_schema, tuple):
        url_schema = url_schema[-1]
    parsed = parsed.difference_update_query(["vigie_schema"])
    schema = schema or url_schema or None

    if backend == "sqlite":
        if driver not in ("", "aiosqlite", "pysqlite"):
            raise InvalidValueError(f"unsupported SQLite driver {driver!r}: use sqlite:///path")
        return parsed.set(drivername="sqlite+aiosqlite"), None
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg"):
            raise InvalidValueError(
                f"unsupported PostgreSQL driver {driver!r}: use postgresql://… (asyncpg)"
            )
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise InvalidValueError(f"invalid schema name {schema!r}: letters, digits and _ only")
        if "sslmode" in parsed.query:
            # libpq's spelling; asyncpg takes the same values as "ssl".
            mode = parsed.query["sslmode"]
            parsed = parsed.difference_update_query(["sslmode"]).update_query_dict(
                {"ssl": mode}
            )
        return parsed.set(drivername="postgresql+asyncpg"), schema
    raise InvalidValueError(
        f"unsupported database {backend!r}: use sqlite:///path or postgresql://user@host/db"
    )


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


# -- helpers ---------------------------------------------------------------------


def clean(text: str) -> str:
    """Text both databases accept: no NUL (PostgreSQL refuses it), no lone
    surrogate (no driver can encode it)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def clean_opt(text: str | None) -> str | None:
    return None if text is None else clean(text)


def clean_item(item: Item) -> Item:
    return dataclasses.replace(
        item,
        source=clean(item.source),
        key=clean(item.key),
        url=clean_opt(item.url),
        title=clean(item.title),
        summary_text=clean(item.summary_text),
        content_text=clean(item.content_text),
        lead=clean(item.lead),
        language=clean_opt(item.language),
        image=clean_opt(item.image),
        author=clean_opt(item.author),
        outlet=clean_opt(item.outlet),
    )


def aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise NaiveDatetimeError(f"{name} must be a timezone-aware datetime")
    return value


def chunks(seq: Sequence[_T], size: int = CHUNK) -> list[Sequence[_T]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def _is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError | OSError | TimeoutError | sqlite3.Error) or (
        type(exc).__module__.split(".")[0] == "asyncpg"
    )


def _failure_kind(exc: BaseException) -> str:
    """The driver's code for a failure (``SQLITE_READONLY``, SQLSTATE
    ``25006`` …), else its type: the same for every statement it stops."""
    orig = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    for code in ("sqlite_errorname", "sqlstate"):
        value = getattr(orig, code, None)
        if isinstance(value, str) and value:
            return value
    return type(orig).__name__


def utcnow() -> datetime:
    return datetime.now(UTC)


# -- the base --------------------------------------------------------------------


class StoreBase:
    """The engine of a store and the helpers its domains share: connections
    (:meth:`_read`, :meth:`_write`) under this process's write lock, errors
    turned into :class:`StorageError`, migration and closing.
    """

    def __init__(self, url: URL, *, schema: str | None = None) -> None:
        self._schema = schema if url.get_backend_name() == "postgresql" else None
        self._sqlite = url.get_backend_name() == "sqlite"
        self._safe_url = url.render_as_string(hide_password=True)
        self._password = url.password if isinstance(url.password, str) else None
        memory = self._sqlite and _is_sqlite_memory(url)
        self._memory = memory

        engine_args: dict[str, Any] = {}
        if self._sqlite:
            if memory:
                # One connection holds the whole database.
                engine_args["poolclass"] = StaticPool
        else:
            connect_args: dict[str, Any] = {
                "timeout": 15,
                "command_timeout": 120,
                "server_settings": {"application_name": "vigie"},
            }
            if self._schema is not None:
                connect_args["server_settings"]["search_path"] = f'"{self._schema}"'
            engine_args.update(
                pool_size=5,
                max_overflow=5,
                pool_pre_ping=True,
                pool_recycle=1800,
                connect_args=connect_args,
            )
        self.engine: AsyncEngine = create_async_engine(url, **engine_args)
        if self._sqlite:
            self._install_sqlite_hooks(memory=memory)
        # SQLite writes BEGIN IMMEDIATE, so a transaction that reads first
        # cannot fail to upgrade its lock later.
        self._writer = self.engine.execution_options(vigie_begin="IMMEDIATE")
        # One writer at a time in this process: waiting on an asyncio lock is
        # cheaper than on SQLite's busy handler. A memory database has one
        # connection, so readers take the lock too.
        self._lock = asyncio.Lock() if self._sqlite else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._safe_url!r})"

    def _install_sqlite_hooks(self, *, memory: bool) -> None:
        sync_engine = self.engine.sync_engine

        @event.listens_for(sync_engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            # SQLAlchemy emits BEGIN itself (below), so that SELECTs and DDL are
            # transactional too; the driver's own implicit BEGIN is disabled.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                cursor.execute("PRAGMA busy_timeout = 10000")
                if not memory:
                    cursor.execute("PRAGMA journal_mode = WAL")
                    # Durable on commit in WAL except on power loss; never corrupt.
                    cursor.execute("PRAGMA synchronous = NORMAL")
                cursor.execute("PRAGMA foreign_keys = ON")
            finally:
                cursor.close()

        @event.listens_for(sync_engine, "begin")
        def _on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("vigie_begin", "")
            conn.exec_driver_sql("BEGIN IMMEDIATE" if mode == "IMMEDIATE" else "BEGIN")

    # -- plumbing --

    def _describe(self, exc: BaseException) -> str:
        if isinstance(exc, DBAPIError) and exc.orig is not None:
            reason = str(exc.orig)
        elif isinstance(exc, SQLAlchemyError):
            # Cut off the SQL text and parameters SQLAlchemy appends.
            reason = str(exc).split("\n[SQL")[0].split("\n(Background")[0]
        else:
            reason = str(exc) or type(exc).__name__
        if self._password:
            reason = reason.replace(self._password, "***")
        reason = " ".join(reason.split())[:300]
        return reason or type(exc).__name__

    @asynccontextmanager
    async def _guard(self, what: str) -> AsyncIterator[None]:
        try:
            yield
        except StorageError:
            raise
        except StatementError as exc:
            # A bad argument (naive datetime …) surfaces as what it is.
            if not isinstance(exc, DBAPIError) and isinstance(exc.orig, ValueError | TypeError):
                raise exc.orig from None
            raise self._storage_error(what, exc) from exc
        except Exception as exc:
            if not _is_db_error(exc):
                raise
            raise self._storage_error(what, exc) from exc

    def _storage_error(self, what: str, exc: BaseException) -> StorageError:
        return StorageError(f"{what}: {self._describe(exc)} ({self._safe_url})",
                            kind=_failure_kind(exc))

    def _locked(self, *, write: bool) -> AbstractAsyncContextManager[Any]:
        if self._lock is not None and (write or self._memory):
            return self._lock
        return nullcontext()

    @asynccontextmanager
    async def _read(self, what: str) -> AsyncIterator[AsyncConnection]:
        async with self._guard(what), self._locked(write=False), self.engine.connect() as conn:
            yield conn

    @asynccontextmanager
    async def _write(self, what: str) -> AsyncIterator[AsyncConnection]:
        async with self._guard(what), self._locked(write=True), self._writer.begin() as conn:
            yield conn

    def _insert(self, table: sa.Table) -> Any:
        return sqlite.insert(table) if self._sqlite else pg.insert(table)

    # -- lifecycle --

    async def migrate(self) -> None:
        """Bring the schema to the latest version (idempotent); on PostgreSQL
        also create the configured schema if missing."""
        async with self._write("cannot migrate the database") as conn:
            if not self._sqlite:
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(PG_MIGRATE_LOCK)))
                if self._schema is not None and not (await conn.execute(
                    sa.text("SELECT 1 FROM pg_namespace WHERE nspname = :name"),
                    {"name": self._schema},
                )).first():
                    # Checked first: CREATE SCHEMA needs a privilege that an
                    # existing schema's user may lack.
                    await conn.execute(sa.text(f'CREATE SCHEMA "{self._schema}"'))
            await conn.run_sync(_alembic_upgrade)

    async def close(self) -> None:
        """Release connections."""
        async with self._guard("cannot close the database"):
            await self.engine.dispose()


def _alembic_upgrade(connection: Connection) -> None:
    # Imported here: Alembic is only needed to migrate.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
