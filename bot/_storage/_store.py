"""The SQL implementation of :class:`bot._types.Store` (SQLite or PostgreSQL).

One code path for both back-ends, through SQLAlchemy Core on async drivers
(aiosqlite, asyncpg); the few differences (upsert syntax, the full-text
index, JSON functions) are chosen per dialect where the statement is built.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL, Connection, Row, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError, StatementError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from .._types import Delivery, FailedDelivery, Lane, NewItem, OutboxSummary, SearchTerm
from ..exceptions import StorageError
from ..types import Alert, Item, SearchHit, SourceState, StoredItem
from . import _search
from ._codec import decode_alert, encode_alert
from ._tables import (
    PG_ITEMS,
    deliveries,
    delivery_lanes,
    digests,
    items,
    items_fts,
    subscription_state,
)
from ._tables import sources as sources_table

__all__ = ["SQLStore", "make_store"]

log = logging.getLogger(__name__)

MIGRATIONS_DIR: Final = Path(__file__).resolve().parent / "migrations"

#: Serialises concurrent ``migrate()`` calls on one PostgreSQL server.
_PG_MIGRATE_LOCK: Final = 0x76696769  # "vigi"
#: Rows per multi-row INSERT / IN list: far below both drivers' parameter limits.
_CHUNK: Final = 200
#: Stored error messages are cut to this many characters.
_MAX_ERROR_CHARS: Final = 2000
_T = TypeVar("_T")
_SCHEMA_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


# -- construction ----------------------------------------------------------------


def make_store(url: str, *, schema: str | None = None) -> SQLStore:
    """A store for a database URL; nothing is connected until first use.

    Accepted: ``sqlite:///path``, ``sqlite:///:memory:``, ``sqlite+aiosqlite:///…``,
    ``postgresql://user:password@host/db``, ``postgres://…`` and
    ``postgresql+asyncpg://…``; plain URLs get the async driver.

    ``schema`` (or the URL query parameter ``vigie_schema``) puts every table
    of a PostgreSQL database in that schema, created by :meth:`SQLStore.migrate`
    if missing; SQLite ignores it. libpq's ``sslmode=…`` is passed to asyncpg
    as ``ssl=…``.

    Raises ValueError for an unparsable URL, an unsupported database or driver,
    or an invalid schema name.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The message of ArgumentError quotes the URL, password included.
        raise ValueError("not a database URL (expected sqlite:///… or postgresql://…)") from None
    backend, _, driver = parsed.drivername.partition("+")
    url_schema = parsed.query.get("vigie_schema")
    if isinstance(url_schema, tuple):
        url_schema = url_schema[-1]
    parsed = parsed.difference_update_query(["vigie_schema"])
    schema = schema or url_schema or None

    if backend == "sqlite":
        if driver not in ("", "aiosqlite", "pysqlite"):
            raise ValueError(f"unsupported SQLite driver {driver!r}: use sqlite:///path")
        return SQLStore(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg"):
            raise ValueError(
                f"unsupported PostgreSQL driver {driver!r}: use postgresql://… (asyncpg)"
            )
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise ValueError(f"invalid schema name {schema!r}: letters, digits and _ only")
        if "sslmode" in parsed.query:
            # libpq's spelling; asyncpg takes the same values as "ssl".
            mode = parsed.query["sslmode"]
            parsed = parsed.difference_update_query(["sslmode"]).update_query_dict(
                {"ssl": mode}
            )
        return SQLStore(parsed.set(drivername="postgresql+asyncpg"), schema=schema)
    raise ValueError(
        f"unsupported database {backend!r}: use sqlite:///path or postgresql://user@host/db"
    )


def _is_sqlite_memory(url: URL) -> bool:
    database = url.database or ""
    return database in ("", ":memory:") or url.query.get("mode") == "memory"


# -- helpers ---------------------------------------------------------------------


def _clean(text: str) -> str:
    """Text both databases accept: no NUL (PostgreSQL refuses it), no lone
    surrogate (no driver can encode it)."""
    if "\x00" in text:
        text = text.replace("\x00", "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text


def _clean_opt(text: str | None) -> str | None:
    return None if text is None else _clean(text)


def _clean_item(item: Item) -> Item:
    return dataclasses.replace(
        item,
        source=_clean(item.source),
        key=_clean(item.key),
        url=_clean_opt(item.url),
        title=_clean(item.title),
        summary_text=_clean(item.summary_text),
        content_text=_clean(item.content_text),
        lead=_clean(item.lead),
        language=_clean_opt(item.language),
        image=_clean_opt(item.image),
        author=_clean_opt(item.author),
    )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value


def _chunks(seq: Sequence[_T], size: int = _CHUNK) -> list[Sequence[_T]]:
    return [seq[i : i + size] for i in range(0, len(seq), size)]


def _encode_topics(topics: Sequence[str]) -> str:
    return json.dumps(list(topics), ensure_ascii=True, separators=(",", ":"))


def _decode_topics(text: str) -> tuple[str, ...]:
    try:
        value = json.loads(text)
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def _is_db_error(exc: BaseException) -> bool:
    return isinstance(exc, SQLAlchemyError | OSError | TimeoutError | sqlite3.Error) or (
        type(exc).__module__.split(".")[0] == "asyncpg"
    )


# -- the store -------------------------------------------------------------------


class SQLStore:
    """:class:`bot._types.Store` on SQLite (WAL) or PostgreSQL.

    Use :func:`make_store` to build one. Every method raises
    :class:`StorageError` when the database cannot be reached or refuses the
    operation, and ValueError when given a naive datetime.
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
        self._items = items if self._sqlite else PG_ITEMS

    def __repr__(self) -> str:
        return f"SQLStore({self._safe_url!r})"

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
            raise StorageError(f"{what}: {self._describe(exc)} ({self._safe_url})") from exc
        except Exception as exc:
            if not _is_db_error(exc):
                raise
            raise StorageError(f"{what}: {self._describe(exc)} ({self._safe_url})") from exc

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
                await conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_MIGRATE_LOCK)))
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

    # -- sources --

    def _source_columns(self) -> list[Any]:
        count = (
            sa.select(sa.func.count())
            .select_from(items)
            .where(items.c.source == sources_table.c.name)
            .scalar_subquery()
        )
        return [*sources_table.c, count.label("item_count")]

    @staticmethod
    def _source_state(row: Row[Any]) -> SourceState:
        return SourceState(
            name=row.name,
            url=row.url,
            enabled=bool(row.enabled),
            etag=row.etag,
            last_modified=row.last_modified,
            last_poll=row.last_poll,
            last_success=row.last_success,
            last_error=row.last_error,
            consecutive_failures=row.consecutive_failures,
            next_attempt=row.next_attempt,
            initialised=bool(row.initialised),
            item_count=int(row.item_count),
            disabled_reason=row.disabled_reason,
        )

    async def sync_sources(self, sources: Sequence[tuple[str, str, bool]]) -> None:
        """Make the stored sources agree with the configuration.

        A new name is created, not initialised. A source whose configured URL
        changed starts afresh at the new URL: fetch URL, ETag, Last-Modified,
        failures, backoff and a store-made disablement are reset, and it is
        no longer initialised (its first poll is suppressed like a new
        source's). A source the store disabled (410) stays disabled until its
        configured URL changes. Sources not listed are left alone.
        """
        wanted = {name: (url, enabled) for name, url, enabled in sources}
        async with self._write("cannot update the sources") as conn:
            rows = {
                r.name: r
                for r in await conn.execute(
                    sa.select(
                        sources_table.c.name,
                        sources_table.c.configured_url,
                        sources_table.c.enabled,
                        sources_table.c.disabled_reason,
                    )
                )
            }
            for name, (url, enabled) in wanted.items():
                row = rows.get(name)
                if row is None:
                    await conn.execute(
                        sa.insert(sources_table).values(
                            name=name, configured_url=url, url=url, enabled=enabled,
                            consecutive_failures=0, initialised=False,
                        )
                    )
                elif row.configured_url != url:
                    await conn.execute(
                        sa.update(sources_table)
                        .where(sources_table.c.name == name)
                        .values(
                            configured_url=url, url=url, etag=None, last_modified=None,
                            enabled=enabled, disabled_reason=None, last_error=None,
                            consecutive_failures=0, next_attempt=None, initialised=False,
                        )
                    )
                else:
                    should = enabled and row.disabled_reason is None
                    if bool(row.enabled) != should:
                        await conn.execute(
                            sa.update(sources_table)
                            .where(sources_table.c.name == name)
                            .values(enabled=should)
                        )

    async def get_source(self, name: str) -> SourceState | None:
        """The stored state of one source, or None."""
        async with self._read("cannot read a source") as conn:
            row = (
                await conn.execute(
                    sa.select(*self._source_columns()).where(sources_table.c.name == name)
                )
            ).first()
        return None if row is None else self._source_state(row)

    async def list_sources(self) -> list[SourceState]:
        """Every stored source, by name."""
        async with self._read("cannot list the sources") as conn:
            rows = (
                await conn.execute(
                    sa.select(*self._source_columns()).order_by(sources_table.c.name)
                )
            ).all()
        return [self._source_state(r) for r in rows]

    async def _put_source(self, conn: AsyncConnection, state: SourceState) -> None:
        values = {
            "url": _clean(state.url),
            "enabled": state.enabled,
            "etag": _clean_opt(state.etag),
            "last_modified": _clean_opt(state.last_modified),
            "last_poll": state.last_poll,
            "last_success": state.last_success,
            "last_error": _clean_opt(state.last_error),
            "consecutive_failures": state.consecutive_failures,
            "next_attempt": state.next_attempt,
            "initialised": state.initialised,
            "disabled_reason": _clean_opt(state.disabled_reason),
        }
        stmt = self._insert(sources_table).values(
            name=state.name, configured_url=values["url"], **values
        )
        # A source the configuration never synced is created; its configured
        # URL is unknown, so the fetch URL stands in.
        await conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))

    async def update_source(self, state: SourceState) -> None:
        """Overwrite a source's state (all but its configured URL and item
        count); creates the source if it is not stored yet."""
        async with self._write("cannot update a source") as conn:
            await self._put_source(conn, state)

    # -- items --

    async def seen(
        self, source: str, keys: Sequence[str], urls: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        """Which of ``keys`` this source has stored, and which canonical
        ``urls`` any source has stored."""
        seen_keys: set[str] = set()
        seen_urls: set[str] = set()
        async with self._read("cannot look items up") as conn:
            for chunk in _chunks(sorted(set(keys))):
                result = await conn.execute(
                    sa.select(items.c.key).where(
                        items.c.source == source, items.c.key.in_(chunk)
                    )
                )
                seen_keys.update(result.scalars())
            for chunk in _chunks(sorted(set(urls))):
                result = await conn.execute(
                    sa.select(items.c.url).distinct().where(items.c.url.in_(chunk))
                )
                seen_urls.update(u for u in result.scalars() if u is not None)
        return seen_keys, seen_urls

    async def save_poll(self, state: SourceState, new_items: Sequence[NewItem]) -> list[str]:
        """In one transaction: store the items, queue their alerts in the
        outbox, and write the source's state.

        Items are first seen at ``state.last_poll`` (the poll's time), or now
        if unset. An item whose (source, key) is already stored is skipped with
        its alerts; an alert whose (item, destination) is already queued is
        skipped. Returns the keys of the items actually inserted, in order.
        """
        now = _aware(state.last_poll, "state.last_poll") if state.last_poll else _utcnow()
        # Keys as stored (cleaned) → the caller's key and its NewItem; the
        # first of duplicated keys wins.
        unique: dict[str, tuple[str, NewItem]] = {}
        for new in new_items:
            clean = _clean_item(new.item)
            unique.setdefault(clean.key, (new.item.key, dataclasses.replace(new, item=clean)))
        batch = [new for _, new in unique.values()]

        async with self._write("cannot store a poll") as conn:
            await self._put_source(conn, state)
            inserted: dict[str, int] = {}
            for chunk in _chunks(batch):
                inserted.update(await self._insert_items(conn, chunk, now))
            rows = []
            for new in batch:
                item_id = inserted.get(new.item.key)
                if item_id is None:
                    continue
                for alert in new.alerts:
                    rows.append({
                        "item_id": item_id,
                        "subscription": _clean(alert.subscription),
                        "destination": _clean(alert.destination),
                        "alert": encode_alert(
                            dataclasses.replace(alert, item=_clean_item(alert.item))
                        ),
                        "status": "pending",
                        "attempts": 0,
                        "created_at": now,
                    })
            for row_chunk in _chunks(rows):
                await conn.execute(
                    self._insert(deliveries)
                    .values(list(row_chunk))
                    .on_conflict_do_nothing(index_elements=["item_id", "destination"])
                )
            lanes = sorted({(r["subscription"], r["destination"]) for r in rows})
            for lane_chunk in _chunks(lanes):
                await conn.execute(
                    self._insert(delivery_lanes)
                    .values([{"subscription": s, "destination": d} for s, d in lane_chunk])
                    .on_conflict_do_nothing(index_elements=["subscription", "destination"])
                )
        return [original for key, (original, _) in unique.items() if key in inserted]

    async def _insert_items(
        self, conn: AsyncConnection, batch: Sequence[NewItem], now: datetime
    ) -> dict[str, int]:
        """Insert items, skipping stored (source, key); the ids by key."""
        rows = []
        texts: dict[str, _search.IndexText] = {}
        for new in batch:
            item = new.item
            text = _search.index_text(item.title, item.summary_text, item.content_text)
            texts[item.key] = text
            row: dict[str, Any] = {
                "source": item.source,
                "key": item.key,
                "url": item.url,
                "title": item.title,
                "summary_text": item.summary_text,
                "content_text": item.content_text,
                "lead": item.lead,
                "published": item.published,
                "language": item.language,
                "image": item.image,
                "author": item.author,
                "first_seen": now,
                "topics": _encode_topics([_clean(t) for t in new.topics]),
            }
            if not self._sqlite:
                row["search_vector"] = sa.cast(
                    sa.literal(_search.tsvector_literal(text), sa.Text), pg.TSVECTOR
                )
            rows.append(row)
        table = self._items
        stmt = (
            self._insert(table)
            .values(rows)
            .on_conflict_do_nothing(index_elements=["source", "key"])
            .returning(table.c.id, table.c.key)
        )
        ids = {key: item_id for item_id, key in (await conn.execute(stmt)).all()}
        if self._sqlite and ids:
            await conn.execute(
                sa.insert(items_fts).values([
                    {"rowid": item_id, "title": texts[key].title_text, "body": texts[key].body_text}
                    for key, item_id in ids.items()
                ])
            )
        return ids

    def _stored(self, row: Row[Any]) -> StoredItem:
        item = Item(
            source=row.source,
            key=row.key,
            url=row.url,
            title=row.title,
            summary_text=row.summary_text,
            content_text=row.content_text,
            lead=row.lead,
            published=row.published,
            language=row.language,
            image=row.image,
            author=row.author,
        )
        return StoredItem(
            id=row.id, item=item, first_seen=row.first_seen, topics=_decode_topics(row.topics)
        )

    def _item_select(self) -> sa.Select[Any]:
        t = self._items
        return sa.select(*(t.c[c.name] for c in items.columns))

    def _newest_first(self) -> list[Any]:
        t = self._items
        return [t.c.published.desc().nulls_last(), t.c.first_seen.desc(), t.c.id.desc()]

    async def recent(
        self, *, topics: Sequence[str] | None, since: datetime, limit: int
    ) -> list[StoredItem]:
        """Items first seen since ``since`` that matched any of ``topics``
        (any item when ``topics`` is None), newest published first."""
        _aware(since, "since")
        if limit <= 0 or (topics is not None and not topics):
            return []
        t = self._items
        stmt = self._item_select().where(t.c.first_seen >= since)
        if topics is not None:
            wanted = sorted(set(topics))
            if self._sqlite:
                each = sa.func.json_each(t.c.topics).table_valued("value")
                stmt = stmt.where(
                    sa.exists(sa.select(sa.literal(1)).select_from(each).where(
                        each.c.value.in_(wanted)
                    ))
                )
            else:
                stmt = stmt.where(
                    sa.cast(t.c.topics, pg.JSONB).has_any(
                        sa.literal(wanted, pg.ARRAY(sa.Text))
                    )
                )
        stmt = stmt.order_by(*self._newest_first()).limit(limit)
        async with self._read("cannot read recent items") as conn:
            rows = (await conn.execute(stmt)).all()
        return [self._stored(r) for r in rows]

    async def search(
        self, terms: Sequence[SearchTerm], *, since: datetime | None, limit: int
    ) -> list[SearchHit]:
        """Full-text search over stored items' title, summary and content.

        Every term must match (AND); a term of several words is a phrase
        (not across title and body); ``prefix`` makes its last word a prefix.
        Case and accents never matter. A term with no word (only punctuation)
        is ignored; a search with no word at all finds nothing. ``since``
        filters on first seen. Newest published first.
        """
        if since is not None:
            _aware(since, "since")
        query = _search.query_terms(terms)
        if query is None or limit <= 0:
            return []
        t = self._items
        stmt = self._item_select()
        if self._sqlite:
            stmt = stmt.join(items_fts, items_fts.c.rowid == t.c.id).where(
                sa.literal_column("items_fts").op("MATCH")(_search.fts5_match(query))
            )
        else:
            stmt = stmt.where(
                PG_ITEMS.c.search_vector.op("@@")(
                    sa.cast(sa.literal(_search.tsquery(query), sa.Text), pg.TSQUERY)
                )
            )
        if since is not None:
            stmt = stmt.where(t.c.first_seen >= since)
        stmt = stmt.order_by(*self._newest_first()).limit(limit)
        async with self._read("cannot search") as conn:
            rows = (await conn.execute(stmt)).all()
        hits = []
        for row in rows:
            stored = self._stored(row)
            text = _search.index_text(row.title, row.summary_text, row.content_text)
            hits.append(SearchHit(stored, _search.found_words(query, text)))
        return hits

    async def count_items(self, *, since: datetime | None = None) -> int:
        """How many items are stored (first seen since ``since``, if given)."""
        stmt = sa.select(sa.func.count()).select_from(items)
        if since is not None:
            stmt = stmt.where(items.c.first_seen >= _aware(since, "since"))
        async with self._read("cannot count items") as conn:
            return int((await conn.execute(stmt)).scalar_one())

    # -- outbox --

    async def due_deliveries(self, now: datetime, limit: int) -> list[Delivery]:
        """Pending deliveries whose ``not_before`` has passed, oldest item
        (published, else first seen) first, then in queueing order.

        A delivery whose stored alert cannot be read is marked failed, so it
        cannot block the outbox.
        """
        _aware(now, "now")
        if limit <= 0:
            return []
        d = deliveries
        stmt = (
            sa.select(*d.c)
            .join(items, items.c.id == d.c.item_id)
            .where(d.c.status == "pending", sa.or_(d.c.not_before.is_(None), d.c.not_before <= now))
            .order_by(sa.func.coalesce(items.c.published, items.c.first_seen), d.c.id)
            .limit(limit)
        )
        async with self._read("cannot read the outbox") as conn:
            rows = (await conn.execute(stmt)).all()
        return await self._decoded(rows)

    @staticmethod
    def _ids(delivery_id: int | Sequence[int]) -> list[int]:
        return [delivery_id] if isinstance(delivery_id, int) else list(delivery_id)

    async def _mark(
        self, delivery_id: int | Sequence[int], what: str, *, pending_only: bool,
        count: str = "attempts", **values: Any,
    ) -> None:
        ids = self._ids(delivery_id)
        if not ids:
            return
        if isinstance(values.get("last_error"), str):
            values["last_error"] = _clean(values["last_error"])[:_MAX_ERROR_CHARS]
        values[count] = deliveries.c[count] + 1
        async with self._write(what) as conn:
            for chunk in _chunks(ids):
                stmt = sa.update(deliveries).where(deliveries.c.id.in_(chunk))
                if pending_only:
                    # A late failure report never takes back a send recorded meanwhile.
                    stmt = stmt.where(deliveries.c.status == "pending")
                await conn.execute(stmt.values(**values))

    async def mark_sent(
        self, delivery_id: int | Sequence[int], message_id: str | None, now: datetime
    ) -> None:
        """Record a successful send (of one delivery, or of a digest's members)."""
        await self._mark(
            delivery_id, "cannot record a delivery", pending_only=False,
            status="sent", message_id=_clean_opt(message_id), sent_at=_aware(now, "now"),
            not_before=None,
        )

    async def mark_retry(
        self, delivery_id: int | Sequence[int], error: str, not_before: datetime,
        *, count_attempt: bool = True,
    ) -> None:
        """Record a transient failure; the delivery stays pending (a delivery
        already sent or failed is left as it is). ``count_attempt=False`` (a
        rate limit) counts it in ``throttled`` instead of ``attempts``."""
        await self._mark(
            delivery_id, "cannot record a delivery failure", pending_only=True,
            count="attempts" if count_attempt else "throttled",
            last_error=error, not_before=_aware(not_before, "not_before"),
        )

    async def mark_failed(self, delivery_id: int | Sequence[int], error: str) -> None:
        """Record a permanent failure; the delivery is not tried again (a
        delivery already sent is left as it is)."""
        await self._mark(
            delivery_id, "cannot record a delivery failure", pending_only=True,
            status="failed", last_error=error,
        )

    async def delivery_counts(self) -> dict[str, int]:
        """Number of deliveries per status; always has pending, sent and failed."""
        stmt = sa.select(deliveries.c.status, sa.func.count()).group_by(deliveries.c.status)
        counts = {"pending": 0, "sent": 0, "failed": 0}
        async with self._read("cannot count deliveries") as conn:
            for status, n in (await conn.execute(stmt)).all():
                counts[status] = int(n)
        return counts

    # -- outbox: lanes --

    @staticmethod
    def _lane_is(lane: Lane) -> Any:
        return sa.and_(
            delivery_lanes.c.subscription == lane.subscription,
            delivery_lanes.c.destination == lane.destination,
        )

    async def claim_lanes(
        self, now: datetime, *, worker: str, lease: float, limit: int
    ) -> list[Lane]:
        """Claim up to ``limit`` lanes with work due, for ``lease`` seconds.

        Due: pending deliveries, ``next_attempt`` passed, no live lease, the
        subscription not paused; those waiting longest first. On PostgreSQL
        the lanes are locked with ``FOR UPDATE SKIP LOCKED``, so concurrent
        workers skip each other's; on SQLite the claim runs under the
        database's write lock.
        """
        _aware(now, "now")
        if limit <= 0:
            return []
        ln, d, st = delivery_lanes, deliveries, subscription_state
        pending = sa.exists().where(
            d.c.subscription == ln.c.subscription, d.c.destination == ln.c.destination,
            d.c.status == "pending",
        )
        paused = sa.exists().where(
            st.c.name == ln.c.subscription, st.c.paused_reason.is_not(None)
        )
        stmt = (
            sa.select(ln.c.subscription, ln.c.destination)
            .where(
                sa.or_(ln.c.claimed_until.is_(None), ln.c.claimed_until < now),
                sa.or_(ln.c.next_attempt.is_(None), ln.c.next_attempt <= now),
                pending,
                ~paused,
            )
            .order_by(ln.c.next_attempt.asc().nulls_first(), ln.c.subscription,
                      ln.c.destination)
            .limit(limit)
        )
        if not self._sqlite:
            stmt = stmt.with_for_update(of=ln, skip_locked=True)
        until = now + timedelta(seconds=lease)
        async with self._write("cannot claim deliveries") as conn:
            lanes = [Lane(r.subscription, r.destination)
                     for r in (await conn.execute(stmt)).all()]
            for lane in lanes:
                await conn.execute(
                    sa.update(ln).where(self._lane_is(lane))
                    .values(claimed_by=worker, claimed_until=until)
                )
        return lanes

    async def renew_lanes(
        self, lanes: Sequence[Lane], *, worker: str, until: datetime
    ) -> list[Lane]:
        """Extend ``worker``'s leases; returns the lanes it still holds."""
        _aware(until, "until")
        held: list[Lane] = []
        async with self._write("cannot renew a lease") as conn:
            for lane in lanes:
                result = await conn.execute(
                    sa.update(delivery_lanes)
                    .where(self._lane_is(lane), delivery_lanes.c.claimed_by == worker)
                    .values(claimed_until=until)
                )
                if result.rowcount:
                    held.append(lane)
        return held

    async def release_lane(
        self, lane: Lane, *, worker: str, next_attempt: datetime | None
    ) -> None:
        """Give a lane back (if ``worker`` still holds it); it is due again
        at ``next_attempt`` (None: as soon as it has pending deliveries)."""
        if next_attempt is not None:
            _aware(next_attempt, "next_attempt")
        async with self._write("cannot release a lane") as conn:
            await conn.execute(
                sa.update(delivery_lanes)
                .where(self._lane_is(lane), delivery_lanes.c.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None, next_attempt=next_attempt)
            )

    def _delivery(self, row: Row[Any], alert: Alert) -> Delivery:
        return Delivery(
            id=row.id, alert=alert, status=row.status, attempts=row.attempts,
            last_error=row.last_error, not_before=row.not_before, message_id=row.message_id,
            created_at=row.created_at, hold=row.hold, digest_id=row.digest_id,
            throttled=row.throttled,
        )

    async def _decoded(self, rows: Sequence[Row[Any]]) -> list[Delivery]:
        out: list[Delivery] = []
        for row in rows:
            try:
                alert: Alert = decode_alert(row.alert)
            except ValueError as exc:
                log.error("delivery %d has an unreadable alert (%s); marked failed", row.id, exc)
                await self.mark_failed(row.id, f"unreadable alert: {exc}")
                continue
            out.append(self._delivery(row, alert))
        return out

    async def lane_deliveries(self, lane: Lane, limit: int) -> list[Delivery]:
        """A lane's pending deliveries (held ones included), oldest item
        (published, else first seen) first. A delivery whose alert cannot be
        read is marked failed."""
        if limit <= 0:
            return []
        d = deliveries
        stmt = (
            sa.select(*d.c)
            .join(items, items.c.id == d.c.item_id)
            .where(d.c.subscription == lane.subscription, d.c.destination == lane.destination,
                   d.c.status == "pending")
            .order_by(sa.func.coalesce(items.c.published, items.c.first_seen), d.c.id)
            .limit(limit)
        )
        async with self._read("cannot read the outbox") as conn:
            rows = (await conn.execute(stmt)).all()
        return await self._decoded(rows)

    async def lane_sent_times(self, lane: Lane, since: datetime) -> list[datetime]:
        """When each message of a lane was sent since ``since`` (a digest
        counts once), oldest first."""
        d = deliveries
        stmt = sa.select(d.c.sent_at, d.c.digest_id).where(
            d.c.subscription == lane.subscription, d.c.destination == lane.destination,
            d.c.status == "sent", d.c.sent_at >= _aware(since, "since"),
        )
        async with self._read("cannot read the outbox") as conn:
            rows = (await conn.execute(stmt)).all()
        singles = [r.sent_at for r in rows if r.digest_id is None]
        collected: dict[int, datetime] = {}
        for r in rows:
            if r.digest_id is not None:
                collected[r.digest_id] = max(r.sent_at, collected.get(r.digest_id, r.sent_at))
        return sorted([*singles, *collected.values()])

    async def hold_deliveries(self, ids: Sequence[int], kind: str, until: datetime) -> None:
        """Hold pending deliveries for a "digest", "quiet" hours or as
        "overflow" until ``until`` (deliveries already collected are left alone)."""
        _aware(until, "until")
        async with self._write("cannot hold deliveries") as conn:
            for chunk in _chunks(list(ids)):
                await conn.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.id.in_(chunk), deliveries.c.status == "pending",
                           deliveries.c.digest_id.is_(None))
                    .values(hold=kind, not_before=until)
                )

    async def bundle_deliveries(self, lane: Lane, ids: Sequence[int], kind: str,
                                now: datetime) -> int:
        """Collect pending deliveries of a lane into one digest message;
        returns its id (they stay pending until it is sent)."""
        _aware(now, "now")
        async with self._write("cannot collect deliveries") as conn:
            digest_id = int((await conn.execute(
                sa.insert(digests).values(
                    subscription=lane.subscription, destination=lane.destination, kind=kind,
                    created_at=now,
                ).returning(digests.c.id)
            )).scalar_one())
            for chunk in _chunks(list(ids)):
                await conn.execute(
                    sa.update(deliveries)
                    .where(deliveries.c.id.in_(chunk), deliveries.c.status == "pending",
                           deliveries.c.digest_id.is_(None))
                    .values(digest_id=digest_id, hold=kind)
                )
        return digest_id

    # -- outbox: subscriptions --

    async def pause_subscription(self, name: str, reason: str, *,
                                 now: datetime | None = None) -> None:
        """Stop delivering (and queueing) a subscription's alerts, saying why.

        Its pending deliveries stay queued, to go out once it is resumed.
        """
        at = _aware(now, "now") if now is not None else _utcnow()
        values = {"paused_reason": _clean(reason)[:_MAX_ERROR_CHARS], "paused_at": at}
        async with self._write("cannot pause a subscription") as conn:
            await conn.execute(
                self._insert(subscription_state).values(name=name, **values)
                .on_conflict_do_update(index_elements=["name"], set_=values)
            )

    async def resume_subscription(self, name: str) -> bool:
        """Deliver a paused subscription's alerts again (its lanes are due at
        once); False if it was not paused."""
        st = subscription_state
        async with self._write("cannot resume a subscription") as conn:
            result = await conn.execute(
                sa.delete(st).where(st.c.name == name, st.c.paused_reason.is_not(None))
            )
            await conn.execute(
                sa.update(delivery_lanes).where(delivery_lanes.c.subscription == name)
                .values(next_attempt=None)
            )
        return bool(result.rowcount)

    async def paused_subscriptions(self) -> dict[str, str]:
        """Paused subscriptions and the reason of each."""
        st = subscription_state
        async with self._read("cannot read the subscriptions' state") as conn:
            rows = (await conn.execute(
                sa.select(st.c.name, st.c.paused_reason)
                .where(st.c.paused_reason.is_not(None)).order_by(st.c.name)
            )).all()
        return {r.name: r.paused_reason for r in rows}

    async def outbox_summary(self, *, failures: int = 5) -> OutboxSummary:
        """Counts of waiting, retrying, held, sent and failed deliveries, the
        ``failures`` most recent failures and the paused subscriptions."""
        d = deliveries
        bucket = sa.case(
            (sa.and_(d.c.status == "pending", d.c.last_error.is_not(None)), "retrying"),
            (sa.and_(d.c.status == "pending", d.c.hold.is_not(None)), "held"),
            (d.c.status == "pending", "waiting"),
            else_=d.c.status,
        ).label("bucket")
        counts: dict[str, int] = {}
        async with self._read("cannot read the outbox") as conn:
            for name, n in (await conn.execute(
                sa.select(bucket, sa.func.count()).group_by(bucket)
            )).all():
                counts[str(name)] = int(n)
            rows = (await conn.execute(
                sa.select(d.c.subscription, d.c.destination, d.c.last_error, items.c.title)
                .join(items, items.c.id == d.c.item_id)
                .where(d.c.status == "failed").order_by(d.c.id.desc()).limit(max(0, failures))
            )).all()
        return OutboxSummary(
            waiting=counts.get("waiting", 0), retrying=counts.get("retrying", 0),
            held=counts.get("held", 0), sent=counts.get("sent", 0),
            failed=counts.get("failed", 0),
            failures=tuple(FailedDelivery(r.subscription, r.destination, r.title,
                                          r.last_error or "unknown error") for r in rows),
            paused=await self.paused_subscriptions(),
        )


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _alembic_upgrade(connection: Connection) -> None:
    # Imported here: Alembic is only needed to migrate.
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
