"""One command being run: who runs it, where, and what its workspace holds.

Handlers receive a :class:`Call`; its helpers answer what several commands
ask (which topics the caller sees, this channel's subscriptions, the audit
entry of a change) within the caller's tenant, so no command can reach
another workspace's data.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from .._effective import chat_subscription_name, rule_id, visible_id
from .._query import Query, parse_query
from .._storage import ChatStore
from .._types import SHARED, AuditEntry, ChatState, ChatSubscription, ChatTopic
from ..chat import Caller
from ..config import TopicConfig
from ..exceptions import CommandError, QuerySyntaxError
from ..options import SubscriptionOptions
from ._context import CommandContext

#: How a chat subscription is named in commands: ``#3`` (``chat-3`` and ``3`` too).
SUB_REF_RE = re.compile(r"^(?:#|chat-)?(\d{1,9})$")


def tenant_of(caller: Caller) -> str:
    """Who owns what a caller creates: one Discord guild, one Slack workspace."""
    return f"{caller.platform}:{caller.workspace}"


def show(text: str, limit: int = 80) -> str:
    """User input echoed back in a message: short, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def parse_user_query(text: str) -> Query:
    """A query typed in chat. Raises :class:`CommandError` saying where it is wrong."""
    try:
        return parse_query(text)
    except QuerySyntaxError as e:
        raise CommandError(f"bad query: {e.message} at position {e.position + 1}",
                           hint="e.g. `\"IA générative\" OR (GPU Nvidia) -crypto`") from None


@dataclass(frozen=True)
class ChannelSub:
    """A subscription as a channel sees it (from the file or from chat)."""

    #: How commands name it: ``#3``, or the file's name.
    label: str
    #: Its name in the effective configuration (``chat-3`` or the file's).
    name: str
    #: Its topics' rule ids.
    topics: tuple[str, ...]
    #: Its query, if any.
    query: str | None
    #: Its delivery options.
    options: SubscriptionOptions
    #: Whether the configuration file declares it (read-only from chat).
    from_file: bool
    #: The chat subscription's id.
    chat_id: int | None = None

    @classmethod
    def from_chat(cls, s: ChatSubscription) -> ChannelSub:
        return cls(f"#{s.id}", chat_subscription_name(s.id),
                   (s.topic_id,) if s.topic_id else (), s.query, s.options, False, s.id)


@dataclass(frozen=True)
class Call:
    """A command run by ``caller``, with what commands may use."""

    #: What commands may use.
    ctx: CommandContext
    #: Who runs it, and where.
    caller: Caller

    @property
    def tenant(self) -> str:
        return tenant_of(self.caller)

    @property
    def is_admin(self) -> bool:
        return self.ctx.admins.allows(self.caller)

    @property
    def chat(self) -> ChatStore:
        """The chat store. Raises :class:`CommandError` when this run has no database."""
        if self.ctx.chat is None:
            raise CommandError("chat edits need Vigie's database, which this run does not have")
        return self.ctx.chat

    async def state(self) -> ChatState:
        return await self.chat.load()

    async def refresh(self) -> None:
        # Apply the edit in this process now; other processes see the version bump.
        await self.ctx.engine.refresh()

    def entry(self, action: str, target: str, old: object = None,
              new: object = None) -> AuditEntry:
        """The audit entry of a change by the caller."""
        def dump(value: object) -> str | None:
            if value is None or isinstance(value, str):
                return value
            return json.dumps(value, ensure_ascii=False)

        return AuditEntry(self.tenant, self.caller.user, self.caller.user_name or self.caller.user,
                          action, target, dump(old), dump(new), self.ctx.clock())

    # -- topics --

    def visible_topics(self) -> list[TopicConfig]:
        """Effective topics the caller may see: the shared ones and its workspace's."""
        tenant = self.tenant
        return [t for t in self.ctx.engine.config.topics
                if "/" not in t.id or t.id.startswith(f"{tenant}/")]

    def topic_name(self, internal: str) -> str:
        topic = self.ctx.engine.config.topic(internal)
        return topic.name if topic else visible_id(internal)

    async def resolve_topic(self, topic_id: str) -> tuple[str, ChatTopic | None]:
        """The rule id of a topic the caller may see, and its chat row if it has one.

        Raises :class:`CommandError` when no visible topic has that id.
        """
        tenant = self.tenant
        state = await self.state()
        for t in state.topics:
            if t.tenant == tenant and t.topic_id == topic_id:
                return rule_id(tenant, topic_id), t
        if self.ctx.file.topic(topic_id) is not None:
            shared = next((t for t in state.topics
                           if t.tenant == SHARED and t.topic_id == topic_id), None)
            return topic_id, shared
        known = ", ".join(sorted(visible_id(t.id) for t in self.visible_topics()))
        raise CommandError(f"no topic {show(topic_id, 40)!r}",
                           hint=f"topics: {known}" if known else "create one with `topic create`")

    async def topic_or_none(self, word: str | None) -> str | None:
        """The rule id of the visible topic ``word`` names, or None."""
        if word is None:
            return None
        try:
            topic, _ = await self.resolve_topic(word)
        except CommandError:
            return None
        return topic

    async def editable_topic(self, topic_id: str) -> tuple[str, ChatTopic]:
        """A topic the caller may edit, as a chat row (a copy of the file's for an
        editable config topic). Raises :class:`CommandError` otherwise."""
        internal, row = await self.resolve_topic(topic_id)
        if "/" in internal:
            assert row is not None
            return internal, row
        config_topic = self.ctx.file.topic(topic_id)
        assert config_topic is not None
        if not config_topic.editable:
            raise CommandError(
                f"topic {topic_id!r} comes from the configuration file and is read-only "
                "from chat", hint="mark it `editable = true` there, or create your own topic")
        if row is None:
            row = ChatTopic(SHARED, topic_id, config_topic.name, config_topic.keywords,
                            config_topic.exclude)
        return internal, row

    # -- subscriptions --

    def channel_subscriptions(self, state: ChatState) -> list[ChannelSub]:
        """The caller's channel's subscriptions: the file's, then the chat ones."""
        subs = [
            ChannelSub(s.name, s.name, s.topics, s.query, s.options, True)
            for s in self.ctx.file.subscriptions if s.destination == self.caller.destination
        ]
        tenant = self.tenant
        subs += [ChannelSub.from_chat(s) for s in state.subscriptions
                 if s.tenant == tenant and s.channel == self.caller.channel]
        return subs

    async def sub_by_ref(self, ref: str) -> ChannelSub:
        """The channel's chat subscription ``ref`` (``#3``) names.

        Raises :class:`CommandError` for another channel's, a file one, or none.
        """
        subs = self.channel_subscriptions(await self.state())
        m = SUB_REF_RE.match(ref)
        for sub in subs:
            if m and sub.chat_id == int(m.group(1)):
                return sub
            if sub.from_file and sub.name == ref:
                raise CommandError(f"subscription {ref!r} comes from the configuration file",
                                   hint="change it there")
        raise CommandError(f"this channel has no subscription {show(ref, 40)!r}",
                           hint="`list` shows them")

    def describe(self, sub: ChannelSub) -> str:
        """A subscription in one line: topics, query, options, origin."""
        parts = []
        if sub.topics:
            parts.append("topics " + ", ".join(self.topic_name(t) for t in sub.topics))
        if sub.query:
            parts.append(f"query {sub.query}")
        parts += [f"{k} {v}" for k, v in sub.options.as_strings().items()]
        if sub.from_file:
            parts.append("from the configuration file")
        return " · ".join(parts)
