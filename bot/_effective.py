"""The effective configuration: the file's, with the chat edits applied (pure).

Topics created in chat belong to their workspace ("tenant"): inside Vigie
their id is ``tenant/topic`` so that two workspaces may both have a "gpu2";
users only ever see the part after the slash.
"""

from __future__ import annotations

import dataclasses
import logging

from ._types import SHARED, ChatState, ChatTopic
from .config import Config, SourceConfig, SubscriptionConfig, TopicConfig, make_source
from .types import ALL_FIELDS, Field

log = logging.getLogger(__name__)


def rule_id(tenant: str, topic_id: str) -> str:
    """The internal id of a tenant's chat topic."""
    return f"{tenant}/{topic_id}"


def visible_id(internal: str) -> str:
    """What users see of a topic id."""
    return internal.rsplit("/", 1)[-1]


def chat_subscription_name(sub_id: int) -> str:
    return f"chat-{sub_id}"


def _topic(t: ChatTopic, topic_id: str) -> TopicConfig:
    fields: tuple[Field, ...] = tuple(f for f in ALL_FIELDS if f in t.fields) or ALL_FIELDS
    return TopicConfig(topic_id, t.name, t.keywords, t.exclude, fields, t.languages)


def merge(config: Config, state: ChatState) -> Config:
    """``config`` with the chat edits of ``state`` applied.

    Edits of editable config topics replace their keywords and exclusions;
    chat topics without keywords, and subscriptions to topics that no longer
    exist, are left out (they could match nothing).
    """
    overrides = {t.topic_id: t for t in state.topics if t.tenant == SHARED}
    topics: list[TopicConfig] = []
    for topic in config.topics:
        edit = overrides.get(topic.id)
        if edit is not None and topic.editable:
            topic = dataclasses.replace(topic, keywords=edit.keywords, exclude=edit.exclude)
        if topic.keywords:
            topics.append(topic)
    for t in state.topics:
        if t.tenant != SHARED and t.keywords:
            topics.append(_topic(t, rule_id(t.tenant, t.topic_id)))
    topic_ids = {t.id for t in topics}

    subscriptions = list(config.subscriptions)
    for sub in state.subscriptions:
        if sub.topic_id is not None and sub.topic_id not in topic_ids:
            continue
        subscriptions.append(SubscriptionConfig(
            name=chat_subscription_name(sub.id),
            topics=(sub.topic_id,) if sub.topic_id else (),
            query=sub.query,
            destination=sub.destination,
            options=sub.options,
        ))

    names = {s.name for s in config.sources}
    sources = list(config.sources)
    for s in state.sources:
        if s.name in names:
            continue
        made = make_source(s.name, s.kind, {"url": s.url} if s.kind == "feed" else s.options,
                           interval=s.interval, language=s.language, kinds=config.kinds)
        if isinstance(made, SourceConfig):
            sources.append(made)
        else:
            # Checked when added; the file changed since (a [kinds] key removed).
            log.warning("source %s (added from chat) is left out: %s", s.name,
                        "; ".join(f"{k or s.kind}: {m}" for k, m in made))
    return dataclasses.replace(config, topics=tuple(topics),
                               subscriptions=tuple(subscriptions), sources=tuple(sources))
