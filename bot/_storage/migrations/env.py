"""Alembic environment of Vigie's store.

``SQLStore.migrate`` passes an open connection in ``config.attributes``; the
``alembic`` command line (``-x url=…`` or ``sqlalchemy.url``) is supported
for maintenance, using the same async drivers.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot._storage._tables import autogenerate_includes, compare_server_default, metadata

config = context.config


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        include_name=autogenerate_includes,
        compare_server_default=compare_server_default,
        # SQLite alters tables by copying them.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _url() -> str:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise RuntimeError("no database URL: pass -x url=… or set sqlalchemy.url")
    return url


def run_offline() -> None:
    context.configure(url=_url(), target_metadata=metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    from bot._storage import make_store

    store = make_store(_url())
    try:
        async with store.engine.begin() as conn:
            await conn.run_sync(_configure)
    finally:
        await store.close()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
    else:
        asyncio.run(_run_async())


if context.is_offline_mode():
    run_offline()
else:
    run_online()
