"""Chat edits: topics, subscriptions and sources changed from chat, and the audit log.

Every change and its audit entry are written in one transaction, and bump
``chat_version`` so that pollers rebuild their rules on the next poll.
The tables (in ``_tables``) are created by migration 0002.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from .._types import AuditEntry, ChatSource, ChatState, ChatSubscription, ChatTopic
from ..options import SubscriptionOptions
from ._base import StoreBase
from ._tables import audit_log, chat_sources, chat_subscriptions, chat_topics, chat_version


def _dumps(values: Sequence[str] | Mapping[str, str | int]) -> str:
    return json.dumps(values if isinstance(values, Mapping) else list(values),
                      ensure_ascii=False)


def _tuple(text: str) -> tuple[str, ...]:
    return tuple(str(v) for v in json.loads(text or "[]"))


def _options(text: str) -> dict[str, str | int]:
    """A chat source's kind keys: text and whole numbers only (else left out)."""
    try:
        raw = json.loads(text or "{}")
    except ValueError:
        return {}
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items()
            if isinstance(v, str) or (isinstance(v, int) and not isinstance(v, bool))}


class ChatStore:
    """Chat edits in the same database as a :class:`bot._storage.SQLStore`.

    Every method may raise :class:`bot.exceptions.StorageError`.
    """

    def __init__(self, store: StoreBase) -> None:
        self._store = store

    async def _bump(self, conn: AsyncConnection) -> None:
        await conn.execute(chat_version.update().where(chat_version.c.id == 1)
                           .values(version=chat_version.c.version + 1))

    async def _audit(self, conn: AsyncConnection, entry: AuditEntry) -> None:
        await conn.execute(audit_log.insert().values(
            tenant=entry.tenant, user_id=entry.user_id, user_name=entry.user_name[:200],
            action=entry.action, target=entry.target[:500],
            old_value=entry.old_value, new_value=entry.new_value, at=entry.at,
        ))

    # -- reading --

    async def version(self) -> int:
        async with self._store._read("cannot read chat edits") as conn:
            value = (await conn.execute(sa.select(chat_version.c.version))).scalar()
            return int(value or 0)

    async def load(self) -> ChatState:
        """A consistent snapshot of every chat edit."""
        async with self._store._read("cannot read chat edits") as conn:
            version = int((await conn.execute(sa.select(chat_version.c.version))).scalar() or 0)
            topics = [
                ChatTopic(r.tenant, r.topic_id, r.name, _tuple(r.keywords), _tuple(r.exclude),
                          _tuple(r.fields), _tuple(r.languages))
                for r in await conn.execute(sa.select(chat_topics).order_by(chat_topics.c.id))
            ]
            subs = [
                self._subscription(r) for r in await conn.execute(
                    sa.select(chat_subscriptions).order_by(chat_subscriptions.c.id))
            ]
            sources = [
                ChatSource(r.name, r.tenant, r.url, r.interval, r.kind, _options(r.options),
                           r.language)
                for r in await conn.execute(sa.select(chat_sources).order_by(chat_sources.c.name))
            ]
        return ChatState(version, tuple(topics), tuple(subs), tuple(sources))

    @staticmethod
    def _subscription(r: Any) -> ChatSubscription:
        return ChatSubscription(
            r.id, r.tenant, r.channel, r.destination, r.topic_id, r.query,
            SubscriptionOptions.from_stored(
                {str(k): str(v) for k, v in json.loads(r.options or "{}").items()}),
            r.created_by,
        )

    async def audit_log(self, tenant: str, limit: int) -> list[AuditEntry]:
        """The tenant's audit log, newest first."""
        async with self._store._read("cannot read the audit log") as conn:
            rows = await conn.execute(
                sa.select(audit_log).where(audit_log.c.tenant == tenant)
                .order_by(audit_log.c.id.desc()).limit(limit))
            return [AuditEntry(r.tenant, r.user_id, r.user_name, r.action, r.target,
                               r.old_value, r.new_value, r.at) for r in rows]

    # -- writing (each with its audit entry, in one transaction) --

    async def record(self, entry: AuditEntry) -> None:
        """Write an audit entry for a change stored elsewhere (resuming a subscription)."""
        async with self._store._write("cannot write the audit log") as conn:
            await self._audit(conn, entry)

    async def put_topic(self, topic: ChatTopic, entry: AuditEntry) -> None:
        """Create or replace a chat topic."""
        values = dict(
            name=topic.name, keywords=_dumps(topic.keywords), exclude=_dumps(topic.exclude),
            fields=_dumps(topic.fields), languages=_dumps(topic.languages),
            updated_at=entry.at,
        )
        async with self._store._write("cannot save the topic") as conn:
            where = sa.and_(chat_topics.c.tenant == topic.tenant,
                            chat_topics.c.topic_id == topic.topic_id)
            updated = await conn.execute(chat_topics.update().where(where).values(**values))
            if not updated.rowcount:
                await conn.execute(chat_topics.insert().values(
                    tenant=topic.tenant, topic_id=topic.topic_id, created_by=entry.user_id,
                    created_at=entry.at, **values))
            await self._audit(conn, entry)
            await self._bump(conn)

    async def delete_topic(self, tenant: str, topic_id: str, rule_id: str,
                           entry: AuditEntry) -> int:
        """Delete a tenant's topic and the tenant's subscriptions to it (which
        name it by ``rule_id``); returns how many subscriptions went with it."""
        async with self._store._write("cannot delete the topic") as conn:
            await conn.execute(chat_topics.delete().where(sa.and_(
                chat_topics.c.tenant == tenant, chat_topics.c.topic_id == topic_id)))
            gone = await conn.execute(chat_subscriptions.delete().where(sa.and_(
                chat_subscriptions.c.tenant == tenant, chat_subscriptions.c.topic_id == rule_id)))
            await self._audit(conn, entry)
            await self._bump(conn)
            return int(gone.rowcount or 0)

    async def add_subscription(
        self, tenant: str, channel: str, destination: str, *, topic_id: str | None,
        query: str | None, options: SubscriptionOptions, entry: AuditEntry,
    ) -> int:
        """Create a subscription; returns its id."""
        async with self._store._write("cannot save the subscription") as conn:
            result = await conn.execute(chat_subscriptions.insert().values(
                tenant=tenant, channel=channel, destination=destination, topic_id=topic_id,
                query=query, options=_dumps(options.as_strings()), created_by=entry.user_id,
                created_at=entry.at,
            ).returning(chat_subscriptions.c.id))
            new_id = int(result.scalar_one())
            await self._audit(conn, dataclasses.replace(entry, target=f"#{new_id}"))
            await self._bump(conn)
            return new_id

    async def delete_subscriptions(self, tenant: str, ids: Sequence[int],
                                   entry: AuditEntry) -> int:
        """Delete the tenant's subscriptions with these ids; returns how many."""
        async with self._store._write("cannot delete the subscription") as conn:
            gone = await conn.execute(chat_subscriptions.delete().where(sa.and_(
                chat_subscriptions.c.tenant == tenant, chat_subscriptions.c.id.in_(list(ids)))))
            await self._audit(conn, entry)
            await self._bump(conn)
            return int(gone.rowcount or 0)

    async def set_options(self, tenant: str, sub_id: int, options: SubscriptionOptions,
                          entry: AuditEntry) -> bool:
        """Replace a tenant's subscription's options; False if it does not exist."""
        async with self._store._write("cannot save the subscription") as conn:
            done = await conn.execute(chat_subscriptions.update().where(sa.and_(
                chat_subscriptions.c.tenant == tenant, chat_subscriptions.c.id == sub_id,
            )).values(options=_dumps(options.as_strings())))
            if not done.rowcount:
                return False
            await self._audit(conn, entry)
            await self._bump(conn)
            return True

    async def add_source(self, source: ChatSource, entry: AuditEntry) -> bool:
        """Add a source; False if the name is taken."""
        async with self._store._write("cannot save the source") as conn:
            exists = (await conn.execute(sa.select(chat_sources.c.name).where(
                chat_sources.c.name == source.name))).first()
            if exists:
                return False
            await conn.execute(chat_sources.insert().values(
                name=source.name, tenant=source.tenant, url=source.url,
                interval=source.interval, kind=source.kind,
                options=_dumps(dict(source.options)),
                language=source.language, created_by=entry.user_id, created_at=entry.at))
            await self._audit(conn, entry)
            await self._bump(conn)
            return True

    async def remove_source(self, tenant: str, name: str, entry: AuditEntry) -> bool:
        """Remove a tenant's source; False if it has none of that name."""
        async with self._store._write("cannot remove the source") as conn:
            gone = await conn.execute(chat_sources.delete().where(sa.and_(
                chat_sources.c.tenant == tenant, chat_sources.c.name == name)))
            if not gone.rowcount:
                return False
            await self._audit(conn, entry)
            await self._bump(conn)
            return True


