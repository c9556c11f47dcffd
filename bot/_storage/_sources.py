"""Sources: their configured URLs and their fetch state (ETag, failures, backoff)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from ..types import SourceState
from ._base import StoreBase, clean, clean_opt
from ._tables import items
from ._tables import sources as sources_table

__all__ = ["SourcesMixin", "put_source"]


class SourcesMixin(StoreBase):
    """The sources part of :class:`bot._storage.SQLStore`."""

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

    async def update_source(self, state: SourceState) -> None:
        """Overwrite a source's state (all but its configured URL and item
        count); creates the source if it is not stored yet."""
        async with self._write("cannot update a source") as conn:
            await put_source(self, conn, state)


async def put_source(store: StoreBase, conn: AsyncConnection, state: SourceState) -> None:
    """Write a source's state in ``conn``'s transaction (see
    :meth:`SourcesMixin.update_source`)."""
    values = {
        "url": clean(state.url),
        "enabled": state.enabled,
        "etag": clean_opt(state.etag),
        "last_modified": clean_opt(state.last_modified),
        "last_poll": state.last_poll,
        "last_success": state.last_success,
        "last_error": clean_opt(state.last_error),
        "consecutive_failures": state.consecutive_failures,
        "next_attempt": state.next_attempt,
        "initialised": state.initialised,
        "disabled_reason": clean_opt(state.disabled_reason),
    }
    stmt = store._insert(sources_table).values(
        name=state.name, configured_url=values["url"], **values
    )
    # A source the configuration never synced is created; its configured
    # URL is unknown, so the fetch URL stands in.
    await conn.execute(stmt.on_conflict_do_update(index_elements=["name"], set_=values))
