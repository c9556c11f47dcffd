"""The command layer: every chat command, the same on every platform.

Adapters translate a platform event into a :class:`bot.chat.Caller` and a
command line, call :meth:`CommandLayer.handle`, and render the neutral
:class:`bot.replies.Reply`. Commands validate everything, refuse admin
commands to non-admins with nothing changed, and write every change with its
audit entry in one transaction.
"""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import json
import logging
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .._effective import chat_subscription_name, rule_id, visible_id
from .._matching import Matcher, Rule, highlight_spans
from .._netguard import check_url, is_public_address
from .._normalize import normalize
from .._query import Query, parse_query, positive_terms
from .._schedule import parse_digest, parse_limit, parse_quiet, parse_timezone
from .._storage._chat import ChatStore
from .._types import SHARED, AuditEntry, ChatSource, ChatState, ChatTopic, SearchTerm
from ..chat import Caller, CompletionKind
from ..config import MIN_INTERVAL, TopicConfig, parse_duration, phrase_problem
from ..exceptions import (
    CommandError,
    PermissionDeniedError,
    QuerySyntaxError,
    SourceError,
    StorageError,
    VigieError,
)
from ..replies import Code, Fields, Heading, ItemCard, Reply, Text
from ..types import StoredItem
from ._grammar import MAX_LINE_CHARS, Option, Parsed, parse_args, tokenize
from ._help import COMMAND_HELP, help_reply

if TYPE_CHECKING:
    from ..app import Vigie

log = logging.getLogger(__name__)

_TOPIC_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_SOURCE_NAME_RE = _TOPIC_ID_RE
_SUB_REF_RE = re.compile(r"^(?:#|chat-)?(\d{1,9})$")
MAX_RESULTS = 25
DEFAULT_RECENT = 5
_RANGE = {"hours": Option("int", 1, 24 * 365), "limit": Option("int", 1, MAX_RESULTS)}


def tenant_of(caller: Caller) -> str:
    """Who owns what a caller creates: one Discord guild, one Slack workspace."""
    return f"{caller.platform}:{caller.workspace}"


def _show(text: str, limit: int = 80) -> str:
    """User input echoed back in a message: short, on one line."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class _Command:
    run: Callable[[Caller, Parsed], Awaitable[Reply]]
    admin: bool
    options: dict[str, Option]


@dataclass(frozen=True)
class _ChannelSub:
    """A subscription as a channel sees it (from the file or from chat)."""

    label: str
    name: str
    topics: tuple[str, ...]
    query: str | None
    options: dict[str, str]
    from_file: bool
    chat_id: int | None = None


class CommandLayer:
    """Runs command lines for callers; implements :class:`bot.chat.CommandHandler`."""

    def __init__(self, vigie: Vigie) -> None:
        self.vigie = vigie
        self._commands: dict[str, _Command] = {
            "help": _Command(self._help, False, {}),
            "topics": _Command(self._topics, False, {}),
            "list": _Command(self._list, False, {"all": Option("flag")}),
            "recent": _Command(self._recent, False, _RANGE),
            "search": _Command(self._search, False, _RANGE),
            "status": _Command(self._status, False, {}),
            "subscribe": _Command(self._subscribe, True, {
                "mention": Option(), "limit": Option(), "digest": Option(), "quiet": Option(),
                "tz": Option()}),
            "unsubscribe": _Command(self._unsubscribe, True, {}),
            "keywords": _Command(self._keywords, True, {}),
            "exclude": _Command(self._exclude, True, {}),
            "topic": _Command(self._topic, True, {}),
            "sources": _Command(self._sources, True, {"interval": Option()}),
            "digest": _Command(self._digest, True, {"tz": Option()}),
            "quiet": _Command(self._quiet, True, {"tz": Option()}),
            "limit": _Command(self._limit, True, {}),
            "resume": _Command(self._resume, True, {}),
            "audit": _Command(self._audit, True, {"limit": Option("int", 1, 100)}),
        }

    # -- entry points --

    async def handle(self, caller: Caller, text: str) -> Reply:
        """Run one command line. Never raises for bad input, refusals or storage
        trouble: those come back as an error reply safe to show."""
        try:
            return await self._handle(caller, text)
        except PermissionDeniedError as e:
            log.info("refused %s to %s on %s", e.command, caller.user, tenant_of(caller))
            return Reply.error(e.user_message)
        except CommandError as e:
            return Reply.error(e.user_message)
        except StorageError as e:
            log.error("storage error during a command: %s", e.user_message)
            return Reply.error("Vigie cannot reach its database right now; nothing was "
                               "changed. Try again in a minute.")
        except VigieError as e:
            return Reply.error(e.user_message)

    async def _handle(self, caller: Caller, text: str) -> Reply:
        if len(text) > MAX_LINE_CHARS:
            raise CommandError(f"that command is {len(text)} characters long; the limit is "
                               f"{MAX_LINE_CHARS}")
        tokens = tokenize(text.strip())
        if not tokens:
            return help_reply(None)
        name = tokens[0].value.lower()
        command = self._commands.get(name)
        if command is None:
            raise CommandError(f"unknown command {_show(tokens[0].value, 40)!r}",
                               hint="type `help` for the list")
        if command.admin and not self.is_admin(caller):
            raise PermissionDeniedError(name)
        parsed = parse_args(tokens[1:], command.options)
        reply = await command.run(caller, parsed)
        return dataclasses.replace(reply, ephemeral=True) if command.admin else reply

    async def complete(self, caller: Caller, kind: CompletionKind, prefix: str) -> list[str]:
        """Up to 25 completions of ``prefix`` that ``caller`` may see."""
        prefix = prefix.lower()
        if kind == "topic":
            values = [visible_id(t.id) for t in self._visible_topics(caller)]
        elif kind == "subscription":
            state = await self._state()
            values = [f"#{s.id}" for s in state.subscriptions
                      if s.tenant == tenant_of(caller) and s.channel == caller.channel]
        else:
            values = [s.name for s in self.vigie.config.sources]
        return sorted(v for v in set(values) if v.lower().startswith(prefix.lstrip("#")) or
                      v.lower().startswith(prefix))[:25]

    def is_admin(self, caller: Caller) -> bool:
        """Platform admin, or a user/role the platform's config table lists as admin."""
        if caller.is_platform_admin:
            return True
        table = self.vigie.file_config.adapters.get(caller.platform, {})
        users = {str(u) for u in table.get("admin_users", ())}
        roles = {str(r) for r in table.get("admin_roles", ())}
        return caller.user in users or any(r in roles for r in caller.roles)

    # -- helpers --

    @property
    def _chat(self) -> ChatStore:
        if self.vigie.chat is None:
            raise CommandError("chat edits need Vigie's database, which this run does not have")
        return self.vigie.chat

    async def _state(self) -> ChatState:
        return await self._chat.load()

    def _entry(self, caller: Caller, action: str, target: str, old: object = None,
               new: object = None) -> AuditEntry:
        def dump(value: object) -> str | None:
            if value is None or isinstance(value, str):
                return value
            return json.dumps(value, ensure_ascii=False)

        return AuditEntry(tenant_of(caller), caller.user, caller.user_name or caller.user,
                          action, target, dump(old), dump(new), self.vigie.clock())

    def _visible_topics(self, caller: Caller) -> list[TopicConfig]:
        tenant = tenant_of(caller)
        return [t for t in self.vigie.config.topics
                if "/" not in t.id or t.id.startswith(f"{tenant}/")]

    def _topic_name(self, internal: str) -> str:
        topic = self.vigie.config.topic(internal)
        return topic.name if topic else visible_id(internal)

    async def _resolve_topic(self, caller: Caller, topic_id: str) -> tuple[str, ChatTopic | None]:
        """The rule id of a topic the caller may see, and its chat row if it has one.

        Raises :class:`CommandError` when no visible topic has that id.
        """
        tenant = tenant_of(caller)
        state = await self._state()
        for t in state.topics:
            if t.tenant == tenant and t.topic_id == topic_id:
                return rule_id(tenant, topic_id), t
        if self.vigie.file_config.topic(topic_id) is not None:
            shared = next((t for t in state.topics
                           if t.tenant == SHARED and t.topic_id == topic_id), None)
            return topic_id, shared
        known = ", ".join(sorted(visible_id(t.id) for t in self._visible_topics(caller)))
        raise CommandError(f"no topic {_show(topic_id, 40)!r}",
                           hint=f"topics: {known}" if known else "create one with `topic create`")

    async def _editable_topic(self, caller: Caller, topic_id: str) -> tuple[str, ChatTopic]:
        """A topic the caller may edit, as a chat row (a copy of the file's for an
        editable config topic)."""
        internal, row = await self._resolve_topic(caller, topic_id)
        if "/" in internal:
            assert row is not None
            return internal, row
        config_topic = self.vigie.file_config.topic(topic_id)
        assert config_topic is not None
        if not config_topic.editable:
            raise CommandError(
                f"topic {topic_id!r} comes from the configuration file and is read-only "
                "from chat", hint="mark it `editable = true` there, or create your own topic")
        if row is None:
            row = ChatTopic(SHARED, topic_id, config_topic.name, config_topic.keywords,
                            config_topic.exclude)
        return internal, row

    def _channel_subscriptions(self, caller: Caller, state: ChatState) -> list[_ChannelSub]:
        subs = [
            _ChannelSub(s.name, s.name, s.topics, s.query, s.options(), True)
            for s in self.vigie.file_config.subscriptions if s.destination == caller.destination
        ]
        tenant = tenant_of(caller)
        for s in state.subscriptions:
            if s.tenant == tenant and s.channel == caller.channel:
                subs.append(_ChannelSub(f"#{s.id}", chat_subscription_name(s.id),
                                        (s.topic_id,) if s.topic_id else (), s.query,
                                        dict(s.options), False, s.id))
        return subs

    def _query(self, text: str) -> Query:
        try:
            return parse_query(text)
        except QuerySyntaxError as e:
            raise CommandError(f"bad query: {e.message} at position {e.position + 1}",
                               hint="e.g. `\"IA générative\" OR (GPU Nvidia) -crypto`") from None

    async def _refresh(self) -> None:
        # Apply the edit in this process now; other processes see the version bump.
        await self.vigie.refresh()

    # -- reading commands --

    async def _help(self, caller: Caller, p: Parsed) -> Reply:
        return help_reply(p.args[0].value.lower() if p.args else None)

    async def _topics(self, caller: Caller, p: Parsed) -> Reply:
        topics = self._visible_topics(caller)
        # A topic created without keywords yet matches nothing, so it is not
        # in the effective configuration; its creators still see it.
        known = {t.id for t in topics}
        tenant = tenant_of(caller)
        topics += [TopicConfig(rule_id(tenant, t.topic_id), t.name, ())
                   for t in (await self._state()).topics
                   if t.tenant == tenant and rule_id(tenant, t.topic_id) not in known]
        if not topics:
            return Reply.text("No topics yet. An admin can create one: `topic create gpu GPU`.")
        pairs = []
        for t in topics:
            value = ", ".join(t.keywords) or "no keywords yet"
            if t.exclude:
                value += f" · except {', '.join(t.exclude)}"
            pairs.append((f"{visible_id(t.id)} ({t.name})" if t.name != visible_id(t.id)
                          else visible_id(t.id), value))
        return Reply((Heading("Topics"), Fields(tuple(pairs))))

    def _describe_sub(self, sub: _ChannelSub) -> str:
        parts = []
        if sub.topics:
            parts.append("topics " + ", ".join(self._topic_name(t) for t in sub.topics))
        if sub.query:
            parts.append(f"query {sub.query}")
        parts += [f"{k} {v}" for k, v in sub.options.items()]
        if sub.from_file:
            parts.append("from the configuration file")
        return " · ".join(parts)

    async def _list(self, caller: Caller, p: Parsed) -> Reply:
        state = await self._state()
        if p.flag("all"):
            return self._list_workspace(caller, state)
        subs = self._channel_subscriptions(caller, state)
        if not subs:
            return Reply.text("This channel has no subscriptions. An admin can add one: "
                              "`subscribe gpu`.")
        return Reply((Heading("Subscriptions of this channel"),
                      Fields(tuple((s.label, self._describe_sub(s)) for s in subs))))

    def _list_workspace(self, caller: Caller, state: ChatState) -> Reply:
        """Every chat subscription of the caller's workspace (admins only: it
        names channels the caller may not be in)."""
        if not self.is_admin(caller):
            raise PermissionDeniedError("list --all")
        tenant = tenant_of(caller)
        subs = [s for s in state.subscriptions if s.tenant == tenant]
        if not subs:
            return Reply.text("This workspace has no subscriptions made from chat.",
                              ephemeral=True)
        pairs = tuple(
            (f"#{s.id} in {s.channel}", self._describe_sub(_ChannelSub(
                f"#{s.id}", chat_subscription_name(s.id), (s.topic_id,) if s.topic_id else (),
                s.query, dict(s.options), False, s.id)))
            for s in subs)
        return Reply((Heading("Subscriptions of this workspace"), Fields(pairs)),
                     ephemeral=True)

    async def _find(self, query: Query, since: datetime | None, limit: int
                    ) -> list[tuple[StoredItem, tuple[str, ...]]]:
        """Stored items matching ``query`` exactly, newest first.

        Full-text search finds candidates for each positive term (its last
        word as a prefix, so plurals are found); the matcher then applies the
        query's exact semantics.
        """
        candidates: dict[int, StoredItem] = {}
        for term in positive_terms(query)[:8]:
            text = normalize(term.phrase)
            if not text:
                continue
            for hit in await self.vigie.store.search([SearchTerm(text, prefix=True)],
                                                     since=since, limit=200):
                candidates[hit.stored.id] = hit.stored
        matcher = Matcher.compile([Rule(id="query", query=query)])
        found = []
        for stored in sorted(candidates.values(), key=_newest_first):
            verdict = matcher.match(stored.item.document).verdicts[0]
            if verdict.matched:
                found.append((stored, verdict.matched_terms))
                if len(found) >= limit:
                    break
        return found

    def _card(self, stored: StoredItem, terms: Sequence[str]) -> ItemCard:
        return ItemCard.from_stored(
            stored,
            topic_names=tuple(self._topic_name(t) for t in stored.topics),
            title_highlights=highlight_spans(stored.item.title, terms),
            summary_highlights=highlight_spans(stored.item.lead, terms),
            matched_terms=tuple(terms),
        )

    async def _recent(self, caller: Caller, p: Parsed) -> Reply:
        hours = p.int("hours", 24)
        limit = p.int("limit", DEFAULT_RECENT)
        since = self.vigie.clock() - timedelta(hours=hours)
        found: dict[int, tuple[StoredItem, tuple[str, ...]]] = {}
        if p.args:
            what = p.rest()
            topic = None
            if len(p.args) == 1:
                try:
                    topic, _ = await self._resolve_topic(caller, p.args[0].value)
                except CommandError:
                    topic = None
            if topic is not None:
                for s in await self.vigie.store.recent(topics=[topic], since=since, limit=limit):
                    found[s.id] = (s, self._topic_terms([topic]))
            else:
                for s, terms in await self._find(self._query(what), since, limit):
                    found[s.id] = (s, terms)
            label = _show(what, 60)
        else:
            subs = self._channel_subscriptions(caller, await self._state())
            if not subs:
                raise CommandError("this channel has no subscriptions",
                                   hint="name a topic or a query: `recent gpu`")
            topics = sorted({t for s in subs for t in s.topics})
            if topics:
                for s in await self.vigie.store.recent(topics=topics, since=since, limit=limit):
                    found[s.id] = (s, self._topic_terms(
                        [t for t in s.topics if t in topics]))
            for sub in subs:
                if sub.query:
                    for s, terms in await self._find(self._query(sub.query), since, limit):
                        found.setdefault(s.id, (s, terms))
            label = "this channel's subscriptions"
        items = sorted(found.values(), key=lambda pair: _newest_first(pair[0]))[:limit]
        if not items:
            return Reply.text(f"Nothing matched {label} in the last {hours} h.")
        return Reply((Heading(f"Latest for {label} ({len(items)}, last {hours} h)"),
                      *(self._card(s, terms) for s, terms in items)))

    def _topic_terms(self, topic_ids: Iterable[str]) -> tuple[str, ...]:
        terms: list[str] = []
        for tid in topic_ids:
            topic = self.vigie.config.topic(tid)
            if topic:
                terms += [k for k in topic.keywords if k not in terms]
        return tuple(terms)

    async def _search(self, caller: Caller, p: Parsed) -> Reply:
        if not p.args:
            raise CommandError("search what?", hint="e.g. `search \"IA générative\" Musk`")
        query = self._query(p.rest())
        limit = p.int("limit", DEFAULT_RECENT)
        hours = p.options.get("hours")
        since = self.vigie.clock() - timedelta(hours=int(hours)) if hours is not None else None
        found = await self._find(query, since, limit)
        what = _show(p.rest(), 60)
        if not found:
            return Reply.text(f"No stored item matches {what}.")
        return Reply((Heading(f"Search: {what} ({len(found)})"),
                      *(self._card(s, terms) for s, terms in found)))

    async def _status(self, caller: Caller, p: Parsed) -> Reply:
        health = await self.vigie.source_health()
        now = self.vigie.clock()
        healthy = [c.name for c, s in health if s and s.enabled and s.last_success
                   and not s.consecutive_failures]
        failing = [(c.name, s) for c, s in health if s and s.consecutive_failures]
        disabled = [(c.name, s) for c, s in health if s and not s.enabled]
        never = [c.name for c, s in health if s is None or s.last_poll is None]
        polls = [s.last_poll for _, s in health if s and s.last_poll]
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        today = await self.vigie.store.count_items(since=midnight)
        outbox = await self.vigie.store.outbox_summary(failures=0)
        pending = outbox.waiting + outbox.retrying + outbox.held
        pairs = [
            ("Sources", f"{len(healthy)} healthy, {len(failing)} failing, "
                        f"{len(disabled)} disabled, {len(never)} not polled yet"),
            ("Last poll", max(polls).strftime("%Y-%m-%d %H:%M UTC") if polls else "never"),
            ("Items today", str(today)),
            ("Deliveries", f"{pending} pending ({outbox.retrying} retrying, {outbox.held} held), "
                           f"{outbox.sent} sent, {outbox.failed} failed"),
        ]
        # Paused subscriptions this caller may see: the channel's own and the workspace's.
        mine = {s.name: s.label for s in self._channel_subscriptions(caller, await self._state())}
        tenant = tenant_of(caller)
        mine.update({chat_subscription_name(s.id): f"#{s.id}"
                     for s in (await self._state()).subscriptions if s.tenant == tenant})
        for name, reason in outbox.paused.items():
            if name in mine:
                pairs.append((f"⏸ {mine[name]}", f"paused: {reason} — fix it, then "
                                                  f"`resume {mine[name]}`"))
        for name, s in failing:
            pairs.append((f"✘ {name}", f"{s.consecutive_failures} failures in a row: "
                                       f"{s.last_error or 'unknown error'}"))
        for name, s in disabled:
            pairs.append((f"⏸ {name}", s.disabled_reason or "disabled"))
        return Reply((Heading("Vigie status"), Fields(tuple(pairs))))

    # -- subscriptions --

    def _options(self, p: Parsed, current: dict[str, str] | None = None) -> dict[str, str]:
        options = dict(current or {})
        checks: dict[str, Callable[[str], object]] = {
            "limit": parse_limit, "digest": parse_digest, "quiet": parse_quiet,
            "tz": parse_timezone}
        for key, check in checks.items():
            value = p.str(key)
            if value is None:
                continue
            name = "timezone" if key == "tz" else key
            if value.lower() in ("off", "none") and key != "tz":
                options.pop(name, None)
                continue
            try:
                check(value)
            except ValueError as e:
                raise CommandError(f"--{key}: {e}") from None
            options[name] = value
        mention = p.str("mention")
        if mention is not None:
            role = mention.strip("<@&>")
            if not re.fullmatch(r"[0-9A-Za-z^_-]{1,64}", role):
                raise CommandError("--mention takes a role id")
            options["mention"] = role
        return options

    async def _subscribe(self, caller: Caller, p: Parsed) -> Reply:
        if not p.args:
            raise CommandError("subscribe to what?", hint="`subscribe gpu` or "
                                                          "`subscribe \"IA générative\" Musk`")
        topic: str | None = None
        query: str | None = None
        if len(p.args) == 1:
            try:
                topic, _ = await self._resolve_topic(caller, p.args[0].value)
            except CommandError:
                topic = None
        if topic is None:
            query = p.rest()
            if len(query) > 500:
                raise CommandError("that query is longer than 500 characters")
            q = self._query(query)
            Matcher.compile([Rule(id="query", query=q)])  # validated as the poller will
        options = self._options(p)
        state = await self._state()
        for sub in self._channel_subscriptions(caller, state):
            if not sub.from_file and sub.topics == ((topic,) if topic else ()) \
                    and sub.query == query:
                raise CommandError(f"this channel already has that subscription ({sub.label})")
        what = f"topic {self._topic_name(topic)}" if topic else f"query {query}"
        new_id = await self._chat.add_subscription(
            tenant_of(caller), caller.channel, caller.destination, topic_id=topic,
            query=query, options=options,
            entry=self._entry(caller, "subscribe", caller.channel, None,
                              {"topic": topic and visible_id(topic), "query": query,
                               "options": options}))
        await self._refresh()
        extra = "".join(f" · {k} {v}" for k, v in options.items())
        return Reply.text(f"Subscribed this channel to {what} (#{new_id}){extra}. New matching "
                          "items will be posted here; `recent` shows the latest ones.")

    async def _sub_by_ref(self, caller: Caller, ref: str) -> _ChannelSub:
        subs = self._channel_subscriptions(caller, await self._state())
        m = _SUB_REF_RE.match(ref)
        for sub in subs:
            if m and sub.chat_id == int(m.group(1)):
                return sub
            if sub.from_file and sub.name == ref:
                raise CommandError(f"subscription {ref!r} comes from the configuration file",
                                   hint="change it there")
        raise CommandError(f"this channel has no subscription {_show(ref, 40)!r}",
                           hint="`list` shows them")

    async def _unsubscribe(self, caller: Caller, p: Parsed) -> Reply:
        if len(p.args) != 1:
            raise CommandError("unsubscribe from what?", hint="`unsubscribe gpu` or "
                                                              "`unsubscribe #3`")
        ref = p.args[0].value
        state = await self._state()
        all_subs = self._channel_subscriptions(caller, state)
        subs = [s for s in all_subs if not s.from_file]
        targets: list[_ChannelSub]
        if any(s.from_file and s.name == ref for s in all_subs):
            raise CommandError(f"subscription {ref!r} comes from the configuration file",
                               hint="change it there")
        if _SUB_REF_RE.match(ref):
            targets = [await self._sub_by_ref(caller, ref)]
        else:
            internal, _ = await self._resolve_topic(caller, ref)
            targets = [s for s in subs if s.topics == (internal,)]
            if not targets:
                raise CommandError(f"this channel is not subscribed to {ref!r} from chat",
                                   hint="`list` shows its subscriptions")
        ids = [s.chat_id for s in targets if s.chat_id is not None]
        await self._chat.delete_subscriptions(
            tenant_of(caller), ids,
            self._entry(caller, "unsubscribe", ", ".join(f"#{i}" for i in ids),
                        [self._describe_sub(s) for s in targets], None))
        await self._refresh()
        return Reply.text(f"Unsubscribed: {', '.join(t.label for t in targets)}.")

    async def _set_option(self, caller: Caller, p: Parsed, name: str,
                          check: Callable[[str], object]) -> Reply:
        if len(p.args) != 2:
            raise CommandError(f"usage: `{COMMAND_HELP[name].usage}`")
        sub = await self._sub_by_ref(caller, p.args[0].value)
        value = p.args[1].value
        options = dict(sub.options)
        if value.lower() in ("off", "none"):
            options.pop(name, None)
        else:
            try:
                check(value)
            except ValueError as e:
                raise CommandError(str(e)) from None
            options[name] = value
        tz = p.str("tz")
        if tz is not None:
            try:
                parse_timezone(tz)
            except ValueError as e:
                raise CommandError(str(e)) from None
            options["timezone"] = tz
        assert sub.chat_id is not None
        await self._chat.set_options(
            tenant_of(caller), sub.chat_id, options,
            self._entry(caller, name, sub.label, sub.options, options))
        await self._refresh()
        shown = options.get(name, "off")
        zone = f" ({options['timezone']})" if name != "limit" and "timezone" in options else ""
        return Reply.text(f"{sub.label}: {name} {shown}{zone}.")

    async def _resume(self, caller: Caller, p: Parsed) -> Reply:
        if len(p.args) != 1:
            raise CommandError(f"usage: `{COMMAND_HELP['resume'].usage}`")
        ref = p.args[0].value
        subs = self._channel_subscriptions(caller, await self._state())
        m = _SUB_REF_RE.match(ref)
        sub = next((s for s in subs if (m and s.chat_id == int(m.group(1))) or s.name == ref),
                   None)
        if sub is None:
            raise CommandError(f"this channel has no subscription {_show(ref, 40)!r}",
                               hint="`list` shows them")
        paused = await self.vigie.store.paused_subscriptions()
        if sub.name not in paused:
            return Reply.text(f"{sub.label} is not paused.")
        await self.vigie.store.resume_subscription(sub.name)
        await self._chat.record(self._entry(caller, "resume", sub.label, paused[sub.name], None))
        return Reply.text(f"Resumed {sub.label}: its held alerts go out now, new ones follow.")

    async def _digest(self, caller: Caller, p: Parsed) -> Reply:
        return await self._set_option(caller, p, "digest", parse_digest)

    async def _quiet(self, caller: Caller, p: Parsed) -> Reply:
        return await self._set_option(caller, p, "quiet", parse_quiet)

    async def _limit(self, caller: Caller, p: Parsed) -> Reply:
        return await self._set_option(caller, p, "limit", parse_limit)

    # -- topics and keywords --

    async def _topic(self, caller: Caller, p: Parsed) -> Reply:
        if not p.args or p.args[0].value.lower() not in ("create", "delete"):
            raise CommandError(f"usage: `{COMMAND_HELP['topic'].usage}`")
        action = p.args[0].value.lower()
        if len(p.args) < 2:
            raise CommandError(f"topic {action} needs a topic id")
        topic_id = p.args[1].value
        tenant = tenant_of(caller)
        state = await self._state()
        mine = next((t for t in state.topics if t.tenant == tenant and t.topic_id == topic_id),
                    None)
        if action == "create":
            if not _TOPIC_ID_RE.match(topic_id):
                raise CommandError("topic ids use letters, digits, '-', '_' or '.' (at most 64)")
            if mine is not None or self.vigie.file_config.topic(topic_id) is not None:
                raise CommandError(f"topic {topic_id!r} already exists")
            name = p.phrase(2) or topic_id
            if len(name) > 100:
                raise CommandError("a topic name is at most 100 characters")
            await self._chat.put_topic(ChatTopic(tenant, topic_id, name),
                                       self._entry(caller, "topic create", topic_id, None, name))
            await self._refresh()
            return Reply.text(f"Created topic {topic_id} ({name}). Add keywords: "
                              f"`keywords add {topic_id} <phrase>`.")
        if mine is None:
            if self.vigie.file_config.topic(topic_id) is not None:
                raise CommandError(f"topic {topic_id!r} comes from the configuration file",
                                   hint="remove it there")
            raise CommandError(f"no topic {_show(topic_id, 40)!r} created in this workspace")
        gone = await self._chat.delete_topic(
            tenant, topic_id, rule_id(tenant, topic_id),
            self._entry(caller, "topic delete", topic_id,
                        {"name": mine.name, "keywords": list(mine.keywords)}, None))
        await self._refresh()
        extra = f" and its {gone} subscription(s)" if gone else ""
        return Reply.text(f"Deleted topic {topic_id}{extra}.")

    async def _phrases(self, caller: Caller, p: Parsed, what: str) -> Reply:
        if len(p.args) < 3 or p.args[0].value.lower() not in ("add", "remove"):
            raise CommandError(f"usage: `{COMMAND_HELP[what].usage}`")
        action = p.args[0].value.lower()
        topic_id = p.args[1].value
        phrase = p.phrase(2)
        problem = phrase_problem(phrase)
        if problem:
            raise CommandError(f"the phrase {problem}")
        _, row = await self._editable_topic(caller, topic_id)
        current = row.keywords if what == "keywords" else row.exclude
        folded = {normalize(x.rstrip("*")) + ("*" if x.endswith("*") else ""): x for x in current}
        key = normalize(phrase.rstrip("*")) + ("*" if phrase.endswith("*") else "")
        if action == "add":
            if key in folded:
                raise CommandError(f"{topic_id} already has {folded[key]!r}")
            if len(current) >= 1000:
                raise CommandError("a topic has at most 1,000 phrases")
            new = (*current, phrase)
        else:
            if key not in folded:
                raise CommandError(f"{topic_id} has no {what[:-1] if what == 'keywords' else what}"
                                   f" {_show(phrase, 60)!r}")
            new = tuple(x for x in current if x != folded[key])
            if what == "keywords" and not new and row.tenant == SHARED:
                raise CommandError("a configuration topic needs at least one keyword")
        changed = (dataclasses.replace(row, keywords=new) if what == "keywords"
                   else dataclasses.replace(row, exclude=new))
        await self._chat.put_topic(changed, self._entry(
            caller, f"{what} {action}", topic_id, list(current), list(new)))
        await self._refresh()
        sign = "+" if action == "add" else "−"
        return Reply.text(f"{topic_id} {what}: {sign} {phrase!r}. Now: "
                          f"{', '.join(new) or 'none'}. Takes effect on the next poll.")

    async def _keywords(self, caller: Caller, p: Parsed) -> Reply:
        return await self._phrases(caller, p, "keywords")

    async def _exclude(self, caller: Caller, p: Parsed) -> Reply:
        return await self._phrases(caller, p, "exclude")

    # -- sources --

    async def _sources(self, caller: Caller, p: Parsed) -> Reply:
        if not p.args or p.args[0].value.lower() not in ("add", "remove", "list", "test"):
            raise CommandError(f"usage: `{COMMAND_HELP['sources'].usage}`")
        action = p.args[0].value.lower()
        if action == "list":
            return await self._sources_list()
        if len(p.args) < 2:
            raise CommandError(f"sources {action} needs a URL or a source name")
        target = p.args[1].value
        if action == "test":
            return await self._sources_test(target)
        tenant = tenant_of(caller)
        if action == "remove":
            ok = await self._chat.remove_source(
                tenant, target, self._entry(caller, "sources remove", target))
            if not ok:
                if self.vigie.file_config.source(target):
                    raise CommandError(f"source {target!r} comes from the configuration file")
                raise CommandError(f"no source {_show(target, 40)!r} added from this workspace")
            await self._refresh()
            return Reply.text(f"Removed source {target}.")
        url = await self._check_source_url(target)
        name = p.args[2].value if len(p.args) > 2 else _name_from_url(url)
        if not _SOURCE_NAME_RE.match(name):
            raise CommandError("source names use letters, digits, '-', '_' or '.' (at most 64)")
        interval = 600.0
        raw = p.str("interval")
        if raw is not None:
            try:
                interval = parse_duration(raw)
            except ValueError as e:
                raise CommandError(f"--interval: {e}") from None
            if interval < MIN_INTERVAL:
                raise CommandError(f"--interval must be at least {MIN_INTERVAL:g}s")
        if self.vigie.config.source(name) is not None:
            raise CommandError(f"a source named {name!r} exists already",
                               hint="give another name after the URL")
        added = await self._chat.add_source(
            ChatSource(name, tenant, url, interval),
            self._entry(caller, "sources add", name, None, url))
        if not added:
            raise CommandError(f"a source named {name!r} exists already")
        await self._refresh()
        return Reply.text(f"Added source {name} ({url}), polled every {interval / 60:g} min. "
                          f"`sources test {name}` shows what it would match now.")

    async def _check_source_url(self, url: str) -> str:
        """Refuse non-http(s) URLs and, unless allowed, internal addresses."""
        if len(url) > 2000:
            raise CommandError("that URL is longer than 2,000 characters")
        allow = self.vigie.file_config.fetch.allow_private_addresses
        try:
            check_url(url, allow_private=allow)
        except SourceError as e:
            raise CommandError(f"refused: {e.user_message}") from None
        host = urlsplit(url).hostname or ""
        # Literal addresses were judged by check_url; names are resolved now
        # (and again at every fetch, where the resolver guards each connection).
        if not allow and not _is_ip(host):
            addresses = await _resolve(host)
            if not addresses:
                raise CommandError(f"cannot resolve {host!r}")
            if not all(is_public_address(a) for a in addresses):
                raise CommandError(f"refused: {host} resolves to a private, loopback or "
                                   "link-local address")
        return url

    async def _sources_list(self) -> Reply:
        health = await self.vigie.source_health()
        if not health:
            return Reply.text("No sources yet: `sources add https://example.org/feed`.")
        pairs = []
        for cfg, state in health:
            if state is None or state.last_poll is None:
                status = "not polled yet"
            elif not state.enabled:
                status = f"disabled: {state.disabled_reason or 'unknown reason'}"
            elif state.consecutive_failures:
                status = f"failing ({state.consecutive_failures}×): {state.last_error}"
            else:
                status = "ok"
            pairs.append((cfg.name, f"{cfg.url} · every {cfg.interval / 60:g} min · {status}"))
        return Reply((Heading("Sources"), Fields(tuple(pairs))))

    async def _sources_test(self, target: str) -> Reply:
        if self.vigie.config.source(target) is None:
            await self._check_source_url(target)
        try:
            explained = await self.vigie.explain_url(target)
        except SourceError as e:
            raise CommandError(f"cannot read {_show(target, 60)}: {e.user_message}") from None
        matched = [ex for ex in explained if ex.match.topics or ex.match.subscriptions]
        blocks: list[Heading | Text | Fields] = [Heading(f"Test of {_show(target, 60)}"),
                                                 Text(f"{len(explained)} items, "
                                                      f"{len(matched)} would match now.")]
        pairs = []
        for ex in matched[:10]:
            topics = ", ".join(self._topic_name(t) for t in ex.match.topics) or "a query"
            pairs.append((_show(ex.item.title, 100) or "(no title)",
                          f"{topics} · matched {', '.join(ex.match.matched_terms)}"))
        if pairs:
            blocks.append(Fields(tuple(pairs)))
        return Reply(tuple(blocks))

    # -- audit --

    async def _audit(self, caller: Caller, p: Parsed) -> Reply:
        entries = await self._chat.audit_log(tenant_of(caller), p.int("limit", 10))
        if not entries:
            return Reply.text("No changes recorded for this workspace yet.")
        lines = []
        for e in entries:
            change = ""
            if e.old_value is not None or e.new_value is not None:
                change = f": {_show(e.old_value or '∅', 120)} → {_show(e.new_value or '∅', 120)}"
            lines.append(f"{e.at.strftime('%Y-%m-%d %H:%M UTC')} · {e.user_name} · "
                         f"{e.action} {e.target}{change}")
        return Reply((Heading("Audit log"), Code("\n".join(lines))))


def _newest_first(stored: StoredItem) -> tuple[float, int]:
    when = stored.item.published or stored.first_seen
    return (-when.timestamp(), -stored.id)


def _name_from_url(url: str) -> str:
    host = (urlsplit(url).hostname or "source").lower()
    host = host.removeprefix("www.").removeprefix("feeds.")
    name = re.sub(r"[^a-z0-9_.-]", "-", host)[:64].strip("-.") or "source"
    return name


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def _resolve(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []
    return [str(info[4][0]) for info in infos]


__all__ = ["CommandLayer", "tenant_of"]
