"""Subscription commands, for admins: subscribe, unsubscribe, digest, quiet, limit, resume."""

from __future__ import annotations

from .._effective import visible_id
from .._matching import Matcher, Rule
from ..exceptions import CommandError, InvalidOptionError
from ..options import OptionName, SubscriptionOptions
from ..replies import Reply
from ._call import SUB_REF_RE, Call, ChannelSub, parse_user_query, show
from ._declare import COMMANDS
from ._grammar import single_word
from ._params import Query, RoleId, Text

#: A subscription's query is at most this long.
MAX_QUERY_CHARS = 500

_TZ = Text("tz", "Time zone of the times, e.g. Europe/Paris (default UTC)", option=True,
           metavar="Zone")
_SUBSCRIPTION = Text("subscription", "Subscription id, e.g. #3 (see list)",
                     complete="subscription", metavar="#subscription")


def _set(options: SubscriptionOptions, name: OptionName, value: str | None, label: str
         ) -> SubscriptionOptions:
    """``options`` with ``name`` set to ``value`` (or with "off", unset), if given."""
    if value is None:
        return options
    try:
        return options.with_option(name, value)
    except InvalidOptionError as e:
        raise CommandError(f"{label}{e}") from None


@COMMANDS.command(
    "subscribe", summary="Post new items matching a topic or a query in this channel",
    admin=True, listing="general",
    examples=("subscribe gpu", 'subscribe "IA générative" OR (GPU Nvidia) -crypto',
              "subscribe musk --digest daily@08:30 --tz Europe/Paris"), params=(
        Query("target", 'A topic id, or a query such as: "IA générative" OR (GPU Nvidia) '
                        "-crypto", complete="topic", metavar="topic-id | query",
              missing="subscribe to what?"),
        Text("limit", "At most N alerts per period, e.g. 10/h", option=True, metavar="10/h"),
        Text("digest", "Group alerts: hourly, or daily@08:30", option=True,
             metavar="daily@08:30"),
        Text("quiet", "Hold alerts during quiet hours, e.g. 22:00-07:00", option=True,
             metavar="22:00-07:00"),
        _TZ,
        RoleId("mention", "A role to ping with each alert", option=True, metavar="<role id>"),
    ))
async def subscribe(call: Call, *, target: str, limit: str | None, digest: str | None,
                    quiet: str | None, tz: str | None, mention: str | None) -> Reply:
    topic = await call.topic_or_none(single_word(target))
    query: str | None = None
    if topic is None:
        query = target
        if len(query) > MAX_QUERY_CHARS:
            raise CommandError(f"that query is longer than {MAX_QUERY_CHARS} characters")
        Matcher.compile([Rule(id="query", query=parse_user_query(query))])  # as the poller will
    options = SubscriptionOptions()
    given: tuple[tuple[OptionName, str | None], ...] = (
        ("limit", limit), ("digest", digest), ("quiet", quiet), ("timezone", tz),
        ("mention", mention))
    for name, value in given:
        options = _set(options, name, value, f"--{'tz' if name == 'timezone' else name}: ")
    state = await call.state()
    for sub in call.channel_subscriptions(state):
        if not sub.from_file and sub.topics == ((topic,) if topic else ()) \
                and sub.query == query:
            raise CommandError(f"this channel already has that subscription ({sub.label})")
    what = f"topic {call.topic_name(topic)}" if topic else f"query {query}"
    new_id = await call.chat.add_subscription(
        call.tenant, call.caller.channel, call.caller.destination, topic_id=topic,
        query=query, options=options,
        entry=call.entry("subscribe", call.caller.channel, None,
                         {"topic": topic and visible_id(topic), "query": query,
                          "options": options.as_strings()}))
    await call.refresh()
    extra = "".join(f" · {k} {v}" for k, v in options.as_strings().items())
    return Reply.text(f"Subscribed this channel to {what} (#{new_id}){extra}. New matching "
                      "items will be posted here; `recent` shows the latest ones.")


@COMMANDS.command(
    "unsubscribe", summary="Stop a subscription of this channel", admin=True,
    listing="general", examples=("unsubscribe gpu", "unsubscribe #3"), params=(
        Text("target", "Topic id, or subscription id such as #3", complete="subscription",
             metavar="topic-id | #subscription", missing="unsubscribe from what?"),
    ))
async def unsubscribe(call: Call, *, target: str) -> Reply:
    all_subs = call.channel_subscriptions(await call.state())
    if any(s.from_file and s.name == target for s in all_subs):
        raise CommandError(f"subscription {target!r} comes from the configuration file",
                           hint="change it there")
    targets: list[ChannelSub]
    if SUB_REF_RE.match(target):
        targets = [await call.sub_by_ref(target)]
    else:
        internal, _ = await call.resolve_topic(target)
        targets = [s for s in all_subs if not s.from_file and s.topics == (internal,)]
        if not targets:
            raise CommandError(f"this channel is not subscribed to {target!r} from chat",
                               hint="`list` shows its subscriptions")
    ids = [s.chat_id for s in targets if s.chat_id is not None]
    await call.chat.delete_subscriptions(
        call.tenant, ids, call.entry("unsubscribe", ", ".join(f"#{i}" for i in ids),
                                     [call.describe(s) for s in targets], None))
    await call.refresh()
    return Reply.text(f"Unsubscribed: {', '.join(t.label for t in targets)}.")


async def _set_option(call: Call, ref: str, name: OptionName, value: str, tz: str | None
                      ) -> Reply:
    sub = await call.sub_by_ref(ref)
    options = _set(_set(sub.options, name, value, ""), "timezone", tz, "")
    assert sub.chat_id is not None
    written = options.as_strings()
    await call.chat.set_options(call.tenant, sub.chat_id, options,
                                call.entry(name, sub.label, sub.options.as_strings(), written))
    await call.refresh()
    shown = written.get(name, "off")
    zone = f" ({written['timezone']})" if name != "limit" and "timezone" in written else ""
    return Reply.text(f"{sub.label}: {name} {shown}{zone}.")


@COMMANDS.command(
    "digest", summary="Send a subscription's alerts as one digest", admin=True,
    examples=("digest #3 daily@08:30 --tz Europe/Paris", "digest #3 off"), params=(
        _SUBSCRIPTION,
        Text("schedule", "hourly, daily@08:30, or off", metavar="hourly | daily@HH:MM | off"),
        _TZ,
    ))
async def digest(call: Call, *, subscription: str, schedule: str, tz: str | None) -> Reply:
    return await _set_option(call, subscription, "digest", schedule, tz)


@COMMANDS.command(
    "quiet", summary="Hold alerts during quiet hours, then send them as a digest",
    admin=True, examples=("quiet #3 22:00-07:00 --tz Europe/Paris",), params=(
        _SUBSCRIPTION,
        Text("window", "e.g. 22:00-07:00, or off", metavar="HH:MM-HH:MM | off"),
        _TZ,
    ))
async def quiet(call: Call, *, subscription: str, window: str, tz: str | None) -> Reply:
    return await _set_option(call, subscription, "quiet", window, tz)


@COMMANDS.command(
    "limit", summary="At most N alerts per period; the overflow is rolled into one message",
    admin=True, examples=("limit #3 10/h",), params=(
        _SUBSCRIPTION,
        Text("rate", "e.g. 10/h, 3/10m, or off", metavar="N/period | off"),
    ))
async def limit(call: Call, *, subscription: str, rate: str) -> Reply:
    return await _set_option(call, subscription, "limit", rate, None)


@COMMANDS.command(
    "resume", summary="Resume a subscription paused after a delivery failed for good",
    details="Fix the cause first: channel access, token …", admin=True,
    examples=("resume #3",), params=(
        Text("subscription", "Subscription id such as #3, or a configured subscription's name",
             complete="subscription", metavar="#subscription | name"),
    ))
async def resume(call: Call, *, subscription: str) -> Reply:
    subs = call.channel_subscriptions(await call.state())
    m = SUB_REF_RE.match(subscription)
    sub = next((s for s in subs if (m and s.chat_id == int(m.group(1)))
                or s.name == subscription), None)
    if sub is None:
        raise CommandError(f"this channel has no subscription {show(subscription, 40)!r}",
                           hint="`list` shows them")
    outbox = call.ctx.outbox
    paused = await outbox.paused_subscriptions()
    if sub.name not in paused:
        return Reply.text(f"{sub.label} is not paused.")
    await outbox.resume_subscription(sub.name)
    await call.chat.record(call.entry("resume", sub.label, paused[sub.name], None))
    return Reply.text(f"Resumed {sub.label}: its held alerts go out now, new ones follow.")
