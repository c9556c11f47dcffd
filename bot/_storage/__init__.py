"""Persistent state on SQLite or PostgreSQL: see :class:`SQLStore`.

One code path for both back-ends, through SQLAlchemy Core on async drivers
(aiosqlite, asyncpg); the few differences (upsert syntax, the full-text
index, JSON functions) are chosen per dialect where the statement is built.
The store is split by domain, as lemon24/reader splits its storage: the
engine and shared helpers in ``_base``, then ``_sources``, ``_items`` (with
search) and ``_outbox``; chat edits are in ``_chat``, the tables in
``_tables``.
"""

from __future__ import annotations

from ._base import database_url
from ._chat import ChatStore
from ._items import ItemsMixin
from ._outbox import OutboxMixin
from ._sources import SourcesMixin

__all__ = ["ChatStore", "SQLStore", "make_store"]


class SQLStore(SourcesMixin, ItemsMixin, OutboxMixin):
    """:class:`bot._types.Store` on SQLite (WAL) or PostgreSQL.

    Use :func:`make_store` to build one. Every method raises
    :class:`bot.exceptions.StorageError` when the database cannot be reached
    or refuses the operation, and :class:`bot.exceptions.NaiveDatetimeError`
    (a ValueError) when given a naive datetime.
    """


def make_store(url: str, *, schema: str | None = None) -> SQLStore:
    """A store for a database URL; nothing is connected until first use.

    Accepted: ``sqlite:///path``, ``sqlite:///:memory:``, ``sqlite+aiosqlite:///…``,
    ``postgresql://user:password@host/db``, ``postgres://…`` and
    ``postgresql+asyncpg://…``; plain URLs get the async driver.

    ``schema`` (or the URL query parameter ``vigie_schema``) puts every table
    of a PostgreSQL database in that schema, created by :meth:`SQLStore.migrate`
    if missing; SQLite ignores it. libpq's ``sslmode=…`` is passed to asyncpg
    as ``ssl=…``.

    Raises :class:`bot.exceptions.InvalidValueError` (a ValueError) for an
    unparsable URL, an unsupported database or driver, or an invalid schema name.
    """
    parsed, schema = database_url(url, schema=schema)
    return SQLStore(parsed, schema=schema)
