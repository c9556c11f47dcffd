"""Items: what polls stored, looked up for dedup, listed and searched."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from .._types import NewItem, SearchTerm
from ..types import Item, SearchHit, SourceState, StoredItem
from . import _search
from ._base import StoreBase, aware, chunks, clean, clean_item, utcnow
from ._outbox import queue_alerts
from ._sources import put_source
from ._tables import PG_ITEMS, items, items_fts

__all__ = ["ItemsMixin"]


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


class ItemsMixin(StoreBase):
    """The items part of :class:`bot._storage.SQLStore`, search included."""

    @property
    def _items(self) -> sa.Table:
        # On PostgreSQL the table has a search vector column besides.
        return items if self._sqlite else PG_ITEMS

    async def seen(
        self, source: str, keys: Sequence[str], urls: Sequence[str]
    ) -> tuple[set[str], set[str]]:
        """Which of ``keys`` this source has stored, and which canonical
        ``urls`` any source has stored."""
        seen_keys: set[str] = set()
        seen_urls: set[str] = set()
        async with self._read("cannot look items up") as conn:
            for chunk in chunks(sorted(set(keys))):
                result = await conn.execute(
                    sa.select(items.c.key).where(
                        items.c.source == source, items.c.key.in_(chunk)
                    )
                )
                seen_keys.update(result.scalars())
            for chunk in chunks(sorted(set(urls))):
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
        now = aware(state.last_poll, "state.last_poll") if state.last_poll else utcnow()
        # Keys as stored (cleaned) → the caller's key and its NewItem; the
        # first of duplicated keys wins.
        unique: dict[str, tuple[str, NewItem]] = {}
        for new in new_items:
            cleaned = clean_item(new.item)
            unique.setdefault(cleaned.key, (new.item.key, dataclasses.replace(new, item=cleaned)))
        batch = [new for _, new in unique.values()]

        async with self._write("cannot store a poll") as conn:
            await put_source(self, conn, state)
            inserted: dict[str, int] = {}
            for chunk in chunks(batch):
                inserted.update(await self._insert_items(conn, chunk, now))
            await queue_alerts(self, conn, [
                (inserted[new.item.key], alert)
                for new in batch if new.item.key in inserted
                for alert in new.alerts
            ], now)
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
                "outlet": item.outlet,
                "first_seen": now,
                "topics": _encode_topics([clean(t) for t in new.topics]),
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
            outlet=row.outlet,
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
        aware(since, "since")
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
            aware(since, "since")
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
            stmt = stmt.where(items.c.first_seen >= aware(since, "since"))
        async with self._read("cannot count items") as conn:
            return int((await conn.execute(stmt)).scalar_one())
