"""Reading commands, open to everyone: help, topics, list, recent, search, status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from .._effective import chat_subscription_name, rule_id, visible_id
from .._matching import Matcher, Rule, highlight_spans
from .._normalize import normalize
from .._query import Query as ParsedQuery
from .._query import positive_terms
from .._types import ChatState, SearchTerm
from ..config import TopicConfig
from ..exceptions import CommandError
from ..replies import Fields, Heading, ItemCard, Reply
from ..types import StoredItem
from ._call import Call, ChannelSub, parse_user_query, show
from ._declare import COMMANDS
from ._grammar import single_word
from ._help import help_reply
from ._params import Choice, Flag, Int, Query

#: ``--hours`` reaches a year back at most.
MAX_HOURS = 24 * 365
#: ``recent`` and ``search`` show at most this many items.
MAX_RESULTS = 25
DEFAULT_RESULTS = 5

_LIMIT = Int("limit", f"How many items at most (default {DEFAULT_RESULTS})", option=True,
             default=DEFAULT_RESULTS, minimum=1, maximum=MAX_RESULTS, metavar="N")


@COMMANDS.command("topics", summary="Every topic with its keywords")
async def topics(call: Call) -> Reply:
    shown = call.visible_topics()
    # A topic created without keywords yet matches nothing, so it is not
    # in the effective configuration; its creators still see it.
    known = {t.id for t in shown}
    tenant = call.tenant
    shown += [TopicConfig(rule_id(tenant, t.topic_id), t.name, ())
              for t in (await call.state()).topics
              if t.tenant == tenant and rule_id(tenant, t.topic_id) not in known]
    if not shown:
        return Reply.text("No topics yet. An admin can create one: `topic create gpu GPU`.")
    pairs = []
    for t in shown:
        value = ", ".join(t.keywords) or "no keywords yet"
        if t.exclude:
            value += f" · except {', '.join(t.exclude)}"
        pairs.append((f"{visible_id(t.id)} ({t.name})" if t.name != visible_id(t.id)
                      else visible_id(t.id), value))
    return Reply((Heading("Topics"), Fields(tuple(pairs))))


@COMMANDS.command(
    "list", summary="This channel's subscriptions with their options",
    details="`--all`: every channel of the workspace (admins only).",
    examples=("list", "list --all"), params=(
        Flag("all", "Every channel of this workspace (admins)", admin=True),
    ))
async def list_(call: Call, *, all: bool) -> Reply:
    state = await call.state()
    if all:
        return _list_workspace(call, state)
    subs = call.channel_subscriptions(state)
    if not subs:
        return Reply.text("This channel has no subscriptions. An admin can add one: "
                          "`subscribe gpu`.")
    return Reply((Heading("Subscriptions of this channel"),
                  Fields(tuple((s.label, call.describe(s)) for s in subs))))


def _list_workspace(call: Call, state: ChatState) -> Reply:
    """Every chat subscription of the caller's workspace (for admins: it names
    channels the caller may not be in)."""
    subs = [s for s in state.subscriptions if s.tenant == call.tenant]
    if not subs:
        return Reply.text("This workspace has no subscriptions made from chat.", ephemeral=True)
    pairs = tuple((f"#{s.id} in {s.channel}", call.describe(ChannelSub.from_chat(s)))
                  for s in subs)
    return Reply((Heading("Subscriptions of this workspace"), Fields(pairs)), ephemeral=True)


@COMMANDS.command(
    "recent", summary="The latest matched items, newest first",
    details="By default: this channel's subscriptions, 24 h, 5 items.",
    examples=("recent", "recent gpu --hours 48", "recent Musk xAI --limit 10"), params=(
        Query("target", "A topic id or a query (default: this channel's subscriptions)",
              required=False, complete="topic", metavar="topic-id | query"),
        Int("hours", "How far back to look, in hours (default 24)", option=True, default=24,
            minimum=1, maximum=MAX_HOURS, metavar="N"),
        _LIMIT,
    ))
async def recent(call: Call, *, target: str | None, hours: int, limit: int) -> Reply:
    since = call.ctx.clock() - timedelta(hours=hours)
    items = call.ctx.items
    found: dict[int, tuple[StoredItem, tuple[str, ...]]] = {}
    if target is not None:
        topic = await call.topic_or_none(single_word(target))
        if topic is not None:
            for s in await items.recent(topics=[topic], since=since, limit=limit):
                found[s.id] = (s, _topic_terms(call, [topic]))
        else:
            for s, terms in await _find(call, parse_user_query(target), since, limit):
                found[s.id] = (s, terms)
        label = show(target, 60)
    else:
        subs = call.channel_subscriptions(await call.state())
        if not subs:
            raise CommandError("this channel has no subscriptions",
                               hint="name a topic or a query: `recent gpu`")
        topic_ids = sorted({t for s in subs for t in s.topics})
        if topic_ids:
            for s in await items.recent(topics=topic_ids, since=since, limit=limit):
                found[s.id] = (s, _topic_terms(call, [t for t in s.topics if t in topic_ids]))
        for sub in subs:
            if sub.query:
                for s, terms in await _find(call, parse_user_query(sub.query), since, limit):
                    found.setdefault(s.id, (s, terms))
        label = "this channel's subscriptions"
    ordered = sorted(found.values(), key=lambda pair: _newest_first(pair[0]))[:limit]
    if not ordered:
        return Reply.text(f"Nothing matched {label} in the last {hours} h.")
    return Reply((Heading(f"Latest for {label} ({len(ordered)}, last {hours} h)"),
                  *(_card(call, s, terms) for s, terms in ordered)))


@COMMANDS.command(
    "search", summary="Full-text search over every stored item, accents and case ignored",
    examples=("search musk", 'search "IA générative" -crypto --hours 72'), params=(
        Query("query", "Words to find; accents and case do not matter",
              missing="search what?"),
        Int("hours", "How far back to look, in hours (default: everything)", option=True,
            minimum=1, maximum=MAX_HOURS, metavar="N"),
        _LIMIT,
    ))
async def search(call: Call, *, query: str, hours: int | None, limit: int) -> Reply:
    parsed = parse_user_query(query)
    since = call.ctx.clock() - timedelta(hours=hours) if hours is not None else None
    found = await _find(call, parsed, since, limit)
    what = show(query, 60)
    if not found:
        return Reply.text(f"No stored item matches {what}.")
    return Reply((Heading(f"Search: {what} ({len(found)})"),
                  *(_card(call, s, terms) for s, terms in found)))


@COMMANDS.command("status", summary="Sources' health, last poll, items today, deliveries")
async def status(call: Call) -> Reply:
    health = await call.ctx.engine.source_health()
    now = call.ctx.clock()
    healthy = [c.name for c, s in health if s and s.enabled and s.last_success
               and not s.consecutive_failures]
    failing = [(c.name, s) for c, s in health if s and s.consecutive_failures]
    disabled = [(c.name, s) for c, s in health if s and not s.enabled]
    never = [c.name for c, s in health if s is None or s.last_poll is None]
    polls = [s.last_poll for _, s in health if s and s.last_poll]
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = await call.ctx.items.count_items(since=midnight)
    outbox = await call.ctx.outbox.outbox_summary(failures=0)
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
    state = await call.state()
    mine = {s.name: s.label for s in call.channel_subscriptions(state)}
    mine.update({chat_subscription_name(s.id): f"#{s.id}"
                 for s in state.subscriptions if s.tenant == call.tenant})
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


@COMMANDS.command("help", summary="How to use Vigie", examples=("help subscribe",), params=(
    Choice("command", "A command to explain", required=False, choices=COMMANDS.names),
))
async def help_(call: Call, *, command: str | None) -> Reply:
    return help_reply(COMMANDS, command)


async def _find(call: Call, query: ParsedQuery, since: datetime | None, limit: int
                ) -> list[tuple[StoredItem, tuple[str, ...]]]:
    """Stored items matching ``query`` exactly, newest first.

    Full-text search finds candidates for each positive term (its last word
    as a prefix, so plurals are found); the matcher then applies the query's
    exact semantics.
    """
    candidates: dict[int, StoredItem] = {}
    for term in positive_terms(query)[:8]:
        text = normalize(term.phrase)
        if not text:
            continue
        for hit in await call.ctx.items.search([SearchTerm(text, prefix=True)],
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


def _card(call: Call, stored: StoredItem, terms: Sequence[str]) -> ItemCard:
    return ItemCard.from_stored(
        stored,
        topic_names=tuple(call.topic_name(t) for t in stored.topics),
        title_highlights=highlight_spans(stored.item.title, terms),
        summary_highlights=highlight_spans(stored.item.lead, terms),
        matched_terms=tuple(terms),
    )


def _topic_terms(call: Call, topic_ids: Iterable[str]) -> tuple[str, ...]:
    terms: list[str] = []
    for tid in topic_ids:
        topic = call.ctx.engine.config.topic(tid)
        if topic:
            terms += [k for k in topic.keywords if k not in terms]
    return tuple(terms)


def _newest_first(stored: StoredItem) -> tuple[float, int]:
    when = stored.item.published or stored.first_seen
    return (-when.timestamp(), -stored.id)
